import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SSMClient } from '@aws-sdk/client-ssm';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { isRecord } from '../../core/result';
import { parseFiring } from '../../core/scheduled-check';
import { MetricName, MetricService } from '../../core/contracts/metrics';
import { parseScheduledCheckConfig, type ScheduledCheckConfig } from '../../core/contracts/scheduled-check';
import { HandlerShell, type Rejected } from '../adapters/handler-shell';
import { deployedLaunchers } from '../adapters/launcher';
import { configSourceFromEnv, TriggerConfigs } from '../adapters/trigger-configs';
import { ScheduledChecker, type CheckOutcome } from './checker';
import { RecentExecutions } from './recent-executions';

const shell = new HandlerShell({ serviceName: MetricService.ScheduledChecks, rejectionMetric: MetricName.EventsRejected, rejectionMessage: 'rejected a firing the check cannot use' });
const { logger, metrics } = shell;
const checker = new ScheduledChecker({ executions: new RecentExecutions(new SageMakerClient({})), launchers: deployedLaunchers(), now: () => Date.now() });
const configs = new TriggerConfigs<ScheduledCheckConfig>(new SSMClient({}), () => configSourceFromEnv(process.env), parseScheduledCheckConfig, () => Date.now());

/** What one firing decided, with the trigger, pipeline and firing it was about. */
export type ScheduledCheckResult = CheckOutcome & { readonly triggerId: string; readonly pipelineName: string; readonly scheduledTime: string };

/**
 * Receives `{ triggerId, scheduledTime }` from a scheduled trigger's schedule and starts a run only when no
 * execution of the pipeline that counts started within the trigger's window. The pipeline, the window, the
 * parameters and the route are what the deployment wrote for the trigger: an invocation made by anyone else
 * can cause a check, and a start only where the schedule's own next firing would make it.
 */
export const handler = shell.handler(async (input): Promise<ScheduledCheckResult | Rejected> => {
  if (!isRecord(input)) return shell.reject({ field: 'input', problem: 'must be an object with triggerId and scheduledTime' });
  const config = await configs.get(input.triggerId);
  if (!config.ok) return shell.reject(config.error);
  const firing = parseFiring(input.scheduledTime, Date.now());
  if (!firing.ok) return shell.reject(firing.error);
  metrics.addMetric(MetricName.EventsReceived, MetricUnit.Count, 1);
  const outcome = await checker.check(config.value, firing.value);
  const decision = { triggerId: config.value.triggerId, pipelineName: config.value.pipelineName, scheduledTime: firing.value.scheduledTime };
  if (outcome.status === 'skipped') {
    metrics.addMetric(MetricName.FiringsSkipped, MetricUnit.Count, 1);
    if ('execution' in outcome) {
      const { executionArn, status, startMs } = outcome.execution;
      logger.info('skipped a firing: the pipeline ran within the window', {
        ...decision, windowStart: outcome.windowStart, executionArn, executionStatus: status, ...(startMs !== undefined ? { executionStartTime: new Date(startMs).toISOString() } : {}),
      });
    } else {
      logger.warn('skipped a firing: more executions within the window than a check reads, none of them counting', { ...decision, windowStart: outcome.windowStart, read: outcome.read });
    }
    return { ...outcome, ...decision };
  }
  metrics.addMetric(MetricName.StartRequests, MetricUnit.Count, 1);
  logger.info(outcome.status === 'started' ? 'started a run: nothing ran within the window' : 'asked for a run: nothing ran within the window', { ...decision, outcome });
  return { ...outcome, ...decision };
});
