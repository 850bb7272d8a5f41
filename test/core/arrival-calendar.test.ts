import { calendarAction, deadlineMissed, firingAnswered, instantAtWallClock, previousFiring } from '../../lambda/core/arrival-calendar';
import { parseArrivalCalendar, parseCalendarInvocation } from '../../lambda/core/contracts/arrival-calendar';

// Berlin changed to summer time on Sunday 31 March 2024 (02:00 CET -> 03:00 CEST) and back on
// Sunday 27 October 2024 (03:00 CEST -> 02:00 CET); 29 March 2024 is a Friday, 1 April a Monday.
const WEEKDAYS_AT_6 = { schedule: 'cron(0 6 ? * MON-FRI *)', timeZone: 'Europe/Berlin' };
const DAILY_AT_0230 = { schedule: 'cron(30 2 * * ? *)', timeZone: 'Europe/Berlin' };
const at = (iso: string) => Date.parse(iso);
const answered = (schedule: typeof WEEKDAYS_AT_6, iso: string) => {
  const firing = firingAnswered(schedule, at(iso));
  return firing.ok ? new Date(firing.value).toISOString() : firing.error;
};

describe('which firing an invocation answers', () => {
  test.each([
    ['at the firing', '2024-03-29T05:00:00Z', '2024-03-29T05:00:00.000Z'],
    ['within the minute Scheduler invokes in', '2024-03-29T05:00:59Z', '2024-03-29T05:00:00.000Z'],
    ['fourteen minutes late, as a retry may be', '2024-03-29T05:14:00Z', '2024-03-29T05:00:00.000Z'],
    ['a few seconds early, for clocks that disagree', '2024-03-29T04:59:57Z', '2024-03-29T05:00:00.000Z'],
    ['06:00 summer time, an hour earlier in UTC', '2024-04-01T04:00:30Z', '2024-04-01T04:00:00.000Z'],
  ])('an invocation %s answers the firing', (_what, now, firing) => {
    expect(answered(WEEKDAYS_AT_6, now)).toBe(firing);
  });

  test.each([
    ['in the afternoon', '2024-03-29T13:37:00Z'],
    ['sixteen minutes after the firing', '2024-03-29T05:16:00Z'],
    ['at 06:00 UTC on a summer-time Monday, which is 08:00 in Berlin', '2024-04-01T06:00:00Z'],
    ['at 06:00 Berlin on a Saturday', '2024-03-30T05:00:00Z'],
  ])('an invocation %s is refused on the calendar field, naming the schedule and zone', (_what, now) => {
    expect(answered(WEEKDAYS_AT_6, now)).toEqual({ field: 'calendar', problem: expect.stringContaining('cron(0 6 ? * MON-FRI *) in Europe/Berlin') });
  });

  test('a wall-clock time that the change to summer time skips never fires, and its invocation is refused', () => {
    // 02:30 does not exist in Berlin on 31 March 2024: 01:30Z is 03:30 CEST.
    expect(answered(DAILY_AT_0230, '2024-03-31T01:30:30Z')).toEqual(expect.objectContaining({ field: 'calendar' }));
    expect(answered(DAILY_AT_0230, '2024-03-31T00:30:30Z')).toEqual(expect.objectContaining({ field: 'calendar' }));
  });

  test('a wall-clock time that the change back repeats fires once, at its first occurrence', () => {
    expect(answered(DAILY_AT_0230, '2024-10-27T00:30:10Z')).toBe('2024-10-27T00:30:00.000Z');
    expect(answered(DAILY_AT_0230, '2024-10-27T01:30:10Z')).toEqual(expect.objectContaining({ field: 'calendar' }));
  });
});

describe('the firing before', () => {
  test('of a Monday deadline is the Friday before, across the change to summer time', () => {
    expect(new Date(previousFiring(WEEKDAYS_AT_6, at('2024-04-01T04:00:00Z'))!).toISOString()).toBe('2024-03-29T05:00:00.000Z');
  });

  test('of the day after a skipped 02:30 is two days back', () => {
    expect(new Date(previousFiring(DAILY_AT_0230, at('2024-04-01T00:30:00Z'))!).toISOString()).toBe('2024-03-30T01:30:00.000Z');
  });

  test('of a yearly schedule is a year back, and of a schedule that never fired before is none', () => {
    const yearly = { schedule: 'cron(0 6 1 JAN ? *)', timeZone: 'Europe/Berlin' };
    const once = { schedule: 'cron(0 6 1 JAN ? 2027)', timeZone: 'Europe/Berlin' };

    expect(new Date(previousFiring(yearly, at('2027-01-01T05:00:00Z'))!).toISOString()).toBe('2026-01-01T05:00:00.000Z');
    expect(previousFiring(once, at('2027-01-01T05:00:00Z'))).toBeUndefined();
  });

  test('maps wall-clock times to instants as Berlin reads them', () => {
    expect(instantAtWallClock('Europe/Berlin', Date.UTC(2024, 0, 15, 6))).toBe(at('2024-01-15T05:00:00Z'));
    expect(instantAtWallClock('Europe/Berlin', Date.UTC(2024, 2, 31, 2, 30))).toBeUndefined();
    expect(instantAtWallClock('Europe/Berlin', Date.UTC(2024, 9, 27, 2, 30))).toBe(at('2024-10-27T00:30:00Z'));
  });
});

describe('whether data missed the deadline', () => {
  const previous = at('2024-03-28T05:00:00Z');

  test.each<[string, number | undefined, number | undefined, boolean]>([
    ['no object ever', undefined, previous, true],
    ['the last object before the deadline before', at('2024-03-28T04:59:00Z'), previous, true],
    ['the last object at the deadline before', previous, previous, true],
    ['an object since the deadline before', at('2024-03-28T17:00:00Z'), previous, false],
    ['an object placed between the firing and its invocation', at('2024-03-29T05:00:20Z'), previous, false],
    ['an object, on the first deadline a schedule ever has', at('2024-03-28T17:00:00Z'), undefined, false],
    ['no object, on the first deadline a schedule ever has', undefined, undefined, true],
  ])('%s: missed is %s', (_what, lastArrival, previousFiringMs, missed) => {
    expect(deadlineMissed(lastArrival, previousFiringMs)).toBe(missed);
  });
});

describe('what a firing does', () => {
  const firingMs = at('2024-03-29T05:00:00Z');
  const deadline = (startWithWhatArrived: boolean) => ({ ...WEEKDAYS_AT_6, startWithWhatArrived });

  test.each<[string, ReturnType<typeof calendarAction>, Parameters<typeof calendarAction>[0]]>([
    ['a batch schedule with objects waiting', 'close', { kind: 'close', firingMs, openCount: 3 }],
    ['a batch schedule with an empty batch', 'record', { kind: 'close', firingMs, openCount: 0 }],
    ['a deadline that starts with what arrived', 'close', { kind: 'deadline', firingMs, openCount: 2, deadline: deadline(true) }],
    ['a deadline that starts with what arrived, with nothing open', 'record', { kind: 'deadline', firingMs, openCount: 0, deadline: deadline(true) }],
    ['a deadline that only watches', 'record', { kind: 'deadline', firingMs, openCount: 2, deadline: deadline(false) }],
    ['a firing acted on before', 'already-acted', { kind: 'close', firingMs, actedOnMs: firingMs, openCount: 3 }],
    ['a firing older than the one acted on', 'already-acted', { kind: 'deadline', firingMs, actedOnMs: firingMs + 86_400_000, openCount: 0, deadline: deadline(false) }],
    ['a firing after the one acted on', 'close', { kind: 'close', firingMs, actedOnMs: firingMs - 86_400_000, openCount: 1 }],
  ])('%s: %s', (_what, action, firing) => {
    expect(calendarAction(firing)).toBe(action);
  });
});

describe('the calendar contract', () => {
  test('reads a deployed calendar back as written', () => {
    const calendar = { deadline: { ...WEEKDAYS_AT_6, startWithWhatArrived: true }, close: { schedule: 'cron(0 3 ? * MON *)', timeZone: 'Europe/Berlin' } };

    expect(parseArrivalCalendar(calendar)).toEqual({ ok: true, value: calendar });
    expect(parseArrivalCalendar(undefined)).toEqual({ ok: true, value: undefined });
  });

  test.each<[string, unknown, string]>([
    ['a rate', { close: { schedule: 'rate(1 hour)', timeZone: 'UTC' } }, 'trigger.calendar.close.schedule'],
    ['a cron with five fields', { close: { schedule: 'cron(0 3 * * ?)', timeZone: 'UTC' } }, 'trigger.calendar.close.schedule'],
    ['an unknown zone', { deadline: { schedule: 'cron(0 6 * * ? *)', timeZone: 'Mars/Olympus', startWithWhatArrived: false } }, 'trigger.calendar.deadline.timeZone'],
    ['no startWithWhatArrived', { deadline: { schedule: 'cron(0 6 * * ? *)', timeZone: 'UTC' } }, 'trigger.calendar.deadline.startWithWhatArrived'],
  ])('refuses %s, naming the field', (_what, calendar, field) => {
    expect(parseArrivalCalendar(calendar)).toEqual({ ok: false, error: { field, problem: expect.any(String) } });
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['no trigger id', { calendar: 'close' }, 'triggerId'],
    ['another calendar', { triggerId: 't', calendar: 'flush' }, 'calendar'],
  ])('an invocation with %s is refused, naming the field', (_what, input, field) => {
    expect(parseCalendarInvocation(input)).toEqual({ ok: false, error: { field, problem: expect.any(String) } });
  });
});
