import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { publishEvent } from '../lib/publish';
import type { FakeEventBridge } from './support/fake-eventbridge';
import { isModelAdded, modelAdded, publishError, target, usePublishEnvironment } from './support/publish-environment';

let fake: FakeEventBridge;
usePublishEnvironment((started) => (fake = started));

describe('publishEvent', () => {
  test('sends the fixture as model.added with Source, DetailType and Detail exactly', async () => {
    const { eventId } = await publishEvent(target, 'model.added', modelAdded);

    expect(fake.accepted).toEqual([{
      eventId,
      eventBusName: 'ml-triggers-demo-main',
      source: 'ml-triggers.demo.main',
      detailType: 'model.added',
      detail: JSON.stringify(modelAdded),
      time: undefined,
      resources: [],
    }]);
  });

  test('passes time and resources through', async () => {
    const resources = ['arn:aws:sagemaker:eu-west-1:123456789012:model-package/llama/1'];

    await publishEvent(target, 'model.added', modelAdded, { time: new Date('2024-01-29T12:00:00Z'), resources });

    expect(fake.accepted).toMatchObject([{ time: '2024-01-29T12:00:00.000Z', resources }]);
  });

  test.each(['ThrottlingException', 'InternalFailure', 'InternalException'])('retries an entry PutEvents answered with %s and publishes it once', async (code) => {
    fake.failEntries(isModelAdded, code, 1);

    const { eventId } = await publishEvent(target, 'model.added', modelAdded);

    expect(fake.calls.map((call) => call.answers)).toEqual([[code], [eventId]]);
    expect(fake.accepted).toHaveLength(1);
  });

  test('gives up on a retryable entry error after 3 attempts', async () => {
    fake.failEntries(isModelAdded, 'InternalFailure', 5);

    const error = await publishError(publishEvent(target, 'model.added', modelAdded));

    expect(error).toMatchObject({ code: 'InternalFailure', entryIndex: 0 });
    expect(fake.calls).toHaveLength(3);
    expect(fake.accepted).toHaveLength(0);
  });

  test('reports a non-retryable entry error at once', async () => {
    fake.failEntries(isModelAdded, 'MalformedDetail', 1);

    const error = await publishError(publishEvent(target, 'model.added', modelAdded));

    expect(error.code).toBe('MalformedDetail');
    expect(error.message).toMatch(/'model.added' on bus 'ml-triggers-demo-main' \(1 attempt\): MalformedDetail/);
    expect(fake.calls).toHaveLength(1);
  });

  test('publishes once when the SDK retries a throttled PutEvents call', async () => {
    fake.failCalls(1, 'throttle');

    await publishEvent(target, 'model.added', modelAdded);

    expect(fake.calls.map((call) => call.outcome)).toEqual(['ThrottlingException', 'answered']);
    expect(fake.accepted).toHaveLength(1);
  });

  test('reports a PutEvents call that keeps failing as PublishError with the SDK error name', async () => {
    fake.failCalls(1, 'internal');
    const client = new EventBridgeClient({ maxAttempts: 1 });

    const error = await publishError(publishEvent(target, 'model.added', modelAdded, { client }));

    expect(error).toMatchObject({ code: 'InternalException', entryIndex: 0 });
    expect(fake.accepted).toHaveLength(0);
  });

  test.each([['that is empty', ''], ['of 129 characters', 'a'.repeat(129)], ['with a space', 'model added'], ['with a slash', 'model/added'],
    ['with non-ASCII letters', 'modèle.ajouté']])('rejects a name %s before sending', async (_label, name) => {
    const error = await publishError(publishEvent(target, name, modelAdded));

    expect(error.code).toBe('InvalidName');
    expect(fake.calls).toHaveLength(0);
  });

  const circular: Record<string, unknown> = {};
  circular.self = circular;
  test.each<[string, unknown]>([
    ['null', null], ['an array', [modelAdded]], ['a string', 'model.added'], ['a number', 42],
    ['a cyclic object', circular], ['an object holding a BigInt', { size: BigInt(1) }], ['a Date', new Date(0)],
  ])('rejects %s as payload before sending', async (_label, payload) => {
    const error = await publishError(publishEvent(target, 'model.added', payload as Record<string, unknown>));

    expect(error.code).toBe('InvalidPayload');
    expect(fake.calls).toHaveLength(0);
  });
});

describe('entry size check', () => {
  // Entry size as the EventBridge User Guide defines it, "Calculating Amazon EventBridge PutEvents event entry size"
  // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html): Time counts 14 bytes when set;
  // Source, DetailType, Detail and each Resources item count the bytes of their UTF-8 form. Limit: 1 MB = 1,048,576 since 29 January 2026 (AWS Compute Blog, payloads up to 1 MB).
  const time = new Date('2024-01-29T12:00:00Z');
  const resources = ['arn:aws:sagemaker:eu-west-1:123456789012:model/llama-3-2-1b'];
  const documentedSize = (payload: Record<string, unknown>): number =>
    14 + [target.source, 'model.added', JSON.stringify(payload), ...resources].reduce((sum, text) => sum + Buffer.byteLength(text, 'utf8'), 0);
  /** A payload whose entry has exactly `bytes` bytes; 'é' is 2 bytes in UTF-8, so characters are not bytes. */
  const payloadOfSize = (bytes: number): Record<string, unknown> => {
    const base = { ...modelAdded, note: 'é'.repeat(1000), pad: '' };
    return { ...base, pad: 'x'.repeat(bytes - documentedSize(base)) };
  };

  test('rejects an entry one byte over 1 MB before sending', async () => {
    const payload = payloadOfSize(1_048_577);
    expect(documentedSize(payload)).toBe(1_048_577);

    const error = await publishError(publishEvent(target, 'model.added', payload, { time, resources }));

    expect(error.code).toBe('EntryTooLarge');
    expect(error.message).toContain('1048577 bytes');
    expect(fake.calls).toHaveLength(0);
  });

  test('accepts an entry one byte under 1 MB', async () => {
    const payload = payloadOfSize(1_048_575);
    expect(documentedSize(payload)).toBe(1_048_575);

    await publishEvent(target, 'model.added', payload, { time, resources });

    expect(fake.accepted.map((entry) => entry.detail)).toEqual([JSON.stringify(payload)]);
  });
});
