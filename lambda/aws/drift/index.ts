import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { parseDriftTriggerSettings } from '../../core/contracts/drift';
import { parseAlarmMessage } from '../../core/drift';
import { isRecord, parseJson, type FieldError, type Parsed } from '../../core/result';
import { MONITOR_MESSAGE_SOURCE, parseMonitorReportMessage, type MonitorReportMessage } from '../../core/contracts/drift-monitor';
import { MetricDimension, MetricName, MetricService } from '../../core/contracts/metrics';
import { HandlerShell, JsonSetting } from '../adapters/handler-shell';
import { deployedLaunchers } from '../adapters/launcher';
import { DriftEvaluator, type EvaluationOutcome } from './evaluator';
import { ReviewNotifier } from './review-notifier';
import { ViolationsReader } from './violations-reader';

const shell = new HandlerShell({ serviceName: MetricService.DriftEvaluator, rejectionMetric: MetricName.MessagesRejected, rejectionMessage: 'rejected a message that is not a CloudWatch alarm notification' });
const { logger, metrics } = shell;
const driftSettings = new JsonSetting('DRIFT_SETTINGS', (value) => parseDriftTriggerSettings(value ?? null));
const evaluator = new DriftEvaluator({
  reader: new ViolationsReader(new S3Client({})),
  launchers: deployedLaunchers(),
  notifier: new ReviewNotifier(new SNSClient({})),
  observer: {
    scored: (trigger, assessment) => {
      logger.info('assessed drift', { triggerId: trigger.triggerId, severity: assessment.severity, action: assessment.action, drifted: assessment.drifted });
      for (const feature of assessment.drifted) {
        const metric = metrics.singleMetric();
        metric.addDimension(MetricDimension.Feature, feature.feature.slice(0, 250));
        metric.addMetric(MetricName.DriftScore, MetricUnit.NoUnit, feature.score);
      }
      const metric = metrics.singleMetric();
      metric.addDimensions({ [MetricDimension.Severity]: assessment.severity, [MetricDimension.Action]: assessment.action });
      metric.addMetric(MetricName.DriftAssessments, MetricUnit.Count, 1);
      if (assessment.action === 'retrain' || assessment.action === 'retrain-with-approval') metrics.addMetric(MetricName.StartRequests, MetricUnit.Count, 1);
    },
    unreadable: (trigger, problem, source) => {
      logger.error('could not score drift: the report was not readable', { triggerId: trigger.triggerId, problem, source });
      metrics.addMetric(MetricName.UnreadableReports, MetricUnit.Count, 1);
    },
  },
});

/** A drift monitor's message (its `source` says so), read; undefined for anything else, which is read as an alarm. */
function monitorMessageOf(message: string): Parsed<MonitorReportMessage> | undefined {
  const json = parseJson(message, 'message');
  if (!json.ok || !isRecord(json.value) || json.value.source !== MONITOR_MESSAGE_SOURCE) return undefined;
  return parseMonitorReportMessage(json.value);
}

export type DriftResult = { readonly outcomes: ReadonlyArray<EvaluationOutcome | { status: 'rejected'; error: FieldError }> };

/**
 * Receives the drift topic's notifications: CloudWatch alarm messages, alarm state-change events, or a drift
 * monitor's word that it wrote a report.
 * `DRIFT_SETTINGS` absent or unusable fails the invocation, so SNS retries it and the failure shows.
 */
export const handler = shell.handler(async (event): Promise<DriftResult> => {
  const settings = shell.setting(driftSettings);
  const records = isRecord(event) && Array.isArray(event.Records) ? event.Records : undefined;
  if (!records) return { outcomes: [shell.reject({ field: 'Records', problem: 'must be the list of SNS records' })] };
  const outcomes = [];
  for (const [index, record] of records.entries()) {
    const message = isRecord(record) && isRecord(record.Sns) ? record.Sns.Message : undefined;
    if (typeof message !== 'string') {
      outcomes.push(shell.reject({ field: `Records[${index}].Sns.Message`, problem: 'must be a string' }));
      continue;
    }
    const fromMonitor = monitorMessageOf(message);
    if (fromMonitor) {
      if (!fromMonitor.ok) {
        outcomes.push(shell.reject({ field: `Records[${index}].Sns.Message.${fromMonitor.error.field}`, problem: fromMonitor.error.problem }));
        continue;
      }
      const outcome = await evaluator.evaluateMonitorReport(settings, fromMonitor.value);
      outcomes.push(outcome.status === 'rejected' ? shell.reject({ field: `Records[${index}].Sns.Message.${outcome.error.field}`, problem: outcome.error.problem }) : outcome);
      continue;
    }
    const transition = parseAlarmMessage(message);
    if (!transition.ok) {
      outcomes.push(shell.reject({ field: `Records[${index}].Sns.Message.${transition.error.field}`, problem: transition.error.problem }));
      continue;
    }
    const outcome = await evaluator.evaluate(settings, transition.value);
    outcomes.push(outcome.status === 'rejected' ? shell.reject({ field: `Records[${index}].Sns.Message.${outcome.error.field}`, problem: outcome.error.problem }) : outcome);
  }
  return { outcomes };
});

