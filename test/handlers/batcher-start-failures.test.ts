import { createdObject, triggerConfig } from '../support/batcher-env';
import { BATCHER_T0, batchHeader, ClockedBatcherWorld, losingReplies, startedFor } from '../support/handler-batcher';
import { running, SERVICES_TIMEOUT } from '../support/handler-harness';

jest.setTimeout(SERVICES_TIMEOUT);

describe('batcher against DynamoDB (dynalite), S3 (s3rver) and a SageMaker endpoint', () => {
  const world = running(new ClockedBatcherWorld());
  beforeEach(() => {
    world.clock = BATCHER_T0;
  });

  test('a refused start leaves the batch waiting, and a later flush starts it once', async () => {
    const trigger = triggerConfig({ triggerId: 'denied-trigger', batchSize: 2 });
    const failures: Array<{ attempt: number; final: boolean; name: string }> = [];
    const batcher = world.local.batcher(world.now, { startFailed: (_c, _b, attempt, error, final) => failures.push({ attempt, final, name: error.name }) });
    world.local.sagemaker.failNext(1, 'accessDenied');

    await batcher.arrive(trigger, createdObject('labels/d1.parquet', '01'));
    await batcher.arrive(trigger, createdObject('labels/d2.parquet', '02'));
    const afterFailure = await startedFor(world.local, 'denied-trigger');
    world.clock += 30_000;
    await batcher.flush(trigger); // still backing off
    world.clock += 31_000;
    await batcher.flush(trigger);

    expect(afterFailure.executions).toHaveLength(0);
    expect(failures).toEqual([{ attempt: 1, final: false, name: 'AccessDeniedException' }]);
    const { executions, manifests } = await startedFor(world.local, 'denied-trigger');
    expect(executions).toHaveLength(1);
    expect(manifests[0].map((line) => line.key)).toEqual(['labels/d1.parquet', 'labels/d2.parquet']);
  });

  test('past its attempts, and one more that finds out whether the last one started, a batch is recorded as failed with the error, and reported', async () => {
    const trigger = triggerConfig({ triggerId: 'failing-trigger', batchSize: 1, maxStartAttempts: 2 });
    const finals: string[] = [];
    const reports: Array<[number, boolean]> = [];
    const batcher = world.local.batcher(world.now, { startFailed: (_c, _b, attempt, error, final) => (reports.push([attempt, final]), final && finals.push(error.name)) });
    world.local.sagemaker.failNext(6, 'internal'); // two attempts and the verifying one, each retried once by the SDK

    await batcher.arrive(trigger, createdObject('labels/f1.parquet', '01'));
    world.clock += 61_000;
    await batcher.flush(trigger);
    world.clock += 3_600_000;
    await batcher.flush(trigger);

    expect(finals).toEqual(['InternalFailure']);
    expect(reports).toEqual([[1, false], [2, false], [3, true]]);
    const header = await batchHeader(world.local, 'failing-trigger');
    expect(header).toMatchObject({ status: 'FAILED', attempts: 3, lastError: expect.stringContaining('InternalFailure') });
    expect((await startedFor(world.local, 'failing-trigger')).executions).toHaveLength(0);
  });

  test('a last attempt whose reply was lost is not the end: the attempt that finds out records the run it started', async () => {
    // Prepare: one attempt; SageMaker starts the run, and the reply never arrives (a timeout past the SDK's retries).
    const trigger = triggerConfig({ triggerId: 'lost-reply-trigger', batchSize: 1, maxStartAttempts: 1 });
    const reports: Array<[number, boolean]> = [];
    const batcher = world.local.batcher(world.now, { startFailed: (_c, _b, attempt, _e, final) => reports.push([attempt, final]) }, losingReplies(1));

    // Act: the object fills the batch; the flush after the verification delay asks again with the same token.
    await batcher.arrive(trigger, createdObject('labels/lost.parquet', '01'));
    world.clock += 4 * 60_000;
    await batcher.flush(trigger);

    // Assess: one run, recorded STARTED, and no final failure was reported.
    const { executions } = await startedFor(world.local, 'lost-reply-trigger');
    expect(executions).toHaveLength(1);
    expect(reports).toEqual([[1, false]]);
    const header = await batchHeader(world.local, 'lost-reply-trigger');
    expect(header).toMatchObject({ status: 'STARTED', executionArn: executions[0].executionArn });
  });

  test('when every reply to its starts was lost, the batch finds its run in the pipeline\'s executions before it would fail', async () => {
    // Prepare: one attempt; SageMaker starts the run, and no reply ever arrives, not even to the attempt that finds out.
    // The world.clock is the real one here: the SageMaker stand-in dates its executions by it.
    world.clock = Date.now();
    const trigger = triggerConfig({ triggerId: 'all-lost-trigger', batchSize: 1, maxStartAttempts: 1 });
    const finals: boolean[] = [];
    const batcher = world.local.batcher(world.now, { startFailed: (_c, _b, _a, _e, final) => finals.push(final) }, losingReplies(Infinity));

    // Act: the attempt, and the one that finds out, three minutes later.
    await batcher.arrive(trigger, createdObject('labels/all-lost.parquet', '01'));
    world.clock += 4 * 60_000;
    await batcher.flush(trigger);

    // Assess: one run, found and recorded STARTED; no final failure.
    const { executions } = await startedFor(world.local, 'all-lost-trigger');
    expect(executions).toHaveLength(1);
    expect(finals).toEqual([false]);
    const header = await batchHeader(world.local, 'all-lost-trigger');
    expect(header).toMatchObject({ status: 'STARTED', executionArn: executions[0].executionArn });
  });

  test('a crash after the start and before it was recorded starts nothing new on retry', async () => {
    const trigger = triggerConfig({ triggerId: 'crash-trigger', batchSize: 1 });
    const crashing = world.local.batcher(world.now);
    const store = (crashing as unknown as { deps: { records: { recordOutcome: (...args: unknown[]) => Promise<void> } } }).deps.records;
    const record = store.recordOutcome.bind(store);
    let crashed = false;
    store.recordOutcome = async (...args: unknown[]) => {
      if (!crashed && (args[1] as { status: string }).status === 'STARTED') {
        crashed = true;
        throw new Error('the container died here');
      }
      return record(...args);
    };

    await expect(crashing.arrive(trigger, createdObject('labels/c1.parquet', '01'))).rejects.toThrow('the container died here');
    world.clock += 121_000; // the claim of the crashed attempt expires
    await world.local.batcher(world.now).flush(trigger);

    const calls = world.local.sagemaker.calls.filter((c) => c.description?.includes('trigger crash-trigger:'));
    expect(calls.map((c) => c.outcome)).toEqual(['started', 'duplicate']);
    expect((await startedFor(world.local, 'crash-trigger')).executions).toHaveLength(1);
  });

  test('places left unwritten by a crashed invocation are given up after the grace period and the batch starts without them', async () => {
    const trigger = triggerConfig({ triggerId: 'hole-trigger', batchSize: 2 });
    const batcher = world.local.batcher(world.now);
    const store = (batcher as unknown as { deps: { state: { allocate: (...args: never[]) => Promise<unknown> } } }).deps.state;
    // An invocation that took the first place and died before writing anything.
    await store.allocate(...([trigger, 1, 'epoch-1', world.clock] as never[]));

    await batcher.arrive(trigger, createdObject('labels/h2.parquet', '02'));
    const beforeGrace = await startedFor(world.local, 'hole-trigger');
    world.clock += 151_000;
    await batcher.flush(trigger);

    expect(beforeGrace.executions).toHaveLength(0);
    const { executions, manifests } = await startedFor(world.local, 'hole-trigger');
    expect(executions).toHaveLength(1);
    expect(manifests[0].map((line) => line.key)).toEqual(['labels/h2.parquet']);
  });
});
