import { PutObjectCommand } from '@aws-sdk/client-s3';
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
  /** Deploys the trigger as it is now and delivers Parameter Store's change event, as the rule on the configurations does. */
  const redeploy = async (config: BatchTriggerConfig, version: string) => {
    deploy(world.ssm, config, version);
    return world.lambdaHandler(CONFIGURATION_CHANGED);
  };
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
    // Prepare: one object lands, two seconds later another; the trigger comes back a minute after the second.
    const on = await offWhileLanding('bounded-age', catchUp(10, 60), ['early.csv']);
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
    await world.lambdaHandler({ flush: { triggerIds: ['flush-follows'] } });

    // Assess
    expect(whileOff).toMatchObject({ disabledAt: expect.any(Number) });
    expect(await keysOfRuns('flush-follows')).toEqual([['flush-follows/a.csv']]);
    expect(await reEnableRecord('flush-follows')).toBeUndefined();
  });

  test('a start that fails keeps the record, and the change delivered again starts the same batch once and forgets it', async () => {
    // Prepare
    const on = await offWhileLanding('start-fails', catchUp(10), ['a.csv', 'b.csv']);
    world.local.sagemaker.failNext(1, 'accessDenied');

    // Act: the change fails (Lambda delivers it again); past the start's backoff, the delivery again.
    await expect(redeploy(on, 'start-fails-on-again')).rejects.toMatchObject({ name: 'CatchUpPending' });
    const afterFailure = { runs: await keysOfRuns('start-fails'), record: await reEnableRecord('start-fails') };
    advanceClock(61_000);
    const retried = await world.lambdaHandler(CONFIGURATION_CHANGED);

    // Assess
    expect(afterFailure).toEqual({ runs: [], record: expect.objectContaining({ disabledAt: expect.any(Number), catchUpGeneration: 1 }) });
    expect(retried).toEqual({ status: 'followed' });
    expect(await keysOfRuns('start-fails')).toEqual([['start-fails/a.csv', 'start-fails/b.csv']]);
    expect(await reEnableRecord('start-fails')).toBeUndefined();
  });
});
