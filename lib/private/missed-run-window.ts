import { Duration } from 'aws-cdk-lib';

/** How a "no execution started" alarm covers a window of time within CloudWatch's limits. */
export interface MissedRunEvaluation {
  /** The length of one evaluation period. */
  readonly period: Duration;
  /** How many consecutive periods without a start make the alarm fire. */
  readonly evaluationPeriods: number;
}

/** What a run may take beyond the schedule's longest gap before it counts as missed. */
export interface MissedRunSlack {
  /** The longest wall-clock gap between two runs of the schedule. */
  readonly intervalMinutes: number;
  /** An hour when daylight saving time can stretch the gap, otherwise 0. */
  readonly daylightSavingMinutes: number;
  /** EventBridge Scheduler's flexible time window, 0 when off. */
  readonly flexibleTimeWindowMinutes: number;
  /** The trigger's missedRunGracePeriod. */
  readonly gracePeriodMinutes: number;
}

const FIVE_MINUTES = 300;
const ONE_HOUR = 3600;
const ONE_DAY = 86_400;
/** CloudWatch's longest evaluation range (period x evaluation periods), PutMetricAlarm API reference. */
export const MAX_EVALUATION_SECONDS = 604_800;

/**
 * The window without a start after which a run counts as missed: the longest gap plus every kind of
 * slack, for every kind of schedule. Leaving one out makes the alarm fire while a run may still come.
 */
export function missedRunWindow(slack: MissedRunSlack): Duration {
  return Duration.minutes(
    slack.intervalMinutes + slack.daylightSavingMinutes + slack.flexibleTimeWindowMinutes + slack.gracePeriodMinutes,
  );
}

/**
 * Chooses period and evaluation periods so that the alarm looks back over the whole `window`, or
 * returns undefined when CloudWatch cannot: it allows at most one day of evaluation for periods under
 * an hour and at most seven days for longer ones. A window cut to seven days would fire before a late
 * run is due, every time the schedule's gap is a full week.
 */
export function missedRunEvaluation(window: Duration): MissedRunEvaluation | undefined {
  const seconds = window.toSeconds();
  if (seconds <= ONE_DAY) {
    return { period: Duration.seconds(FIVE_MINUTES), evaluationPeriods: Math.ceil(seconds / FIVE_MINUTES) };
  }
  if (seconds > MAX_EVALUATION_SECONDS) return undefined;
  return { period: Duration.seconds(ONE_HOUR), evaluationPeriods: Math.ceil(seconds / ONE_HOUR) };
}
