import { RestError } from '@azure/data-tables';
import { CLAIM_TTL_MS } from '../../lambda/core/batch-lease';
import { RedeliveryRequested, settle } from '../../lambda/azure/adapters/functions-host';
import type { PartitionRows, RowWrite } from '../../lambda/azure/adapters/tables';
import { AZURITE_TIMEOUT } from './azurite';
import { blobCreated, clock, deliverAll, inputValues, T0, useBatcher } from './batcher-harness';
import { decisions } from './function-harness';

const ANSWER = expect.objectContaining;
const rowKeyOf = (write: RowWrite): string => ('create' in write ? write.create : write.replace);

/** A partition whose commits run `before` first (which may throw, to play a crash), and count the commits that lost. */
function decorated(rows: PartitionRows, before: (writes: readonly RowWrite[]) => Promise<void> | void, counts = { lost: 0 }): PartitionRows {
  return {
    get: (rowKey) => rows.get(rowKey),
    list: (from, to, filter) => rows.list(from, to, filter),
    commit: async (writes) => {
      await before(writes);
      const etags = await rows.commit(writes);
      if (!etags) counts.lost += 1;
      return etags;
    },
  };
}

describe('Azure batcher when Azure ML or Table Storage fails, or an invocation dies part-way', () => {
  const suite = useBatcher();

  test('a throttled submission (429) keeps the batch for a retry after the backoff, which submits one job', async () => {
    // Prepare
    suite.configure({ batchSize: 2 });
    suite.fake.failNext(429);
    await suite.deliver(blobCreated('incoming/a.csv'));

    // Act
    const filling = await suite.deliver(blobCreated('incoming/b.csv'));
    clock.now = T0 + 30_000;
    const tooSoon = await suite.flush();
    clock.now = T0 + 60_000;
    const retried = await suite.flush();
    const again = await suite.flush();

    // Assess
    expect(filling).toMatchObject({ status: 'added', starts: [ANSWER({ status: 'retry', nextAttemptAtMs: T0 + 60_000 })] });
    expect(tooSoon.starts).toEqual([]);
    expect(retried.starts).toEqual([ANSWER({ status: 'started', generation: 1, objectCount: 2, alreadyExisted: false })]);
    expect(again.starts).toEqual([]);
    expect(suite.fake.jobs).toHaveLength(1);
    expect(await suite.batchStatus(1)).toBe('STARTED');
    expect(decisions(suite.logs.lines).filter((l) => l.decision === 'retry')).toEqual([ANSWER({ triggerId: 'churn-arrivals', level: 'ERROR', retryable: true })]);
  }, AZURITE_TIMEOUT);

  test('concurrent flushes after the backoff submit each of three waiting batches exactly once', async () => {
    // Prepare: three batches of one blob, each of whose first start failed (500).
    suite.configure({ batchSize: 1 });
    suite.fake.failNext(500, 3);
    for (const name of ['incoming/a.csv', 'incoming/b.csv', 'incoming/c.csv']) await suite.deliver(blobCreated(name));
    suite.fake.delayPuts(100);

    // Act
    clock.now = T0 + 60_000;
    const flushes = await Promise.all(Array.from({ length: 5 }, () => suite.flush()));

    // Assess
    const starts = flushes.flatMap((flush) => flush.starts as Array<{ status: string; generation: number }>);
    expect(starts.map((start) => [start.status, start.generation]).sort()).toEqual([['started', 1], ['started', 2], ['started', 3]]);
    expect(suite.fake.putAttempts).toHaveLength(3);
    expect(new Set(suite.fake.jobs.map((job) => job.name)).size).toBe(3);
    expect(await Promise.all([1, 2, 3].map(suite.batchStatus))).toEqual(['STARTED', 'STARTED', 'STARTED']);
  }, AZURITE_TIMEOUT);

  test('a submission whose answer was lost (created, then 500) is retried, meets the job, and records it: still one job, one manifest', async () => {
    // Prepare
    suite.configure({ batchSize: 1 });
    suite.fake.loseAnswerOfNext();

    // Act
    const lost = await suite.deliver(blobCreated('incoming/a.csv'));
    clock.now = T0 + 60_000;
    const retried = await suite.flush();

    // Assess
    expect(lost.starts).toEqual([ANSWER({ status: 'retry' })]);
    expect(retried.starts).toEqual([ANSWER({ status: 'started', alreadyExisted: true, objectCount: 1 })]);
    expect(suite.fake.putAttempts).toHaveLength(1);
    expect(suite.fake.jobs).toHaveLength(1);
    expect(await suite.manifests()).toHaveLength(1);
    expect(inputValues(suite.fake.jobs[0]).ObjectCount).toBe('1');
    expect(decisions(suite.logs.lines).find((l) => l.decision === 'started')).toMatchObject({ manifestWritten: false, attempt: 2 });
    expect(await suite.batchStatus(1)).toBe('STARTED');
  }, AZURITE_TIMEOUT);

  test('a 403 right after a deploy (a role assignment not yet in effect) is retried by the flush, and the batch starts once it passes', async () => {
    // Prepare
    suite.configure({ batchSize: 1 });
    suite.fake.failNext(403);

    // Act
    const refused = await suite.deliver(blobCreated('incoming/a.csv'));
    clock.now = T0 + 3_600_000;
    const retried = await suite.flush();

    // Assess
    expect(refused.starts).toEqual([ANSWER({ status: 'retry' })]);
    expect(retried.starts).toEqual([ANSWER({ status: 'started', alreadyExisted: false, objectCount: 1 })]);
    expect(suite.fake.jobs).toHaveLength(1);
    expect(await suite.batchStatus(1)).toBe('STARTED');
  }, AZURITE_TIMEOUT);

  test('a 403 that lasts fails the batch once its attempts run out, with no job', async () => {
    // Prepare
    suite.configure({ batchSize: 1, maxStartAttempts: 2 });
    suite.fake.failNext(403, 2);

    // Act
    const first = await suite.deliver(blobCreated('incoming/a.csv'));
    clock.now = T0 + 3_600_000;
    const second = await suite.flush();
    clock.now = T0 + 7_200_000;
    const third = await suite.flush();

    // Assess
    expect(first.starts).toEqual([ANSWER({ status: 'retry' })]);
    expect(second.starts).toEqual([ANSWER({ status: 'failed' })]);
    expect(third.starts).toEqual([]);
    expect(suite.fake.jobs).toEqual([]);
    expect(await suite.batchStatus(1)).toBe('FAILED');
  }, AZURITE_TIMEOUT);

  test('a submission refused for good (400) fails the batch at once: no retry, no job, a CRITICAL decision', async () => {
    // Prepare
    suite.configure({ batchSize: 1 });
    suite.fake.failNext(400);

    // Act
    const refused = await suite.deliver(blobCreated('incoming/a.csv'));
    clock.now = T0 + 3_600_000;
    const later = await suite.flush();

    // Assess
    expect(refused).toMatchObject({ status: 'added', starts: [ANSWER({ status: 'failed' })] });
    expect(() => settle(refused)).not.toThrow();
    expect(later.starts).toEqual([]);
    expect(suite.fake.putAttempts).toEqual([]);
    expect(suite.fake.jobs).toEqual([]);
    expect(await suite.batchStatus(1)).toBe('FAILED');
    expect(decisions(suite.logs.lines).find((l) => l.decision === 'failed')).toMatchObject({ level: 'CRITICAL', retryable: false });
  }, AZURITE_TIMEOUT);

  test('an invocation that dies right after its claim leaves the batch held until the claim expires; a flush then submits one job', async () => {
    // Prepare: the process dies once the claim is written, before the manifest or the job.
    suite.configure({ batchSize: 1 });
    let crashed = false;
    suite.wrapRows((rows) => ({
      ...decorated(rows, () => undefined),
      commit: async (writes) => {
        const etags = await rows.commit(writes);
        if (!crashed && writes.some((w) => w.fields.status === 'CLAIMED')) {
          crashed = true;
          throw new Error('the function host was recycled');
        }
        return etags;
      },
    }));

    // Act
    const died = await suite.deliver(blobCreated('incoming/a.csv'));
    const redelivered = await suite.deliver(blobCreated('incoming/a.csv'));
    clock.now = T0 + CLAIM_TTL_MS - 1;
    const held = await suite.flush();
    clock.now = T0 + CLAIM_TTL_MS;
    const taken = await suite.flush();

    // Assess
    expect(died.status).toBe('retry');
    expect(() => settle(died)).toThrow(RedeliveryRequested);
    expect(redelivered).toMatchObject({ status: 'duplicate', starts: [] });
    expect(held.starts).toEqual([]);
    expect(taken.starts).toEqual([ANSWER({ status: 'started', alreadyExisted: false, objectCount: 1 })]);
    expect(suite.fake.jobs).toHaveLength(1);
    expect(await suite.row('batch-0000000001')).toMatchObject({ fields: { status: 'STARTED', attempts: 2 } });
  }, AZURITE_TIMEOUT);

  test('an invocation that dies after submitting the job, before recording it, leaves a claim that expires; the flush then records the job without a second one', async () => {
    // Prepare: every write of the attempt's end fails, as if the process died after the submission.
    suite.configure({ batchSize: 1 });
    let dead = true;
    suite.wrapRows((rows) => decorated(rows, (writes) => {
      if (dead && writes.some((w) => w.fields.status === 'STARTED' || w.fields.status === 'RETRY')) throw new Error('the function host was recycled');
    }));

    // Act
    const died = await suite.deliver(blobCreated('incoming/a.csv'));
    dead = false;
    clock.now = T0 + 60_000;
    const redelivered = await suite.deliver(blobCreated('incoming/a.csv'));
    clock.now = T0 + CLAIM_TTL_MS;
    const flushed = await suite.flush();

    // Assess
    expect(died.status).toBe('retry');
    expect(redelivered).toMatchObject({ status: 'duplicate', starts: [] });
    expect(flushed.starts).toEqual([ANSWER({ status: 'started', alreadyExisted: true, objectCount: 1 })]);
    expect(suite.fake.putAttempts).toHaveLength(1);
    expect(suite.fake.jobs).toHaveLength(1);
    expect(await suite.batchStatus(1)).toBe('STARTED');
  }, AZURITE_TIMEOUT);

  test('a write that loses the state row to another writer (412 on its ETag) reads again and is counted in the next batch, not lost', async () => {
    // Prepare: a batch of one blob; just before the next blob's commit, a flush closes that batch (writing only the
    // state row and the new batch's row, so that nothing but the state row's ETag stands in the way).
    suite.configure({ batchSize: 10 });
    await suite.deliver(blobCreated('incoming/a.csv'));
    clock.now = T0 + 299_000;
    let raced = false;
    const counts = { lost: 0 };
    suite.wrapRows((rows) => decorated(rows, async (writes) => {
      if (raced || !writes.some((w) => rowKeyOf(w) === 'state')) return;
      raced = true;
      clock.now = T0 + 300_000;
      await suite.flush();
      clock.now = T0 + 299_000;
    }, counts));

    // Act
    const outcome = await suite.deliver(blobCreated('incoming/b.csv'));

    // Assess
    expect(outcome).toMatchObject({ status: 'added', generation: 2 });
    expect(counts.lost).toBe(1);
    expect(await suite.row('state')).toMatchObject({ fields: { generation: 2, count: 1 } });
    const members = await suite.rows().list('member-', 'member.');
    expect(members.map((m) => [m.rowKey, m.fields.name])).toEqual([['member-0000000001-0000000001', 'incoming/a.csv'], ['member-0000000002-0000000001', 'incoming/b.csv']]);
    expect(suite.fake.jobs.map((job) => inputValues(job).ObjectCount)).toEqual(['1']);
  }, AZURITE_TIMEOUT);

  test('concurrent deliveries lose commits to each other and retry until every blob is counted', async () => {
    // Prepare
    suite.configure({ batchSize: 100 });
    const counts = { lost: 0 };
    suite.wrapRows((rows) => decorated(rows, () => undefined, counts));
    const names = Array.from({ length: 12 }, (_, i) => `incoming/c-${i}.csv`);

    // Act
    const outcomes = await deliverAll(suite, [...names, ...names.slice(0, 4)].map((name) => blobCreated(name)), 16);

    // Assess
    expect(outcomes.filter((o) => o.status === 'added')).toHaveLength(12);
    expect(outcomes.filter((o) => o.status === 'duplicate')).toHaveLength(4);
    expect(counts.lost).toBeGreaterThan(0);
    expect(await suite.row('state')).toMatchObject({ fields: { count: 12 } });
  }, AZURITE_TIMEOUT);

  test('a Table Storage outage answers retry, so that Event Grid redelivers, and the redelivery counts the blob once', async () => {
    // Prepare
    let failures = 1;
    suite.wrapRows((rows) => decorated(rows, () => {
      if (failures-- > 0) throw new RestError('The server is busy.', { statusCode: 503, code: 'ServerBusy' });
    }));
    const event = blobCreated('incoming/a.csv');

    // Act
    const failed = await suite.deliver(event);
    const redelivered = await suite.deliver(event);
    const again = await suite.deliver(event);

    // Assess
    expect(failed).toMatchObject({ status: 'retry', error: { message: 'The server is busy.' } });
    expect(() => settle(failed)).toThrow(RedeliveryRequested);
    expect([redelivered.status, again.status]).toEqual(['added', 'duplicate']);
    expect(await suite.rows().list('blob-', 'blob.')).toHaveLength(1);
    expect(decisions(suite.logs.lines).find((l) => l.decision === 'retry')).toMatchObject({ triggerId: 'churn-arrivals', correlationId: event.id });
  }, AZURITE_TIMEOUT);
});
