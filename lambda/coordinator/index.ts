import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { DEFAULT_POLICY, parsePolicy, parseRequestRef, parseStartRequest } from '../core/coordination';
import { isRecord, type FieldError } from '../core/result';
import { ApprovalNotifier } from '../adapters/approval-notifier';
import { PipelineStarter } from '../adapters/pipeline-starter';
import { Coordinator, type CoordinatorAnswer, type SweepSummary } from './coordinator';
import { CoordinatorStore } from './coordinator-store';

const logger = new Logger({ serviceName: 'RetrainingCoordinator' });
const metrics = new Metrics({ serviceName: 'RetrainingCoordinator', logger });
const policy = parsePolicy(JSON.parse(process.env.COORDINATOR_POLICY ?? 'null') ?? DEFAULT_POLICY);
const DAY_MS = 86_400_000;
let invocationId = 'local';

const coordinator = new Coordinator({
  store: new CoordinatorStore(new DynamoDBClient({}), process.env.COORDINATOR_TABLE_NAME ?? '', Number(process.env.DECISION_RETENTION_DAYS ?? 90) * DAY_MS),
  starter: new PipelineStarter(new SageMakerClient({})),
  notifier: new ApprovalNotifier(process.env.APPROVAL_TOPIC_ARN ? new SNSClient({}) : undefined, process.env.APPROVAL_TOPIC_ARN),
  policy: policy.ok ? policy.value : DEFAULT_POLICY,
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'coordinator',
  observer: {
    decided: (record) => {
      logger.info('decided a start request', { ...record });
      const metric = metrics.singleMetric();
      metric.addDimensions({ Outcome: record.outcome, Reason: record.reason.split(' ')[0], TriggerType: record.triggerType });
      metric.addMetric('Decisions', MetricUnit.Count, 1);
      if (record.outcome === 'started') metrics.addMetric('EstimatedSpend', MetricUnit.Count, record.estimatedCost);
    },
  },
  now: () => Date.now(),
  owner: () => invocationId,
  pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
});

export type CoordinatorResult = CoordinatorAnswer | SweepSummary | { readonly status: 'rejected'; readonly error: FieldError };

/**
 * `{ action: 'request', request }` or `{ action: 'withdraw', pipelineName, requestId }` from a trigger,
 * `{ action: 'approve' | 'reject', pipelineName, requestId }` from an operator, or `{ action: 'sweep' }`
 * from the coordinator's own schedule.
 */
export async function handler(input: unknown, context?: Context): Promise<CoordinatorResult> {
  if (context) {
    logger.addContext(context);
    invocationId = context.awsRequestId;
  }
  try {
    if (!policy.ok) return rejected({ field: `COORDINATOR_POLICY.${policy.error.field}`, problem: policy.error.problem });
    if (!isRecord(input)) return rejected({ field: 'input', problem: 'must be an object with an action' });
    if (input.action === 'request') {
      const request = parseStartRequest(input.request);
      if (!request.ok) return rejected({ field: `request.${request.error.field}`, problem: request.error.problem });
      return await coordinator.request(request.value);
    }
    if (input.action === 'withdraw' || input.action === 'approve' || input.action === 'reject') {
      const ref = parseRequestRef(input);
      if (!ref.ok) return rejected(ref.error);
      const { pipelineName, requestId } = ref.value;
      if (input.action === 'withdraw') return await coordinator.withdraw(pipelineName, requestId);
      return await coordinator.answerApproval(pipelineName, requestId, input.action === 'approve');
    }
    if (input.action === 'sweep') {
      const summary = await coordinator.sweep();
      if (summary.asked > 0 || summary.failed > 0) logger.info('asked waiting requests again', { ...summary });
      metrics.addMetric('WaitingRequests', MetricUnit.Count, summary.waiting);
      return summary;
    }
    return rejected({ field: 'action', problem: `must be 'request', 'approve', 'reject', 'withdraw' or 'sweep', got ${JSON.stringify(input.action)}` });
  } finally {
    metrics.publishStoredMetrics();
  }
}

function rejected(error: FieldError): CoordinatorResult {
  logger.error('rejected an input the coordinator cannot act on', { field: error.field, problem: error.problem });
  metrics.addMetric('RequestsRejected', MetricUnit.Count, 1);
  return { status: 'rejected', error };
}
