import type { Duration } from 'aws-cdk-lib';
import { CronSyntaxError, parseCron } from '../lambda/core/cron';
import { maxIntervalMinutes } from '../lambda/core/cron-firings';

/** How a schedule repeats. */
export enum ScheduleKind {
  /** A cron expression: runs at wall-clock times in the trigger's time zone. */
  CRON = 'CRON',
  /** A fixed rate, counted from when the schedule was created. */
  RATE = 'RATE',
  /** A single run at a wall-clock date and time in the trigger's time zone. */
  ONE_TIME = 'ONE_TIME',
}

const AT_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;

/**
 * When a scheduled trigger fires: a cron expression, a rate, or one time.
 *
 * The time zone is a separate prop of the trigger so that one schedule reads the same in any zone.
 */
export class TriggerSchedule {
  /**
   * An EventBridge Scheduler cron expression, six fields:
   * `minutes hours day-of-month month day-of-week year`, for example `0 3 ? * MON *`
   * (Mondays at 03:00). The `cron(...)` wrapper is optional.
   */
  public static cron(expression: string): TriggerSchedule {
    let spec;
    try {
      spec = parseCron(expression);
    } catch (error) {
      if (error instanceof CronSyntaxError) {
        throw new Error(`schedule cron expression '${expression}' is invalid: ${error.message}`);
      }
      throw error;
    }
    const body = expression.trim().replace(/^cron\((.*)\)$/s, '$1').trim().split(/\s+/).join(' ');
    return new TriggerSchedule(ScheduleKind.CRON, `cron(${body})`, maxIntervalMinutes(spec));
  }

  /** A fixed rate of at least one minute, in whole minutes, hours or days. */
  public static rate(interval: Duration): TriggerSchedule {
    if (interval.isUnresolved()) {
      throw new Error('schedule rate must be a concrete Duration, got an unresolved token');
    }
    // Not integral: a Duration such as 60.5 seconds must get this message, not CDK's conversion error.
    const milliseconds = interval.toMilliseconds({ integral: false });
    if (milliseconds < 60_000 || milliseconds % 60_000 !== 0) {
      throw new Error(
        `schedule rate must be a whole number of minutes and at least 1 minute, got ${interval.toHumanString()}`,
      );
    }
    const minutes = milliseconds / 60_000;
    const [value, unit] =
      minutes % 1440 === 0 ? [minutes / 1440, 'day'] : minutes % 60 === 0 ? [minutes / 60, 'hour'] : [minutes, 'minute'];
    return new TriggerSchedule(ScheduleKind.RATE, `rate(${value} ${unit}${value === 1 ? '' : 's'})`, minutes);
  }

  /**
   * One run at a wall-clock date and time in the trigger's time zone,
   * written `YYYY-MM-DDThh:mm:ss` (for example `2027-01-15T06:00:00`).
   * The trigger fails synth when daylight saving time skips that time in its time zone.
   */
  public static at(localDateTime: string): TriggerSchedule {
    const match = AT_PATTERN.exec(localDateTime);
    const [year, month, day, hour, minute, second] = (match ?? []).slice(1).map(Number);
    const asUtc = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
    const roundTrips =
      match !== null &&
      asUtc.getUTCFullYear() === year &&
      asUtc.getUTCMonth() === month - 1 &&
      asUtc.getUTCDate() === day &&
      hour < 24 &&
      minute < 60 &&
      second < 60;
    if (!roundTrips) {
      throw new Error(
        `schedule one-time date must be a real date and time written YYYY-MM-DDThh:mm:ss, such as 2027-01-15T06:00:00, got '${localDateTime}'`,
      );
    }
    return new TriggerSchedule(ScheduleKind.ONE_TIME, `at(${localDateTime})`, undefined);
  }

  /**
   * @param kind how the schedule repeats
   * @param expressionString the expression EventBridge Scheduler receives
   * @param maxIntervalMinutes the longest wall-clock gap between two runs, undefined when it does not repeat
   */
  private constructor(
    public readonly kind: ScheduleKind,
    public readonly expressionString: string,
    public readonly maxIntervalMinutes: number | undefined,
  ) {}
}
