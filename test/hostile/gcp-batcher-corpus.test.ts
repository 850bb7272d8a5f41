import { handler } from '../../lambda/gcp/batcher';
import { startFakeFirestore, type FakeFirestore } from '../gcp/fake-firestore';
import { useFakeGoogle } from '../gcp/function-call';
import { BATCHER_CONFIG } from '../gcp/trigger-configs';
import { hugeString, silenceOutput } from './corpus-support';
import {
  answer, envelopeCases, expectRejected, impossibleTimeCases, overlongObjectName, push, testPushCorpus, TIMEOUT, withInfinity, type PushCase,
} from './gcp-corpus-support';

// The function is loaded from its TypeScript source, as test/gcp/ loads it: the bundle is the same code through esbuild.
// Large enough that one accepted object never fills a batch: an accepted input may add data, never start a run.
const CONFIG = { ...BATCHER_CONFIG, batchSize: 1000, batchWindowSeconds: 3600 };
const T0 = Date.UTC(2026, 2, 2, 6, 0, 0);
const GENERATION = '1772431200000001';
const STATE = `triggers/${CONFIG.triggerId}`;

/** The object resource of a finalize notification (payloadFormat JSON_API_V1), fields replaced (`undefined` removes one). */
function resource(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    kind: 'storage#object', bucket: CONFIG.bucket, name: 'incoming/b.csv', generation: GENERATION, size: '2048', timeCreated: '2026-03-02T06:00:00.000Z', ...overrides,
  };
  for (const [key, value] of Object.entries(overrides)) if (value === undefined) delete fields[key];
  return fields;
}
function notificationAttributes(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const name = overrides.objectId ?? 'incoming/b.csv';
  const fields: Record<string, string | undefined> = {
    eventType: 'OBJECT_FINALIZE', payloadFormat: 'JSON_API_V1', notificationConfig: `projects/_/buckets/${CONFIG.bucket}/notificationConfigs/1`,
    bucketId: CONFIG.bucket, objectId: name, objectGeneration: GENERATION, eventTime: '2026-03-02T06:00:00.000Z', ...overrides,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Record<string, string>;
}
/** A finalize notification: the attributes and the resource agree on the name unless a test says otherwise. */
const finalize = (data: unknown = resource(), attributes: Record<string, string | undefined> = {}, options: Parameters<typeof push>[1] = {}) =>
  push(data, { attributes: notificationAttributes(attributes), ...options });
const named = (name: string) => finalize(resource({ name }), { objectId: name });

const BATCHER_CORPUS: readonly PushCase[] = [
  ...envelopeCases(() => resource(), notificationAttributes()),
  // The notification's attributes.
  { name: 'another bucket\'s notification', input: () => finalize(resource({ bucket: 'someone-elses-bucket' }), { bucketId: 'someone-elses-bucket' }) },
  { name: 'another bucket in the data only', input: () => finalize(resource({ bucket: 'someone-elses-bucket' })) },
  { name: 'bucketId missing', input: () => finalize(resource(), { bucketId: undefined }) },
  { name: 'objectId missing', input: () => finalize(resource(), { objectId: undefined }) },
  { name: 'objectGeneration: latest', input: () => finalize(resource({ generation: 'latest' }), { objectGeneration: 'latest' }) },
  { name: 'objectGeneration: 1e999', input: () => finalize(resource({ generation: '1e999' }), { objectGeneration: '1e999' }) },
  { name: 'objectGeneration: 21 digits', input: () => finalize(resource({ generation: '1'.repeat(21) }), { objectGeneration: '1'.repeat(21) }) },
  { name: 'objectGeneration: __proto__', input: () => finalize(resource({ generation: '__proto__' }), { objectGeneration: '__proto__' }) },
  { name: 'a generation in the data that disagrees', input: () => finalize(resource({ generation: '2' })) },
  { name: 'a name in the data that disagrees', input: () => finalize(resource({ name: 'incoming/z.csv' })) },
  // The object resource: wrong types, non-finite numbers, impossible names and times.
  { name: 'the resource: an array', input: () => finalize([resource()]) },
  { name: 'the resource 10,000 objects deep', input: () => finalize(`{"size":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`) },
  { name: 'the resource\'s "__proto__" key holding its fields', input: () => finalize(`{"__proto__":${JSON.stringify(resource())}}`) },
  { name: 'size missing', input: () => finalize(resource({ size: undefined })) },
  { name: 'size: 1e999 in JSON text', input: () => finalize(withInfinity(resource({ size: 0 }), 'size')) },
  { name: 'size: the string 1e999', input: () => finalize(resource({ size: '1e999' })) },
  { name: 'size: 250 KB of digits', input: () => finalize(resource({ size: '9'.repeat(250 * 1024) })) },
  { name: 'size: 2.5', input: () => finalize(resource({ size: 2.5 })) },
  { name: 'size: an object', input: () => finalize(resource({ size: { bytes: 1 } })) },
  {
    name: 'size: -1',
    input: () => finalize(resource({ size: -1 })),
  },
  { name: 'timeCreated missing', input: () => finalize(resource({ timeCreated: undefined })) },
  ...impossibleTimeCases('timeCreated', (timeCreated) => resource({ timeCreated }), (data) => finalize(data)),
  {
    name: 'an object name of 1,025 bytes, past Cloud Storage\'s limit',
    input: () => named(overlongObjectName('incoming/')),
  },
  {
    name: 'an object name of 250 KB',
    input: () => named(`incoming/${hugeString()}`),
  },
  // The flush.
  { name: 'a flush that is the string yes', input: () => push({ flush: 'yes' }) },
  { name: 'a flush of 1e999 in JSON text', input: () => push(withInfinity({ flush: 0 }, 'flush')) },
  { name: 'a flush whose "__proto__" key holds flush: true', input: () => push('{"__proto__":{"flush":true}}') },
  { name: 'a flush under "constructor"', input: () => push({ constructor: { flush: true } }) },
  // Accepted, and changes nothing.
  { name: 'a notification of this trigger\'s own manifest', input: () => named(`manifests/${CONFIG.triggerId}/abc-1.ml-triggers-manifest.jsonl`), harmless: 'a manifest of the library is never counted: answered ignored' },
  { name: 'a manifest name under the data prefix', input: () => named('incoming/other-trigger/epoch-7-1.ml-triggers-manifest.jsonl'), harmless: 'a name ending with .ml-triggers-manifest.jsonl is never counted' },
  { name: 'an object outside the prefix', input: () => named('elsewhere/a.csv'), harmless: 'outside the prefix: answered ignored' },
  { name: 'eventType: __proto__', input: () => finalize(resource(), { eventType: '__proto__' }), harmless: 'another event type adds no data: answered ignored' },
  { name: 'eventType: OBJECT_DELETE of another bucket', input: () => finalize(resource(), { eventType: 'OBJECT_DELETE', bucketId: 'someone-elses-bucket' }), harmless: 'a deletion adds no data, whatever its bucket' },
  { name: 'a flush under a forged subscription', input: () => push({ flush: true }, { root: { subscription: 'projects/attacker-1/subscriptions/x' } }), harmless: 'a flush seals only a batch whose window ran out (none has) and starts only due batches (none is)' },
  // Accepted by design: each counts exactly one object into the open batch.
  { name: 'a notification under a forged subscription', input: () => finalize(resource(), {}, { root: { subscription: 'projects/attacker-1/subscriptions/x' } }), accepted: 'the body\'s subscription is not authenticated (the push identity is) and never read; a well-formed notification of our bucket is data' },
  { name: 'an object named incoming/__proto__', input: () => named('incoming/__proto__'), accepted: 'a legal object name; its Firestore id is a hash, so it names no property' },
  { name: 'an object named incoming/constructor', input: () => named('incoming/constructor'), accepted: 'a legal object name' },
  { name: 'an object created at 9999-12-31', input: () => finalize(resource({ timeCreated: '9999-12-31T23:59:59Z' })), accepted: 'timeCreated is only written into the manifest line; batching runs on the function\'s clock' },
  { name: 'an object created at 0001-01-01', input: () => finalize(resource({ timeCreated: '0001-01-01T00:00:00Z' })), accepted: 'timeCreated is only recorded' },
  { name: 'a notification whose eventTime is 9999-12-31', input: () => finalize(resource(), { eventTime: '9999-12-31T23:59:59Z' }), accepted: 'the eventTime attribute is not read' },
  { name: 'a notification published at 0001-01-01', input: () => finalize(resource(), {}, { message: { publishTime: '0001-01-01T00:00:00Z', publish_time: undefined } }), accepted: 'publishTime is Pub/Sub\'s stamp, logged only' },
];

describe('the batcher function against hostile push requests', () => {
  let firestore: FakeFirestore;

  beforeAll(async () => {
    firestore = await startFakeFirestore();
  }, TIMEOUT);
  afterAll(async () => firestore.close(), TIMEOUT);
  const fake = useFakeGoogle(() => ({
    BATCHER_CONFIG: JSON.stringify(CONFIG), FIRESTORE_API_ENDPOINT: firestore.endpoint, GCS_API_ENDPOINT: firestore.endpoint,
  }), TIMEOUT);
  beforeEach(async () => {
    // Prepare: an open batch holding one genuine object, so that a flush or a forged object has state to change.
    firestore.reset();
    silenceOutput();
    jest.spyOn(Date, 'now').mockImplementation(() => T0);
    const seeded = await answer(handler, named('incoming/a.csv'));
    if (seeded.body.status !== 'added') throw new Error(`seeding answered ${JSON.stringify(seeded.body)}`);
  }, TIMEOUT);

  const stored = () => {
    const objects = firestore.collection(`${STATE}/objects`).sort();
    const members = firestore.collection(`${STATE}/batches/1/members`).sort();
    return {
      triggers: firestore.collection('triggers'),
      state: JSON.stringify(firestore.document(STATE)),
      objects: objects.map((path) => `${path} ${JSON.stringify(firestore.document(path))}`),
      batches: firestore.collection(`${STATE}/batches`),
      members: members.map((path) => `${path} ${JSON.stringify(firestore.document(path))}`),
      uploads: [...firestore.uploads],
    };
  };
  const count = (state: string): string => (JSON.parse(state) as { count: { integerValue: string } }).count.integerValue;

  async function assessCase(hostile: PushCase): Promise<void> {
    const before = stored();

    // Act: the await itself checks that the function answers instead of throwing.
    const answered = await answer(handler, hostile.input());

    // Assess: no job ever; stored state unchanged, or for accepted data exactly one object in the open batch.
    expect(fake.google.createAttempts).toEqual([]);
    const after = stored();
    if (hostile.accepted) {
      expect(answered).toMatchObject({ status: 200, body: { status: 'added', generation: 1, starts: [] } });
      expect(after.objects).toHaveLength(before.objects.length + 1);
      expect(after.objects).toEqual(expect.arrayContaining(before.objects));
      expect(after.members).toHaveLength(before.members.length + 1);
      expect(after.members).toEqual(expect.arrayContaining(before.members));
      expect(count(after.state)).toBe(String(Number(count(before.state)) + 1));
      expect({ triggers: after.triggers, batches: after.batches, uploads: after.uploads }).toEqual({ triggers: before.triggers, batches: before.batches, uploads: before.uploads });
    } else {
      expect(after).toEqual(before);
      if (hostile.harmless) expect(answered).toMatchObject({ status: 200, body: { status: expect.stringMatching(/^(ignored|flushed)$/) } });
      else expectRejected(answered);
    }
  }

  testPushCorpus({
    fn: handler,
    cases: BATCHER_CORPUS,
    genuine: { name: 'a genuine notification is counted, so the rejections below are the inputs\' doing', request: () => finalize(), answers: { status: 'added', generation: 1 } },
    behaviour: 'names the field or counts only its own object, starts nothing',
    assessCase,
    sized: (length) => finalize(resource({ size: '9'.repeat(length) })),
  });
});
