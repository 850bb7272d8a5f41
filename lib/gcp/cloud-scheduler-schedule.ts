import { ScheduleKind, type TriggerSchedule } from '../trigger-schedule';

/** One unix-cron field as Cloud Scheduler reads it: numbers, ranges, steps and lists, or a list of names. */
const FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$|^[A-Za-z]{3}(-[A-Za-z]{3})?(,[A-Za-z]{3}(-[A-Za-z]{3})?)*$/;

const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/**
 * The unix-cron expression (five fields) Cloud Scheduler takes for a schedule: a `TriggerSchedule` as the AWS triggers
 * take it, or (deprecated) a unix-cron string. Throws, naming `schedule`, what Cloud Scheduler cannot express.
 */
export function cloudSchedulerCron(schedule: TriggerSchedule | string): string {
  if (typeof schedule === 'string') return checkedUnixCron(schedule, schedule);
  switch (schedule.kind) {
    case ScheduleKind.CRON:
      return fromEventBridgeCron(schedule.expressionString);
    case ScheduleKind.RATE:
      return fromRate(schedule.expressionString, schedule.maxIntervalMinutes ?? 0);
    default:
      throw new Error(`schedule ${schedule.expressionString} cannot run on Cloud Scheduler, which has no one-time jobs: use TriggerSchedule.cron(...) or .rate(...)`);
  }
}

function checkedUnixCron(expression: string, shown: string): string {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 || !fields.every((field) => FIELD.test(field))) {
    throw new Error(`schedule must be a unix-cron expression of five fields such as '0 3 * * 1', got '${shown}'`);
  }
  return fields.join(' ');
}

/**
 * `cron(minutes hours day-of-month month day-of-week year)` to unix-cron: `?` becomes `*`, the year must be `*`, and
 * days of the week are numbered from Sunday = 0 (EventBridge counts Sunday = 1, and its names become numbers so that
 * one schedule always reads the same). `L`, `W` and `#` have no unix-cron form.
 */
function fromEventBridgeCron(expressionString: string): string {
  const body = expressionString.replace(/^cron\((.*)\)$/s, '$1');
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = body.split(' ');
  if (year !== '*') throw new Error(`schedule ${expressionString} names a year, which Cloud Scheduler cannot: use '*' as the year`);
  if (/[LW#]/i.test(`${dayOfMonth} ${dayOfWeek}`.replace(/[A-Z]{3}/gi, ''))) {
    throw new Error(`schedule ${expressionString} uses L, W or #, which Cloud Scheduler's unix-cron cannot express`);
  }
  const unixDayOfWeek = dayOfWeek === '?' ? '*' : dayOfWeek.split(',').map(weekdayItem).join(',');
  return checkedUnixCron([minutes, hours, dayOfMonth === '?' ? '*' : dayOfMonth, month, unixDayOfWeek].join(' '), expressionString);
}

/** One list item of EventBridge's day-of-week field (`MON`, `2-6`, `*\/2`, `MON-FRI`) with unix-cron's numbers. */
function weekdayItem(item: string): string {
  const [range, step] = item.split('/');
  const day = (value: string): string => {
    const named = WEEKDAYS.indexOf(value.toUpperCase());
    return named >= 0 ? String(named) : /^\d+$/.test(value) ? String(Number(value) - 1) : value;
  };
  const unixRange = range === '*' ? range : range.split('-').map(day).join('-');
  return step === undefined ? unixRange : `${unixRange}/${step}`;
}

/**
 * A rate as the unix-cron schedule that repeats at that interval from the top of the hour or day: intervals that
 * divide an hour (in minutes) or a day (in hours), or one day. EventBridge counts a rate from the schedule's creation;
 * Cloud Scheduler counts it from the clock.
 */
function fromRate(expressionString: string, minutes: number): string {
  if (minutes === 1) return '* * * * *';
  if (minutes < 60 && 60 % minutes === 0) return `*/${minutes} * * * *`;
  if (minutes === 60) return '0 * * * *';
  if (minutes % 60 === 0 && minutes < 1440 && 1440 % minutes === 0) return `0 */${minutes / 60} * * *`;
  if (minutes === 1440) return '0 0 * * *';
  throw new Error(`schedule ${expressionString} has no unix-cron form on Cloud Scheduler: use a rate that divides an hour or a day, or TriggerSchedule.cron(...)`);
}
