import { AspectPriority, Aspects, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct, type IConstruct } from 'constructs';
import { DataArrivalTrigger } from './data-arrival-trigger';
import { DriftTrigger } from './drift-trigger';
import { EventTrigger } from './event-trigger';
import { DataArrivalBatcher, METRICS_NAMESPACE } from './private/data-arrival-batcher';
import { watchedDeadLetterQueue } from './private/dead-letter-queue';
import { EventTriggerFunction } from './private/event-trigger-function';
import { PromotionGuardrail } from './promotion-guardrail';
import { RetrainingCoordinator } from './retraining-coordinator';
import { ScheduledTrigger } from './scheduled-trigger';
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
const metric = (metricName: string, service: string, dimensions: Record<string, string>, statistic: string = cloudwatch.Stats.SUM, label?: string) =>
  new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service, ...dimensions }, statistic, period: Duration.minutes(5), label });
const search = (expression: string, label: string, statistic = 'Sum', periodSeconds = 3600) =>
  new cloudwatch.MathExpression({ expression: `SEARCH('{${METRICS_NAMESPACE},${expression}', '${statistic}', ${periodSeconds})`, label, period: Duration.seconds(periodSeconds) });
const STARTS = {
  DataArrival: metric('StartRequests', 'DataArrivalBatcher', { TriggerType: 'DataArrival' }, 'Sum', 'data arrival'),
  Event: metric('StartRequests', 'EventTriggers', { TriggerType: 'Event' }, 'Sum', 'events'),
  Drift: metric('StartRequests', 'DriftEvaluator', { TriggerType: 'Drift' }, 'Sum', 'drift'),
};

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
  private readonly deadLetters: { readonly queue: IQueueMetrics; readonly alarm: cloudwatch.IAlarm };
  private readonly maxFailures: number;
  private readonly alarmActions: cloudwatch.IAlarmAction[];
  private completed = false;

  constructor(scope: Construct, id: string, props: TriggerDashboardProps = {}) {
    super(scope, id);
    const maxStarts = props.maxStartsPerHour ?? 10;
    this.maxFailures = props.maxStartFailuresPerHour ?? 1;
    const maxRejected = props.maxEventsRejectedPerHour ?? 1;
    validateIntegerInRange('maxStartsPerHour', maxStarts, 1, 100_000);
    validateIntegerInRange('maxStartFailuresPerHour', this.maxFailures, 1, 100_000);
    validateIntegerInRange('maxEventsRejectedPerHour', maxRejected, 1, 100_000);
    this.alarmActions = [...(props.alarmActions ?? [])];

    this.stormAlarm = new cloudwatch.Alarm(this, 'StormAlarm', {
      alarmDescription: `More than ${maxStarts} training starts were requested within an hour: a trigger may be looping (an event that its own run emits again) or a source may be flooding.`,
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(dataArrival, 0) + FILL(events, 0) + FILL(drift, 0)',
        usingMetrics: { dataArrival: STARTS.DataArrival, events: STARTS.Event, drift: STARTS.Drift },
        period: HOUR,
        label: 'start requests per hour',
      }),
      threshold: maxStarts,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // The functions whose errors count are known only once the stack is complete (see `complete`).
    this.startFailureAlarm = new cloudwatch.Alarm(this, 'StartFailureAlarm', {
      alarmDescription: 'Training starts failed, or a trigger function failed, within the last hour: read the functions\' logs and the batch table for the error.',
      metric: this.failureExpression([]),
      threshold: this.maxFailures,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.eventsRejectedAlarm = new cloudwatch.Alarm(this, 'EventsRejectedAlarm', {
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
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
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

  private alarmsOf(found: ReturnType<TriggerDashboard['found']>): cloudwatch.IAlarm[] {
    return [
      this.stormAlarm,
      this.startFailureAlarm,
      this.eventsRejectedAlarm,
      this.deadLetters.alarm,
      ...found.scheduled.flatMap((t) => (t.missedRunAlarm ? [t.missedRunAlarm] : [])),
      ...found.dataArrival.map((t) => t.staleBatchAlarm),
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

  private failureExpression(functions: lambda.IFunction[]): cloudwatch.MathExpression {
    const usingMetrics: Record<string, cloudwatch.IMetric> = { batchStarts: metric('StartFailures', 'DataArrivalBatcher', { TriggerType: 'DataArrival' }) };
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

  /** Wires what the stack holds at synthesis: the failing functions, alarm actions and every widget. */
  private complete(): void {
    if (this.completed) return;
    this.completed = true;
    const found = this.found();
    const functionErrors = [...found.eventFunctions.map((f) => f.function), ...found.drift.map((d) => d.function), ...found.coordinators.map((c) => c.function)];
    (this.startFailureAlarm.node.defaultChild as cloudwatch.CfnAlarm).metrics = renderMathAlarm(this.failureExpression(functionErrors));
    const alarms = this.alarmsOf(found);
    for (const action of this.alarmActions) {
      for (const alarm of alarms) (alarm as cloudwatch.Alarm).addAlarmAction?.(action);
    }

    const graph = (title: string, left: cloudwatch.IMetric[], width = 12, right?: cloudwatch.IMetric[]) =>
      new cloudwatch.GraphWidget({ title, left, ...(right ? { right } : {}), width, height: 6 });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: '# Retraining triggers\nWhat fired, what started, what was held back and why. The decision log answers single cases: `npx cdk-ml-triggers explain`.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 24, height: 3 }));
    this.dashboard.addWidgets(
      graph('Events by trigger type', [
        metric('EventsReceived', 'DataArrivalBatcher', { TriggerType: 'DataArrival' }, 'Sum', 'data arrival'),
        metric('EventsReceived', 'EventTriggers', { TriggerType: 'Event' }, 'Sum', 'events'),
        search('Action,Severity,TriggerType,service} MetricName="DriftAssessments"', 'drift assessments'),
        scheduler.Schedule.metricAllAttempts({ period: Duration.minutes(5), label: 'schedule invocations' }),
      ]),
      graph('Start requests by trigger type', Object.values(STARTS)),
    );
    this.dashboard.addWidgets(
      graph('Coordinator decisions by outcome and reason', [search('Outcome,Reason,TriggerType,service} MetricName="Decisions"', '')]),
      graph('Estimated spend of started runs', [metric('EstimatedSpend', 'RetrainingCoordinator', {}, 'Sum', 'estimated spend')]),
    );
    this.dashboard.addWidgets(
      graph('Drift scores by feature (max per hour)', [search('Feature,TriggerType,service} MetricName="DriftScore"', '', 'Maximum')]),
      graph('Drift reports that could not be read', [metric('UnreadableReports', 'DriftEvaluator', { TriggerType: 'Drift' })]),
    );
    this.dashboard.addWidgets(
      graph('Batch fill (objects per started batch)', [
        metric('BatchSize', 'DataArrivalBatcher', { TriggerType: 'DataArrival' }, cloudwatch.Stats.AVERAGE, 'average'),
        metric('BatchSize', 'DataArrivalBatcher', { TriggerType: 'DataArrival' }, cloudwatch.Stats.MAXIMUM, 'largest'),
      ]),
      graph('Oldest batch waiting, by trigger (seconds)', [search('TriggerId,TriggerType,service} MetricName="OldestBatchAge"', '', 'Maximum', 300)]),
    );
    this.dashboard.addWidgets(
      graph('Dead-letter queue depth', [this.deadLetters.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM })]),
      graph('Start failures and failed batches', [
        metric('StartFailures', 'DataArrivalBatcher', { TriggerType: 'DataArrival' }, 'Sum', 'failed batch starts'),
        metric('BatchesFailed', 'DataArrivalBatcher', { TriggerType: 'DataArrival' }, 'Sum', 'batches given up'),
        EventTrigger.metricAllEventsRejected({ label: 'events rejected' }),
        // What the other functions refused as malformed or not theirs: each started nothing.
        metric('EventsRejected', 'DataArrivalBatcher', { TriggerType: 'DataArrival' }, 'Sum', 'object events rejected'),
        metric('MessagesRejected', 'DriftEvaluator', { TriggerType: 'Drift' }, 'Sum', 'drift messages rejected'),
        metric('InputsRejected', 'PromotionGuardrail', {}, 'Sum', 'guardrail inputs rejected'),
        ...functionErrors.map((fn) => fn.metricErrors({ period: Duration.minutes(5) })),
      ]),
    );
    if (found.guardrails.length > 0) {
      this.dashboard.addWidgets(
        graph('Promotion guardrail', [
          metric('CandidatesPassed', 'PromotionGuardrail', {}, 'Sum', 'passed'),
          metric('CandidatesFailed', 'PromotionGuardrail', {}, 'Sum', 'failed'),
          metric('ApprovalsRequested', 'PromotionGuardrail', {}, 'Sum', 'approval requested'),
        ], 24),
      );
    }
  }
}

/** The queue metric the dashboard graphs. */
interface IQueueMetrics {
  metricApproximateNumberOfMessagesVisible(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
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
