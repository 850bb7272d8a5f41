import { manifestBody, type ManifestEntry } from '../../lambda/core/batching';
import { batchJobId } from '../../lambda/gcp/batcher/decisions';
import { PIPELINE_JOB_ID_PATTERN } from '../../lambda/core/pipeline-job';
import { clock, deliverAll, entry, finalize, flush, handler, parameterValues, T0, useBatcher } from './batcher-harness';
import { call, FAKE_GOOGLE_TIMEOUT, pushBody, type Answer } from './function-call';
import { BATCHER_CONFIG as CONFIG } from './trigger-configs';

describe('batcher function (GCS finalize -> Pub/Sub push -> Firestore -> Vertex AI) against fake Firestore, Cloud Storage and Vertex AI', () => {
  const suite = useBatcher();

  test('starts one pipeline job when the third object fills a batch of three, its manifest holding the three lines', async () => {
    const names = ['incoming/a.csv', 'incoming/b.csv', 'incoming/c.csv'];

    const answers: Answer[] = [];
    for (const [i, name] of names.entries()) answers.push(await call(handler, finalize(name, `90${i}`)));

    expect(answers.map((a) => [a.status, a.body.status])).toEqual([[200, 'added'], [200, 'added'], [200, 'added']]);
    const jobId = batchJobId(CONFIG.triggerId, suite.epoch(), 1);
    expect(jobId).toMatch(PIPELINE_JOB_ID_PATTERN);
    expect(suite.google.jobs.map((j) => j.pipelineJobId)).toEqual([jobId]);
    const manifestName = `manifests/churn-arrivals/${suite.epoch()}-1.ml-triggers-manifest.jsonl`;
    expect(parameterValues(suite.google.jobs[0])).toEqual({ Epochs: '20', ManifestGcsUri: `gs://${CONFIG.manifestBucket}/${manifestName}`, ObjectCount: '3' });
    expect(suite.google.jobs[0].body.labels).toEqual({ 'ml-trigger-id': 'churn-arrivals', 'ml-trigger-type': 'data-arrival' });
    expect(suite.firestore.uploads).toEqual([expect.objectContaining({ bucket: CONFIG.manifestBucket, name: manifestName, body: manifestBody(names.map((n) => entry(n))) })]);
    expect(answers[2].body.starts).toEqual([expect.objectContaining({ status: 'started', generation: 1, pipelineJobId: jobId, objectCount: 3 })]);
    expect(suite.batchStatus(1)).toBe('STARTED');
  }, FAKE_GOOGLE_TIMEOUT);

  test('a redelivered notification counts once, while a new generation of the same object counts as new data', async () => {
    await call(handler, finalize('incoming/a.csv', '901'));
    const redelivered = await call(handler, finalize('incoming/a.csv', '901'));
    await call(handler, finalize('incoming/a.csv', '902', '1772431200000002'));
    expect(suite.google.jobs).toHaveLength(0);
    await call(handler, finalize('incoming/b.csv', '903'));

    expect(redelivered.body).toMatchObject({ status: 'duplicate', generation: 1 });
    expect(suite.google.jobs).toHaveLength(1);
    expect(suite.firestore.uploads[0].body).toBe(manifestBody([entry('incoming/a.csv'), entry('incoming/a.csv', '1772431200000002'), entry('incoming/b.csv')]));
  }, FAKE_GOOGLE_TIMEOUT);

  test('16 concurrent invocations with 30% duplicates put every object in exactly one started batch, each batch started once', async () => {
    suite.configure({ batchSize: 5 });
    const names = Array.from({ length: 40 }, (_, i) => `incoming/part-${String(i).padStart(3, '0')}.csv`);
    const messages = [...names.map((name, i) => finalize(name, `7${i}`)), ...names.slice(0, 12).map((name, i) => finalize(name, `7${i}`))];
    let seed = 42;
    const shuffled = messages.map((m) => ({ m, k: (seed = (seed * 1103515245 + 12345) % 2 ** 31) })).sort((a, b) => a.k - b.k).map((x) => x.m);

    const answers = await deliverAll(shuffled, 16);

    expect(answers.filter((a) => a.body.status === 'added')).toHaveLength(40);
    expect(answers.filter((a) => a.body.status === 'duplicate')).toHaveLength(12);
    expect(suite.google.createAttempts).toHaveLength(8);
    expect(new Set(suite.google.jobs.map((j) => j.pipelineJobId)).size).toBe(8);
    expect(suite.google.jobs.map((j) => parameterValues(j).ObjectCount)).toEqual(Array(8).fill('5'));
    const lines = suite.firestore.uploads.flatMap((u) => u.body.trim().split('\n').map((line) => (JSON.parse(line) as ManifestEntry).key));
    expect(lines.sort()).toEqual(names);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(suite.batchStatus)).toEqual(Array(8).fill('STARTED'));
    expect(suite.firestore.aborted).toBeGreaterThan(0);
  }, FAKE_GOOGLE_TIMEOUT);

  test('a flush closes a batch whose window ran out, and only then', async () => {
    suite.configure({ batchSize: 10 });
    await call(handler, finalize('incoming/a.csv', '901'));
    clock.now = T0 + 30_000;
    await call(handler, finalize('incoming/b.csv', '902'));

    clock.now = T0 + 299_000;
    const early = await call(handler, flush('801'));
    clock.now = T0 + 300_000;
    const due = await call(handler, flush('802'));
    const again = await call(handler, flush('803'));

    expect(early.body).toEqual({ status: 'flushed', sealed: null, starts: [] });
    expect(due.body).toMatchObject({ status: 'flushed', sealed: 1, starts: [expect.objectContaining({ status: 'started', objectCount: 2 })] });
    expect(again.body).toEqual({ status: 'flushed', sealed: null, starts: [] });
    expect(suite.google.jobs).toHaveLength(1);
    expect(parameterValues(suite.google.jobs[0]).ObjectCount).toBe('2');
    const next = await call(handler, finalize('incoming/c.csv', '904'));
    expect(next.body).toMatchObject({ status: 'added', generation: 2 });
  }, FAKE_GOOGLE_TIMEOUT);

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
    expect(suite.firestore.collection('triggers')).toEqual([]);
  }, FAKE_GOOGLE_TIMEOUT);

  test('ignores other event types and objects outside the prefix; rejects a config naming its field', async () => {
    const deleted = await call(handler, withAttributes({ eventType: 'OBJECT_DELETE' }));
    const outside = await call(handler, finalize('elsewhere/a.csv', '2'));
    suite.configure({ batchSize: 0 });
    const misconfigured = await call(handler, finalize('incoming/a.csv', '3'));

    expect(deleted.body.status).toBe('ignored');
    expect(outside.body.status).toBe('ignored');
    expect(misconfigured).toMatchObject({ status: 500, body: { status: 'misconfigured', error: { field: 'BATCHER_CONFIG.batchSize' } } });
    expect(suite.firestore.collection('triggers')).toEqual([]);
  }, FAKE_GOOGLE_TIMEOUT);

  test('with the defaults (no prefix, manifests in the data bucket) one object starts one job: its manifest and any other trigger\'s are never counted', async () => {
    // Prepare: the construct's defaults, starting per object.
    suite.configure({ prefix: undefined, manifestBucket: CONFIG.bucket, manifestPrefix: 'ml-triggers/manifests/', batchSize: 1 });
    await call(handler, finalize('data/one.csv', '501'));
    const ownManifest = suite.firestore.uploads[0].name;
    const otherTriggersManifest = `elsewhere/other-trigger/epoch-7${ownManifest.slice(ownManifest.lastIndexOf('-1.'))}`;

    // Act: the manifest's own notification arrives, and one written by another trigger with its own manifestPrefix.
    const answers = [await call(handler, finalize(ownManifest, '502')), await call(handler, finalize(otherTriggersManifest, '503'))];
    clock.now += 3_600_000;
    await call(handler, flush('504'));

    // Assess
    expect(answers.map((a) => a.body.status)).toEqual(['ignored', 'ignored']);
    expect(suite.google.jobs).toHaveLength(1);
  }, FAKE_GOOGLE_TIMEOUT);

  test('honours suffix: only objects ending with it are batched', async () => {
    // Prepare
    suite.configure({ suffix: '.parquet', batchSize: 1 });

    // Act
    const other = await call(handler, finalize('incoming/a.csv', '601'));
    const matching = await call(handler, finalize('incoming/a.parquet', '602'));

    // Assess
    expect(other.body.status).toBe('ignored');
    expect(matching.body.status).toBe('added');
    expect(suite.google.jobs).toHaveLength(1);
  }, FAKE_GOOGLE_TIMEOUT);
});
