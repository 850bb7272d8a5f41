import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { DataArrivalTrigger } from '../data-arrival-trigger';
import { DriftTrigger } from '../drift-trigger';
import { EventTrigger } from '../event-trigger';
import { PromotionGuardrail } from '../promotion-guardrail';
import { RetrainingCoordinator } from '../retraining-coordinator';

const FIVE_MINUTES = Duration.minutes(5);
/** The period of the dashboard's searches (one series per dimension value), but the oldest batch's. */
const HOURLY = { period: Duration.hours(1) };

/** What the dashboard's rows show of the stack, besides the triggers' metrics. */
export interface DashboardContents {
  /** Every alarm the dashboard shows. */
  readonly alarms: cloudwatch.IAlarm[];
  /** The functions whose errors count as failures. */
  readonly functions: lambda.IFunction[];
  /** The queue every trigger function's failed events go to. */
  readonly deadLetters: { metricApproximateNumberOfMessagesVisible(props?: cloudwatch.MetricOptions): cloudwatch.Metric };
  /** Whether the stack holds a promotion guardrail. */
  readonly hasGuardrail: boolean;
}

/** Start requests per trigger type: what the storm alarm sums and the dashboard graphs. */
export function startRequests(): { dataArrival: cloudwatch.Metric; events: cloudwatch.Metric; drift: cloudwatch.Metric } {
  return {
    dataArrival: DataArrivalTrigger.metricAllStartRequests({ label: 'data arrival' }),
    events: EventTrigger.metricAllStartRequests({ label: 'events' }),
    drift: DriftTrigger.metricAllStartRequests({ label: 'drift' }),
  };
}

/** The dashboard's rows, top to bottom. */
export function dashboardRows(contents: DashboardContents): cloudwatch.IWidget[][] {
  return [
    [
      new cloudwatch.TextWidget({
        markdown: '# Retraining triggers\nWhat fired, what started, what was held back and why. The decision log answers single cases: `npx cdk-ml-triggers explain`.',
        width: 24,
        height: 2,
      }),
    ],
    [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: contents.alarms, width: 24, height: 3 })],
    activityRow(),
    [
      graph('Coordinator decisions by outcome and reason', [RetrainingCoordinator.metricAllDecisions({ ...HOURLY, label: '' })]),
      graph('Estimated spend of started runs', [RetrainingCoordinator.metricAllEstimatedSpend({ label: 'estimated spend' })]),
    ],
    [
      graph('Drift scores by feature (max per hour)', [DriftTrigger.metricAllDriftScores({ ...HOURLY, label: '' })]),
      graph('Drift reports that could not be read', [DriftTrigger.metricAllUnreadableReports()]),
    ],
    [
      graph('Batch fill (objects per started batch)', [
        DataArrivalTrigger.metricAllBatchSizes({ label: 'average' }),
        DataArrivalTrigger.metricAllBatchSizes({ statistic: cloudwatch.Stats.MAXIMUM, label: 'largest' }),
      ]),
      graph('Oldest batch waiting, by trigger (seconds)', [DataArrivalTrigger.metricAllOldestBatchAges({ label: '' })]),
    ],
    failureRow(contents),
    ...(contents.hasGuardrail ? [guardrailRow()] : []),
  ];
}

function graph(title: string, left: cloudwatch.IMetric[], width = 12): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left, width, height: 6 });
}

function activityRow(): cloudwatch.IWidget[] {
  return [
    graph('Events by trigger type', [
      DataArrivalTrigger.metricAllEventsReceived({ label: 'data arrival' }),
      EventTrigger.metricAllEventsReceived({ label: 'events' }),
      DriftTrigger.metricAllAssessments({ ...HOURLY, label: 'drift assessments' }),
      scheduler.Schedule.metricAllAttempts({ period: FIVE_MINUTES, label: 'schedule invocations' }),
    ]),
    graph('Start requests by trigger type', Object.values(startRequests())),
  ];
}

function failureRow(contents: DashboardContents): cloudwatch.IWidget[] {
  return [
    graph('Dead-letter queue depth', [contents.deadLetters.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.MAXIMUM })]),
    graph('Start failures and failed batches', [
      DataArrivalTrigger.metricAllStartFailures({ label: 'failed batch starts' }),
      DataArrivalTrigger.metricAllBatchesFailed({ label: 'batches given up' }),
      EventTrigger.metricAllEventsRejected({ label: 'events rejected' }),
      EventTrigger.metricAllEventsFailingSchema({ label: 'events failing their schema' }),
      // What the other functions refused as malformed or not theirs: each started nothing.
      DataArrivalTrigger.metricAllEventsRejected({ label: 'object events rejected' }),
      DriftTrigger.metricAllMessagesRejected({ label: 'drift messages rejected' }),
      PromotionGuardrail.metricAllInputsRejected({ label: 'guardrail inputs rejected' }),
      ...contents.functions.map((fn) => fn.metricErrors({ period: FIVE_MINUTES })),
    ]),
  ];
}

function guardrailRow(): cloudwatch.IWidget[] {
  return [
    graph('Promotion guardrail', [
      PromotionGuardrail.metricAllCandidatesPassed({ label: 'passed' }),
      PromotionGuardrail.metricAllCandidatesFailed({ label: 'failed' }),
      PromotionGuardrail.metricAllApprovalsRequested({ label: 'approval requested' }),
    ], 24),
  ];
}
