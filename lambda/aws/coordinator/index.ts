import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SNSClient } from '@aws-sdk/client-sns';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { parseRequestRef, parseStartRequest } from '../../core/coordination';
import { DEFAULT_POLICY, parsePolicy } from '../../core/contracts/coordinator';
import { isRecord, type FieldError } from '../../core/result';
import { MetricDimension, MetricName, MetricService } from '../../core/contracts/metrics';
import { ApprovalNotifier } from '../adapters/approval-notifier';
import { HandlerShell, JsonSetting } from '../adapters/handler-shell';
import { PipelineStarter } from '../adapters/pipeline-starter';
import { Coordinator, type CoordinatorAnswer, type SweepSummary } from './coordinator';
import type { CoordinatorDeps } from './coordinator-steps';
import { CoordinatorStore } from './coordinator-store';

const shell = new HandlerShell({ serviceName: MetricService.RetrainingCoordinator, rejectionMetric: MetricName.RequestsRejected, rejectionMessage: 'rejected an input the coordinator cannot act on' });
const { logger, metrics } = shell;
const policy = new JsonSetting('COORDINATOR_POLICY', (value) => parsePolicy(value ?? DEFAULT_POLICY));
const DAY_MS = 86_400_000;
let invocationId = 'local';
const deps: Omit<CoordinatorDeps, 'policy'> = {
  store: new CoordinatorStore(new DynamoDBClient({}), process.env.COORDINATOR_TABLE_NAME ?? '', Number(process.env.DECISION_RETENTION_DAYS ?? 90) * DAY_MS),
  starter: new PipelineStarter(new SageMakerClient({})),
  notifier: new ApprovalNotifier(process.env.APPROVAL_TOPIC_ARN ? new SNSClient({}) : undefined, process.env.APPROVAL_TOPIC_ARN),
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'coordinator',
  observer: {
    decided: (record) => {
      logger.info('decided a start request', { ...record });
      const metric = metrics.singleMetric();
      metric.addDimensions({ [MetricDimension.Outcome]: record.outcome, [MetricDimension.Reason]: record.reason.split(' ')[0], [MetricDimension.TriggerType]: record.triggerType });
      metric.addMetric(MetricName.Decisions, MetricUnit.Count, 1);
      if (record.outcome === 'started') metrics.addMetric(MetricName.EstimatedSpend, MetricUnit.Count, record.estimatedCost);
    },
  },
  now: () => Date.now(),
  owner: () => invocationId,
  pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};
let coordinator: Coordinator | undefined;

export type CoordinatorResult = CoordinatorAnswer | SweepSummary | { readonly status: 'rejected'; readonly error: FieldError };

/**
 * `{ action: 'request', request }` or `{ action: 'withdraw', pipelineName, requestId }` from a trigger,
 * `{ action: 'approve' | 'reject', pipelineName, requestId }` from an operator, or `{ action: 'sweep' }`
 * from the coordinator's own schedule. A `COORDINATOR_POLICY` that cannot be used fails the invocation.
 */
export const handler = shell.handler(async (input, context): Promise<CoordinatorResult> => {
  if (context) invocationId = context.awsRequestId;
  // Built on first use with the policy, so that a bad policy fails an invocation, not the initialization.
  coordinator ??= new Coordinator({ ...deps, policy: shell.setting(policy) });
  if (!isRecord(input)) return shell.reject({ field: 'input', problem: 'must be an object with an action' });
  if (input.action === 'request') {
    const request = parseStartRequest(input.request);
    if (!request.ok) return shell.reject({ field: `request.${request.error.field}`, problem: request.error.problem });
    return await coordinator.request(request.value);
  }
  if (input.action === 'withdraw' || input.action === 'approve' || input.action === 'reject') {
    const ref = parseRequestRef(input);
    if (!ref.ok) return shell.reject(ref.error);
    const { pipelineName, requestId } = ref.value;
    if (input.action === 'withdraw') return await coordinator.withdraw(pipelineName, requestId);
    return await coordinator.answerApproval(pipelineName, requestId, input.action === 'approve');
  }
  if (input.action === 'sweep') {
    const summary = await coordinator.sweep();
    if (summary.asked > 0 || summary.failed > 0) logger.info('asked waiting requests again', { ...summary });
    metrics.addMetric(MetricName.WaitingRequests, MetricUnit.Count, summary.waiting);
    return summary;
  }
  return shell.reject({ field: 'action', problem: `must be 'request', 'approve', 'reject', 'withdraw' or 'sweep', got ${JSON.stringify(input.action)}` });
});
