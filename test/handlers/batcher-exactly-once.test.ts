import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Batcher } from '../../lambda/aws/batcher/batcher';
import { createdObject, seeded, triggerConfig } from '../support/batcher-env';
import { BATCHER_T0, ClockedBatcherWorld, startedFor } from '../support/handler-batcher';
import { running, SERVICES_TIMEOUT } from '../support/handler-harness';

jest.setTimeout(SERVICES_TIMEOUT);

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
  const world = running(new ClockedBatcherWorld());
  beforeEach(() => {
    world.clock = BATCHER_T0;
  });

  test('16 concurrent invocations with 30% duplicate deliveries and failing starts: every object in exactly one started batch, each batch started once', async () => {
    // Prepare: 205 objects, 30% of deliveries repeated, shuffled; starts throttled or failing 30% of the time.
    const random = seeded(20271121);
    const trigger = triggerConfig({ triggerId: 'concurrency-trigger', batchSize: 10, maxStartAttempts: 20 });
    const objects = Array.from({ length: 205 }, (_, i) => createdObject(`labels/part-${i}.parquet`, i.toString(16).padStart(16, '0')));
    const deliveries = [...objects, ...objects.filter(() => random() < 0.3)];
    deliveries.sort(() => random() - 0.5);
    const containers: Batcher[] = Array.from({ length: 16 }, () => world.local.batcher(world.now));
    world.local.sagemaker.failWithProbability(0.3, 'throttle', random);
    const callsBefore = world.local.sagemaker.calls.length;

    // Act: deliver everything from 16 containers at once, then let the flush run until nothing is pending.
    const outcomes = await concurrently(
      16,
      deliveries.map((object, i) => () => containers[i % 16].arrive(trigger, object)),
    );
    world.local.sagemaker.failWithProbability(0.3, 'internal', random);
    for (let minute = 0; minute < 180; minute++) {
      world.clock += 60_000;
      await containers[minute % 16].flush(trigger);
    }
    world.local.sagemaker.failWithProbability(0, 'internal');

    // Assess
    const { executions, manifests } = await startedFor(world.local, 'concurrency-trigger');
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
    const failedCalls = world.local.sagemaker.calls.slice(callsBefore).filter((c) => c.outcome !== 'started' && c.outcome !== 'duplicate');
    expect(failedCalls.length).toBeGreaterThan(0);
    const headers = (await world.local.items()).filter((item) => String(item.pk).startsWith('B#concurrency-trigger#') && item.sk === 'H');
    // Every batch with objects started; a batch whose only slots went to duplicates that gave them back
    // (their objects counted elsewhere) is recorded EMPTY with no run, and nothing is left pending or failed.
    const [empty, withObjects] = [headers.filter((h) => h.status === 'EMPTY'), headers.filter((h) => h.status !== 'EMPTY')];
    expect(withObjects.map((h) => h.status)).toEqual(Array(executions.length).fill('STARTED'));
    expect(empty.every((h) => h.objectCount === 0)).toBe(true);
  }, 3 * SERVICES_TIMEOUT);

  test('the table holds no copy of a trigger\'s configuration for the flush to trust (fix for "configuration travels in the payload")', async () => {
    // Prepare: a batch filled and started, and one left open for the flush.
    const trigger = triggerConfig({ triggerId: 'no-config-copy', batchSize: 2, batchWindowSeconds: 600 });
    const batcher = world.local.batcher(world.now);

    // Act
    for (const [i, key] of ['labels/n1.parquet', 'labels/n2.parquet', 'labels/n3.parquet'].entries()) await batcher.arrive(trigger, createdObject(key, `0${i}`));
    world.clock += 600_000;
    await batcher.flush(trigger);

    // Assess: both batches started, and nothing under the trigger's key holds its pipeline, parameters or bucket.
    expect((await startedFor(world.local, 'no-config-copy')).executions).toHaveLength(2);
    const items = (await world.local.items()).filter((item) => item.pk === 'T#no-config-copy');
    expect(items.map((item) => item.sk)).toEqual(['STATE']);
    expect(JSON.stringify(items)).not.toContain('training-pipeline');
    expect(items[0]).not.toHaveProperty('configDigest');
  });

  test('an arriving object costs three conditional writes and no read, whatever the batch size', async () => {
    const commandsPerEvent = async (batchSize: number) => {
      const trigger = triggerConfig({ triggerId: `hot-path-${batchSize}`, batchSize });
      const batcher = world.local.batcher(world.now);
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
    const batcher = world.local.batcher(world.now);
    await batcher.arrive(trigger, createdObject('labels/w1.parquet', '01'));
    world.clock += 60_000;
    await batcher.arrive(trigger, createdObject('labels/w2.parquet', '02'));

    world.clock += 538_000; // 9 min 58 s after the first object
    await batcher.flush(trigger);
    const early = await startedFor(world.local, 'window-trigger');
    world.clock += 2_000; // 10 minutes after the first object
    await batcher.flush(trigger);
    const due = await startedFor(world.local, 'window-trigger');

    expect(early.executions).toHaveLength(0);
    expect(due.executions).toHaveLength(1);
    expect(due.manifests[0].map((line) => line.key)).toEqual(['labels/w1.parquet', 'labels/w2.parquet']);
  });

  test('an object arriving after the window closed goes into the next batch', async () => {
    const trigger = triggerConfig({ triggerId: 'late-trigger', batchSize: 100, batchWindowSeconds: 600 });
    const batcher = world.local.batcher(world.now);
    await batcher.arrive(trigger, createdObject('labels/l1.parquet', '01'));

    world.clock += 601_000;
    await batcher.arrive(trigger, createdObject('labels/l2.parquet', '02'));
    await batcher.flush(trigger);
    world.clock += 601_000;
    await batcher.flush(trigger);

    const { manifests } = await startedFor(world.local, 'late-trigger');
    expect(manifests.map((lines) => lines.map((line) => line.key))).toEqual([['labels/l1.parquet'], ['labels/l2.parquet']]);
  });

  test('every flush reports the age of the oldest batch not yet started: since its first object, then since sealing', async () => {
    const trigger = triggerConfig({ triggerId: 'age-trigger', batchSize: 100, batchWindowSeconds: 600 });
    const ages: number[] = [];
    const batcher = world.local.batcher(world.now, { oldestBatchAge: (_c, ageMs) => ages.push(ageMs) });
    await batcher.arrive(trigger, createdObject('labels/a1.parquet', '01'));
    world.local.sagemaker.failNext(2, 'accessDenied');

    world.clock += 300_000;
    await batcher.flush(trigger); // open for 5 minutes
    world.clock += 300_000;
    await batcher.flush(trigger); // window ran out: sealed now, and its start refused
    world.clock += 120_000;
    await batcher.flush(trigger); // sealed 2 minutes ago, still backing off

    expect(ages).toEqual([300_000, 600_000, 120_000]);
  });
});
