import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { parseAlarmMessage, parseDriftConfig } from '../core/drift';
import { parseAlarmSources } from '../core/alarm-message';
import { accept, isRecord, reject, requiredString, type FieldError, type Parsed } from '../core/result';
import { CoordinatorClient } from '../adapters/coordinator-client';
import { Launchers } from '../adapters/launcher';
import { PipelineStarter } from '../adapters/pipeline-starter';
import { DriftEvaluator, type DriftTriggerSettings, type EvaluationOutcome } from './evaluator';
import { ReviewNotifier } from './review-notifier';
import { ViolationsReader } from './violations-reader';

const logger = new Logger({ serviceName: 'DriftEvaluator' });
const metrics = new Metrics({ serviceName: 'DriftEvaluator', defaultDimensions: { TriggerType: 'Drift' }, logger });
const settings = parseSettings(JSON.parse(process.env.DRIFT_SETTINGS ?? 'null'));
const evaluator = new DriftEvaluator({
  reader: new ViolationsReader(new S3Client({})),
  launchers: new Launchers(new PipelineStarter(new SageMakerClient({})), new CoordinatorClient(new LambdaClient({}))),
  notifier: new ReviewNotifier(new SNSClient({})),
  observer: {
    scored: (trigger, assessment) => {
      logger.info('assessed drift', { triggerId: trigger.triggerId, severity: assessment.severity, action: assessment.action, drifted: assessment.drifted });
      for (const feature of assessment.drifted) {
        const metric = metrics.singleMetric();
        metric.addDimension('Feature', feature.feature.slice(0, 250));
        metric.addMetric('DriftScore', MetricUnit.NoUnit, feature.score);
      }
      const metric = metrics.singleMetric();
      metric.addDimensions({ Severity: assessment.severity, Action: assessment.action });
      metric.addMetric('DriftAssessments', MetricUnit.Count, 1);
      if (assessment.action === 'retrain' || assessment.action === 'retrain-with-approval') metrics.addMetric('StartRequests', MetricUnit.Count, 1);
    },
    unreadable: (trigger, problem, source) => {
      logger.error('could not score drift: the report was not readable', { triggerId: trigger.triggerId, problem, source });
      metrics.addMetric('UnreadableReports', MetricUnit.Count, 1);
    },
  },
});

export type DriftResult = { readonly outcomes: ReadonlyArray<EvaluationOutcome | { status: 'rejected'; error: FieldError }> };

/** Receives the drift topic's notifications: CloudWatch alarm messages, or alarm state-change events. */
export async function handler(event: unknown, context?: Context): Promise<DriftResult> {
  if (context) logger.addContext(context);
  try {
    if (!settings.ok) return { outcomes: [rejected({ field: `DRIFT_SETTINGS.${settings.error.field}`, problem: settings.error.problem })] };
    const records = isRecord(event) && Array.isArray(event.Records) ? event.Records : undefined;
    if (!records) return { outcomes: [rejected({ field: 'Records', problem: 'must be the list of SNS records' })] };
    const outcomes = [];
    for (const [index, record] of records.entries()) {
      const message = isRecord(record) && isRecord(record.Sns) ? record.Sns.Message : undefined;
      if (typeof message !== 'string') {
        outcomes.push(rejected({ field: `Records[${index}].Sns.Message`, problem: 'must be a string' }));
        continue;
      }
      const transition = parseAlarmMessage(message);
      if (!transition.ok) {
        outcomes.push(rejected({ field: `Records[${index}].Sns.Message.${transition.error.field}`, problem: transition.error.problem }));
        continue;
      }
      const outcome = await evaluator.evaluate(settings.value, transition.value);
      outcomes.push(outcome.status === 'rejected' ? rejected({ field: `Records[${index}].Sns.Message.${outcome.error.field}`, problem: outcome.error.problem }) : outcome);
    }
    return { outcomes };
  } finally {
    metrics.publishStoredMetrics();
  }
}

function rejected(error: FieldError): { status: 'rejected'; error: FieldError } {
  logger.error('rejected a message that is not a CloudWatch alarm notification', { field: error.field, problem: error.problem });
  metrics.addMetric('MessagesRejected', MetricUnit.Count, 1);
  return { status: 'rejected', error };
}

/** The trigger's settings, as the construct writes them into DRIFT_SETTINGS. */
export function parseSettings(input: unknown): Parsed<DriftTriggerSettings> {
  if (!isRecord(input)) return reject('settings', 'must be an object');
  const triggerId = requiredString(input, 'triggerId', 'triggerId');
  if (!triggerId.ok) return triggerId;
  const pipelineName = requiredString(input, 'pipelineName', 'pipelineName');
  if (!pipelineName.ok) return pipelineName;
  const drift = parseDriftConfig(input.drift);
  if (!drift.ok) return reject(`drift.${drift.error.field}`, drift.error.problem);
  const output = input.monitoringOutput;
  if (output !== undefined && (!isRecord(output) || typeof output.bucket !== 'string' || typeof output.prefix !== 'string')) {
    return reject('monitoringOutput', 'must be { bucket, prefix }');
  }
  const parameters = input.parameters ?? {};
  if (!isRecord(parameters) || Object.values(parameters).some((value) => typeof value !== 'string')) {
    return reject('parameters', 'must map names to strings');
  }
  const alarms = parseAlarmSources(input.alarms);
  if (!alarms.ok) return alarms;
  const optional = (name: string) => (typeof input[name] === 'string' ? { [name]: input[name] as string } : {});
  return accept({
    triggerId: triggerId.value,
    pipelineName: pipelineName.value,
    drift: drift.value,
    alarms: alarms.value,
    ...(output ? { monitoringOutput: { bucket: output.bucket as string, prefix: output.prefix as string } } : {}),
    parameters: parameters as Record<string, string>,
    ...optional('coordinatorFunction'),
    ...optional('approvalFunction'),
    ...optional('teamTopicArn'),
    ...optional('humanReviewTopicArn'),
  });
}
