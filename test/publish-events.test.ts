import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PublishError, publishEvents } from '../lib/publish';
import type { FakeEventBridge } from './support/fake-eventbridge';
import { modelAdded, target, usePublishEnvironment } from './support/publish-environment';

let fake: FakeEventBridge;
usePublishEnvironment((started) => (fake = started));

describe('publishEvents', () => {
  test('splits 23 events into calls of 10, 10 and 3 and keeps their order', async () => {
    const events = Array.from({ length: 23 }, (_, n) => ({ name: 'model.added', payload: { ...modelAdded, sequence: n } }));

    const results = await publishEvents(target, events);

    expect(fake.calls.map((call) => call.entries.length)).toEqual([10, 10, 3]);
    expect(fake.accepted.map((entry) => JSON.parse(entry.detail ?? '{}').sequence)).toEqual(events.map((_, n) => n));
    expect(results).toEqual(fake.accepted.map(({ eventId }) => ({ eventId })));
  });

  // PutEvents: "You can batch multiple event entries into one request for efficiency. However, the total entry size must
  // be less than 1MB" (EventBridge API Reference, PutEvents, as the model of @aws-sdk/client-eventbridge 3.1169.0 words
  // it), each entry's size counted by the formula of "Calculating PutEvents event entry size".
  const entryBytes = (entry: { source?: string; detailType?: string; detail?: string }): number =>
    [entry.source, entry.detailType, entry.detail].reduce((sum, text) => sum + Buffer.byteLength(text ?? '', 'utf8'), 0);
  /** An event whose entry (no time, no resources) has exactly `bytes` bytes. */
  const eventOfSize = (sequence: number, bytes: number): { name: string; payload: Record<string, unknown> } => {
    const base = { sequence, pad: '' };
    const overhead = entryBytes({ source: target.source, detailType: 'model.added', detail: JSON.stringify(base) });
    return { name: 'model.added', payload: { sequence, pad: 'x'.repeat(bytes - overhead) } };
  };

  test('splits calls by size too: no PutEvents request carries more than 1 MB of entries', async () => {
    const events = Array.from({ length: 5 }, (_, n) => eventOfSize(n, 400_000));

    const results = await publishEvents(target, events);

    expect(fake.calls.map((call) => call.entries.length)).toEqual([2, 2, 1]);
    expect(fake.calls.every((call) => call.entries.reduce((sum, entry) => sum + entryBytes(entry), 0) <= 1_048_576)).toBe(true);
    expect(fake.accepted.map((entry) => JSON.parse(entry.detail ?? '{}').sequence)).toEqual([0, 1, 2, 3, 4]);
    expect(results).toEqual(fake.accepted.map(({ eventId }) => ({ eventId })));
  });

  test('puts two entries one byte under 1 MB together in one call, and one byte over in two', async () => {
    await publishEvents(target, [eventOfSize(0, 524_288), eventOfSize(1, 524_287)]);
    const together = fake.calls.map((call) => call.entries.length);
    fake.reset();

    await publishEvents(target, [eventOfSize(0, 524_288), eventOfSize(1, 524_289)]);

    expect(together).toEqual([2]);
    expect(fake.calls.map((call) => call.entries.length)).toEqual([1, 1]);
  });

  test('reports an event over 1 MB as EntryTooLarge without sending it, and publishes the others in one call', async () => {
    const events = [eventOfSize(0, 1_000), eventOfSize(1, 1_048_577), eventOfSize(2, 1_000)];

    const results = await publishEvents(target, events);

    expect(results[1]).toMatchObject({ code: 'EntryTooLarge', entryIndex: 1, message: expect.stringContaining('1048577 bytes') });
    expect(fake.calls.map((call) => call.entries.map((entry) => JSON.parse(entry.detail ?? '{}').sequence))).toEqual([[0, 2]]);
    expect([results[0], results[2]]).toEqual(fake.accepted.map(({ eventId }) => ({ eventId })));
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
