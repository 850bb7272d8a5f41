import { AspectPriority, Aspects, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, type IConstruct } from 'constructs';
import { DataArrivalTrigger } from './data-arrival-trigger';
import { DriftTrigger } from './drift-trigger';
import { EventTrigger } from './event-trigger';
import { DataArrivalBatcher } from './private/data-arrival-batcher';
import { watchedDeadLetterQueue, type WatchedDeadLetterQueue } from './private/dead-letter-queue';
import { EventTriggerFunction } from './private/event-trigger-function';
import { PromotionGuardrail } from './promotion-guardrail';
import { RetrainingCoordinator } from './retraining-coordinator';
import { ScheduledTrigger } from './scheduled-trigger';
import { dashboardRows, startRequests } from './private/trigger-dashboard-widgets';
import { validateIntegerInRange } from './private/validation';

/** Properties of a {@link TriggerDashboard}. */
export interface TriggerDashboardProps {
  /**
   * The dashboard's name.
   * @default - generated
   */
  readonly dashboardName?: string;
  /**
   * Start requests per hour, from all triggers together, above which the storm alarm fires.
   * @default 10
   */
  readonly maxStartsPerHour?: number;
  /**
   * Failed starts (and failed trigger functions) per hour at which the start-failure alarm fires.
   * @default 1
   */
  readonly maxStartFailuresPerHour?: number;
  /**
   * Events rejected by the event triggers per hour at which the events-rejected alarm fires: each is an
   * event that started nothing, because a template could not render it or SageMaker would refuse the value.
   * @default 1
   */
  readonly maxEventsRejectedPerHour?: number;
  /**
   * Actions added to every alarm the dashboard shows, such as an SNS action to your on-call topic.
   * @default - none
   */
  readonly alarmActions?: cloudwatch.IAlarmAction[];
}

const HOUR = Duration.hours(1);

/**
 * One CloudWatch dashboard for every trigger in the stack: what fired, what was started and what was
 * suppressed (and why), drift over time, batches, dead letters and failures, with alarms on each.
 * It finds the stack's triggers when the app is synthesized, so it may be created before or after them.
 */
export class TriggerDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  /** Fires when more starts are requested in an hour than `maxStartsPerHour`. */
  public readonly stormAlarm: cloudwatch.IAlarm;
  /** Fires when starts fail, or a trigger function fails, within an hour. */
  public readonly startFailureAlarm: cloudwatch.IAlarm;
  /** Fires when the event triggers reject `maxEventsRejectedPerHour` events within an hour. */
  public readonly eventsRejectedAlarm: cloudwatch.IAlarm;
  private readonly deadLetters: WatchedDeadLetterQueue;
  private readonly alarmActions: cloudwatch.IAlarmAction[];
  private completed = false;

  constructor(scope: Construct, id: string, props: TriggerDashboardProps = {}) {
    super(scope, id);
    const limits = limitsOf(props);
    this.alarmActions = [...(props.alarmActions ?? [])];
    this.stormAlarm = this.createStormAlarm(limits.maxStartsPerHour);
    // The functions whose errors count are known only once the stack is complete (see `complete`).
    this.startFailureAlarm = this.createStartFailureAlarm(limits.maxStartFailuresPerHour);
    this.eventsRejectedAlarm = this.createEventsRejectedAlarm(limits.maxEventsRejectedPerHour);
    this.deadLetters = watchedDeadLetterQueue(this, undefined);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      ...(props.dashboardName ? { dashboardName: props.dashboardName } : {}),
      defaultInterval: Duration.days(7),
    });
    // Before any read-only aspect (cdk-nag 2.x among them) sees the alarms.
    Aspects.of(this).add({ visit: (node) => node === this && this.complete() }, { priority: AspectPriority.MUTATING });
  }

  /** Every alarm the dashboard shows: its own and those of the stack's triggers, as the stack is now. */
  public get alarms(): cloudwatch.IAlarm[] {
    return this.alarmsOf(this.found());
  }

  private createStormAlarm(maxStarts: number): cloudwatch.IAlarm {
    return hourlyAlarm(this, 'StormAlarm', {
      alarmDescription: `More than ${maxStarts} training starts were requested within an hour: a trigger may be looping (an event that its own run emits again) or a source may be flooding.`,
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(dataArrival, 0) + FILL(events, 0) + FILL(drift, 0)',
        usingMetrics: startRequests(),
        period: HOUR,
        label: 'start requests per hour',
      }),
      threshold: maxStarts,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
  }

  private createStartFailureAlarm(maxFailures: number): cloudwatch.IAlarm {
    return hourlyAlarm(this, 'StartFailureAlarm', {
      alarmDescription: 'Training starts failed, or a trigger function failed, within the last hour: read the functions\' logs and the batch table for the error.',
      metric: failureExpression([]),
      threshold: maxFailures,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
  }

  private createEventsRejectedAlarm(maxRejected: number): cloudwatch.IAlarm {
    return hourlyAlarm(this, 'EventsRejectedAlarm', {
      alarmDescription:
        'Events were rejected by event triggers within the last hour, and started nothing: a template could not render them (a missing field without a default) or SageMaker would refuse the value. ' +
        "The event triggers' function logs each with the parameter and the field.",
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(rejected, 0)',
        usingMetrics: { rejected: EventTrigger.metricAllEventsRejected() },
        period: HOUR,
        label: 'events rejected per hour',
      }),
      threshold: maxRejected,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
  }

  private alarmsOf(found: ReturnType<TriggerDashboard['found']>): cloudwatch.IAlarm[] {
    return [
      this.stormAlarm,
      this.startFailureAlarm,
      this.eventsRejectedAlarm,
      this.deadLetters.alarm,
      ...found.scheduled.flatMap((t) => (t.missedRunAlarm ? [t.missedRunAlarm] : [])),
      ...found.dataArrival.map((t) => t.staleBatchAlarm),
      ...found.dataArrival.flatMap((t) => (t.missedDeadlineAlarm ? [t.missedDeadlineAlarm] : [])),
      ...found.batchers.map((b) => b.failedBatchAlarm),
    ].filter((alarm, index, list) => list.indexOf(alarm) === index);
  }

  private found() {
    const all = Stack.of(this).node.findAll();
    const of = <T extends object>(type: { prototype: T }) => all.filter((c: IConstruct): c is IConstruct & T => Object.prototype.isPrototypeOf.call(type.prototype, c));
    return {
      scheduled: of(ScheduledTrigger),
      dataArrival: of(DataArrivalTrigger),
      batchers: of(DataArrivalBatcher),
      eventFunctions: of(EventTriggerFunction),
      drift: of(DriftTrigger),
      coordinators: of(RetrainingCoordinator),
      guardrails: of(PromotionGuardrail),
    };
  }

  /** Wires what the stack holds at synthesis: the failing functions, alarm actions and every widget. */
  private complete(): void {
    if (this.completed) return;
    this.completed = true;
    const found = this.found();
    const functions = [...found.eventFunctions.map((f) => f.function), ...found.drift.map((d) => d.function), ...found.coordinators.map((c) => c.function)];
    (this.startFailureAlarm.node.defaultChild as cloudwatch.CfnAlarm).metrics = renderMathAlarm(failureExpression(functions));
    const alarms = this.alarmsOf(found);
    for (const action of this.alarmActions) {
      for (const alarm of alarms) (alarm as cloudwatch.Alarm).addAlarmAction?.(action);
    }
    const rows = dashboardRows({ alarms, functions, deadLetters: this.deadLetters.queue, hasGuardrail: found.guardrails.length > 0 });
    for (const row of rows) this.dashboard.addWidgets(...row);
  }
}

/** The limits, defaulted and checked. */
function limitsOf(props: TriggerDashboardProps): Required<Pick<TriggerDashboardProps, 'maxStartsPerHour' | 'maxStartFailuresPerHour' | 'maxEventsRejectedPerHour'>> {
  const limits = {
    maxStartsPerHour: props.maxStartsPerHour ?? 10,
    maxStartFailuresPerHour: props.maxStartFailuresPerHour ?? 1,
    maxEventsRejectedPerHour: props.maxEventsRejectedPerHour ?? 1,
  };
  for (const [prop, value] of Object.entries(limits)) validateIntegerInRange(prop, value, 1, 100_000);
  return limits;
}

/** An alarm on one hour of `props.metric` that fires on one breaching period and treats missing data as fine. */
function hourlyAlarm(scope: Construct, id: string, props: Omit<cloudwatch.AlarmProps, 'evaluationPeriods' | 'treatMissingData'>): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, { ...props, evaluationPeriods: 1, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING });
}

/** Failed batch starts plus the errors of `functions`, per hour. */
function failureExpression(functions: lambda.IFunction[]): cloudwatch.MathExpression {
  const usingMetrics: Record<string, cloudwatch.IMetric> = { batchStarts: DataArrivalTrigger.metricAllStartFailures() };
  functions.forEach((fn, index) => {
    usingMetrics[`fn${index}`] = fn.metricErrors({ period: Duration.minutes(5) });
  });
  return new cloudwatch.MathExpression({
    expression: Object.keys(usingMetrics).map((name) => `FILL(${name}, 0)`).join(' + '),
    usingMetrics,
    period: HOUR,
    label: 'failed starts and function errors per hour',
  });
}

/**
 * CloudFormation's form of an alarm on `expression`, whose metrics are simple metrics: what
 * `cloudwatch.Alarm` renders, for an alarm whose metrics are known only at synthesis.
 */
function renderMathAlarm(expression: cloudwatch.MathExpression): cloudwatch.CfnAlarm.MetricDataQueryProperty[] {
  const config = expression.toMetricConfig().mathExpression!;
  const period = config.period;
  return [
    { id: 'expr_1', expression: config.expression, label: expression.label, returnData: true },
    ...Object.entries(config.usingMetrics).map(([id, used]) => {
      const stat = used.toMetricConfig().metricStat!;
      const dimensions = [...(stat.dimensions ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return {
        id,
        metricStat: {
          metric: { dimensions: dimensions.map(({ name, value }) => ({ name, value: value as string })), metricName: stat.metricName, namespace: stat.namespace },
          period,
          stat: stat.statistic,
        },
        returnData: false,
      };
    }),
  ];
}
