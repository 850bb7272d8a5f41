import type { TimeZone } from 'aws-cdk-lib';
import type { TriggerSchedule } from './trigger-schedule';

/** When a data-arrival trigger expects its data, such as every weekday by 06:00 in Berlin. */
export interface ArrivalDeadline {
  /**
   * The deadline, a cron schedule: `TriggerSchedule.cron('0 6 ? * MON-FRI *')`. At each firing the trigger
   * records whether any object arrived since the firing before (or since deployment, for the first); when none
   * did, it counts a missed deadline, logs it and its `missedDeadlineAlarm` fires.
   */
  readonly schedule: TriggerSchedule;

  /**
   * The IANA time zone the deadline is read in; daylight saving time is followed.
   * @default - the trigger's `timeZone`
   */
  readonly timeZone?: TimeZone;

  /**
   * Whether every deadline, met or missed, closes the open batch and starts the pipeline with the objects it
   * holds, however few: the deadline is when the data is meant to be complete. A deadline that finds the open
   * batch empty starts nothing (and logs it).
   * @default false - batches close by `batchSize` and `batchWindow` only
   */
  readonly startWithWhatArrived?: boolean;
}

/** The calendar of a data-arrival trigger: a deadline for its data, and batches closed on a schedule. */
export interface ArrivalScheduleOptions {
  /**
   * When the trigger's data is expected by: a deadline missed (no object since the deadline before) is
   * counted, logged and alarmed, and with `startWithWhatArrived` each deadline starts the open batch.
   * @default - no deadline
   */
  readonly expectedBy?: ArrivalDeadline;

  /**
   * Closes batches at this cron schedule's firings instead of by count and window: "Mondays at 03:00, only if
   * new data arrived since the last run" is `TriggerSchedule.cron('0 3 ? * MON *')`. A firing that finds the open
   * batch empty starts nothing and is counted as skipped. Leave `batchSize` and `batchWindow` out: a batch
   * holds at most 10,000 objects (more between two firings start as several batches), and a batch whose
   * firing never comes closes a day after the schedule's longest gap.
   * @default - batches close by `batchSize` and `batchWindow`
   */
  readonly batchSchedule?: TriggerSchedule;

  /**
   * The IANA time zone that `batchSchedule` and `expectedBy` are read in; daylight saving time is followed.
   * @default TimeZone.ETC_UTC
   */
  readonly timeZone?: TimeZone;
}
