import { Duration, TimeZone, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';
import { misspelledTimeZoneCase } from '../../lambda/core/calendar';
import { CALENDAR_LIMITS, closeWindowSeconds, type ArrivalCalendarConfig, type CalendarKind } from '../../lambda/core/contracts/arrival-calendar';
import { BATCH_LIMITS, type BatchTriggerConfig } from '../../lambda/core/contracts/batch';
import { MetricDimension, MetricName } from '../../lambda/core/contracts/metrics';
import type { ArrivalScheduleOptions } from '../arrival-schedule-options';
import { ScheduleKind, type TriggerSchedule } from '../trigger-schedule';
import type { DataArrivalBatcher } from './data-arrival-batcher';
import { batcherMetric } from './handler-metrics';
import { LambdaScheduleTarget } from './lambda-schedule-target';
import { validateTimeZone } from './validation';

/** What a trigger's calendar needs of its props besides `ArrivalScheduleOptions`. */
interface CalendarProps extends ArrivalScheduleOptions {
  readonly batchSize?: number;
  readonly batchWindow?: Duration;
  readonly enabled?: boolean;
}

/**
 * How long EventBridge Scheduler keeps trying to deliver a firing: well inside the tolerance after which the
 * batcher no longer takes an invocation as that firing's.
 */
const DELIVERY_AGE = Duration.minutes(10);

/**
 * The configuration a trigger's calendar adds: the schedules and their time zones, and for a batch schedule the
 * batch size and window that let the schedule alone close batches. Props that cannot work fail here, at synth.
 */
export function arrivalCalendarConfig(props: CalendarProps): Partial<Pick<BatchTriggerConfig, 'calendar' | 'batchSize' | 'batchWindowSeconds'>> {
  if (!props.expectedBy && !props.batchSchedule) return {};
  const zone = zoneName(props.timeZone, 'timeZone');
  const calendar: ArrivalCalendarConfig = {
    ...(props.expectedBy
      ? {
        deadline: {
          schedule: cronOf(props.expectedBy.schedule, 'expectedBy.schedule'),
          timeZone: props.expectedBy.timeZone ? zoneName(props.expectedBy.timeZone, 'expectedBy.timeZone') : zone,
          startWithWhatArrived: props.expectedBy.startWithWhatArrived ?? false,
        },
      }
      : {}),
    ...(props.batchSchedule ? { close: { schedule: cronOf(props.batchSchedule, 'batchSchedule'), timeZone: zone } } : {}),
  };
  if (!props.batchSchedule) return { calendar };
  for (const [prop, value] of [['batchSize', props.batchSize], ['batchWindow', props.batchWindow?.toHumanString()]] as const) {
    if (value !== undefined) {
      throw new Error(
        `${prop} cannot be combined with batchSchedule, got ${prop} ${value}: batchSchedule closes batches at its firings; ` +
          `leave ${prop} out, or leave batchSchedule out to close batches by count and window`,
      );
    }
  }
  const gapMinutes = props.batchSchedule.maxIntervalMinutes;
  if (gapMinutes === undefined || gapMinutes * 60 > CALENDAR_LIMITS.maxCloseGapSeconds) {
    throw new Error(
      `batchSchedule must fire at least once every 366 days, got ${props.batchSchedule.expressionString}` +
        `${gapMinutes === undefined ? ', which fires fewer than twice between 2027 and 2035' : `, which can go ${Duration.minutes(gapMinutes).toHumanString()} between firings`}: ` +
        'a batch waits for the next firing, so pick a schedule that fires more often',
    );
  }
  return { calendar, batchSize: BATCH_LIMITS.maxBatchSize, batchWindowSeconds: closeWindowSeconds(gapMinutes * 60) };
}

/**
 * The trigger's calendar schedules, each invoking the stack's batcher with `{ triggerId, calendar }` and nothing
 * else (the batcher reads the schedule itself from the trigger's configuration), and the missed-deadline alarm.
 */
export function wireArrivalCalendar(trigger: Construct, batcher: DataArrivalBatcher, config: BatchTriggerConfig, props: CalendarProps): cloudwatch.IAlarm | undefined {
  const { deadline, close } = config.calendar ?? {};
  const schedule = (id: string, kind: CalendarKind, expression: string, timeZone: string, description: string) =>
    new scheduler.Schedule(trigger, id, {
      description,
      schedule: scheduler.ScheduleExpression.expression(expression, TimeZone.of(timeZone)),
      enabled: props.enabled ?? true,
      target: new LambdaScheduleTarget(batcher.function, {
        input: scheduler.ScheduleTargetInput.fromObject({ triggerId: config.triggerId, calendar: kind }),
        deadLetterQueue: batcher.deadLetters.queue,
        retryAttempts: 3,
        maxEventAge: DELIVERY_AGE,
      }),
    });
  if (close) schedule('BatchSchedule', 'close', close.schedule, close.timeZone, `cdk-ml-triggers: closes the open batch of data-arrival trigger ${config.triggerId}.`);
  if (!deadline) return undefined;
  schedule('DeadlineSchedule', 'deadline', deadline.schedule, deadline.timeZone, `cdk-ml-triggers: the deadline for the data of data-arrival trigger ${config.triggerId}.`);
  return new cloudwatch.Alarm(trigger, 'MissedDeadlineAlarm', {
    alarmDescription:
      `No object of data-arrival trigger ${config.triggerId} arrived by its deadline (${deadline.schedule} in ${deadline.timeZone}) since the deadline before: ` +
      'its data is late or its source stopped. The batcher\'s log holds the deadline and the last arrival.',
    metric: missedDeadlines(config.triggerId),
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}

/** Deadlines of one trigger that passed with no object: the sum over 5 minutes, unless `props` says otherwise. */
export function missedDeadlines(triggerId: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return batcherMetric(MetricName.MissedDeadlines, props, { dimensions: { [MetricDimension.TriggerId]: triggerId } });
}

function cronOf(schedule: TriggerSchedule, prop: string): string {
  if (schedule.kind !== ScheduleKind.CRON) {
    throw new Error(`${prop} must be a cron schedule, got ${schedule.expressionString}: use TriggerSchedule.cron(...), such as TriggerSchedule.cron('0 6 ? * MON-FRI *')`);
  }
  return schedule.expressionString;
}

function zoneName(timeZone: TimeZone | undefined, prop: string): string {
  const name = (timeZone ?? TimeZone.ETC_UTC).timezoneName;
  if (Token.isUnresolved(name)) {
    throw new Error(`${prop} must be a time zone known at synth, got an unresolved token: the batcher checks each firing against it`);
  }
  validateTimeZone(name, prop);
  const spelling = misspelledTimeZoneCase(name);
  if (spelling !== undefined) throw new Error(`${prop} must be spelled as in the IANA time zone database, got '${name}': use '${spelling}'`);
  return name;
}
