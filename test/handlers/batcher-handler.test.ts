import { DATA_BUCKET, objectCreated, objectCreatedFixture, triggerConfig } from '../support/batcher-env';
import { BatcherHandlerWorld, captureOutput, logLines } from '../support/handler-batcher';
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

  test('takes the S3 Object Created fixture and starts one run when the batch is full', async () => {
    const trigger = triggerConfig({ triggerId: 'fixture-trigger', batchSize: 3 });

    const results = [
      await world.handler({ trigger, event: objectCreatedFixture() }),
      await world.handler({ trigger, event: objectCreated('labels/2024-01-29/batch-0002.parquet', '617f0829932a0001') }),
      await world.handler({ trigger, event: objectCreated('labels/2024-01-29/batch-0003.parquet', '617f0829932a0002') }),
    ];

    expect(results.map((result) => result.status)).toEqual(['accepted', 'accepted', 'accepted']);
    const started = world.local.sagemaker.executions.filter((execution) => execution.description?.includes('fixture-trigger'));
    expect(started).toHaveLength(1);
    expect(started[0].pipelineName).toBe('training-pipeline');
    expect(started[0].parameters).toEqual({
      // the manifest is named after the trigger, the state's epoch (a UUID) and the batch number
      ManifestS3Uri: expect.stringMatching(new RegExp(`^s3://${DATA_BUCKET}/ml-triggers/manifests/fixture-trigger/[0-9a-f-]{36}-1\\.ml-triggers-manifest\\.jsonl$`)),
      ObjectCount: '3',
      TrainingMode: 'data-arrival',
    });
    const lines = await world.local.manifestLines(started[0].parameters.ManifestS3Uri);
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

    const first = await world.handler({ trigger, event });
    const again = await world.handler({ trigger, event: { ...event, id: 'another-eventbridge-id' } });
    const startsBefore = world.local.sagemaker.executions.filter((e) => e.description?.includes('redelivery-trigger')).length;
    await world.handler({ trigger, event: objectCreated('labels/b.parquet', '0000000000000002') });

    expect([first.status, again.status]).toEqual(['accepted', 'duplicate']);
    expect(startsBefore).toBe(0);
    const started = world.local.sagemaker.executions.filter((e) => e.description?.includes('redelivery-trigger'));
    expect(started.map((e) => e.parameters.ObjectCount)).toEqual(['2']);
  });

  test('a new version of the same key is a new object', async () => {
    const trigger = triggerConfig({ triggerId: 'versions-trigger', batchSize: 2 });

    await world.handler({ trigger, event: objectCreated('labels/same.parquet', '01', 'version-1') });
    await world.handler({ trigger, event: objectCreated('labels/same.parquet', '02', 'version-2') });

    const started = world.local.sagemaker.executions.filter((e) => e.description?.includes('versions-trigger'));
    expect(started).toHaveLength(1);
    const lines = await world.local.manifestLines(started[0].parameters.ManifestS3Uri);
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

    const result = await world.handler({ trigger, event });

    expect(result).toEqual({ status: 'rejected', error: { field, problem: expect.any(String) } });
    expect(logLines(output)).toContainEqual(expect.objectContaining({ level: 'ERROR', field, problem: expect.any(String) }));
    const items = await world.local.items();
    expect(items.filter((item) => String(item.pk).includes(trigger.triggerId))).toEqual([]);
  });

  test.each<[string, unknown, string]>([
    ['no trigger id', { event: objectCreatedFixture() }, 'triggerId'],
    ['a deployed batch size of 0', { trigger: triggerConfig({ triggerId: 'zero-batch', batchSize: 0 }), event: objectCreatedFixture() }, 'trigger.batchSize'],
    ['a deployed configuration without its source', { trigger: { ...triggerConfig({ triggerId: 'no-source' }), source: undefined }, event: objectCreatedFixture() }, 'trigger.source.bucket'],
    ['a non-object input', 'hello', 'input'],
    ['a flush without trigger ids', { flush: {} }, 'flush.triggerIds'],
  ])('%s is rejected with the field named', async (_what, input, field) => {
    const result = await world.handler(input);

    expect(result).toEqual({ status: 'rejected', error: { field, problem: expect.any(String) } });
  });

  test("ignores the manifests the trigger writes into the watched bucket", async () => {
    const trigger = triggerConfig({ triggerId: 'self-trigger' });

    const result = await world.handler({ trigger, event: objectCreated('ml-triggers/manifests/self-trigger/x-1.jsonl', '09') });

    expect(result).toEqual({ status: 'ignored' });
    const items = await world.local.items();
    expect(items.filter((item) => String(item.pk).includes('self-trigger'))).toEqual([]);
  });

  test("never counts another trigger's manifest, whatever its manifestPrefix, so two triggers on one bucket do not feed each other", async () => {
    // Prepare: two triggers on one bucket without key filters, one with its own manifest prefix, each starting per object.
    const first = triggerConfig({ triggerId: 'shared-bucket-a', batchSize: 1 });
    const second = triggerConfig({ triggerId: 'shared-bucket-b', batchSize: 1, manifestPrefix: '' });
    const manifestKeyOf = (triggerId: string) => {
      const execution = world.local.sagemaker.executions.find((e) => e.description?.includes(`trigger ${triggerId}:`));
      return execution!.parameters.ManifestS3Uri.slice(`s3://${DATA_BUCKET}/`.length);
    };

    // Act: one data object reaches both; then each trigger's manifest reaches both.
    await world.handler({ trigger: first, event: objectCreated('incoming/one.csv', '0b01') });
    await world.handler({ trigger: second, event: objectCreated('incoming/one.csv', '0b01') });
    const manifests = [manifestKeyOf('shared-bucket-a'), manifestKeyOf('shared-bucket-b')];
    const results = [];
    for (const [i, key] of manifests.entries()) {
      for (const trigger of [first, second]) results.push(await world.handler({ trigger, event: objectCreated(key, `0c0${i}`) }));
    }

    // Assess: every manifest is ignored by every trigger; one object, one run each.
    expect(results.map((result) => result.status)).toEqual(['ignored', 'ignored', 'ignored', 'ignored']);
    const runs = world.local.sagemaker.executions.filter((e) => /trigger shared-bucket-[ab]:/.test(e.description ?? ''));
    expect(runs).toHaveLength(2);
  });

  test('publishes EMF metrics in the MLTriggers namespace', async () => {
    const trigger = triggerConfig({ triggerId: 'metrics-trigger', batchSize: 5 });

    await world.handler({ trigger, event: objectCreated('labels/m.parquet', '0a') });

    const emf = logLines(output).find((line) => line._aws?.CloudWatchMetrics);
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('MLTriggers');
    expect(emf).toMatchObject({ service: 'DataArrivalBatcher', TriggerType: 'DataArrival', EventsReceived: 1, ObjectsBatched: 1 });
  });
});
