import type { BatchTriggerConfig } from '../../lambda/core/contracts/batch';
import { objectCreated, triggerConfig } from '../support/batcher-env';
import { BatcherHandlerWorld, captureOutput, logLines, startedFor } from '../support/handler-batcher';
import { SERVICES_TIMEOUT } from '../support/handler-harness';

jest.setTimeout(SERVICES_TIMEOUT);

/**
 * A daily cron that fires at this minute (shifted by `offsetMinutes`), in UTC: an invocation now answers its firing
 * of today, and the firing before is yesterday's. The handler reads the real clock, as deployed.
 */
function dailyAtThisMinute(offsetMinutes = 0): string {
  const at = new Date(Date.now() + offsetMinutes * 60_000);
  return `cron(${at.getUTCMinutes()} ${at.getUTCHours()} * * ? *)`;
}

function withDeadline(triggerId: string, startWithWhatArrived: boolean, overrides: Partial<BatchTriggerConfig> = {}): BatchTriggerConfig {
  return triggerConfig({ triggerId, batchSize: 10, calendar: { deadline: { schedule: dailyAtThisMinute(), timeZone: 'Etc/UTC', startWithWhatArrived } }, ...overrides });
}

function withBatchSchedule(triggerId: string): BatchTriggerConfig {
  return triggerConfig({ triggerId, batchSize: 10_000, batchWindowSeconds: 8 * 86_400, calendar: { close: { schedule: dailyAtThisMinute(), timeZone: 'Etc/UTC' } } });
}

describe('batcher handler: deadlines and batch schedules', () => {
  const world = new BatcherHandlerWorld();
  let output: string[];
  beforeAll(() => world.start());
  afterAll(() => world.stop());
  beforeEach(() => {
    output = captureOutput();
  });
  afterEach(() => jest.restoreAllMocks());

  const land = async (trigger: BatchTriggerConfig, keys: readonly string[]) => {
    for (const [index, key] of keys.entries()) await world.handler({ trigger, event: objectCreated(key, `0d${index}${trigger.triggerId.length}`) });
  };
  const stateOf = async (triggerId: string) => (await world.local.items()).find((item) => item.pk === `T#${triggerId}` && item.sk === 'STATE');
  const emfWith = (metric: string) => logLines(output).filter((line) => line._aws?.CloudWatchMetrics && metric in line);

  test('a deadline with no object since the deadline before is counted per trigger, logged, and starts nothing', async () => {
    // Prepare
    const trigger = withDeadline('deadline-missed', false);

    // Act
    const result = await world.handler({ trigger, calendar: 'deadline' });

    // Assess
    expect(result).toEqual({ status: 'fired', triggerId: 'deadline-missed', pipelineName: trigger.pipelineName, calendar: 'deadline', firing: expect.any(String), deadline: 'missed', batch: 'left-open' });
    expect(emfWith('MissedDeadlines')).toEqual([expect.objectContaining({ MissedDeadlines: 1, TriggerId: 'deadline-missed', TriggerType: 'DataArrival', service: 'DataArrivalBatcher' })]);
    // The dimension set the construct's alarm reads, exactly.
    expect(emfWith('MissedDeadlines')[0]._aws.CloudWatchMetrics[0].Dimensions.map((set: string[]) => [...set].sort())).toEqual([['TriggerId', 'TriggerType', 'service']]);
    expect(logLines(output)).toContainEqual(expect.objectContaining({ level: 'WARN', message: 'no object of the trigger arrived by its deadline', triggerId: 'deadline-missed' }));
    expect(world.runsOf('deadline-missed')).toEqual([]);
  });

  test('a deadline met leaves the open batch to its size and window, and counts nothing', async () => {
    // Prepare
    const trigger = withDeadline('deadline-met', false);
    await land(trigger, ['labels/met-1.parquet']);

    // Act
    const result = await world.handler({ trigger, calendar: 'deadline' });

    // Assess
    expect(result).toMatchObject({ status: 'fired', deadline: 'met', lastArrival: expect.any(String), batch: 'left-open' });
    expect(emfWith('MissedDeadlines')).toEqual([]);
    expect(world.runsOf('deadline-met')).toEqual([]);
    expect(await stateOf('deadline-met')).toMatchObject({ count: 1, deadlineFiredAt: expect.any(Number) });
  });

  test('a deadline that starts with what arrived starts one run with the open batch, and its repeated invocation does nothing', async () => {
    // Prepare
    const trigger = withDeadline('deadline-start', true);
    await land(trigger, ['labels/start-1.parquet', 'labels/start-2.parquet']);

    // Act
    const first = await world.handler({ trigger, calendar: 'deadline' });
    const again = await world.handler({ trigger, calendar: 'deadline' });

    // Assess
    expect(first).toMatchObject({ status: 'fired', deadline: 'met', batch: 'closed' });
    expect(again).toEqual({ status: 'duplicate', triggerId: 'deadline-start', calendar: 'deadline', firing: (first as { firing: string }).firing });
    const { executions, manifests } = await startedFor(world.local, 'deadline-start');
    expect(executions.map((e) => e.parameters.ObjectCount)).toEqual(['2']);
    expect(manifests[0].map((line) => line.key)).toEqual(['labels/start-1.parquet', 'labels/start-2.parquet']);
    expect(await stateOf('deadline-start')).toMatchObject({ count: 0, generation: 2, unfinished: {} });
  });

  test('two deliveries of one firing at once start one run: one acts, the other finds it acted on', async () => {
    // Prepare
    const trigger = withDeadline('deadline-twice', true);
    await land(trigger, ['labels/twice-1.parquet', 'labels/twice-2.parquet', 'labels/twice-3.parquet']);

    // Act
    const results = await Promise.all([world.handler({ trigger, calendar: 'deadline' }), world.handler({ trigger, calendar: 'deadline' })]);

    // Assess
    expect(results.map((result) => result.status).sort()).toEqual(['duplicate', 'fired']);
    expect(world.runsOf('deadline-twice').map((e) => e.parameters.ObjectCount)).toEqual(['3']);
  });

  test('a deadline that starts with what arrived finds an empty batch, starts nothing and logs it', async () => {
    // Prepare
    const trigger = withDeadline('deadline-empty', true);

    // Act
    const result = await world.handler({ trigger, calendar: 'deadline' });
    const later = await world.handler({ trigger, event: objectCreated('labels/after.parquet', '0e01') });

    // Assess
    expect(result).toMatchObject({ status: 'fired', deadline: 'missed', batch: 'empty' });
    expect(logLines(output)).toContainEqual(expect.objectContaining({ message: 'started nothing at the deadline: the open batch is empty', triggerId: 'deadline-empty' }));
    expect(later).toEqual({ status: 'accepted' }); // the state the firing recorded takes objects as the batcher's own
    expect(world.runsOf('deadline-empty')).toEqual([]);
  });

  test('an invocation at a time that is no firing of the deployed schedule is rejected with the field, and changes nothing', async () => {
    // Prepare: the deployed deadline fires six hours from now.
    const trigger = withDeadline('deadline-forged', true, { calendar: { deadline: { schedule: dailyAtThisMinute(360), timeZone: 'Etc/UTC', startWithWhatArrived: true } } });
    await land(trigger, ['labels/forged-1.parquet']);
    const before = await stateOf('deadline-forged');

    // Act
    const result = await world.handler({ trigger, calendar: 'deadline' });

    // Assess
    expect(result).toEqual({ status: 'rejected', error: { field: 'calendar', problem: expect.stringContaining('not within 15 minutes after a firing') } });
    expect(logLines(output)).toContainEqual(expect.objectContaining({ level: 'ERROR', field: 'calendar' }));
    expect(await stateOf('deadline-forged')).toEqual(before);
    expect(emfWith('MissedDeadlines')).toEqual([]);
    expect(world.runsOf('deadline-forged')).toEqual([]);
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['a calendar the trigger does not have', { trigger: triggerConfig({ triggerId: 'no-calendar' }), calendar: 'deadline' }, 'calendar'],
    ['a calendar that is not one', { trigger: withDeadline('odd-calendar', false), calendar: 'everything' }, 'calendar'],
    ['no trigger id', { calendar: 'close' }, 'triggerId'],
  ])('an invocation with %s is rejected with the field named', async (_what, input, field) => {
    // Act
    const result = await world.handler(input);

    // Assess
    expect(result).toEqual({ status: 'rejected', error: { field, problem: expect.any(String) } });
  });

  test('a batch schedule firing with objects waiting starts one run with them, and one without starts nothing and counts a skip', async () => {
    // Prepare
    const withData = withBatchSchedule('weekly-with-data');
    const without = withBatchSchedule('weekly-without-data');
    await land(withData, ['labels/w-1.parquet', 'labels/w-2.parquet', 'labels/w-3.parquet']);

    // Act
    const closed = await world.handler({ trigger: withData, calendar: 'close' });
    const skipped = await world.handler({ trigger: without, calendar: 'close' });
    const repeated = await world.handler({ trigger: without, calendar: 'close' });

    // Assess
    expect(closed).toMatchObject({ status: 'fired', calendar: 'close', batch: 'closed' });
    expect(skipped).toMatchObject({ status: 'fired', calendar: 'close', batch: 'empty' });
    expect(repeated).toMatchObject({ status: 'duplicate' });
    expect(world.runsOf('weekly-with-data').map((e) => e.parameters.ObjectCount)).toEqual(['3']);
    expect(world.runsOf('weekly-without-data')).toEqual([]);
    expect(emfWith('BatchFiringsSkipped')).toEqual([expect.objectContaining({ BatchFiringsSkipped: 1, TriggerId: 'weekly-without-data' })]);
  });
});
