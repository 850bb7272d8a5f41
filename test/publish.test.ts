import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PublishError, publishEvent, publishEvents, safePublish, type BusTarget } from '../publish';
import { startFakeEventBridge, type FakeEventBridge } from './support/fake-eventbridge';
import { LOCAL_AWS_ENV, setEnv } from './support/local-services';

const FIXTURE = path.resolve(__dirname, 'fixtures/events/platform-model-added.json');
const modelAdded = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, unknown>;
const target: BusTarget = { eventBusName: 'ml-triggers-demo-main', source: 'ml-triggers.demo.main' };
const isModelAdded = (entry: { detailType?: string }): boolean => entry.detailType === 'model.added';

let fake: FakeEventBridge;
let restoreEnv: () => void;

beforeAll(async () => {
  fake = await startFakeEventBridge();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset();
  restoreEnv = setEnv({
    ...LOCAL_AWS_ENV,
    AWS_ENDPOINT_URL_EVENTBRIDGE: fake.endpoint,
    AWS_LAMBDA_FUNCTION_NAME: undefined,
    ECS_CONTAINER_METADATA_URI_V4: undefined,
    ECS_CONTAINER_METADATA_URI: undefined,
    ML_TRIGGERS_PUBLISH: undefined,
  });
});
afterEach(() => restoreEnv());

async function publishError(promise: Promise<unknown>): Promise<PublishError> {
  const error = await promise.then(() => undefined, (reason: unknown) => reason);
  if (!(error instanceof PublishError)) throw new Error(`expected a PublishError, got ${String(error)}`);
  return error;
}

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

describe('publishEvents', () => {
  test('splits 23 events into calls of 10, 10 and 3 and keeps their order', async () => {
    const events = Array.from({ length: 23 }, (_, n) => ({ name: 'model.added', payload: { ...modelAdded, sequence: n } }));

    const results = await publishEvents(target, events);

    expect(fake.calls.map((call) => call.entries.length)).toEqual([10, 10, 3]);
    expect(fake.accepted.map((entry) => JSON.parse(entry.detail ?? '{}').sequence)).toEqual(events.map((_, n) => n));
    expect(results).toEqual(fake.accepted.map(({ eventId }) => ({ eventId })));
  });

  test('reports each failed event individually and publishes the rest', async () => {
    const events = ['model.added', 'model.deployed', 'model.retired', 'model archived'].map((name) => ({ name, payload: modelAdded }));
    fake.failEntries((entry) => entry.detailType === 'model.deployed', 'ThrottlingException', 1);
    fake.failEntries((entry) => entry.detailType === 'model.retired', 'MalformedDetail', 1);

    const results = await publishEvents(target, events);

    expect(results).toHaveLength(4);
    expect(results.slice(0, 2)).toEqual(fake.accepted.map(({ eventId }) => ({ eventId })));
    expect(results[2]).toMatchObject({ code: 'MalformedDetail', entryIndex: 2 });
    expect(results[3]).toMatchObject({ code: 'InvalidName', entryIndex: 3 });
    expect(fake.calls.map((call) => call.entries.map((entry) => entry.detailType))).toEqual([
      ['model.added', 'model.deployed', 'model.retired'],
      ['model.deployed'],
    ]);
  });

  test('fails every event of a failed call and still sends the next call', async () => {
    const events = Array.from({ length: 12 }, (_, n) => ({ name: 'model.added', payload: { sequence: n } }));
    fake.failCalls(1, 'internal');

    const results = await publishEvents(target, events, { client: new EventBridgeClient({ maxAttempts: 1 }) });

    expect(results.slice(0, 10).map((result) => result instanceof PublishError && result.entryIndex)).toEqual(events.slice(0, 10).map((_, n) => n));
    expect(fake.accepted.map((entry) => entry.detail)).toEqual(['{"sequence":10}', '{"sequence":11}']);
  });
});

describe('safePublish', () => {
  test('sends nothing outside a deployed environment', async () => {
    const result = await safePublish(target, 'model.added', modelAdded);

    expect(result).toEqual({ published: false, reason: expect.stringMatching(/^not a deployed environment/) });
    expect(fake.calls).toHaveLength(0);
  });

  test.each<[string, Record<string, string>]>([
    ['in Lambda', { AWS_LAMBDA_FUNCTION_NAME: 'model-registry' }],
    ['in ECS', { ECS_CONTAINER_METADATA_URI_V4: 'http://169.254.170.2/v4/task' }],
    ['with ML_TRIGGERS_PUBLISH=true', { ML_TRIGGERS_PUBLISH: 'true' }],
  ])('publishes %s', async (_label, env) => {
    setEnv(env);

    const result = await safePublish(target, 'model.added', modelAdded);

    expect(result).toEqual({ published: true, eventId: fake.accepted[0]?.eventId });
  });

  test('publishes when options.deployed or options.isDeployed says so', async () => {
    await safePublish(target, 'model.added', modelAdded, { deployed: true });
    await safePublish(target, 'model.added', modelAdded, { isDeployed: () => true });

    expect(fake.accepted).toHaveLength(2);
  });

  test('options.deployed false wins over Lambda detection', async () => {
    setEnv({ AWS_LAMBDA_FUNCTION_NAME: 'model-registry' });

    const result = await safePublish(target, 'model.added', modelAdded, { deployed: false });

    expect(result).toEqual({ published: false, reason: 'options.deployed is false' });
  });

  test('ML_TRIGGERS_PUBLISH=false wins over Lambda detection and options.deployed', async () => {
    setEnv({ ML_TRIGGERS_PUBLISH: 'false', AWS_LAMBDA_FUNCTION_NAME: 'model-registry' });

    const result = await safePublish(target, 'model.added', modelAdded, { deployed: true });

    expect(result).toEqual({ published: false, reason: 'ML_TRIGGERS_PUBLISH=false disables publishing' });
    expect(fake.calls).toHaveLength(0);
  });

  test('rejects an invalid event even when it would not send it', async () => {
    const error = await publishError(safePublish(target, 'model added', modelAdded));

    expect(error.code).toBe('InvalidName');
  });
});
