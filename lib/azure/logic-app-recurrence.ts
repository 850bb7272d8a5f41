import { parseCron, type CronSpec } from '../../lambda/core/cron';
import { ScheduleKind, type TriggerSchedule } from '../trigger-schedule';

/** The units a Logic Apps recurrence counts in (its `frequency`); `Second` is never needed, as schedules are in minutes. */
export type RecurrenceFrequency = 'Minute' | 'Hour' | 'Day' | 'Week' | 'Month';

/** The day names a recurrence's `schedule.weekDays` takes, in EventBridge's order (1 = Sunday). */
export const RECURRENCE_WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

/** At which wall-clock times a Day, Week or Month recurrence fires: every combination of the lists. */
export interface RecurrenceSchedule {
  readonly hours: readonly number[];
  readonly minutes: readonly number[];
  /** Only with frequency `Week`. */
  readonly weekDays?: ReadonlyArray<(typeof RECURRENCE_WEEKDAYS)[number]>;
  /** Only with frequency `Month`. */
  readonly monthDays?: readonly number[];
}

/** The `recurrence` of a Logic Apps Recurrence trigger, as the workflow definition language writes it. */
export interface LogicAppsRecurrence {
  readonly frequency: RecurrenceFrequency;
  readonly interval: number;
  /**
   * Local wall-clock time without an offset: Logic Apps applies `timeZone` only to a start time written without one,
   * and then reads `schedule` in that zone, daylight saving time included.
   */
  readonly startTime: string;
  /** A Windows time zone id (`W. Europe Standard Time`). */
  readonly timeZone: string;
  readonly schedule?: RecurrenceSchedule;
}

/**
 * A fixed start in the past, so that synthesis does not read the clock. A schedule fires at its listed times from
 * there on; a rate repeats from this instant (EventBridge counts a rate from the schedule's creation instead, and
 * Cloud Scheduler from the top of the hour or day: nobody promises a rate's phase).
 */
export const RECURRENCE_START_TIME = '2026-01-01T00:00:00';

/** The longest recurrence interval the Logic Apps engine takes: 500 days (its limits page; Power Automate's says the same). */
export const MAX_RECURRENCE_DAYS = 500;

const YEARS_OF_STAR = 2199 - 1970 + 1;

/**
 * The Logic Apps recurrence that fires when `schedule` does, in the Windows time zone `timeZone`. Throws, naming
 * `schedule`, what a Recurrence trigger cannot express: specific months or years, `L`, `W` and `#`, a rate over 500
 * days, and one-time schedules (the Recurrence trigger has no run-once pattern; Microsoft points to a Request
 * trigger for that, which is not a schedule).
 */
export function logicAppsRecurrence(schedule: TriggerSchedule, timeZone: string): LogicAppsRecurrence {
  const base = { startTime: RECURRENCE_START_TIME, timeZone };
  switch (schedule.kind) {
    case ScheduleKind.RATE:
      return { ...fromRate(schedule.expressionString, schedule.maxIntervalMinutes ?? 0), ...base };
    case ScheduleKind.CRON:
      return { ...fromCron(schedule.expressionString), ...base };
    default:
      throw new Error(
        `schedule ${schedule.expressionString} cannot run on a Logic Apps Recurrence trigger, which has no one-time runs: ` +
          'use TriggerSchedule.cron(...) or .rate(...)',
      );
  }
}

function fromRate(expressionString: string, minutes: number): Pick<LogicAppsRecurrence, 'frequency' | 'interval'> {
  if (minutes % 1440 === 0) {
    if (minutes / 1440 > MAX_RECURRENCE_DAYS) {
      throw new Error(`schedule ${expressionString} is longer than Logic Apps' longest recurrence of ${MAX_RECURRENCE_DAYS} days: use a shorter rate or a cron expression`);
    }
    return { frequency: 'Day', interval: minutes / 1440 };
  }
  return minutes % 60 === 0 ? { frequency: 'Hour', interval: minutes / 60 } : { frequency: 'Minute', interval: minutes };
}

function fromCron(expressionString: string): Pick<LogicAppsRecurrence, 'frequency' | 'interval' | 'schedule'> {
  const spec: CronSpec = parseCron(expressionString);
  const cannot = (what: string, fix: string) =>
    new Error(`schedule ${expressionString} ${what}, which a Logic Apps recurrence cannot express: ${fix}`);
  if (spec.years.length !== YEARS_OF_STAR) throw cannot('names years', "use '*' as the year");
  if (spec.months.length !== 12) throw cannot('names months', "use '*' as the month, or one trigger per month with day-of-month lists");
  const times = { hours: [...spec.hours], minutes: [...spec.minutes] };
  const days = spec.days;
  switch (days.kind) {
    case 'daysOfMonth':
      return days.days.length === 31
        ? { frequency: 'Day', interval: 1, schedule: times }
        : { frequency: 'Month', interval: 1, schedule: { ...times, monthDays: [...days.days] } };
    case 'daysOfWeek':
      return days.weekdays.length === 7
        ? { frequency: 'Day', interval: 1, schedule: times }
        : { frequency: 'Week', interval: 1, schedule: { ...times, weekDays: days.weekdays.map((day) => RECURRENCE_WEEKDAYS[day - 1]) } };
    case 'lastDayOfMonth':
      throw cannot("uses 'L' (the last day of the month)", 'list the days of the month instead');
    case 'weekdayNearest':
      throw cannot("uses 'W' (the nearest weekday)", 'list the days of the month or the days of the week instead');
    case 'lastWeekdayOfMonth':
      throw cannot("uses 'L' in day-of-week (the last such weekday of the month)", 'list the days of the week instead');
    case 'nthWeekdayOfMonth':
      throw cannot("uses '#' (the nth weekday of the month)", 'list the days of the week instead');
  }
}
