import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { RULE_SETTLE_MS } from '../../lambda/aws/batcher/re-enable';
import type { BatchTriggerConfig } from '../../lambda/core/contracts/batch';
import { CONFIGURATION_CHANGED, type ReEnablePolicy } from '../../lambda/core/contracts/re-enable';
import { DATA_BUCKET, objectCreated, triggerConfig } from '../support/batcher-env';
import { advanceClock, BatcherHandlerWorld, captureOutput, startedFor } from '../support/handler-batcher';
import { deploy } from '../support/handler-deployment';
import { SERVICES_TIMEOUT } from '../support/handler-harness';

jest.setTimeout(SERVICES_TIMEOUT);

const catchUp = (maxObjects: number, maxAgeSeconds = 86_400): ReEnablePolicy => ({ mode: 'catch-up', maxObjects, maxAgeSeconds });
/** S3 keeps modification times to the second: waiting this long puts what lands next in a later second. */
const NEXT_SECOND_MS = 1100;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('batcher following a data-arrival trigger turned off and back on', () => {
  const world = new BatcherHandlerWorld();
  beforeAll(() => world.start(), SERVICES_TIMEOUT);
  afterAll(() => world.stop(), SERVICES_TIMEOUT);
  beforeEach(() => captureOutput());
  afterEach(() => jest.restoreAllMocks());

  /** Lands objects in the data bucket, as an upload does while nothing may be listening. */
  const land = async (...keys: string[]) => {
    for (const key of keys) await world.local.s3.send(new PutObjectCommand({ Bucket: DATA_BUCKET, Key: key, Body: `data of ${key}` }));
  };
  /**
   * Deploys the trigger as it is now and delivers Parameter Store's change event, as the rule on the configurations
   * does; a trigger enabled again is delivered the change once its rule delivers again (the clock moved past it).
   */
  const redeploy = async (config: BatchTriggerConfig, version: string) => {
    const wasOff = await reEnableRecord(config.triggerId);
    deploy(world.ssm, config, version);
    if (wasOff && config.enabled !== false) advanceClock(RULE_SETTLE_MS);
    return world.lambdaHandler(CONFIGURATION_CHANGED);
  };
  /** The event S3 sends for an object `land` put: its ETag that of its content, its time now. */
  const delivered = (key: string) => objectCreated(key, createHash('md5').update(key).digest('hex').slice(0, 16), undefined, {
    etag: createHash('md5').update(`data of ${key}`).digest('hex'),
    time: new Date(Math.floor(Date.now() / 1000) * 1000).toISOString(),
  });
  const reEnableRecord = async (triggerId: string) => (await world.local.items()).find((item) => item.pk === `T#${triggerId}` && item.sk === 'REENABLE');
  const keysOfRuns = async (triggerId: string) => (await startedFor(world.local, triggerId)).manifests.map((lines) => lines.map((line) => line.key));

  /** A trigger on its own prefix: deployed on, then off with the objects landing meanwhile; `old` landed before it went off. */
  async function offWhileLanding(triggerId: string, whenReEnabled: ReEnablePolicy | undefined, keys: readonly string[]) {
    const on = triggerConfig({ triggerId, batchSize: 10, source: { bucket: DATA_BUCKET, prefix: `${triggerId}/` }, ...(whenReEnabled ? { whenReEnabled } : {}) });
    await redeploy(on, `${triggerId}-on`);
    await land(`${triggerId}/old.csv`);
    await pause(NEXT_SECOND_MS);
    await redeploy({ ...on, enabled: false }, `${triggerId}-off`);
    await land(...keys.map((key) => `${triggerId}/${key}`));
    return on;
  }

  test('enabled again with catch-up, starts exactly one batch of exactly the objects that landed while it was off; a repeated change starts nothing', async () => {
    // Prepare
    const on = await offWhileLanding('caught-up', catchUp(10), ['a.csv', 'b.csv', 'c.csv']);
    const whileOff = await reEnableRecord('caught-up');

    // Act
    const first = await redeploy(on, 'caught-up-on-again');
    const runsAfterFirst = await keysOfRuns('caught-up');
    const again = await world.lambdaHandler({ ...CONFIGURATION_CHANGED, triggerIds: ['caught-up'], forged: true });

    // Assess
    expect(whileOff).toEqual({ pk: 'T#caught-up', sk: 'REENABLE', disabledAt: expect.any(Number) });
    expect([first, again]).toEqual([{ status: 'followed' }, { status: 'followed' }]);
    expect(runsAfterFirst).toEqual([['caught-up/a.csv', 'caught-up/b.csv', 'caught-up/c.csv']]);
    expect(await keysOfRuns('caught-up')).toEqual(runsAfterFirst);
    expect(await reEnableRecord('caught-up')).toBeUndefined();
  });

  test('an object delivered by the rule before the catch-up is counted once, in its own batch; the catch-up takes the others', async () => {
    // Prepare: one object waits in the open batch, delivered before the trigger went off but after the old one.
    const on = triggerConfig({ triggerId: 'waiting', batchSize: 10, source: { bucket: DATA_BUCKET, prefix: 'waiting/' }, whenReEnabled: catchUp(10) });
    await redeploy(on, 'waiting-on');
    await world.lambdaHandler({ triggerId: 'waiting', event: objectCreated('waiting/live.csv', '0a01') });
    await pause(NEXT_SECOND_MS);
    await redeploy({ ...on, enabled: false }, 'waiting-off');
    await land('waiting/x.csv', 'waiting/y.csv');

    // Act
    await redeploy(on, 'waiting-on-again');

    // Assess: the waiting batch is sealed apart and started with the catch-up's.
    expect((await keysOfRuns('waiting')).sort()).toEqual([['waiting/live.csv'], ['waiting/x.csv', 'waiting/y.csv']]);
  });

  test('a catch-up holds at most maxObjects, the first in key order', async () => {
    // Prepare
    const on = await offWhileLanding('bounded-count', catchUp(2), ['e.csv', 'd.csv', 'f.csv', 'g.csv']);

    // Act
    await redeploy(on, 'bounded-count-on-again');

    // Assess
    expect(await keysOfRuns('bounded-count')).toEqual([['bounded-count/d.csv', 'bounded-count/e.csv']]);
  });

  test('a catch-up takes nothing older than maxAge', async () => {
    // Prepare: one object lands, two seconds later another; the trigger comes back a minute after the second, and
    // its catch-up lists once the rule delivers again, another minute on.
    const on = await offWhileLanding('bounded-age', catchUp(10, 120), ['early.csv']);
    await pause(2 * NEXT_SECOND_MS);
    await land('bounded-age/late.csv');
    advanceClock(60_000 - 500);

    // Act
    await redeploy(on, 'bounded-age-on-again');

    // Assess
    expect(await keysOfRuns('bounded-age')).toEqual([['bounded-age/late.csv']]);
  });

  test('enabled again with skip, starts nothing and forgets when it went off', async () => {
    // Prepare
    const on = await offWhileLanding('skipping', undefined, ['a.csv', 'b.csv']);
    const whileOff = await reEnableRecord('skipping');

    // Act
    const result = await redeploy(on, 'skipping-on-again');

    // Assess
    expect(result).toEqual({ status: 'followed' });
    expect(whileOff).toBeDefined();
    expect(await keysOfRuns('skipping')).toEqual([]);
    expect(await reEnableRecord('skipping')).toBeUndefined();
  });

  test('a change the rule never delivered (the rule created in the same deployment) is followed by the next flush of the new deployment', async () => {
    // Prepare: the trigger is deployed disabled, with catch-up, and no change event arrives.
    const on = triggerConfig({ triggerId: 'flush-follows', batchSize: 10, source: { bucket: DATA_BUCKET, prefix: 'flush-follows/' }, whenReEnabled: catchUp(10) });
    deploy(world.ssm, { ...on, enabled: false }, 'flush-follows-off');

    // Act: a flush under that deployment; objects land; a flush under the deployment that enables it again.
    await world.lambdaHandler({ flush: { triggerIds: ['flush-follows'] } });
    const whileOff = await reEnableRecord('flush-follows');
    await land('flush-follows/a.csv');
    deploy(world.ssm, on, 'flush-follows-on-again');
    const tooEarly = await world.lambdaHandler({ flush: { triggerIds: ['flush-follows'] } });
    const runsTooEarly = await keysOfRuns('flush-follows');
    advanceClock(RULE_SETTLE_MS);
    await world.lambdaHandler({ flush: { triggerIds: ['flush-follows'] } });

    // Assess
    expect(whileOff).toMatchObject({ disabledAt: expect.any(Number) });
    expect([tooEarly, runsTooEarly]).toEqual([{ status: 'flushed' }, []]);
    expect(await keysOfRuns('flush-follows')).toEqual([['flush-follows/a.csv']]);
    expect(await reEnableRecord('flush-follows')).toBeUndefined();
  });

  test('a start that fails keeps the record; past the start\'s backoff, the flush starts the same batch once and forgets it', async () => {
    // Prepare
    const on = await offWhileLanding('start-fails', catchUp(10), ['a.csv', 'b.csv']);
    world.local.sagemaker.failNext(1, 'accessDenied');

    // Act: the change waits for the batch's start, which the batcher retries; past the start's backoff, a flush.
    const waiting = await redeploy(on, 'start-fails-on-again');
    const afterFailure = { runs: await keysOfRuns('start-fails'), record: await reEnableRecord('start-fails') };
    advanceClock(61_000);
    const retried = await world.lambdaHandler({ flush: { triggerIds: ['start-fails'] } });

    // Assess
    expect(waiting).toEqual({ status: 'waiting' });
    expect(afterFailure).toEqual({ runs: [], record: expect.objectContaining({ disabledAt: expect.any(Number), catchUpGeneration: 1 }) });
    expect(retried).toEqual({ status: 'flushed' });
    expect(await keysOfRuns('start-fails')).toEqual([['start-fails/a.csv', 'start-fails/b.csv']]);
    expect(await reEnableRecord('start-fails')).toBeUndefined();
  });

  test('an upload landing after the deployment turned the trigger off, before the batcher heard of it, is caught up', async () => {
    // Prepare: the configuration is written off and the upload lands; only then does the change reach the batcher.
    const on = triggerConfig({ triggerId: 'heard-late', batchSize: 10, source: { bucket: DATA_BUCKET, prefix: 'heard-late/' }, whenReEnabled: catchUp(10) });
    await redeploy(on, 'heard-late-on');
    await pause(NEXT_SECOND_MS);
    deploy(world.ssm, { ...on, enabled: false }, 'heard-late-off');
    await land('heard-late/early.csv');
    await pause(NEXT_SECOND_MS);
    await world.lambdaHandler(CONFIGURATION_CHANGED);

    // Act
    await redeploy(on, 'heard-late-on-again');

    // Assess
    expect(await keysOfRuns('heard-late')).toEqual([['heard-late/early.csv']]);
  });

  test('an upload the rule delivers once it is back on, before the catch-up lists it, is counted once, in its own batch', async () => {
    // Prepare
    const on = await offWhileLanding('both-paths', catchUp(10), ['a.csv']);
    deploy(world.ssm, on, 'both-paths-on-again');
    advanceClock(RULE_SETTLE_MS);
    await land('both-paths/late.csv');
    const live = await world.lambdaHandler({ triggerId: 'both-paths', event: delivered('both-paths/late.csv') });

    // Act
    await world.lambdaHandler(CONFIGURATION_CHANGED);

    // Assess
    expect(live).toEqual({ status: 'accepted' });
    expect((await keysOfRuns('both-paths')).sort()).toEqual([['both-paths/a.csv'], ['both-paths/late.csv']]);
  });

  test('an upload the catch-up listed, delivered by the rule afterwards, is counted once; the same content uploaded again later counts again', async () => {
    // Prepare
    const on = await offWhileLanding('listed-first', catchUp(10), ['a.csv']);
    deploy(world.ssm, on, 'listed-first-on-again');
    advanceClock(RULE_SETTLE_MS);
    await land('listed-first/late.csv');
    const lateEvent = delivered('listed-first/late.csv');
    await pause(NEXT_SECOND_MS);
    await world.lambdaHandler(CONFIGURATION_CHANGED);

    // Act: the rule's delivery of the listed upload, then an upload of the same content after the listing.
    const redelivered = await world.lambdaHandler({ triggerId: 'listed-first', event: lateEvent });
    await pause(NEXT_SECOND_MS);
    const uploadedAgain = await world.lambdaHandler({ triggerId: 'listed-first', event: delivered('listed-first/late.csv') });
    await world.lambdaHandler({ flush: { triggerIds: ['listed-first'] } });

    // Assess
    expect([redelivered, uploadedAgain]).toEqual([{ status: 'duplicate' }, { status: 'accepted' }]);
    expect(await keysOfRuns('listed-first')).toEqual([['listed-first/a.csv', 'listed-first/late.csv']]);
  });

  test('a change seen before the rule can deliver again waits for it: the flush schedule lists once it does', async () => {
    // Prepare
    const on = await offWhileLanding('too-early', catchUp(10), ['a.csv']);
    deploy(world.ssm, on, 'too-early-on-again');

    // Act
    const early = await world.lambdaHandler(CONFIGURATION_CHANGED);
    const runsEarly = await keysOfRuns('too-early');
    advanceClock(RULE_SETTLE_MS);
    const later = await world.lambdaHandler({ flush: { triggerIds: ['too-early'] } });

    // Assess: the change is not failed (nothing is wrong); the next flush catches up.
    expect([early, runsEarly, later]).toEqual([{ status: 'waiting' }, [], { status: 'flushed' }]);
    expect(await keysOfRuns('too-early')).toEqual([['too-early/a.csv']]);
  });
});
