import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { BatchTriggerConfig } from '../../lambda/core/contracts/batch';
import { objectCreated, triggerConfig } from '../support/batcher-env';
import type { HandlerServices } from '../support/handler-harness';
import { createKeyedTable } from '../support/tables';
import {
  bucketSnapshot,
  CORPUS_TIMEOUT as TIMEOUT,
  deepArrayJson,
  deepObject,
  invocationShapeCases,
  hugeString,
  loadBundledHandler,
  manyItems,
  MANY,
  silenceEachTest,
  silenceOutput,
  sizeRatio,
  startBundledServices,
  tableSnapshot,
  testEachCase,
  VAST,
  type HostileCase,
  type TriggerHandler,
} from './corpus-support';

const TABLE = 'ml-triggers-batches-hostile';
const CONFIG_PATH = '/cdk-ml-triggers/hostile-batcher/';
const DATA_BUCKET = 'mlops-data-prod';
const STAGING_BUCKET = 'mlops-data-staging';
const ATTACKER = 'attacker';

/**
 * The two triggers the stack deployed. Labels starts a run per object (batch size 1), so that a forged
 * envelope around a real object shows which configuration the run was started with; staging holds an
 * open batch that no input of the corpus may touch.
 */
const LABELS = triggerConfig({
  triggerId: 'labels-trigger',
  pipelineName: 'training-pipeline',
  source: { bucket: DATA_BUCKET, prefix: 'labels/', suffix: '.parquet' },
  batchSize: 1,
  parameters: { TrainingMode: 'data-arrival' },
}) satisfies BatchTriggerConfig;
const STAGING = triggerConfig({
  triggerId: 'staging-trigger',
  pipelineName: 'staging-pipeline',
  source: { bucket: STAGING_BUCKET },
  batchSize: 100,
  manifestBucket: STAGING_BUCKET,
}) satisfies BatchTriggerConfig;

/** What an invocation might carry to widen the trigger: another pipeline, bucket, batch size and parameters. */
const ATTACKER_CONFIG = {
  ...LABELS,
  pipelineName: `${ATTACKER}-pipeline`,
  source: { bucket: `${ATTACKER}-bucket` },
  batchSize: 1,
  manifestBucket: `${ATTACKER}-bucket`,
  parameters: { TrainingMode: `${ATTACKER}-mode`, Exfiltrate: `s3://${ATTACKER}-bucket/` },
};

let objects = 0;
/** An Object Created event of the labels trigger's source; each call names a new object, so none is a redelivery. */
function labelsObject(edit: (event: ObjectEvent) => void = () => {}): ObjectEvent {
  objects++;
  const event = objectCreated(`labels/2024-01-29/hostile-${objects}.parquet`, `617f08299329d1${String(objects).padStart(4, '0')}`) as ObjectEvent;
  edit(event);
  return event;
}
type ObjectEvent = Record<string, unknown> & { detail: Record<string, unknown> & { bucket: Record<string, unknown>; object: Record<string, unknown> } };

const invoke = (event: unknown, extra: Record<string, unknown> = {}) => ({ triggerId: LABELS.triggerId, event, ...extra });
const withObject = (fields: Record<string, unknown>) => invoke(labelsObject((e) => Object.assign(e.detail.object, fields)));
const withoutObjectField = (name: string) => invoke(labelsObject((e) => delete e.detail.object[name]));
const withKey = (key: unknown) => withObject({ key });
const withTime = (time: unknown) => invoke(labelsObject((e) => (e.time = time)));
const ofBucket = (bucket: string, key = 'labels/2024-01-29/elsewhere.parquet') =>
  invoke(labelsObject((e) => { e.detail.bucket = { name: bucket }; e.detail.object.key = key; e.resources = [`arn:aws:s3:::${bucket}`]; }));

/**
 * One input, with what the batcher must answer: `field` for a rejection, `starts` for a real object of the
 * deployed trigger (a run with the deployed configuration), `harmless` for an answer that changes nothing.
 */
interface BatcherCase extends HostileCase {
  readonly field?: string;
  readonly starts?: string;
}

const BATCHER_CORPUS: readonly BatcherCase[] = [
  // Not an invocation at all, and forged trigger ids.
  ...invocationShapeCases(() => invoke(labelsObject()), LABELS.triggerId),
  { name: 'triggerId: unknown to the stack', input: () => invoke(labelsObject(), { triggerId: 'no-such-trigger' }), field: 'triggerId' },
  { name: 'triggerId: the real id in capitals', input: () => invoke(labelsObject(), { triggerId: LABELS.triggerId.toUpperCase() }), field: 'triggerId' },
  { name: 'triggerId: ../x', input: () => invoke(labelsObject(), { triggerId: '../x' }), field: 'triggerId' },
  { name: 'triggerId: a path to another parameter', input: () => invoke(labelsObject(), { triggerId: `../hostile-events/${LABELS.triggerId}` }), field: 'triggerId' },
  { name: 'triggerId: 65 characters', input: () => invoke(labelsObject(), { triggerId: 'a'.repeat(65) }), field: 'triggerId' },
  { name: 'triggerId: unicode', input: () => invoke(labelsObject(), { triggerId: 'labels-trïgger' }), field: 'triggerId' },
  { name: 'triggerId: 250 KB', input: () => invoke(labelsObject(), { triggerId: hugeString() }), field: 'triggerId' },
  { name: 'triggerId: __proto__', input: () => invoke(labelsObject(), { triggerId: '__proto__' }), field: 'triggerId' },
  { name: 'triggerId: constructor', input: () => invoke(labelsObject(), { triggerId: 'constructor' }), field: 'triggerId' },
  { name: 'triggerId: prototype', input: () => invoke(labelsObject(), { triggerId: 'prototype' }), field: 'triggerId' },
  // Forged envelopes.
  { name: 'the legacy envelope: an attacker configuration and no triggerId', input: () => ({ trigger: ATTACKER_CONFIG, event: labelsObject() }), field: 'triggerId' },
  { name: 'the legacy envelope whose configuration names the real trigger', input: () => ({ trigger: { ...ATTACKER_CONFIG, triggerId: LABELS.triggerId }, event: labelsObject() }), field: 'triggerId' },
  {
    name: "the real trigger with an attacker configuration that widens the source, on the attacker's bucket",
    input: () => ({ ...ofBucket(`${ATTACKER}-bucket`), trigger: ATTACKER_CONFIG }),
    field: 'event.detail.object.key',
  },
  {
    name: 'the real trigger with an attacker configuration beside it, on a real object',
    input: () => invoke(labelsObject(), { trigger: ATTACKER_CONFIG }),
    starts: 'a real object of the trigger: the run uses the deployed pipeline, parameters and manifest bucket',
  },
  {
    name: 'the real trigger with configuration fields spread beside the event, on a real object',
    input: () => invoke(labelsObject(), { ...ATTACKER_CONFIG, triggerId: LABELS.triggerId }),
    starts: 'a real object of the trigger: fields beside triggerId and event are never read',
  },
  // The event's envelope.
  { name: 'no event', input: () => ({ triggerId: LABELS.triggerId }), field: 'event' },
  { name: 'event: null', input: () => invoke(null), field: 'event' },
  { name: 'event: JSON text of a real object', input: () => invoke(JSON.stringify(labelsObject())), field: 'event' },
  { name: 'event: a list holding a real object', input: () => invoke([labelsObject()]), field: 'event' },
  { name: 'event: 10,000 levels deep', input: () => invoke(deepObject()), field: 'event.source' },
  { name: 'event: another source', input: () => invoke(labelsObject((e) => (e.source = 'aws.s3.forged'))), field: 'event.source' },
  { name: 'event: detail-type Object Deleted', input: () => invoke(labelsObject((e) => (e['detail-type'] = 'Object Deleted'))), field: 'event.detail-type' },
  { name: 'event: detail-type __proto__', input: () => invoke(labelsObject((e) => (e['detail-type'] = '__proto__'))), field: 'event.detail-type' },
  { name: 'detail: a list', input: () => invoke(labelsObject((e) => (e.detail = [e.detail] as never))), field: 'event.detail' },
  { name: 'detail: a JSON "__proto__" key holding bucket and object', input: () => invoke(labelsObject((e) => (e.detail = JSON.parse(`{"__proto__":${JSON.stringify(e.detail)}}`)))), field: 'event.detail.bucket' },
  { name: 'detail.bucket.name: a number', input: () => invoke(labelsObject((e) => (e.detail.bucket = { name: 42 }))), field: 'event.detail.bucket.name' },
  { name: 'detail.object: 100,000 items', input: () => invoke(labelsObject((e) => (e.detail.object = manyItems(e.detail.object, VAST) as never))), field: 'event.detail.object' },
  { name: 'detail.object: a JSON "__proto__" key holding the key', input: () => invoke(labelsObject((e) => (e.detail.object = JSON.parse(`{"__proto__":${JSON.stringify(e.detail.object)}}`)))), field: 'event.detail.object.key' },
  // Objects the trigger's rule would not pass.
  { name: "an object of the other trigger's bucket", input: () => ofBucket(STAGING_BUCKET), field: 'event.detail.object.key' },
  { name: 'an object of the bucket __proto__', input: () => ofBucket('__proto__'), field: 'event.detail.object.key' },
  { name: 'an object of the bucket constructor', input: () => ofBucket('constructor'), field: 'event.detail.object.key' },
  { name: 'an object under another prefix', input: () => withKey('features/2024-01-29/x.parquet'), field: 'event.detail.object.key' },
  { name: 'an object under the prefix inside another folder', input: () => withKey('raw/labels/x.parquet'), field: 'event.detail.object.key' },
  { name: 'an object with another suffix', input: () => withKey('labels/2024-01-29/x.csv'), field: 'event.detail.object.key' },
  { name: 'an object whose prefix and suffix overlap', input: () => withKey('labels.parquet'), field: 'event.detail.object.key' },
  { name: 'an object named __proto__', input: () => withKey('__proto__'), field: 'event.detail.object.key' },
  { name: 'an object with a 250 KB key outside the prefix', input: () => withKey(hugeString()), field: 'event.detail.object.key' },
  { name: 'a 250 KB event of another bucket', input: () => ({ ...ofBucket(STAGING_BUCKET), padding: hugeString() }), field: 'event.detail.object.key' },
  { name: 'detail.object.key: a list', input: () => withKey(['labels/a.parquet']), field: 'event.detail.object.key' },
  { name: 'detail.object.key: missing', input: () => withoutObjectField('key'), field: 'event.detail.object.key' },
  // Sizes, sequencers and versions.
  { name: 'size: -1', input: () => withObject({ size: -1 }), field: 'event.detail.object.size' },
  { name: 'size: 2**60', input: () => withObject({ size: 2 ** 60 }), field: 'event.detail.object.size' },
  { name: 'size: NaN', input: () => withObject({ size: NaN }), field: 'event.detail.object.size' },
  { name: 'size: Infinity', input: () => withObject({ size: Infinity }), field: 'event.detail.object.size' },
  { name: 'size: the string "52311"', input: () => withObject({ size: '52311' }), field: 'event.detail.object.size' },
  { name: 'size: 250 KB of digits', input: () => withObject({ size: '9'.repeat(250 * 1024) }), field: 'event.detail.object.size' },
  { name: 'sequencer: missing', input: () => withoutObjectField('sequencer'), field: 'event.detail.object.sequencer' },
  { name: 'sequencer: an object', input: () => withObject({ sequencer: {} }), field: 'event.detail.object.sequencer' },
  { name: 'version-id: empty', input: () => withObject({ 'version-id': '' }), field: 'event.detail.object.version-id' },
  { name: 'version-id: a number', input: () => withObject({ 'version-id': 7 }), field: 'event.detail.object.version-id' },
  // Times.
  { name: 'time: not a date', input: () => withTime('yesterday-ish'), field: 'event.time' },
  { name: 'time: a number', input: () => withTime(1706529600000), field: 'event.time' },
  { name: 'time: the year 275760 and one millisecond', input: () => withTime('+275760-09-13T00:00:00.001Z'), field: 'event.time' },
  { name: 'time: missing', input: () => invoke(labelsObject((e) => delete e.time)), field: 'event.time' },
  { name: 'time: the year 9999, on a real object', input: () => withTime('9999-12-31T23:59:59Z'), field: 'event.time' },
  { name: 'time: 1970, on a real object', input: () => withTime('1970-01-01T00:00:00Z'), starts: 'batches are timed by receipt, not by the event' },
  { name: 'time: 30 February, on a real object', input: () => withTime('2024-02-30T00:00:00Z'), field: 'event.time' },
  { name: 'size: 1.5, on a real object', input: () => withObject({ size: 1.5 }), field: 'event.detail.object.size' },
  // The flush schedule's input.
  { name: 'flush: null', input: () => ({ flush: null }), field: 'flush.triggerIds' },
  { name: 'flush: a string', input: () => ({ flush: LABELS.triggerId }), field: 'flush.triggerIds' },
  { name: "flush: { triggerIds: 'x' }", input: () => ({ flush: { triggerIds: 'x' } }), field: 'flush.triggerIds' },
  { name: 'flush: triggerIds holding a number', input: () => ({ flush: { triggerIds: [LABELS.triggerId, 42] } }), field: 'flush.triggerIds' },
  { name: 'flush: triggerIds 10,000 levels deep', input: () => ({ flush: { triggerIds: JSON.parse(deepArrayJson()) } }), field: 'flush.triggerIds' },
  { name: 'flush: 10,000 levels deep', input: () => ({ flush: deepObject() }), field: 'flush.triggerIds' },
  { name: `flush: ${VAST.toLocaleString('en')} ids`, input: () => ({ flush: { triggerIds: manyItems(STAGING.triggerId, VAST) } }), field: 'flush.triggerIds' },
  { name: 'flush: a JSON "__proto__" key holding the ids', input: () => ({ flush: JSON.parse(`{"__proto__":{"triggerIds":["${STAGING.triggerId}"]}}`) }), field: 'flush.triggerIds' },
  {
    name: 'flush: unknown, traversing and prototype ids',
    input: () => ({ flush: { triggerIds: ['no-such-trigger', '../x', '', 'a'.repeat(65), '__proto__', 'constructor', 'prototype', hugeString()] } }),
    harmless: 'an id that names no trigger of the stack is skipped and logged',
  },
  {
    name: `flush: ${MANY.toLocaleString('en')} distinct unknown ids`,
    input: () => ({ flush: { triggerIds: Array.from({ length: MANY }, (_, i) => `unknown-${i}`) } }),
    harmless: 'each id is read once and names no trigger: nothing is flushed',
  },
  {
    name: 'flush of the real triggers carrying a forged event and configuration',
    input: () => ({ flush: { triggerIds: [LABELS.triggerId, STAGING.triggerId] }, ...invoke(labelsObject(), { trigger: ATTACKER_CONFIG }) }),
    harmless: 'a flush reads only the deployed configurations; neither batch is due (labels has none open, staging is inside its window)',
  },
];

describe('the bundled data-arrival batcher against hostile input', () => {
  let services: HandlerServices;
  let dynamoClient: DynamoDBClient;
  let s3Client: S3Client;
  let handler: TriggerHandler;

  beforeAll(async () => {
    services = await startBundledServices({
      dynamodb: true,
      s3: true,
      ssm: true,
      env: { BATCH_TABLE_NAME: TABLE, TRIGGER_CONFIG_PATH: CONFIG_PATH, TRIGGER_CONFIG_VERSION: 'hostile-1' },
    });
    dynamoClient = new DynamoDBClient({});
    s3Client = new S3Client({});
    await createKeyedTable(dynamoClient, TABLE);
    await Promise.all([DATA_BUCKET, STAGING_BUCKET].map((Bucket) => s3Client.send(new CreateBucketCommand({ Bucket }))));
    // What the deployment writes: the configurations packed into a parameter under the stack's path.
    services.ssm.put(`${CONFIG_PATH}configs-1`, JSON.stringify({ [LABELS.triggerId]: LABELS, [STAGING.triggerId]: STAGING }));
    handler = loadBundledHandler<TriggerHandler>('batcher');
    // State worth protecting: an open batch of the staging trigger.
    silenceOutput();
    const seeded = await handler({ ...ofBucket(STAGING_BUCKET, 'seed/2024-01-29/open.csv'), triggerId: STAGING.triggerId });
    jest.restoreAllMocks();
    if (seeded.status !== 'accepted') throw new Error(`the seed object was not accepted: ${JSON.stringify(seeded)}`);
  }, TIMEOUT);
  afterAll(async () => {
    dynamoClient.destroy();
    s3Client.destroy();
    await services.stop();
  }, TIMEOUT);
  silenceEachTest();

  const stored = async () => ({
    table: await tableSnapshot(dynamoClient, TABLE),
    data: await bucketSnapshot(s3Client, DATA_BUCKET),
    staging: await bucketSnapshot(s3Client, STAGING_BUCKET),
  });
  const observed = async () => ({ stored: await stored(), executions: services.sagemaker.executions.length, calls: services.sagemaker.calls.length });

  async function assessCase(hostile: BatcherCase): Promise<void> {
    const before = await observed();

    // Act: an answer (not a throw) is under test, so the await itself checks that nothing escaped.
    const answer = await handler(hostile.input());

    // Assess: nothing started or stored; a rejection names the field the table expects.
    expect(await observed()).toEqual(before);
    if (hostile.harmless) expect(answer).toEqual({ status: 'flushed' });
    else expect(answer).toEqual({ status: 'rejected', error: { field: hostile.field, problem: expect.any(String) } });
  }

  async function assessStart(hostile: BatcherCase): Promise<void> {
    const before = await observed();

    const answer = await handler(hostile.input());

    // Assess: one run of the deployed pipeline with the deployed parameters, its manifest where the
    // deployment says; nothing that was written or asked for names the attacker.
    const runs = services.sagemaker.executions.slice(before.executions);
    const after = await stored();
    const written = [...after.table.filter((item) => !before.stored.table.includes(item)), ...after.data.filter((object) => !before.stored.data.includes(object))];
    expect(answer).toEqual({ status: 'accepted' });
    expect(runs).toEqual([expect.objectContaining({ pipelineName: LABELS.pipelineName, parameters: { TrainingMode: 'data-arrival', ManifestS3Uri: expect.stringMatching(`^s3://${DATA_BUCKET}/${LABELS.manifestPrefix}${LABELS.triggerId}/`), ObjectCount: '1' } })]);
    expect(after.staging).toEqual(before.stored.staging);
    expect(JSON.stringify([services.sagemaker.calls.slice(before.calls), written])).not.toContain(ATTACKER);
  }

  test('the deployed state is in place: both configurations readable, one open batch, no run', async () => {
    expect(services.ssm.calls).toEqual([{ target: 'AmazonSSM.GetParametersByPath', path: CONFIG_PATH.slice(0, -1), outcome: 'served' }]);
    expect((await tableSnapshot(dynamoClient, TABLE)).length).toBeGreaterThan(0);
    expect(services.sagemaker.executions).toEqual([]);
  }, TIMEOUT);

  const started = BATCHER_CORPUS.filter((c) => c.starts);
  testEachCase(BATCHER_CORPUS.filter((c) => !c.starts), 'resolves, starts nothing, stores nothing, names the expected field', assessCase);
  test.each(started.map((c): [string, BatcherCase] => [c.name, c]))('%s: starts one run, with the deployed configuration only', async (_name, hostile) => assessStart(hostile), TIMEOUT);

  test('a 250 KB key outside the source takes less than 1000 times as long to reject as a 2.5 KB one', async () => {
    const small = withKey('k'.repeat(2_560));
    const large = withKey('k'.repeat(256_000));
    // Warmed once, then the fastest of several runs each.
    expect(await sizeRatio(handler, small, large, 7)).toBeLessThan(1000);
  }, TIMEOUT);

  test(`${MANY.toLocaleString('en')} unknown flush ids take less than 1000 times as long as 100`, async () => {
    const ids = (count: number, round: string) => ({ flush: { triggerIds: Array.from({ length: count }, (_, i) => `timed-${round}-${i}`) } });
    // Fresh ids per run, so that no run is answered from the cache of unknown ids.
    let round = 0;
    const run = (count: number) => handler(ids(count, String(round++)));
    expect(await sizeRatio(run, MANY / 100, MANY, 2)).toBeLessThan(1000);
  }, 4 * TIMEOUT);

  test('the corpus holds at least 40 inputs', () => {
    expect(BATCHER_CORPUS.length).toBeGreaterThanOrEqual(40);
  });
});
