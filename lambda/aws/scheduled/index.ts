import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SSMClient } from '@aws-sdk/client-ssm';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { isRecord } from '../../core/result';
import { parseFiring } from '../../core/scheduled-check';
import { MetricName, MetricService } from '../../core/contracts/metrics';
import { CONFIGURATION_CHANGED } from '../../core/contracts/re-enable';
import { parseScheduledCheckConfig, type ScheduledCheckConfig } from '../../core/contracts/scheduled-check';
import { HandlerShell, type Rejected } from '../adapters/handler-shell';
import { deployedLaunchers } from '../adapters/launcher';
import { configSourceFromEnv, TriggerConfigs } from '../adapters/trigger-configs';
import { ConfigurationHistory } from '../adapters/configuration-history';
import { ScheduledCatchUp, type FollowedTrigger } from './catch-up';
import { ScheduledChecker, type CheckOutcome } from './checker';
import { RecentExecutions } from './recent-executions';

const shell = new HandlerShell({ serviceName: MetricService.ScheduledChecks, rejectionMetric: MetricName.EventsRejected, rejectionMessage: 'rejected a firing the check cannot use' });
const { logger, metrics } = shell;
const ssm = new SSMClient({});
const executions = new RecentExecutions(new SageMakerClient({}));
const launchers = deployedLaunchers();
const checker = new ScheduledChecker({ executions, launchers, now: () => Date.now() });
const catchUp = new ScheduledCatchUp({ history: new ConfigurationHistory(ssm, () => configSourceFromEnv(process.env)), executions, launchers, now: () => Date.now() });
const configs = new TriggerConfigs<ScheduledCheckConfig>(ssm, () => configSourceFromEnv(process.env), parseScheduledCheckConfig, () => Date.now());

/** What one firing decided, with the trigger, pipeline and firing it was about. */
export type ScheduledCheckResult = CheckOutcome & { readonly triggerId: string; readonly pipelineName: string; readonly scheduledTime: string };

/**
 * Receives `{ triggerId, scheduledTime }` from a scheduled trigger's schedule and starts a run only when no
 * execution of the pipeline that counts started within the trigger's window. The pipeline, the window, the
 * parameters and the route are what the deployment wrote for the trigger: an invocation made by anyone else
 * can cause a check, and a start only where the schedule's own next firing would make it.
 */
export const handler = shell.handler(async (input): Promise<ScheduledCheckResult | CatchUpResult | Rejected> => {
  if (!isRecord(input)) return shell.reject({ field: 'input', problem: 'must be an object with triggerId and scheduledTime' });
  if (isConfigurationChange(input)) return followConfigurations();
  const config = await configs.get(input.triggerId);
  if (!config.ok) return shell.reject(config.error);
  if (config.value.withinSeconds === undefined) {
    return shell.reject({ field: 'triggerId', problem: `'${config.value.triggerId}' names a trigger whose schedule starts its runs itself: it has no check` });
  }
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

/** What one change of the configurations did, trigger by trigger. */
export interface CatchUpResult {
  readonly status: 'configurations-followed';
  readonly configurationChanged: readonly FollowedTrigger[];
}

/** Exactly what the stack's rule on configuration changes sends, and nothing else. */
function isConfigurationChange(input: Record<string, unknown>): boolean {
  const keys = Object.keys(input);
  return keys.length === 1 && input.configurationChanged === CONFIGURATION_CHANGED.configurationChanged;
}

/**
 * Parameter Store said a configuration under the path changed: read them all as stored now (the change may
 * reach a warm environment before its new version does) and make up, once, what each re-enabled trigger that
 * catches up missed. A trigger that could not be followed is thrown at the end, so the change is delivered again.
 */
async function followConfigurations(): Promise<CatchUpResult> {
  const followed = await catchUp.follow(await configs.fresh());
  for (const trigger of followed) {
    if ('invalid' in trigger) logger.warn('skipped a configuration that does not parse', { triggerId: trigger.triggerId, ...trigger.invalid });
    else if ('error' in trigger) logger.error('could not catch up a re-enabled trigger; the change is delivered again', { triggerId: trigger.triggerId, error: trigger.error });
    else if (trigger.outcome.status === 'started' || trigger.outcome.status === 'deferred' || trigger.outcome.status === 'refused') {
      metrics.addMetric(MetricName.StartRequests, MetricUnit.Count, 1);
      logger.info(`catch-up ${trigger.outcome.status}: a firing was missed while the trigger was disabled`, { triggerId: trigger.triggerId, ...trigger.outcome });
    } else if (trigger.outcome.status === 'not-needed') {
      const { executionArn, startMs } = trigger.outcome.execution;
      logger.info('catch-up not needed: an execution started since the missed firing', {
        triggerId: trigger.triggerId, ...trigger.outcome, executionArn, ...(startMs !== undefined ? { executionStartTime: new Date(startMs).toISOString() } : {}),
      });
    } else if (trigger.outcome.reason !== 'never-disabled') {
      logger.info('no catch-up', { triggerId: trigger.triggerId, ...trigger.outcome });
    }
  }
  const failed = followed.filter((trigger) => 'error' in trigger).map((trigger) => trigger.triggerId);
  if (failed.length > 0) throw new Error(`not yet caught up: ${failed.join(', ')}`);
  return { status: 'configurations-followed', configurationChanged: followed };
}
