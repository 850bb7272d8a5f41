import { manifestBody, type ManifestEntry } from '../../lambda/core/batching';
import { CloudStorage } from '../../lambda/gcp/adapters/gcs';
import { MetadataTokenSource } from '../../lambda/gcp/adapters/metadata-token';
import { VertexPipelines } from '../../lambda/gcp/adapters/vertex-pipelines';
import { batcherHandler } from '../../lambda/gcp/batcher/handler';
import { batchJobId } from '../../lambda/gcp/batcher/decisions';
import { PIPELINE_JOB_ID_PATTERN } from '../../lambda/core/pipeline-job';
import type { FakeGoogle } from './fake-google';
import { startFakeFirestore, type FakeFirestore } from './fake-firestore';
import { call, captureLogs, fakeGoogleEnv, pushBody, type Answer } from './function-call';

const CONFIG = {
  triggerId: 'churn-arrivals',
  project: 'ml-prod-481',
  region: 'europe-west4',
  templateUri: 'https://europe-west4-kfp.pkg.dev/ml-prod-481/pipelines/churn-training/v3',
  pipelineName: 'churn-training',
  bucket: 'ml-prod-481-landing',
  prefix: 'incoming/',
  batchSize: 3,
  batchWindowSeconds: 300,
  manifestBucket: 'ml-prod-481-manifests',
  manifestPrefix: 'manifests/',
  parameters: { Epochs: '20' },
};
const T0 = Date.UTC(2026, 2, 2, 6, 0, 0);

/** The batcher on a clock the tests move: `now` is set per test and advanced to let windows and claims run out. */
let now = T0;
const clock = (): number => now;
const tokens = new MetadataTokenSource(clock);
const handler = batcherHandler({ tokens, storage: new CloudStorage(tokens), pipelines: new VertexPipelines(tokens), now: clock });

/** A Cloud Storage OBJECT_FINALIZE notification (payloadFormat JSON_API_V1), as Pub/Sub pushes it. */
function finalize(name: string, messageId: string, generation = '1772431200000001'): Record<string, unknown> {
  const resource = { kind: 'storage#object', bucket: CONFIG.bucket, name, generation, size: '2048', timeCreated: '2026-03-02T06:00:00.000Z', contentType: 'text/csv' };
  return pushBody(resource, messageId, {
    eventType: 'OBJECT_FINALIZE', payloadFormat: 'JSON_API_V1', notificationConfig: `projects/_/buckets/${CONFIG.bucket}/notificationConfigs/1`,
    bucketId: CONFIG.bucket, objectId: name, objectGeneration: generation, eventTime: '2026-03-02T06:00:00.000Z',
  });
}
const flush = (messageId: string): Record<string, unknown> => pushBody({ flush: true }, messageId);
const entry = (name: string, generation = '1772431200000001'): ManifestEntry => ({
  uri: `gs://${CONFIG.bucket}/${name}`, bucket: CONFIG.bucket, key: name, versionId: generation, size: 2048, eventTime: '2026-03-02T06:00:00.000Z',
});
const parameterValues = (job: { body: Record<string, unknown> }): Record<string, unknown> =>
  (job.body.runtimeConfig as { parameterValues: Record<string, unknown> }).parameterValues;

describe('batcher function (GCS finalize -> Pub/Sub push -> Firestore -> Vertex AI) against fake Firestore, Cloud Storage and Vertex AI', () => {
  let google: FakeGoogle;
  let firestore: FakeFirestore;
  let restore: () => Promise<void>;

  const configure = (overrides: Record<string, unknown> = {}): void => {
    process.env.BATCHER_CONFIG = JSON.stringify({ ...CONFIG, ...overrides });
  };
  const epoch = (): string => String((firestore.document(`triggers/${CONFIG.triggerId}`)?.epoch as { stringValue: string }).stringValue);
  const batchStatus = (generation: number): unknown =>
    (firestore.document(`triggers/${CONFIG.triggerId}/batches/${generation}`)?.status as { stringValue?: string } | undefined)?.stringValue;

  beforeAll(async () => {
    firestore = await startFakeFirestore();
    ({ google, restore } = await fakeGoogleEnv({
      BATCHER_CONFIG: JSON.stringify(CONFIG), FIRESTORE_API_ENDPOINT: firestore.endpoint, GCS_API_ENDPOINT: firestore.endpoint,
    }));
  });
  afterAll(async () => {
    await restore();
    await firestore.close();
  });
  beforeEach(() => {
    google.reset();
    firestore.reset();
    configure();
    captureLogs();
    now = T0;
  });
  afterEach(() => jest.restoreAllMocks());

  test('starts one pipeline job when the third object fills a batch of three, its manifest holding the three lines', async () => {
    const names = ['incoming/a.csv', 'incoming/b.csv', 'incoming/c.csv'];

    const answers: Answer[] = [];
    for (const [i, name] of names.entries()) answers.push(await call(handler, finalize(name, `90${i}`)));

    expect(answers.map((a) => [a.status, a.body.status])).toEqual([[200, 'added'], [200, 'added'], [200, 'added']]);
    const jobId = batchJobId(CONFIG.triggerId, epoch(), 1);
    expect(jobId).toMatch(PIPELINE_JOB_ID_PATTERN);
    expect(google.jobs.map((j) => j.pipelineJobId)).toEqual([jobId]);
    const manifestName = `manifests/churn-arrivals/${epoch()}-1.ml-triggers-manifest.jsonl`;
    expect(parameterValues(google.jobs[0])).toEqual({ Epochs: '20', ManifestGcsUri: `gs://${CONFIG.manifestBucket}/${manifestName}`, ObjectCount: '3' });
    expect(google.jobs[0].body.labels).toEqual({ 'ml-trigger-id': 'churn-arrivals', 'ml-trigger-type': 'data-arrival' });
    expect(firestore.uploads).toEqual([expect.objectContaining({ bucket: CONFIG.manifestBucket, name: manifestName, body: manifestBody(names.map((n) => entry(n))) })]);
    expect(answers[2].body.starts).toEqual([expect.objectContaining({ status: 'started', generation: 1, pipelineJobId: jobId, objectCount: 3 })]);
    expect(batchStatus(1)).toBe('STARTED');
  });

  test('a redelivered notification counts once, while a new generation of the same object counts as new data', async () => {
    await call(handler, finalize('incoming/a.csv', '901'));
    const redelivered = await call(handler, finalize('incoming/a.csv', '901'));
    await call(handler, finalize('incoming/a.csv', '902', '1772431200000002'));
    expect(google.jobs).toHaveLength(0);
    await call(handler, finalize('incoming/b.csv', '903'));

    expect(redelivered.body).toMatchObject({ status: 'duplicate', generation: 1 });
    expect(google.jobs).toHaveLength(1);
    expect(firestore.uploads[0].body).toBe(manifestBody([entry('incoming/a.csv'), entry('incoming/a.csv', '1772431200000002'), entry('incoming/b.csv')]));
  });

  test('16 concurrent invocations with 30% duplicates put every object in exactly one started batch, each batch started once', async () => {
    configure({ batchSize: 5 });
    const names = Array.from({ length: 40 }, (_, i) => `incoming/part-${String(i).padStart(3, '0')}.csv`);
    const messages = [...names.map((name, i) => finalize(name, `7${i}`)), ...names.slice(0, 12).map((name, i) => finalize(name, `7${i}`))];
    let seed = 42;
    const shuffled = messages.map((m) => ({ m, k: (seed = (seed * 1103515245 + 12345) % 2 ** 31) })).sort((a, b) => a.k - b.k).map((x) => x.m);

    const answers = await deliverAll(shuffled, 16);

    expect(answers.filter((a) => a.body.status === 'added')).toHaveLength(40);
    expect(answers.filter((a) => a.body.status === 'duplicate')).toHaveLength(12);
    expect(google.createAttempts).toHaveLength(8);
    expect(new Set(google.jobs.map((j) => j.pipelineJobId)).size).toBe(8);
    expect(google.jobs.map((j) => parameterValues(j).ObjectCount)).toEqual(Array(8).fill('5'));
    const lines = firestore.uploads.flatMap((u) => u.body.trim().split('\n').map((line) => (JSON.parse(line) as ManifestEntry).key));
    expect(lines.sort()).toEqual(names);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(batchStatus)).toEqual(Array(8).fill('STARTED'));
    expect(firestore.aborted).toBeGreaterThan(0);
  });

  test('a flush closes a batch whose window ran out, and only then', async () => {
    configure({ batchSize: 10 });
    await call(handler, finalize('incoming/a.csv', '901'));
    now = T0 + 30_000;
    await call(handler, finalize('incoming/b.csv', '902'));

    now = T0 + 299_000;
    const early = await call(handler, flush('801'));
    now = T0 + 300_000;
    const due = await call(handler, flush('802'));
    const again = await call(handler, flush('803'));

    expect(early.body).toEqual({ status: 'flushed', sealed: null, starts: [] });
    expect(due.body).toMatchObject({ status: 'flushed', sealed: 1, starts: [expect.objectContaining({ status: 'started', objectCount: 2 })] });
    expect(again.body).toEqual({ status: 'flushed', sealed: null, starts: [] });
    expect(google.jobs).toHaveLength(1);
    expect(parameterValues(google.jobs[0]).ObjectCount).toBe('2');
    const next = await call(handler, finalize('incoming/c.csv', '904'));
    expect(next.body).toMatchObject({ status: 'added', generation: 2 });
  });

  test('a failed start (Vertex AI 500) keeps the batch, and a flush after the backoff starts it once', async () => {
    configure({ batchSize: 2 });
    google.failNext(500);
    await call(handler, finalize('incoming/a.csv', '901'));
    const filling = await call(handler, finalize('incoming/b.csv', '902'));
    expect(filling).toMatchObject({ status: 200, body: { status: 'added', starts: [expect.objectContaining({ status: 'retry', nextAttemptAtMs: T0 + 60_000 })] } });
    expect(batchStatus(1)).toBe('RETRY');

    now = T0 + 30_000;
    const tooSoon = await call(handler, flush('801'));
    now = T0 + 60_000;
    const retried = await call(handler, flush('802'));
    const again = await call(handler, flush('803'));

    expect(tooSoon.body.starts).toEqual([]);
    expect(retried.body.starts).toEqual([expect.objectContaining({ status: 'started', generation: 1, objectCount: 2 })]);
    expect(again.body.starts).toEqual([]);
    expect(google.createAttempts).toHaveLength(2);
    expect(google.jobs).toHaveLength(1);
    expect(batchStatus(1)).toBe('STARTED');
  });

  test('a start retried after its job creation failed reuses the manifest it wrote: Cloud Storage is asked not to replace it, and the job gets its URI', async () => {
    configure({ batchSize: 2 });
    google.failNext(503);
    await call(handler, finalize('incoming/a.csv', '901'));
    await call(handler, finalize('incoming/b.csv', '902'));

    now = T0 + 60_000;
    const retried = await call(handler, flush('801'));

    const manifestUri = `gs://${CONFIG.manifestBucket}/manifests/churn-arrivals/${epoch()}-1.ml-triggers-manifest.jsonl`;
    expect(retried.body.starts).toEqual([expect.objectContaining({ status: 'started', generation: 1, objectCount: 2 })]);
    expect(firestore.uploads).toHaveLength(1);
    expect(firestore.refusedUploads).toEqual([412]);
    expect(parameterValues(google.jobs[0])).toMatchObject({ ManifestGcsUri: manifestUri, ObjectCount: '2' });
    expect(batchStatus(1)).toBe('STARTED');
    expect((firestore.document(`triggers/${CONFIG.triggerId}/batches/1`)?.manifestUri as { stringValue?: string } | undefined)?.stringValue).toBe(manifestUri);
  });

  test('an invocation that dies after creating the job leaves a claim that expires, and a flush then records the job without a second one', async () => {
    configure({ batchSize: 1 });
    firestore.failNext('commit', 503, 2, 2); // the object and the claim commit; recording STARTED and then RETRY fail

    const died = await call(handler, finalize('incoming/a.csv', '901'));
    now = T0 + 60_000;
    const redelivered = await call(handler, finalize('incoming/a.csv', '901'));
    now = T0 + 10 * 60_000;
    const flushed = await call(handler, flush('801'));

    expect(died.status).toBe(500);
    expect(redelivered.body).toMatchObject({ status: 'duplicate', starts: [] });
    expect(flushed.body.starts).toEqual([expect.objectContaining({ status: 'started', alreadyExisted: true, objectCount: 1 })]);
    expect(google.createAttempts).toHaveLength(2);
    expect(google.jobs).toHaveLength(1);
    expect(batchStatus(1)).toBe('STARTED');
  });

  test('a Firestore outage answers 500 so that Pub/Sub redelivers, and the redelivery counts the object once', async () => {
    firestore.failNext('commit', 503);

    const failed = await call(handler, finalize('incoming/a.csv', '901'));
    const redelivered = await call(handler, finalize('incoming/a.csv', '901'));
    const again = await call(handler, finalize('incoming/a.csv', '901'));

    expect(failed).toMatchObject({ status: 500, body: { status: 'retry' } });
    expect(redelivered.body).toMatchObject({ status: 'added' });
    expect(again.body).toMatchObject({ status: 'duplicate' });
    expect(firestore.collection(`triggers/${CONFIG.triggerId}/objects`)).toHaveLength(1);
  });

  const withAttributes = (attributes: Record<string, string | undefined>, data: unknown = { bucket: CONFIG.bucket, name: 'incoming/a.csv', size: '1', timeCreated: '2026-03-02T06:00:00Z' }) => {
    const base = finalize('incoming/a.csv', '1', '1772431200000001') as { message: { attributes: Record<string, string> } };
    const merged = Object.fromEntries(Object.entries({ ...base.message.attributes, objectGeneration: '1772431200000001', ...attributes }).filter(([, v]) => v !== undefined)) as Record<string, string>;
    return pushBody(data, '1', merged);
  };
  test.each<[string, Record<string, unknown>, string]>([
    ['no message', { subscription: 's' }, 'message'],
    ['no objectGeneration', withAttributes({ objectGeneration: undefined }), 'message.attributes.objectGeneration'],
    ['a generation that is not a number', withAttributes({ objectGeneration: 'latest' }), 'message.attributes.objectGeneration'],
    ['another bucket', withAttributes({ bucketId: 'someone-elses-bucket' }), 'message.attributes.bucketId'],
    ['data that is not JSON', withAttributes({}, 'not json'), 'message.data'],
    ['an object without a size', withAttributes({}, { name: 'incoming/a.csv', timeCreated: '2026-03-02T06:00:00Z' }), 'message.data.size'],
    ['a name that disagrees with objectId', withAttributes({}, { name: 'incoming/z.csv', size: '1', timeCreated: '2026-03-02T06:00:00Z' }), 'message.data.name'],
    ['neither a notification nor a flush', pushBody({ hello: 1 }, '1'), 'message.attributes.eventType'],
    ['a flush that is not true', pushBody({ flush: 'yes' }, '1'), 'message.data.flush'],
  ])('rejects a message with %s and records nothing', async (_case, body, field) => {
    const answer = await call(handler, body);

    expect(answer).toMatchObject({ status: 200, body: { status: 'rejected', error: { field } } });
    expect(firestore.collection('triggers')).toEqual([]);
  });

  test('ignores other event types and objects outside the prefix; rejects a config naming its field', async () => {
    const deleted = await call(handler, withAttributes({ eventType: 'OBJECT_DELETE' }));
    const outside = await call(handler, finalize('elsewhere/a.csv', '2'));
    configure({ batchSize: 0 });
    const misconfigured = await call(handler, finalize('incoming/a.csv', '3'));

    expect(deleted.body.status).toBe('ignored');
    expect(outside.body.status).toBe('ignored');
    expect(misconfigured).toMatchObject({ status: 500, body: { status: 'misconfigured', error: { field: 'BATCHER_CONFIG.batchSize' } } });
    expect(firestore.collection('triggers')).toEqual([]);
  });

  test('with the defaults (no prefix, manifests in the data bucket) one object starts one job: its manifest and any other trigger\'s are never counted', async () => {
    // Prepare: the construct's defaults, starting per object.
    configure({ prefix: undefined, manifestBucket: CONFIG.bucket, manifestPrefix: 'ml-triggers/manifests/', batchSize: 1 });
    await call(handler, finalize('data/one.csv', '501'));
    const ownManifest = firestore.uploads[0].name;
    const otherTriggersManifest = `elsewhere/other-trigger/epoch-7${ownManifest.slice(ownManifest.lastIndexOf('-1.'))}`;

    // Act: the manifest's own notification arrives, and one written by another trigger with its own manifestPrefix.
    const answers = [await call(handler, finalize(ownManifest, '502')), await call(handler, finalize(otherTriggersManifest, '503'))];
    now += 3_600_000;
    await call(handler, flush('504'));

    // Assess
    expect(answers.map((a) => a.body.status)).toEqual(['ignored', 'ignored']);
    expect(google.jobs).toHaveLength(1);
  });

  test('honours suffix: only objects ending with it are batched', async () => {
    // Prepare
    configure({ suffix: '.parquet', batchSize: 1 });

    // Act
    const other = await call(handler, finalize('incoming/a.csv', '601'));
    const matching = await call(handler, finalize('incoming/a.parquet', '602'));

    // Assess
    expect(other.body.status).toBe('ignored');
    expect(matching.body.status).toBe('added');
    expect(google.jobs).toHaveLength(1);
  });
});

/** Delivers the messages through `concurrency` parallel invocations, redelivering on 500 as Pub/Sub would. */
async function deliverAll(bodies: ReadonlyArray<Record<string, unknown>>, concurrency: number): Promise<Answer[]> {
  const queue = [...bodies];
  const answers: Answer[] = [];
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let body = queue.shift(); body; body = queue.shift()) {
      for (let attempt = 1; ; attempt += 1) {
        const answer = await call(handler, body);
        if (answer.status === 200) {
          answers.push(answer);
          break;
        }
        if (attempt >= 5) throw new Error(`still ${answer.status} after ${attempt} deliveries: ${JSON.stringify(answer.body)}`);
      }
    }
  }));
  return answers;
}
