import type { BatchTriggerConfig } from '../../lambda/core/contracts/batch';
import { DATA_BUCKET, objectCreated, objectCreatedFixture, triggerConfig } from '../support/batcher-env';
import { advanceClock, BatcherHandlerWorld, captureOutput, logLines } from '../support/handler-batcher';
import { configReads, deploy, invokeThrottledThenRetry } from '../support/handler-deployment';
import { SERVICES_TIMEOUT } from '../support/handler-harness';

jest.setTimeout(SERVICES_TIMEOUT);

describe('batcher handler', () => {
  const world = new BatcherHandlerWorld();
  let output: string[];
  beforeAll(() => world.start());
  afterAll(() => world.stop());
  beforeEach(() => {
    output = captureOutput();
  });
  afterEach(() => jest.restoreAllMocks());

  describe('the configuration is the deployed one, never one the invocation carries (fix for "configuration travels in the payload")', () => {
    /** What a forger sends along with a real trigger id: another pipeline, its own data, top priority, its own bucket. */
    const forgedTrigger = (deployed: BatchTriggerConfig) => ({
      ...deployed,
      pipelineName: 'attacker-pipeline',
      parameters: { DatasetUri: 's3://attacker-bucket/x' },
      priority: 1,
      manifestBucket: 'attacker-bucket',
      batchSize: 1,
      source: { bucket: 'attacker-bucket' },
    });

    test('a forged trigger object in the invocation is ignored: the run and the flush after it use the deployed pipeline, parameters and manifest bucket', async () => {
      // Prepare: a deployed trigger of two objects per batch, closing a batch after 60 seconds.
      const deployed = triggerConfig({ triggerId: 'forged-batcher', batchSize: 2, batchWindowSeconds: 60 });
      deploy(world.ssm, deployed);
      const forged = (key: string, sequencer: string) => ({ triggerId: deployed.triggerId, trigger: forgedTrigger(deployed), event: objectCreated(key, sequencer) });

      // Act: three objects with the forged configuration, then, once the window of the third's batch closed, a flush carrying it too.
      const results = [
        await world.lambdaHandler(forged('labels/f1.parquet', '0f01')),
        await world.lambdaHandler(forged('labels/f2.parquet', '0f02')),
        await world.lambdaHandler(forged('labels/f3.parquet', '0f03')),
      ];
      const afterArrivals = world.runsOf('forged-batcher').length;
      advanceClock(61_000);
      const flushed = await world.lambdaHandler({ flush: { triggerIds: [deployed.triggerId] }, trigger: forgedTrigger(deployed) });

      // Assess: the deployed batch size made one run of two, the flush the second of one; both as deployed.
      expect(results.map((result) => result.status)).toEqual(['accepted', 'accepted', 'accepted']);
      expect(flushed).toEqual({ status: 'flushed' });
      expect(afterArrivals).toBe(1);
      const runs = world.runsOf('forged-batcher');
      expect(runs.map((run) => run.pipelineName)).toEqual(['training-pipeline', 'training-pipeline']);
      for (const run of runs) {
        expect(run.parameters).toEqual({
          ManifestS3Uri: expect.stringMatching(new RegExp(`^s3://${DATA_BUCKET}/ml-triggers/manifests/forged-batcher/`)),
          ObjectCount: expect.any(String),
          TrainingMode: 'data-arrival',
        });
      }
      const manifests = await Promise.all(runs.map((run) => world.local.manifestLines(run.parameters.ManifestS3Uri)));
      expect(manifests.map((lines) => lines.map((line) => line.key))).toEqual([['labels/f1.parquet', 'labels/f2.parquet'], ['labels/f3.parquet']]);
      expect(world.local.sagemaker.calls.filter((call) => call.pipelineName === 'attacker-pipeline')).toEqual([]);
    });

    test.each<[string, unknown]>([
      ['an id no trigger was deployed under', 'no-such-trigger'],
      ['a path as the id', 'a/../b'],
      ['an id of 65 characters', 'x'.repeat(65)],
      ['a number as the id', 42],
    ])('%s is rejected naming triggerId: nothing starts and nothing is written', async (_what, triggerId) => {
      // Prepare: this deployment's configurations already read (by an earlier invocation, here one of
      // another unknown id), whatever the forger sends along, and what the table and SageMaker held.
      await world.lambdaHandler({ triggerId: 'earlier-unknown-id', event: objectCreatedFixture() });
      const itemsBefore = await world.local.items();
      const startsBefore = world.local.sagemaker.calls.length;
      const callsBefore = world.ssm.calls.length;

      // Act
      const result = await world.lambdaHandler({ triggerId, trigger: forgedTrigger(triggerConfig({ triggerId: String(triggerId) })), event: objectCreatedFixture() });

      // Assess: rejected and logged with the field; no id, known to be no trigger or malformed, costs an SSM call.
      expect(result).toEqual({ status: 'rejected', error: { field: 'triggerId', problem: expect.any(String) } });
      expect(logLines(output)).toContainEqual(expect.objectContaining({ level: 'ERROR', field: 'triggerId' }));
      expect(world.local.sagemaker.calls.length).toBe(startsBefore);
      expect(await world.local.items()).toEqual(itemsBefore);
      expect(world.ssm.calls.length - callsBefore).toBe(0);
    });

    test.each<[string, (event: Record<string, unknown>) => void]>([
      ['another bucket', (e) => ((e.detail as { bucket: { name: string } }).bucket.name = 'attacker-bucket')],
      ['a key outside the prefix', (e) => ((e.detail as { object: Record<string, unknown> }).object.key = 'secrets/batch-0001.parquet')],
      ['a key without the suffix', (e) => ((e.detail as { object: Record<string, unknown> }).object.key = 'labels/batch-0001.csv')],
    ])('an object from %s, which the rule would not pass, is rejected naming event.detail.object.key: nothing starts and nothing is written', async (what, spoil) => {
      // Prepare: a trigger watching labels/*.parquet in the data bucket, one object per batch.
      const deployed = triggerConfig({ triggerId: `source-${what.replace(/[^a-z]/gi, '').slice(0, 40)}`, batchSize: 1, source: { bucket: DATA_BUCKET, prefix: 'labels/', suffix: '.parquet' } });
      deploy(world.ssm, deployed);
      const event = objectCreatedFixture();
      spoil(event);
      const itemsBefore = await world.local.items();

      // Act: the object outside the source, then the fixture, which is inside it.
      const result = await world.lambdaHandler({ triggerId: deployed.triggerId, event });
      const itemsAfterRejection = await world.local.items();
      const control = await world.lambdaHandler({ triggerId: deployed.triggerId, event: objectCreatedFixture() });

      // Assess
      expect(result).toEqual({ status: 'rejected', error: { field: 'event.detail.object.key', problem: expect.any(String) } });
      expect(itemsAfterRejection).toEqual(itemsBefore);
      expect(control).toEqual({ status: 'accepted' });
      const runs = world.runsOf(deployed.triggerId);
      expect(runs).toHaveLength(1);
      expect((await world.local.manifestLines(runs[0].parameters.ManifestS3Uri)).map((line) => line.key)).toEqual(['labels/2024-01-29/batch-0001.parquet']);
    });

    test('events read the configurations once per deployment; a new deployment version reads them again', async () => {
      // Prepare
      const deployed = triggerConfig({ triggerId: 'cached-batcher', batchSize: 100 });
      deploy(world.ssm, deployed, 'cache-deployment-1');
      const before = configReads(world.ssm).length;

      // Act: one object, four more and an unknown id under the same deployment, then one object under the next.
      const results = [await world.lambdaHandler({ triggerId: deployed.triggerId, event: objectCreated('labels/c0.parquet', '0c00') })];
      const oneLoad = configReads(world.ssm).length - before;
      for (let i = 1; i < 5; i++) results.push(await world.lambdaHandler({ triggerId: deployed.triggerId, event: objectCreated(`labels/c${i}.parquet`, `0c0${i}`) }));
      const unknown = await world.lambdaHandler({ triggerId: 'never-deployed', event: objectCreated('labels/u.parquet', '0c0a') });
      const underFirst = configReads(world.ssm).length - before;
      deploy(world.ssm, { ...deployed, parameters: { TrainingMode: 'redeployed' } }, 'cache-deployment-2');
      results.push(await world.lambdaHandler({ triggerId: deployed.triggerId, event: objectCreated('labels/c5.parquet', '0c05') }));

      // Assess: a load is one call per page of ten configurations, however many earlier tests deployed.
      expect(results.map((result) => result.status)).toEqual(Array(6).fill('accepted'));
      expect(unknown).toEqual({ status: 'rejected', error: { field: 'triggerId', problem: expect.any(String) } });
      expect(oneLoad).toBeGreaterThanOrEqual(1);
      expect(underFirst).toBe(oneLoad);
      expect(configReads(world.ssm).slice(before).map((call) => call.outcome)).toEqual(Array(2 * oneLoad).fill('served'));
    });

    test('a throttled configuration read throws, so Lambda retries, and accepts nothing; the retry is accepted', async () => {
      // Prepare: a trigger whose configuration is not cached yet.
      const deployed = triggerConfig({ triggerId: 'throttled-batcher', batchSize: 1 });
      deploy(world.ssm, deployed);
      const itemsBefore = await world.local.items();
      const invocation = { triggerId: deployed.triggerId, event: objectCreated('labels/t.parquet', '0d01') };

      // Act: the object while SSM throttles, then Lambda's retry.
      const { throttled, afterFailure, retried } = await invokeThrottledThenRetry(world.ssm, () => world.lambdaHandler(invocation), async () => ({
        items: await world.local.items(),
        runs: world.runsOf('throttled-batcher').length,
      }));

      // Assess
      expect(throttled).toBe(true);
      expect(afterFailure).toEqual({ items: itemsBefore, runs: 0 });
      expect(retried).toEqual({ status: 'accepted' });
      expect(world.runsOf('throttled-batcher')).toHaveLength(1);
    });

    test('a flush skips a trigger id whose configuration does not exist and still flushes the others', async () => {
      // Prepare: one object waiting in a deployed trigger's batch of 60 seconds.
      const deployed = triggerConfig({ triggerId: 'flushed-batcher', batchSize: 100, batchWindowSeconds: 60 });
      deploy(world.ssm, deployed);
      await world.lambdaHandler({ triggerId: deployed.triggerId, event: objectCreated('labels/waiting.parquet', '0e01') });
      advanceClock(61_000);

      // Act: the schedule names a trigger never deployed first.
      const result = await world.lambdaHandler({ flush: { triggerIds: ['never-deployed', deployed.triggerId] } });

      // Assess
      expect(result).toEqual({ status: 'flushed' });
      expect(logLines(output)).toContainEqual(expect.objectContaining({ level: 'WARN', triggerId: 'never-deployed', field: 'triggerId' }));
      const runs = world.runsOf('flushed-batcher');
      expect(runs).toHaveLength(1);
      expect((await world.local.manifestLines(runs[0].parameters.ManifestS3Uri)).map((line) => line.key)).toEqual(['labels/waiting.parquet']);
      expect((await world.local.items()).filter((item) => String(item.pk).includes('never-deployed'))).toEqual([]);
    });
  });
});
