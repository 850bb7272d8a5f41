import { call, FAKE_GOOGLE_TIMEOUT } from './function-call';
import { clock, finalize, flush, handler, parameterValues, T0, useBatcher } from './batcher-harness';
import { BATCHER_CONFIG as CONFIG } from './trigger-configs';

describe('batcher function when Vertex AI or Firestore fails, or an invocation dies part-way', () => {
  const suite = useBatcher();

  test('a failed start (Vertex AI 500) keeps the batch, and a flush after the backoff starts it once', async () => {
    suite.configure({ batchSize: 2 });
    suite.google.failNext(500);
    await call(handler, finalize('incoming/a.csv', '901'));
    const filling = await call(handler, finalize('incoming/b.csv', '902'));
    expect(filling).toMatchObject({ status: 200, body: { status: 'added', starts: [expect.objectContaining({ status: 'retry', nextAttemptAtMs: T0 + 60_000 })] } });
    expect(suite.batchStatus(1)).toBe('RETRY');

    clock.now = T0 + 30_000;
    const tooSoon = await call(handler, flush('801'));
    clock.now = T0 + 60_000;
    const retried = await call(handler, flush('802'));
    const again = await call(handler, flush('803'));

    expect(tooSoon.body.starts).toEqual([]);
    expect(retried.body.starts).toEqual([expect.objectContaining({ status: 'started', generation: 1, objectCount: 2 })]);
    expect(again.body.starts).toEqual([]);
    expect(suite.google.createAttempts).toHaveLength(2);
    expect(suite.google.jobs).toHaveLength(1);
    expect(suite.batchStatus(1)).toBe('STARTED');
  }, FAKE_GOOGLE_TIMEOUT);

  test('a start retried after its job creation failed reuses the manifest it wrote: Cloud Storage is asked not to replace it, and the job gets its URI', async () => {
    suite.configure({ batchSize: 2 });
    suite.google.failNext(503);
    await call(handler, finalize('incoming/a.csv', '901'));
    await call(handler, finalize('incoming/b.csv', '902'));

    clock.now = T0 + 60_000;
    const retried = await call(handler, flush('801'));

    const manifestUri = `gs://${CONFIG.manifestBucket}/manifests/churn-arrivals/${suite.epoch()}-1.ml-triggers-manifest.jsonl`;
    expect(retried.body.starts).toEqual([expect.objectContaining({ status: 'started', generation: 1, objectCount: 2 })]);
    expect(suite.firestore.uploads).toHaveLength(1);
    expect(suite.firestore.refusedUploads).toEqual([412]);
    expect(parameterValues(suite.google.jobs[0])).toMatchObject({ ManifestGcsUri: manifestUri, ObjectCount: '2' });
    expect(suite.batchStatus(1)).toBe('STARTED');
    expect((suite.firestore.document(`triggers/${CONFIG.triggerId}/batches/1`)?.manifestUri as { stringValue?: string } | undefined)?.stringValue).toBe(manifestUri);
  }, FAKE_GOOGLE_TIMEOUT);

  test('an invocation that dies after creating the job leaves a claim that expires, and a flush then records the job without a second one', async () => {
    suite.configure({ batchSize: 1 });
    suite.firestore.failNext('commit', 503, 2, 2); // the object and the claim commit; recording STARTED and then RETRY fail

    const died = await call(handler, finalize('incoming/a.csv', '901'));
    clock.now = T0 + 60_000;
    const redelivered = await call(handler, finalize('incoming/a.csv', '901'));
    clock.now = T0 + 10 * 60_000;
    const flushed = await call(handler, flush('801'));

    expect(died.status).toBe(500);
    expect(redelivered.body).toMatchObject({ status: 'duplicate', starts: [] });
    expect(flushed.body.starts).toEqual([expect.objectContaining({ status: 'started', alreadyExisted: true, objectCount: 1 })]);
    expect(suite.google.createAttempts).toHaveLength(2);
    expect(suite.google.jobs).toHaveLength(1);
    expect(suite.batchStatus(1)).toBe('STARTED');
  }, FAKE_GOOGLE_TIMEOUT);

  test('a Firestore outage answers 500 so that Pub/Sub redelivers, and the redelivery counts the object once', async () => {
    suite.firestore.failNext('commit', 503);

    const failed = await call(handler, finalize('incoming/a.csv', '901'));
    const redelivered = await call(handler, finalize('incoming/a.csv', '901'));
    const again = await call(handler, finalize('incoming/a.csv', '901'));

    expect(failed).toMatchObject({ status: 500, body: { status: 'retry' } });
    expect(redelivered.body).toMatchObject({ status: 'added' });
    expect(again.body).toMatchObject({ status: 'duplicate' });
    expect(suite.firestore.collection(`triggers/${CONFIG.triggerId}/objects`)).toHaveLength(1);
  }, FAKE_GOOGLE_TIMEOUT);
});
