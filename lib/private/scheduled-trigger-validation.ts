import { Duration, Token, type TimeZone } from 'aws-cdk-lib';
import { misspelledTimeZoneCase, wallClockGapAt } from '../../lambda/core/calendar';
import { PRIORITY_LIMITS } from '../../lambda/core/contracts/shared';
import { SCHEDULED_CHECK_LIMITS } from '../../lambda/core/contracts/scheduled-check';
import type { ScheduledTriggerProps } from '../scheduled-trigger';
import { ScheduleKind, type TriggerSchedule } from '../trigger-schedule';
import { validateDurationInRange, validateIntegerInRange, validatePipelineParameters, validateTimeZone } from './validation';

/** Checks a scheduled trigger's props at synth, naming the prop, the value and the fix. */
export function validateScheduledTriggerProps(props: ScheduledTriggerProps, timeZone: TimeZone): void {
  validateTimeZone(timeZone.timezoneName);
  validateTimeZoneSpelling(timeZone.timezoneName);
  validateOneTimeDateExists(props.schedule, timeZone.timezoneName);
  validatePipelineParameters(props.parameters ?? {});
  if (props.priority !== undefined) validateIntegerInRange('priority', props.priority, PRIORITY_LIMITS.min, PRIORITY_LIMITS.max);
  if (props.retryAttempts !== undefined) validateIntegerInRange('retryAttempts', props.retryAttempts, 0, 185);
  if (props.maxEventAge) {
    validateWholeUnits('maxEventAge', props.maxEventAge, 1000, 'seconds', ': EventBridge Scheduler counts it in seconds');
    validateDurationInRange('maxEventAge', props.maxEventAge, Duration.minutes(1), Duration.hours(24));
  }
  if (props.flexibleTimeWindow) {
    validateWholeUnits('flexibleTimeWindow', props.flexibleTimeWindow, 60_000, 'minutes', ': EventBridge Scheduler counts it in minutes');
    validateDurationInRange('flexibleTimeWindow', props.flexibleTimeWindow, Duration.minutes(1), Duration.hours(24));
  }
  if (props.missedRunGracePeriod) {
    validateWholeUnits('missedRunGracePeriod', props.missedRunGracePeriod, 60_000, 'minutes', '');
    validateDurationInRange('missedRunGracePeriod', props.missedRunGracePeriod, Duration.minutes(0), Duration.days(1));
  }
  if (props.unlessRanWithin) validateUnlessRanWithin(props.unlessRanWithin, props.schedule);
  const maxObjects = props.whenReEnabled?._catchUp()?.maxObjects;
  if (maxObjects !== undefined) {
    throw new Error(
      `whenReEnabled.maxObjects does not apply to a scheduled trigger, got ${maxObjects}: its catch-up is one run, not a batch of objects; ` +
        'remove maxObjects (maxAge bounds which missed firings count)',
    );
  }
  const { startDate, endDate } = props;
  for (const [prop, date] of [['startDate', startDate], ['endDate', endDate]] as const) {
    if (date && Number.isNaN(date.getTime())) throw new Error(`${prop} must be a valid Date, got an invalid one`);
  }
  if (startDate && endDate && endDate.getTime() <= startDate.getTime()) {
    throw new Error(
      `endDate must be after startDate, got startDate ${startDate.toISOString()} and endDate ${endDate.toISOString()}: swap them or move endDate later`,
    );
  }
  if (props.schedule.kind === ScheduleKind.ONE_TIME && (startDate || endDate)) {
    throw new Error('startDate and endDate apply to recurring schedules only: a one-time schedule runs once at its own date');
  }
}

/**
 * A window the schedule can keep: it fires at least once within it (a shorter one would only say "start at
 * every firing"), in whole minutes like the schedule, and at most the contract's year.
 */
function validateUnlessRanWithin(value: Duration, schedule: TriggerSchedule): void {
  if (value.isUnresolved()) return;
  validateWholeUnits('unlessRanWithin', value, 60_000, 'minutes', ': the schedule fires in whole minutes');
  const { minWithinSeconds, maxWithinSeconds } = SCHEDULED_CHECK_LIMITS;
  validateDurationInRange('unlessRanWithin', value, Duration.seconds(minWithinSeconds), Duration.seconds(maxWithinSeconds));
  const interval = schedule.maxIntervalMinutes;
  if (interval !== undefined && value.toMinutes() < interval) {
    throw new Error(
      `unlessRanWithin must be at least the schedule's longest interval, ${Duration.minutes(interval).toHumanString()} for ${schedule.expressionString}, ` +
        `got ${value.toHumanString()}: lengthen it, or fire the schedule more often`,
    );
  }
}

/** A Duration that does not convert to whole `unit`s would otherwise fail later with CDK's message, which names no prop. */
function validateWholeUnits(prop: string, value: Duration, unitMs: number, unit: string, why: string): void {
  if (value.isUnresolved()) return;
  if (value.toMilliseconds({ integral: false }) % unitMs !== 0) {
    throw new Error(`${prop} must be a whole number of ${unit}, got ${value.toHumanString()}${why}`);
  }
}

/** This runtime reads `europe/berlin` as Europe/Berlin; EventBridge Scheduler matches zone names exactly. */
function validateTimeZoneSpelling(timeZone: string): void {
  if (Token.isUnresolved(timeZone)) return;
  const spelling = misspelledTimeZoneCase(timeZone);
  if (spelling !== undefined) {
    throw new Error(`timeZone must be spelled as in the IANA time zone database, got '${timeZone}': use '${spelling}'`);
  }
}

/** A one-time date inside a daylight-saving gap never comes: EventBridge Scheduler would never run it. */
function validateOneTimeDateExists(schedule: TriggerSchedule, timeZone: string): void {
  if (schedule.kind !== ScheduleKind.ONE_TIME || Token.isUnresolved(timeZone)) return;
  const localDateTime = /^at\((.*)\)$/.exec(schedule.expressionString)![1];
  const gap = wallClockGapAt(timeZone, localDateTime);
  if (gap) {
    throw new Error(
      `schedule one-time date '${localDateTime}' does not exist in timeZone ${timeZone}: clocks jump from ${gap.from} to ${gap.to}, ` +
        `so EventBridge Scheduler would never run it; pick a time outside that gap, such as ${gap.to}`,
    );
  }
}
