import { CATCH_UP_NOTICE_MS, parseScheduledCheckConfig } from '../../lambda/core/contracts/scheduled-check';
import { decideCatchUp, missedFirings, startedSince, type CatchUpSchedule } from '../../lambda/core/scheduled-catch-up';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const off = (from: string, to: string) => ({ disabledAtMs: at(from), enabledAtMs: at(to) });
const berlin = (schedule: string): CatchUpSchedule => ({ schedule, timeZone: 'Europe/Berlin' });

describe('the firings a schedule missed while off', () => {
  test('a daily cron in Berlin across the day clocks go forward: each at 03:00 local, the latest an hour earlier in UTC', () => {
    // Prepare: EU summer time starts on 2027-03-28
    const period = off('2027-03-26T00:00:00Z', '2027-03-29T00:00:00Z');

    // Act
    const missed = missedFirings(berlin('cron(0 3 * * ? *)'), period, 0);

    // Assess
    expect(missed).toEqual({ latestMs: at('2027-03-28T01:00:00Z'), count: 3 });
  });

  test('a cron time daylight saving time skips does not fire: the firing before it is the latest missed', () => {
    // Prepare: 02:30 does not exist in Berlin on 2027-03-28
    const schedule = berlin('cron(30 2 * * ? *)');

    // Act
    const both = missedFirings(schedule, off('2027-03-27T00:00:00Z', '2027-03-28T12:00:00Z'), 0);
    const onlyTheGap = missedFirings(schedule, off('2027-03-27T12:00:00Z', '2027-03-28T12:00:00Z'), 0);

    // Assess
    expect(both).toEqual({ latestMs: at('2027-03-27T01:30:00Z'), count: 1 });
    expect(onlyTheGap).toBeUndefined();
  });

  test('a rate counts every full interval off from when it went off', () => {
    // Prepare
    const schedule = { schedule: 'rate(6 hours)', timeZone: 'Etc/UTC' };

    // Act
    const twentyHours = missedFirings(schedule, { disabledAtMs: 0, enabledAtMs: 20 * HOUR }, -Infinity);
    const fiveHours = missedFirings(schedule, { disabledAtMs: 0, enabledAtMs: 5 * HOUR }, -Infinity);
    const oneMinute = missedFirings({ schedule: 'rate(1 minute)', timeZone: 'Etc/UTC' }, { disabledAtMs: 0, enabledAtMs: 150_000 }, -Infinity);

    // Assess
    expect(twentyHours).toEqual({ latestMs: 18 * HOUR, count: 3 });
    expect(fiveHours).toBeUndefined();
    expect(oneMinute).toEqual({ latestMs: 120_000, count: 2 });
  });

  test('a one-time schedule whose time fell while off counts as missed; one outside the period does not', () => {
    // Prepare: 09:00 in Berlin in June is 07:00 UTC
    const schedule = berlin('at(2027-06-01T09:00:00)');

    // Act
    const during = missedFirings(schedule, off('2027-05-31T00:00:00Z', '2027-06-02T00:00:00Z'), 0);
    const after = missedFirings(schedule, off('2027-05-30T00:00:00Z', '2027-06-01T06:59:00Z'), 0);

    // Assess
    expect(during).toEqual({ latestMs: at('2027-06-01T07:00:00Z'), count: 1 });
    expect(after).toBeUndefined();
  });

  test("no firing before the schedule's startDate or after its endDate counts", () => {
    // Prepare
    const period = off('2027-04-01T00:00:00Z', '2027-04-11T00:00:00Z');
    const daily = { schedule: 'cron(0 12 * * ? *)', timeZone: 'Etc/UTC' };

    // Act
    const ended = missedFirings({ ...daily, endMs: at('2027-04-03T12:00:00Z') }, period, 0);
    const started = missedFirings({ ...daily, startMs: at('2027-04-09T13:00:00Z') }, period, 0);

    // Assess
    expect(ended).toEqual({ latestMs: at('2027-04-03T12:00:00Z'), count: 3 });
    expect(started).toEqual({ latestMs: at('2027-04-10T12:00:00Z'), count: 1 });
  });
});

describe('what a change of the configurations decides for a trigger that catches up', () => {
  const daily = { schedule: 'cron(0 12 * * ? *)', timeZone: 'Etc/UTC' };
  const versions = (from: string, to: string) => ({ offMs: at(from), onMs: at(to) });

  test('one run named by the latest missed firing, only firings within maxAge of the re-enabling counting', () => {
    // Prepare: off 10 days, maxAge 3 days
    const enabled = '2027-04-11T00:00:00Z';

    // Act
    const decision = decideCatchUp(versions('2027-04-01T00:00:00Z', enabled), daily, 3 * 86_400, at(enabled) + 60_000);

    // Assess
    expect(decision).toEqual({
      action: 'catch-up',
      off: off('2027-04-01T00:00:00Z', enabled),
      missed: { latestMs: at('2027-04-10T12:00:00Z'), count: 3 },
      occasion: 'catch-up#2027-04-10T12:00:00.000Z',
    });
  });

  test('nothing when every missed firing is older than maxAge, or none fell while off', () => {
    expect(decideCatchUp(versions('2027-04-01T00:00:00Z', '2027-04-11T11:00:00Z'), daily, 60, at('2027-04-11T11:00:00Z'))).toMatchObject({ action: 'none', reason: 'nothing-missed' });
    expect(decideCatchUp(versions('2027-04-01T13:00:00Z', '2027-04-02T11:00:00Z'), daily, 86_400, at('2027-04-02T11:00:00Z'))).toMatchObject({ action: 'none', reason: 'nothing-missed' });
  });

  test('nothing when never disabled, disabled again before the change is seen, or when the re-enabling is older than a delivery can be', () => {
    expect(decideCatchUp(undefined, daily, 7 * 86_400, at('2027-04-05T00:02:00Z'))).toEqual({ action: 'none', reason: 'never-disabled' });
    expect(decideCatchUp({ offMs: at('2027-04-05T00:01:00Z') }, daily, 7 * 86_400, at('2027-04-05T00:02:00Z'))).toEqual({ action: 'none', reason: 'still-disabled' });
    expect(decideCatchUp(versions('2027-04-01T00:00:00Z', '2027-04-05T00:00:00Z'), daily, 7 * 86_400, at('2027-04-05T00:00:00Z') + CATCH_UP_NOTICE_MS + 1)).toMatchObject({ action: 'none', reason: 'noticed-late' });
  });

  test('an execution that started at or after the latest missed firing makes the run unneeded; one before it does not', () => {
    const missedMs = at('2027-04-10T12:00:00Z');
    const execution = (startMs: number) => ({ executionArn: 'arn:x', status: 'Succeeded', startMs });
    expect(startedSince(missedMs, execution(missedMs))).toEqual(execution(missedMs));
    expect(startedSince(missedMs, execution(missedMs - 1))).toBeUndefined();
    expect(startedSince(missedMs, undefined)).toBeUndefined();
  });
});

describe("a scheduled trigger's catch-up configuration", () => {
  const base = { triggerId: 'nightly', pipelineName: 'churn', schedule: 'cron(0 3 * * ? *)', parameters: {} };

  test('reads a trigger written only for its catch-up, and refuses one with neither a window nor a catch-up', () => {
    const whenReEnabled = { mode: 'catch-up', maxAgeSeconds: 86_400, timeZone: 'Europe/Berlin' };
    expect(parseScheduledCheckConfig({ ...base, enabled: false, whenReEnabled })).toEqual({ ok: true, value: { ...base, parameters: [], enabled: false, whenReEnabled } });
    expect(parseScheduledCheckConfig({ ...base, whenReEnabled })).toEqual({ ok: true, value: { ...base, parameters: [], whenReEnabled } });
    expect(parseScheduledCheckConfig(base)).toEqual({ ok: false, error: { field: 'trigger.withinSeconds', problem: 'must be present when whenReEnabled is not' } });
  });

  test.each([
    [{ mode: 'skip', timeZone: 'Etc/UTC', maxAgeSeconds: 60 }, 'trigger.whenReEnabled.mode'],
    [{ mode: 'catch-up', maxAgeSeconds: 60 }, 'trigger.whenReEnabled.timeZone'],
    [{ mode: 'catch-up', timeZone: 'Etc/UTC', maxAgeSeconds: 15 * 86_400 }, 'trigger.whenReEnabled.maxAgeSeconds'],
    [{ mode: 'catch-up', timeZone: 'Etc/UTC', maxAgeSeconds: 60, startDate: 'soon' }, 'trigger.whenReEnabled.startDate'],
  ])('a catch-up %j is refused naming %s', (whenReEnabled, field) => {
    expect(parseScheduledCheckConfig({ ...base, whenReEnabled })).toMatchObject({ ok: false, error: { field } });
  });

  test('an enabled that is not a boolean is refused', () => {
    expect(parseScheduledCheckConfig({ ...base, withinSeconds: 3600, enabled: 'no' })).toMatchObject({ ok: false, error: { field: 'trigger.enabled' } });
  });
});
