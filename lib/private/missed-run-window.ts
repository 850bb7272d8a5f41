import { Duration } from 'aws-cdk-lib';

/** How a "no execution started" alarm covers a window of time within CloudWatch's limits. */
export interface MissedRunEvaluation {
  /** The length of one evaluation period. */
  readonly period: Duration;
  /** How many consecutive periods without a start make the alarm fire. */
  readonly evaluationPeriods: number;
  /** False when the window was cut to CloudWatch's seven-day maximum. */
  readonly coversWindow: boolean;
}

const FIVE_MINUTES = 300;
const ONE_HOUR = 3600;
const ONE_DAY = 86_400;
/** CloudWatch's longest evaluation range (period x evaluation periods), PutMetricAlarm API reference. */
export const MAX_EVALUATION_SECONDS = 604_800;

/**
 * Chooses period and evaluation periods so that the alarm looks back over `window`.
 *
 * CloudWatch allows at most one day of evaluation for periods under an hour and at most seven days
 * for longer ones, so a window past seven days is cut to seven days (`coversWindow: false`).
 */
export function missedRunEvaluation(window: Duration): MissedRunEvaluation {
  const seconds = window.toSeconds();
  if (seconds <= ONE_DAY) {
    return {
      period: Duration.seconds(FIVE_MINUTES),
      evaluationPeriods: Math.ceil(seconds / FIVE_MINUTES),
      coversWindow: true,
    };
  }
  const covered = Math.min(seconds, MAX_EVALUATION_SECONDS);
  return {
    period: Duration.seconds(ONE_HOUR),
    evaluationPeriods: Math.ceil(covered / ONE_HOUR),
    coversWindow: seconds <= MAX_EVALUATION_SECONDS,
  };
}
