import { Duration } from 'aws-cdk-lib';
import { parseCron } from '../lambda/core/cron';
import { cronFirings } from '../lambda/core/cron-firings';
import { TriggerSchedule } from '../lib';
import { logicAppsRecurrence, RECURRENCE_START_TIME, RECURRENCE_WEEKDAYS, type LogicAppsRecurrence } from '../lib/azure/logic-app-recurrence';

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 1440 * MS_PER_MINUTE;
const ZONE = 'W. Europe Standard Time';

/**
 * The wall-clock firings (epoch milliseconds with UTC arithmetic, as cronFirings counts) of a Day, Week or Month
 * recurrence of interval 1, as Logic Apps documents its schedule: on each day the frequency and the day lists select,
 * at every combination of `hours` and `minutes`.
 */
function recurrenceFirings(recurrence: LogicAppsRecurrence, fromMs: number, count: number): number[] {
  const { schedule } = recurrence;
  if (!schedule || recurrence.interval !== 1) throw new Error('the evaluator reads schedules of interval 1 only');
  const times = schedule.hours.flatMap((hour) => schedule.minutes.map((minute) => (hour * 60 + minute) * MS_PER_MINUTE)).sort((a, b) => a - b);
  const firings: number[] = [];
  for (let day = Math.floor(fromMs / MS_PER_DAY); firings.length < count && day < fromMs / MS_PER_DAY + 4 * 366; day++) {
    const date = new Date(day * MS_PER_DAY);
    const selected =
      recurrence.frequency === 'Day' ||
      (recurrence.frequency === 'Week' && (schedule.weekDays ?? []).includes(RECURRENCE_WEEKDAYS[date.getUTCDay()])) ||
      (recurrence.frequency === 'Month' && (schedule.monthDays ?? []).includes(date.getUTCDate()));
    if (!selected) continue;
    for (const time of times) {
      if (day * MS_PER_DAY + time >= fromMs && firings.length < count) firings.push(day * MS_PER_DAY + time);
    }
  }
  return firings;
}

describe('logicAppsRecurrence from a cron expression', () => {
  test.each([
    ['0 3 ? * MON *', 'Week', { hours: [3], minutes: [0], weekDays: ['Monday'] }],
    ['0 3 * * ? *', 'Day', { hours: [3], minutes: [0] }],
    ['*/15 * * * ? *', 'Day', { hours: Array.from({ length: 24 }, (_, hour) => hour), minutes: [0, 15, 30, 45] }],
    ['30 6,18 ? * MON-FRI *', 'Week', { hours: [6, 18], minutes: [30], weekDays: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'] }],
    ['0 9 ? * SAT,SUN *', 'Week', { hours: [9], minutes: [0], weekDays: ['Sunday', 'Saturday'] }],
    ['0 0-23/6 ? * * *', 'Day', { hours: [0, 6, 12, 18], minutes: [0] }],
    ['0 8 ? * L *', 'Week', { hours: [8], minutes: [0], weekDays: ['Saturday'] }],
    ['0 3 ? * 2-6 *', 'Week', { hours: [3], minutes: [0], weekDays: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'] }],
    ['0 0 1,15 * ? *', 'Month', { hours: [0], minutes: [0], monthDays: [1, 15] }],
    ['0 12 1/10 * ? *', 'Month', { hours: [12], minutes: [0], monthDays: [1, 11, 21, 31] }],
    ['5 4 31 * ? *', 'Month', { hours: [4], minutes: [5], monthDays: [31] }],
    ['0,30 9-17 ? * * *', 'Day', { hours: [9, 10, 11, 12, 13, 14, 15, 16, 17], minutes: [0, 30] }],
  ])('%s becomes a %s recurrence whose lists are the cron fields, firing when the cron does', (expression, frequency, schedule) => {
    const spec = parseCron(expression);

    const recurrence = logicAppsRecurrence(TriggerSchedule.cron(expression), ZONE);

    expect(recurrence).toEqual({ frequency, interval: 1, startTime: RECURRENCE_START_TIME, timeZone: ZONE, schedule });
    for (const from of [Date.UTC(2027, 0, 1), Date.UTC(2028, 1, 27, 5, 1)]) {
      const expected = cronFirings(spec, from, from + 4 * 366 * MS_PER_DAY, 20);
      expect(expected).toHaveLength(20);
      expect(recurrenceFirings(recurrence, from, 20)).toEqual(expected);
    }
  });

  test('writes the start time as local wall-clock time, without an offset, so that Logic Apps applies the time zone', () => {
    const recurrence = logicAppsRecurrence(TriggerSchedule.cron('0 3 ? * MON *'), ZONE);

    expect(recurrence.startTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    expect(recurrence.timeZone).toBe(ZONE);
  });

  test.each([
    ['0 3 ? JAN MON *', 'names months'],
    ['0 3 1 1,7 ? *', 'names months'],
    ['0 3 ? * MON 2027', 'names years'],
    ['0 3 L * ? *', "uses 'L' (the last day of the month)"],
    ['0 3 15W * ? *', "uses 'W' (the nearest weekday)"],
    ['0 3 ? * 6L *', "uses 'L' in day-of-week"],
    ['0 3 ? * 2#1 *', "uses '#' (the nth weekday of the month)"],
  ])('rejects %s, which %s', (expression, problem) => {
    const schedule = TriggerSchedule.cron(expression);

    expect(() => logicAppsRecurrence(schedule, ZONE)).toThrow(`schedule ${schedule.expressionString} ${problem}`);
    expect(() => logicAppsRecurrence(schedule, ZONE)).toThrow(/which a Logic Apps recurrence cannot express: /);
  });
});

describe('logicAppsRecurrence from a rate or a one-time schedule', () => {
  test.each([
    ['1 minute', Duration.minutes(1), 'Minute', 1],
    ['15 minutes', Duration.minutes(15), 'Minute', 15],
    ['90 minutes', Duration.minutes(90), 'Minute', 90],
    ['1 hour', Duration.hours(1), 'Hour', 1],
    ['36 hours', Duration.hours(36), 'Hour', 36],
    ['1 day', Duration.days(1), 'Day', 1],
    ['7 days', Duration.days(7), 'Day', 7],
    ['500 days', Duration.days(500), 'Day', 500],
  ])('a rate of %s repeats every interval of the frequency, from the fixed start', (_label, duration, frequency, interval) => {
    const recurrence = logicAppsRecurrence(TriggerSchedule.rate(duration), ZONE);

    expect(recurrence).toEqual({ frequency, interval, startTime: RECURRENCE_START_TIME, timeZone: ZONE });
  });

  test('rejects a rate longer than the 500 days a recurrence can wait', () => {
    expect(() => logicAppsRecurrence(TriggerSchedule.rate(Duration.days(501)), ZONE)).toThrow(
      "schedule rate(501 days) is longer than Logic Apps' longest recurrence of 500 days",
    );
  });

  test('rejects a one-time schedule, which the Recurrence trigger cannot run', () => {
    expect(() => logicAppsRecurrence(TriggerSchedule.at('2027-01-15T06:00:00'), ZONE)).toThrow(
      'schedule at(2027-01-15T06:00:00) cannot run on a Logic Apps Recurrence trigger, which has no one-time runs',
    );
  });
});
