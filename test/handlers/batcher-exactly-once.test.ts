import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Batcher } from '../../lambda/aws/batcher/batcher';
import { createdObject, LocalAws, seeded, triggerConfig } from '../support/batcher-env';

jest.setTimeout(30_000);

/** Runs `tasks` with at most `width` in flight, like that many concurrent Lambda invocations. */
async function concurrently<T>(width: number, tasks: ReadonlyArray<() => Promise<T>>): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < tasks.length) {
        const index = next++;
        results[index] = await tasks[index]();
      }
    }),
  );
  return results;
}

describe('batcher against DynamoDB (dynalite), S3 (s3rver) and a SageMaker endpoint', () => {
  let local: LocalAws;
  let clock: number;
  const now = () => clock;

  beforeAll(async () => {
    local = await LocalAws.start();
  });
  afterAll(async () => local.stop());
  beforeEach(() => {
    clock = Date.parse('2027-03-01T10:00:00Z');
  });

  async function startedFor(triggerId: string) {
    const executions = local.sagemaker.executions.filter((e) => e.description?.includes(`trigger ${triggerId}:`));
    const manifests = await Promise.all(executions.map((e) => local.manifestLines(e.parameters.ManifestS3Uri)));
    return { executions, manifests };
  }

  test('16 concurrent invocations with 30% duplicate deliveries and failing starts: every object in exactly one started batch, each batch started once', async () => {
    // Prepare: 205 objects, 30% of deliveries repeated, shuffled; starts throttled or failing 30% of the time.
    const random = seeded(20271121);
    const trigger = triggerConfig({ triggerId: 'concurrency-trigger', batchSize: 10, maxStartAttempts: 20 });
    const objects = Array.from({ length: 205 }, (_, i) => createdObject(`labels/part-${i}.parquet`, i.toString(16).padStart(16, '0')));
    const deliveries = [...objects, ...objects.filter(() => random() < 0.3)];
    deliveries.sort(() => random() - 0.5);
    const containers: Batcher[] = Array.from({ length: 16 }, () => local.batcher(now));
    local.sagemaker.failWithProbability(0.3, 'throttle', random);
    const callsBefore = local.sagemaker.calls.length;

    // Act: deliver everything from 16 containers at once, then let the flush run until nothing is pending.
    const outcomes = await concurrently(
      16,
      deliveries.map((object, i) => () => containers[i % 16].arrive(trigger, object)),
    );
    local.sagemaker.failWithProbability(0.3, 'internal', random);
    for (let minute = 0; minute < 180; minute++) {
      clock += 60_000;
      await containers[minute % 16].flush(trigger);
    }
    local.sagemaker.failWithProbability(0, 'internal');

    // Assess
    const { executions, manifests } = await startedFor('concurrency-trigger');
    const listed = manifests.flat().map((line) => `${line.key}`);
    expect(outcomes.filter((o) => o === 'accepted')).toHaveLength(objects.length);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(deliveries.length - objects.length);
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual(objects.map((o) => o.key).sort());
    expect(new Set(executions.map((e) => e.clientRequestToken)).size).toBe(executions.length);
    expect(executions.length).toBeGreaterThanOrEqual(21); // 205 objects in batches of at most 10
    // A duplicate that takes a batch's last slot as it fills can close that batch short, never over.
    const sizes = manifests.map((lines) => lines.length);
    expect(sizes.every((size) => size >= 1 && size <= 10)).toBe(true);
    expect(sizes.filter((size) => size === 10).length).toBeGreaterThanOrEqual(15);
    expect(executions.every((e, i) => e.parameters.ObjectCount === String(manifests[i].length))).toBe(true);
    const failedCalls = local.sagemaker.calls.slice(callsBefore).filter((c) => c.outcome !== 'started' && c.outcome !== 'duplicate');
    expect(failedCalls.length).toBeGreaterThan(0);
    const headers = (await local.items()).filter((item) => String(item.pk).startsWith('B#concurrency-trigger#') && item.sk === 'H');
    // Every batch with objects started; a batch whose only slots went to duplicates that gave them back
    // (their objects counted elsewhere) is recorded EMPTY with no run, and nothing is left pending or failed.
    const [empty, withObjects] = [headers.filter((h) => h.status === 'EMPTY'), headers.filter((h) => h.status !== 'EMPTY')];
    expect(withObjects.map((h) => h.status)).toEqual(Array(executions.length).fill('STARTED'));
    expect(empty.every((h) => h.objectCount === 0)).toBe(true);
  }, 60_000);

  test('the table holds no copy of a trigger\'s configuration for the flush to trust (fix for "configuration travels in the payload")', async () => {
    // Prepare: a batch filled and started, and one left open for the flush.
    const trigger = triggerConfig({ triggerId: 'no-config-copy', batchSize: 2, batchWindowSeconds: 600 });
    const batcher = local.batcher(now);

    // Act
    for (const [i, key] of ['labels/n1.parquet', 'labels/n2.parquet', 'labels/n3.parquet'].entries()) await batcher.arrive(trigger, createdObject(key, `0${i}`));
    clock += 600_000;
    await batcher.flush(trigger);

    // Assess: both batches started, and nothing under the trigger's key holds its pipeline, parameters or bucket.
    expect((await startedFor('no-config-copy')).executions).toHaveLength(2);
    const items = (await local.items()).filter((item) => item.pk === 'T#no-config-copy');
    expect(items.map((item) => item.sk)).toEqual(['STATE']);
    expect(JSON.stringify(items)).not.toContain('training-pipeline');
    expect(items[0]).not.toHaveProperty('configDigest');
  });

  test('an arriving object costs three conditional writes and no read, whatever the batch size', async () => {
    const commandsPerEvent = async (batchSize: number) => {
      const trigger = triggerConfig({ triggerId: `hot-path-${batchSize}`, batchSize });
      const batcher = local.batcher(now);
      const client = (batcher as unknown as { deps: { state: { client: DynamoDBClient } } }).deps.state.client;
      const commands: string[] = [];
      client.middlewareStack.add(
        (next, context) => async (args) => {
          commands.push(context.commandName ?? '?');
          return next(args);
        },
        { step: 'initialize' },
      );
      // Fill most of a batch first, so that the measured object lands in a batch that already holds many.
      for (let i = 0; i < Math.min(batchSize - 2, 200); i++) await batcher.arrive(trigger, createdObject(`labels/fill-${i}.parquet`, `f${i}`));
      commands.length = 0;
      await batcher.arrive(trigger, createdObject('labels/measured.parquet', 'ff'));
      return commands;
    };

    for (const batchSize of [10, 1000]) {
      expect(await commandsPerEvent(batchSize)).toEqual(['UpdateItemCommand', 'PutItemCommand', 'PutItemCommand']);
    }
  });

  test('a batch whose window ran out starts through the flush though no further object arrives', async () => {
    const trigger = triggerConfig({ triggerId: 'window-trigger', batchSize: 100, batchWindowSeconds: 600 });
    const batcher = local.batcher(now);
    await batcher.arrive(trigger, createdObject('labels/w1.parquet', '01'));
    clock += 60_000;
    await batcher.arrive(trigger, createdObject('labels/w2.parquet', '02'));

    clock += 538_000; // 9 min 58 s after the first object
    await batcher.flush(trigger);
    const early = await startedFor('window-trigger');
    clock += 2_000; // 10 minutes after the first object
    await batcher.flush(trigger);
    const due = await startedFor('window-trigger');

    expect(early.executions).toHaveLength(0);
    expect(due.executions).toHaveLength(1);
    expect(due.manifests[0].map((line) => line.key)).toEqual(['labels/w1.parquet', 'labels/w2.parquet']);
  });

  test('an object arriving after the window closed goes into the next batch', async () => {
    const trigger = triggerConfig({ triggerId: 'late-trigger', batchSize: 100, batchWindowSeconds: 600 });
    const batcher = local.batcher(now);
    await batcher.arrive(trigger, createdObject('labels/l1.parquet', '01'));

    clock += 601_000;
    await batcher.arrive(trigger, createdObject('labels/l2.parquet', '02'));
    await batcher.flush(trigger);
    clock += 601_000;
    await batcher.flush(trigger);

    const { manifests } = await startedFor('late-trigger');
    expect(manifests.map((lines) => lines.map((line) => line.key))).toEqual([['labels/l1.parquet'], ['labels/l2.parquet']]);
  });

  test('every flush reports the age of the oldest batch not yet started: since its first object, then since sealing', async () => {
    const trigger = triggerConfig({ triggerId: 'age-trigger', batchSize: 100, batchWindowSeconds: 600 });
    const ages: number[] = [];
    const batcher = local.batcher(now, { oldestBatchAge: (_c, ageMs) => ages.push(ageMs) });
    await batcher.arrive(trigger, createdObject('labels/a1.parquet', '01'));
    local.sagemaker.failNext(2, 'accessDenied');

    clock += 300_000;
    await batcher.flush(trigger); // open for 5 minutes
    clock += 300_000;
    await batcher.flush(trigger); // window ran out: sealed now, and its start refused
    clock += 120_000;
    await batcher.flush(trigger); // sealed 2 minutes ago, still backing off

    expect(ages).toEqual([300_000, 600_000, 120_000]);
  });

  test('a refused start leaves the batch waiting, and a later flush starts it once', async () => {
    const trigger = triggerConfig({ triggerId: 'denied-trigger', batchSize: 2 });
    const failures: Array<{ attempt: number; final: boolean; name: string }> = [];
    const batcher = local.batcher(now, { startFailed: (_c, _b, attempt, error, final) => failures.push({ attempt, final, name: error.name }) });
    local.sagemaker.failNext(1, 'accessDenied');

    await batcher.arrive(trigger, createdObject('labels/d1.parquet', '01'));
    await batcher.arrive(trigger, createdObject('labels/d2.parquet', '02'));
    const afterFailure = await startedFor('denied-trigger');
    clock += 30_000;
    await batcher.flush(trigger); // still backing off
    clock += 31_000;
    await batcher.flush(trigger);

    expect(afterFailure.executions).toHaveLength(0);
    expect(failures).toEqual([{ attempt: 1, final: false, name: 'AccessDeniedException' }]);
    const { executions, manifests } = await startedFor('denied-trigger');
    expect(executions).toHaveLength(1);
    expect(manifests[0].map((line) => line.key)).toEqual(['labels/d1.parquet', 'labels/d2.parquet']);
  });

  test('past its attempts, and one more that finds out whether the last one started, a batch is recorded as failed with the error, and reported', async () => {
    const trigger = triggerConfig({ triggerId: 'failing-trigger', batchSize: 1, maxStartAttempts: 2 });
    const finals: string[] = [];
    const reports: Array<[number, boolean]> = [];
    const batcher = local.batcher(now, { startFailed: (_c, _b, attempt, error, final) => (reports.push([attempt, final]), final && finals.push(error.name)) });
    local.sagemaker.failNext(6, 'internal'); // two attempts and the verifying one, each retried once by the SDK

    await batcher.arrive(trigger, createdObject('labels/f1.parquet', '01'));
    clock += 61_000;
    await batcher.flush(trigger);
    clock += 3_600_000;
    await batcher.flush(trigger);

    expect(finals).toEqual(['InternalFailure']);
    expect(reports).toEqual([[1, false], [2, false], [3, true]]);
    const header = (await local.items()).find((item) => String(item.pk).startsWith('B#failing-trigger#') && item.sk === 'H');
    expect(header).toMatchObject({ status: 'FAILED', attempts: 3, lastError: expect.stringContaining('InternalFailure') });
    expect((await startedFor('failing-trigger')).executions).toHaveLength(0);
  });

  test('a last attempt whose reply was lost is not the end: the attempt that finds out records the run it started', async () => {
    // Prepare: one attempt; SageMaker starts the run, and the reply never arrives (a timeout past the SDK's retries).
    const trigger = triggerConfig({ triggerId: 'lost-reply-trigger', batchSize: 1, maxStartAttempts: 1 });
    const reports: Array<[number, boolean]> = [];
    let lose = 1;
    const batcher = local.batcher(now, { startFailed: (_c, _b, attempt, _e, final) => reports.push([attempt, final]) }, (real) => ({
      start: async (request) => {
        const arn = await real.start(request);
        if (lose-- > 0) throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
        return arn;
      },
      find: (...args) => real.find(...args),
    }));

    // Act: the object fills the batch; the flush after the verification delay asks again with the same token.
    await batcher.arrive(trigger, createdObject('labels/lost.parquet', '01'));
    clock += 4 * 60_000;
    await batcher.flush(trigger);

    // Assess: one run, recorded STARTED, and no final failure was reported.
    const { executions } = await startedFor('lost-reply-trigger');
    expect(executions).toHaveLength(1);
    expect(reports).toEqual([[1, false]]);
    const header = (await local.items()).find((item) => String(item.pk).startsWith('B#lost-reply-trigger#') && item.sk === 'H');
    expect(header).toMatchObject({ status: 'STARTED', executionArn: executions[0].executionArn });
  });

  test('when every reply to its starts was lost, the batch finds its run in the pipeline\'s executions before it would fail', async () => {
    // Prepare: one attempt; SageMaker starts the run, and no reply ever arrives, not even to the attempt that finds out.
    // The clock is the real one here: the SageMaker stand-in dates its executions by it.
    clock = Date.now();
    const trigger = triggerConfig({ triggerId: 'all-lost-trigger', batchSize: 1, maxStartAttempts: 1 });
    const finals: boolean[] = [];
    const batcher = local.batcher(now, { startFailed: (_c, _b, _a, _e, final) => finals.push(final) }, (real) => ({
      start: async (request) => {
        await real.start(request);
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      },
      find: (...args) => real.find(...args),
    }));

    // Act: the attempt, and the one that finds out, three minutes later.
    await batcher.arrive(trigger, createdObject('labels/all-lost.parquet', '01'));
    clock += 4 * 60_000;
    await batcher.flush(trigger);

    // Assess: one run, found and recorded STARTED; no final failure.
    const { executions } = await startedFor('all-lost-trigger');
    expect(executions).toHaveLength(1);
    expect(finals).toEqual([false]);
    const header = (await local.items()).find((item) => String(item.pk).startsWith('B#all-lost-trigger#') && item.sk === 'H');
    expect(header).toMatchObject({ status: 'STARTED', executionArn: executions[0].executionArn });
  });

  test('a crash after the start and before it was recorded starts nothing new on retry', async () => {
    const trigger = triggerConfig({ triggerId: 'crash-trigger', batchSize: 1 });
    const crashing = local.batcher(now);
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
    clock += 121_000; // the claim of the crashed attempt expires
    await local.batcher(now).flush(trigger);

    const calls = local.sagemaker.calls.filter((c) => c.description?.includes('trigger crash-trigger:'));
    expect(calls.map((c) => c.outcome)).toEqual(['started', 'duplicate']);
    expect((await startedFor('crash-trigger')).executions).toHaveLength(1);
  });

  test('a slot left unwritten by a crashed event is marked empty after the grace period and the batch starts without it', async () => {
    const trigger = triggerConfig({ triggerId: 'hole-trigger', batchSize: 2 });
    const batcher = local.batcher(now);
    const store = (batcher as unknown as { deps: { state: { allocate: (...args: never[]) => Promise<unknown> } } }).deps.state;
    // An invocation that took slot 1 and died before writing anything.
    await store.allocate(...([trigger, 'epoch-1', clock] as never[]));

    await batcher.arrive(trigger, createdObject('labels/h2.parquet', '02'));
    const beforeGrace = await startedFor('hole-trigger');
    clock += 151_000;
    await batcher.flush(trigger);

    expect(beforeGrace.executions).toHaveLength(0);
    const { executions, manifests } = await startedFor('hole-trigger');
    expect(executions).toHaveLength(1);
    expect(manifests[0].map((line) => line.key)).toEqual(['labels/h2.parquet']);
  });
});
