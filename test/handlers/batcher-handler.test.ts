import type { BatchTriggerConfig } from '../../lambda/core/contracts/batch';
import { DATA_BUCKET, LocalAws, objectCreated, objectCreatedFixture, triggerConfig } from '../support/batcher-env';
import { asDeployed, startFakeSsm, TEST_CONFIG_PATH, type FakeSsm } from '../support/fake-ssm';
import { setEnv } from '../support/local-services';

type Handler = typeof import('../../lambda/aws/batcher').handler;
jest.setTimeout(30_000);

describe('batcher handler', () => {
  let local: LocalAws;
  let ssm: FakeSsm;
  /** The function as deployed: it receives `{ triggerId, event }` and reads the configuration itself. */
  let lambdaHandler: Handler;
  /** The same function, taking `{ trigger, event }`: the configuration is deployed first, then only the id is sent. */
  let handler: (input: unknown) => ReturnType<Handler>;
  let restoreEnv: () => void;
  let stdout: string[];

  beforeAll(async () => {
    [local, ssm] = await Promise.all([LocalAws.start(), startFakeSsm()]);
    restoreEnv = setEnv({
      POWERTOOLS_LOG_LEVEL: 'INFO',
      AWS_ENDPOINT_URL_SSM: ssm.endpoint,
      TRIGGER_CONFIG_PATH: TEST_CONFIG_PATH,
      TRIGGER_CONFIG_VERSION: 'first-deployment',
    });
    ({ handler: lambdaHandler } = await import('../../lambda/aws/batcher'));
    handler = asDeployed(ssm, (input) => lambdaHandler(input));
  });
  afterAll(async () => {
    restoreEnv();
    await Promise.all([local.stop(), ssm.close()]);
  });
  beforeEach(() => {
    stdout = [];
    for (const stream of [process.stdout, process.stderr]) {
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        stdout.push(String(chunk));
        return true;
      });
    }
  });
  afterEach(() => jest.restoreAllMocks());

  /** Writes a trigger's configuration as a deployment does, and names that deployment in the function's environment. */
  const deploy = (config: BatchTriggerConfig, version = `deployment-of-${config.triggerId}`) => {
    ssm.put(`${TEST_CONFIG_PATH}${config.triggerId}`, JSON.stringify({ [config.triggerId]: config }));
    process.env.TRIGGER_CONFIG_VERSION = version;
  };
  const runsOf = (triggerId: string) => local.sagemaker.executions.filter((e) => e.description?.includes(`trigger ${triggerId}:`));
  /** The requests that read the deployment's configurations: every page of every load of the path. */
  const configReads = () => ssm.calls.filter((call) => call.path === TEST_CONFIG_PATH.slice(0, -1));
  /** The clock the function reads, moved on: windows close without the test waiting for them. */
  const advanceClock = (ms: number) => {
    const realNow = Date.now.bind(Date);
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() + ms);
  };

  const logLines = () => stdout.flatMap((chunk) => chunk.split('\n')).filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));

  test('takes the S3 Object Created fixture and starts one run when the batch is full', async () => {
    const trigger = triggerConfig({ triggerId: 'fixture-trigger', batchSize: 3 });

    const results = [
      await handler({ trigger, event: objectCreatedFixture() }),
      await handler({ trigger, event: objectCreated('labels/2024-01-29/batch-0002.parquet', '617f0829932a0001') }),
      await handler({ trigger, event: objectCreated('labels/2024-01-29/batch-0003.parquet', '617f0829932a0002') }),
    ];

    expect(results.map((result) => result.status)).toEqual(['accepted', 'accepted', 'accepted']);
    const started = local.sagemaker.executions.filter((execution) => execution.description?.includes('fixture-trigger'));
    expect(started).toHaveLength(1);
    expect(started[0].pipelineName).toBe('training-pipeline');
    expect(started[0].parameters).toEqual({
      // the manifest is named after the trigger, the state's epoch (a UUID) and the batch number
      ManifestS3Uri: expect.stringMatching(new RegExp(`^s3://${DATA_BUCKET}/ml-triggers/manifests/fixture-trigger/[0-9a-f-]{36}-1\\.ml-triggers-manifest\\.jsonl$`)),
      ObjectCount: '3',
      TrainingMode: 'data-arrival',
    });
    const lines = await local.manifestLines(started[0].parameters.ManifestS3Uri);
    expect(lines.map((line) => line.key)).toEqual([
      'labels/2024-01-29/batch-0001.parquet',
      'labels/2024-01-29/batch-0002.parquet',
      'labels/2024-01-29/batch-0003.parquet',
    ]);
    expect(lines[0]).toEqual({
      uri: `s3://${DATA_BUCKET}/labels/2024-01-29/batch-0001.parquet`,
      bucket: DATA_BUCKET,
      key: 'labels/2024-01-29/batch-0001.parquet',
      versionId: 'IYV3p45BT0ac8hjHg1houSdS1a.Mc8cE',
      size: 52311,
      eventTime: '2024-01-29T12:00:00Z',
    });
  });

  test('a redelivered event counts once: the batch still needs another object', async () => {
    const trigger = triggerConfig({ triggerId: 'redelivery-trigger', batchSize: 2 });
    const event = objectCreated('labels/a.parquet', '0000000000000001');

    const first = await handler({ trigger, event });
    const again = await handler({ trigger, event: { ...event, id: 'another-eventbridge-id' } });
    const startsBefore = local.sagemaker.executions.filter((e) => e.description?.includes('redelivery-trigger')).length;
    await handler({ trigger, event: objectCreated('labels/b.parquet', '0000000000000002') });

    expect([first.status, again.status]).toEqual(['accepted', 'duplicate']);
    expect(startsBefore).toBe(0);
    const started = local.sagemaker.executions.filter((e) => e.description?.includes('redelivery-trigger'));
    expect(started.map((e) => e.parameters.ObjectCount)).toEqual(['2']);
  });

  test('a new version of the same key is a new object', async () => {
    const trigger = triggerConfig({ triggerId: 'versions-trigger', batchSize: 2 });

    await handler({ trigger, event: objectCreated('labels/same.parquet', '01', 'version-1') });
    await handler({ trigger, event: objectCreated('labels/same.parquet', '02', 'version-2') });

    const started = local.sagemaker.executions.filter((e) => e.description?.includes('versions-trigger'));
    expect(started).toHaveLength(1);
    const lines = await local.manifestLines(started[0].parameters.ManifestS3Uri);
    expect(lines.map((line) => line.versionId)).toEqual(['version-1', 'version-2']);
  });

  test.each<[string, (event: Record<string, unknown>) => void, string]>([
    ['a missing bucket', (e) => delete (e.detail as Record<string, unknown>).bucket, 'event.detail.bucket'],
    ['a missing key', (e) => delete ((e.detail as { object: Record<string, unknown> }).object).key, 'event.detail.object.key'],
    ['a key that is a number', (e) => ((e.detail as { object: Record<string, unknown> }).object.key = 42), 'event.detail.object.key'],
    ['a size that is a string', (e) => ((e.detail as { object: Record<string, unknown> }).object.size = '10'), 'event.detail.object.size'],
    ['another detail type', (e) => (e['detail-type'] = 'Object Deleted'), 'event.detail-type'],
    ['a time that is not a time', (e) => (e.time = 'yesterday'), 'event.time'],
  ])('an event with %s is rejected, logged with the field, and not counted', async (_what, spoil, field) => {
    const trigger = triggerConfig({ triggerId: `rejects-${field.replace(/[^a-z]/gi, '')}` });
    const event = objectCreatedFixture();
    spoil(event);

    const result = await handler({ trigger, event });

    expect(result).toEqual({ status: 'rejected', error: { field, problem: expect.any(String) } });
    expect(logLines()).toContainEqual(expect.objectContaining({ level: 'ERROR', field, problem: expect.any(String) }));
    const items = await local.items();
    expect(items.filter((item) => String(item.pk).includes(trigger.triggerId))).toEqual([]);
  });

  test.each<[string, unknown, string]>([
    ['no trigger id', { event: objectCreatedFixture() }, 'triggerId'],
    ['a deployed batch size of 0', { trigger: triggerConfig({ triggerId: 'zero-batch', batchSize: 0 }), event: objectCreatedFixture() }, 'trigger.batchSize'],
    ['a deployed configuration without its source', { trigger: { ...triggerConfig({ triggerId: 'no-source' }), source: undefined }, event: objectCreatedFixture() }, 'trigger.source.bucket'],
    ['a non-object input', 'hello', 'input'],
    ['a flush without trigger ids', { flush: {} }, 'flush.triggerIds'],
  ])('%s is rejected with the field named', async (_what, input, field) => {
    const result = await handler(input);

    expect(result).toEqual({ status: 'rejected', error: { field, problem: expect.any(String) } });
  });

  test("ignores the manifests the trigger writes into the watched bucket", async () => {
    const trigger = triggerConfig({ triggerId: 'self-trigger' });

    const result = await handler({ trigger, event: objectCreated('ml-triggers/manifests/self-trigger/x-1.jsonl', '09') });

    expect(result).toEqual({ status: 'ignored' });
    const items = await local.items();
    expect(items.filter((item) => String(item.pk).includes('self-trigger'))).toEqual([]);
  });

  test("never counts another trigger's manifest, whatever its manifestPrefix, so two triggers on one bucket do not feed each other", async () => {
    // Prepare: two triggers on one bucket without key filters, one with its own manifest prefix, each starting per object.
    const first = triggerConfig({ triggerId: 'shared-bucket-a', batchSize: 1 });
    const second = triggerConfig({ triggerId: 'shared-bucket-b', batchSize: 1, manifestPrefix: '' });
    const manifestKeyOf = (triggerId: string) => {
      const execution = local.sagemaker.executions.find((e) => e.description?.includes(`trigger ${triggerId}:`));
      return execution!.parameters.ManifestS3Uri.slice(`s3://${DATA_BUCKET}/`.length);
    };

    // Act: one data object reaches both; then each trigger's manifest reaches both.
    await handler({ trigger: first, event: objectCreated('incoming/one.csv', '0b01') });
    await handler({ trigger: second, event: objectCreated('incoming/one.csv', '0b01') });
    const manifests = [manifestKeyOf('shared-bucket-a'), manifestKeyOf('shared-bucket-b')];
    const results = [];
    for (const [i, key] of manifests.entries()) {
      for (const trigger of [first, second]) results.push(await handler({ trigger, event: objectCreated(key, `0c0${i}`) }));
    }

    // Assess: every manifest is ignored by every trigger; one object, one run each.
    expect(results.map((result) => result.status)).toEqual(['ignored', 'ignored', 'ignored', 'ignored']);
    const runs = local.sagemaker.executions.filter((e) => /trigger shared-bucket-[ab]:/.test(e.description ?? ''));
    expect(runs).toHaveLength(2);
  });

  test('publishes EMF metrics in the MLTriggers namespace', async () => {
    const trigger = triggerConfig({ triggerId: 'metrics-trigger', batchSize: 5 });

    await handler({ trigger, event: objectCreated('labels/m.parquet', '0a') });

    const emf = logLines().find((line) => line._aws?.CloudWatchMetrics);
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('MLTriggers');
    expect(emf).toMatchObject({ service: 'DataArrivalBatcher', TriggerType: 'DataArrival', EventsReceived: 1, ObjectsBatched: 1 });
  });
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
      deploy(deployed);
      const forged = (key: string, sequencer: string) => ({ triggerId: deployed.triggerId, trigger: forgedTrigger(deployed), event: objectCreated(key, sequencer) });

      // Act: three objects with the forged configuration, then, once the window of the third's batch closed, a flush carrying it too.
      const results = [
        await lambdaHandler(forged('labels/f1.parquet', '0f01')),
        await lambdaHandler(forged('labels/f2.parquet', '0f02')),
        await lambdaHandler(forged('labels/f3.parquet', '0f03')),
      ];
      const afterArrivals = runsOf('forged-batcher').length;
      advanceClock(61_000);
      const flushed = await lambdaHandler({ flush: { triggerIds: [deployed.triggerId] }, trigger: forgedTrigger(deployed) });

      // Assess: the deployed batch size made one run of two, the flush the second of one; both as deployed.
      expect(results.map((result) => result.status)).toEqual(['accepted', 'accepted', 'accepted']);
      expect(flushed).toEqual({ status: 'flushed' });
      expect(afterArrivals).toBe(1);
      const runs = runsOf('forged-batcher');
      expect(runs.map((run) => run.pipelineName)).toEqual(['training-pipeline', 'training-pipeline']);
      for (const run of runs) {
        expect(run.parameters).toEqual({
          ManifestS3Uri: expect.stringMatching(new RegExp(`^s3://${DATA_BUCKET}/ml-triggers/manifests/forged-batcher/`)),
          ObjectCount: expect.any(String),
          TrainingMode: 'data-arrival',
        });
      }
      const manifests = await Promise.all(runs.map((run) => local.manifestLines(run.parameters.ManifestS3Uri)));
      expect(manifests.map((lines) => lines.map((line) => line.key))).toEqual([['labels/f1.parquet', 'labels/f2.parquet'], ['labels/f3.parquet']]);
      expect(local.sagemaker.calls.filter((call) => call.pipelineName === 'attacker-pipeline')).toEqual([]);
    });

    test.each<[string, unknown]>([
      ['an id no trigger was deployed under', 'no-such-trigger'],
      ['a path as the id', 'a/../b'],
      ['an id of 65 characters', 'x'.repeat(65)],
      ['a number as the id', 42],
    ])('%s is rejected naming triggerId: nothing starts and nothing is written', async (_what, triggerId) => {
      // Prepare: this deployment's configurations already read (by an earlier invocation, here one of
      // another unknown id), whatever the forger sends along, and what the table and SageMaker held.
      await lambdaHandler({ triggerId: 'earlier-unknown-id', event: objectCreatedFixture() });
      const itemsBefore = await local.items();
      const startsBefore = local.sagemaker.calls.length;
      const callsBefore = ssm.calls.length;

      // Act
      const result = await lambdaHandler({ triggerId, trigger: forgedTrigger(triggerConfig({ triggerId: String(triggerId) })), event: objectCreatedFixture() });

      // Assess: rejected and logged with the field; no id, known to be no trigger or malformed, costs an SSM call.
      expect(result).toEqual({ status: 'rejected', error: { field: 'triggerId', problem: expect.any(String) } });
      expect(logLines()).toContainEqual(expect.objectContaining({ level: 'ERROR', field: 'triggerId' }));
      expect(local.sagemaker.calls.length).toBe(startsBefore);
      expect(await local.items()).toEqual(itemsBefore);
      expect(ssm.calls.length - callsBefore).toBe(0);
    });

    test.each<[string, (event: Record<string, unknown>) => void]>([
      ['another bucket', (e) => ((e.detail as { bucket: { name: string } }).bucket.name = 'attacker-bucket')],
      ['a key outside the prefix', (e) => ((e.detail as { object: Record<string, unknown> }).object.key = 'secrets/batch-0001.parquet')],
      ['a key without the suffix', (e) => ((e.detail as { object: Record<string, unknown> }).object.key = 'labels/batch-0001.csv')],
    ])('an object from %s, which the rule would not pass, is rejected naming event.detail.object.key: nothing starts and nothing is written', async (what, spoil) => {
      // Prepare: a trigger watching labels/*.parquet in the data bucket, one object per batch.
      const deployed = triggerConfig({ triggerId: `source-${what.replace(/[^a-z]/gi, '').slice(0, 40)}`, batchSize: 1, source: { bucket: DATA_BUCKET, prefix: 'labels/', suffix: '.parquet' } });
      deploy(deployed);
      const event = objectCreatedFixture();
      spoil(event);
      const itemsBefore = await local.items();

      // Act: the object outside the source, then the fixture, which is inside it.
      const result = await lambdaHandler({ triggerId: deployed.triggerId, event });
      const itemsAfterRejection = await local.items();
      const control = await lambdaHandler({ triggerId: deployed.triggerId, event: objectCreatedFixture() });

      // Assess
      expect(result).toEqual({ status: 'rejected', error: { field: 'event.detail.object.key', problem: expect.any(String) } });
      expect(itemsAfterRejection).toEqual(itemsBefore);
      expect(control).toEqual({ status: 'accepted' });
      const runs = runsOf(deployed.triggerId);
      expect(runs).toHaveLength(1);
      expect((await local.manifestLines(runs[0].parameters.ManifestS3Uri)).map((line) => line.key)).toEqual(['labels/2024-01-29/batch-0001.parquet']);
    });

    test('events read the configurations once per deployment; a new deployment version reads them again', async () => {
      // Prepare
      const deployed = triggerConfig({ triggerId: 'cached-batcher', batchSize: 100 });
      deploy(deployed, 'cache-deployment-1');
      const before = configReads().length;

      // Act: one object, four more and an unknown id under the same deployment, then one object under the next.
      const results = [await lambdaHandler({ triggerId: deployed.triggerId, event: objectCreated('labels/c0.parquet', '0c00') })];
      const oneLoad = configReads().length - before;
      for (let i = 1; i < 5; i++) results.push(await lambdaHandler({ triggerId: deployed.triggerId, event: objectCreated(`labels/c${i}.parquet`, `0c0${i}`) }));
      const unknown = await lambdaHandler({ triggerId: 'never-deployed', event: objectCreated('labels/u.parquet', '0c0a') });
      const underFirst = configReads().length - before;
      deploy({ ...deployed, parameters: { TrainingMode: 'redeployed' } }, 'cache-deployment-2');
      results.push(await lambdaHandler({ triggerId: deployed.triggerId, event: objectCreated('labels/c5.parquet', '0c05') }));

      // Assess: a load is one call per page of ten configurations, however many earlier tests deployed.
      expect(results.map((result) => result.status)).toEqual(Array(6).fill('accepted'));
      expect(unknown).toEqual({ status: 'rejected', error: { field: 'triggerId', problem: expect.any(String) } });
      expect(oneLoad).toBeGreaterThanOrEqual(1);
      expect(underFirst).toBe(oneLoad);
      expect(configReads().slice(before).map((call) => call.outcome)).toEqual(Array(2 * oneLoad).fill('served'));
    });

    test('a throttled configuration read throws, so Lambda retries, and accepts nothing; the retry is accepted', async () => {
      // Prepare: a trigger whose configuration is not cached yet, and SSM throttling every request.
      const deployed = triggerConfig({ triggerId: 'throttled-batcher', batchSize: 1 });
      deploy(deployed);
      const itemsBefore = await local.items();
      const invocation = { triggerId: deployed.triggerId, event: objectCreated('labels/t.parquet', '0d01') };
      const callsBefore = ssm.calls.length;
      ssm.throttleNext(100);

      // Act
      const failed = lambdaHandler(invocation);
      await expect(failed).rejects.toMatchObject({ name: 'ThrottlingException' });
      const itemsAfterFailure = await local.items();
      const runsAfterFailure = runsOf('throttled-batcher').length;
      ssm.stopThrottling();
      const retried = await lambdaHandler(invocation);

      // Assess
      expect(ssm.calls.slice(callsBefore).some((call) => call.outcome === 'ThrottlingException')).toBe(true);
      expect(itemsAfterFailure).toEqual(itemsBefore);
      expect(runsAfterFailure).toBe(0);
      expect(retried).toEqual({ status: 'accepted' });
      expect(runsOf('throttled-batcher')).toHaveLength(1);
    });

    test('a flush skips a trigger id whose configuration does not exist and still flushes the others', async () => {
      // Prepare: one object waiting in a deployed trigger's batch of 60 seconds.
      const deployed = triggerConfig({ triggerId: 'flushed-batcher', batchSize: 100, batchWindowSeconds: 60 });
      deploy(deployed);
      await lambdaHandler({ triggerId: deployed.triggerId, event: objectCreated('labels/waiting.parquet', '0e01') });
      advanceClock(61_000);

      // Act: the schedule names a trigger never deployed first.
      const result = await lambdaHandler({ flush: { triggerIds: ['never-deployed', deployed.triggerId] } });

      // Assess
      expect(result).toEqual({ status: 'flushed' });
      expect(logLines()).toContainEqual(expect.objectContaining({ level: 'WARN', triggerId: 'never-deployed', field: 'triggerId' }));
      const runs = runsOf('flushed-batcher');
      expect(runs).toHaveLength(1);
      expect((await local.manifestLines(runs[0].parameters.ManifestS3Uri)).map((line) => line.key)).toEqual(['labels/waiting.parquet']);
      expect((await local.items()).filter((item) => String(item.pk).includes('never-deployed'))).toEqual([]);
    });
  });
});
