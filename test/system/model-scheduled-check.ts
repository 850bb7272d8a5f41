/**
 * The scheduled check of the workload: "at least every 6 hours" (`unlessRanWithin`) on the direct trigger's
 * pipeline, which the direct batches and the deadline also start. Its firings come every hour, at least once and
 * now and then again; the pipeline's runs move on to other statuses meanwhile (Succeeded, Failed, Stopped,
 * Stopping). The check reads the system's SageMaker (ListPipelineExecutions) and starts through its own direct
 * launcher, as the deployed function composes them; the model reads what counted from SageMaker's own list of
 * the pipeline's runs (every one, unfiltered, without faults), with their start times and statuses.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ListPipelineExecutionsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { CoordinatorClient } from '../../lambda/aws/adapters/coordinator-client';
import { Launchers } from '../../lambda/aws/adapters/launcher';
import { PipelineStarter } from '../../lambda/aws/adapters/pipeline-starter';
import { ScheduledChecker, type CheckOutcome } from '../../lambda/aws/scheduled/checker';
import { RecentExecutions } from '../../lambda/aws/scheduled/recent-executions';
import { parseScheduledCheckConfig, type ScheduledCheckConfig } from '../../lambda/core/contracts/scheduled-check';
import { parseFiring } from '../../lambda/core/scheduled-check';
import type { RecordedExecution } from '../support/local-services';
import type { Deployment } from './deployment';
import type { Violation } from './invariants';
import type { WorkloadStepContext } from './model-keyed-join';
import type { Observation } from './observe';
import type { Faults } from './system';

const INVARIANT = '13 a scheduled check starts a run only when nothing counting ran within its period, once per firing' as const;
const HOUR = 3_600_000;
const WITHIN_SECONDS = 6 * 3600;
const COUNTING = new Set(['Executing', 'Stopping', 'Succeeded']);
/** The parameter that marks the check's runs: the direct pipeline's other runs carry a manifest instead. */
export const CHECK_MODE = 'at-least-every-6-hours';

export function scheduledCheckOf(pipelineName: string): ScheduledCheckConfig {
  const parsed = parseScheduledCheckConfig({ triggerId: 'clicks-at-least', pipelineName, withinSeconds: WITHIN_SECONDS, schedule: 'rate(1 hour)', parameters: { TrainingMode: CHECK_MODE } });
  if (!parsed.ok) throw new Error(`${parsed.error.field} ${parsed.error.problem}`);
  return parsed.value;
}

export function scheduledCheckSteps({ services, deployment, model, clock, delivery, random, pick, chance }: WorkloadStepContext, faults: Faults) {
  const config = deployment.scheduledCheck;
  const sagemaker = faults.wrap(new SageMakerClient({ maxAttempts: 1 }), 'check.sagemaker');
  const checker = new ScheduledChecker({
    executions: new RecentExecutions(sagemaker),
    launchers: new Launchers(new PipelineStarter(sagemaker), new CoordinatorClient(faults.wrap(new LambdaClient({ maxAttempts: 1 }), 'check.lambda'))),
    now: clock.now,
  });
  const runsOfPipeline = () => services.sagemaker.executions.filter((execution) => execution.pipelineName === config.pipelineName);
  const truth = new SageMakerClient({ maxAttempts: 1 });
  /** A counting run of the pipeline that started at or after `sinceMs`, as SageMaker lists them all. */
  async function countingSince(sinceMs: number): Promise<string | undefined> {
    const listed = await truth.send(new ListPipelineExecutionsCommand({ PipelineName: config.pipelineName, MaxResults: 100 }));
    const runs = listed.PipelineExecutionSummaries ?? [];
    if (listed.NextToken) throw new Error(`${config.pipelineName} has more runs than the model reads in one page`);
    return runs.find((run) => COUNTING.has(run.PipelineExecutionStatus ?? '') && (run.StartTime?.getTime() ?? -Infinity) >= sinceMs)?.PipelineExecutionArn;
  }

  /** A run of the pipeline moves on: it succeeds, fails, is stopped, or is being stopped. */
  async function runMovesOn(): Promise<void> {
    const runs = runsOfPipeline();
    if (runs.length === 0) return;
    const { executionArn } = pick(runs);
    const status = pick(['Succeeded', 'Failed', 'Stopped', 'Stopping'] as const);
    services.sagemaker.setStatus(executionArn, status);
  }

  /** The schedule's next firing, on the hour and a few seconds late, delivered at least once and now and then again. */
  async function firing(): Promise<void> {
    clock.advance(HOUR - (clock.now() % HOUR));
    const scheduledTime = `${new Date(clock.now()).toISOString().slice(0, 19)}Z`;
    const record = { scheduledTime, deliveries: [] as Array<{ readonly counting?: string; readonly reply: string; readonly started: string[] }> };
    model.checks.push(record);
    const invoke = async (): Promise<CheckOutcome> => {
      const nowMs = clock.now();
      const counting = await countingSince(nowMs - WITHIN_SECONDS * 1000);
      const before = new Set(runsOfPipeline().map((run) => run.executionArn));
      const firingOf = parseFiring(scheduledTime, nowMs);
      if (!firingOf.ok) throw new Error(`${firingOf.error.field} ${firingOf.error.problem}`);
      const outcome = await checker.check(config, firingOf.value);
      const started = runsOfPipeline().filter((run) => !before.has(run.executionArn)).map((run) => run.executionArn);
      record.deliveries.push({ ...(counting ? { counting } : {}), reply: outcome.status, started });
      return outcome;
    };
    await delivery.deliver(`scheduled check at ${scheduledTime}`, invoke);
    if (chance(0.4)) {
      clock.advance(Math.floor(random() * 5) * 60_000);
      await delivery.deliver(`scheduled check at ${scheduledTime} again`, invoke);
    }
  }

  return { firing, runMovesOn };
}

/** The logical request of a check's run (`check:` and its correlation), for invariant 2. */
export function checkKeyOf(execution: RecordedExecution, deployment: Deployment): string | undefined {
  if (execution.pipelineName !== deployment.scheduledCheck.pipelineName || execution.parameters.TrainingMode !== CHECK_MODE) return undefined;
  return `check:${/\[correlation ([^\]]+)\]/.exec(execution.description ?? '')?.[1] ?? execution.clientRequestToken}`;
}

/**
 * Invariant 13: a check delivery started a run only when no counting execution (Executing, Stopping, Succeeded)
 * of its pipeline started within the period before it, and skipped only when one had; and all deliveries of one
 * firing started at most one run between them.
 */
export function checkScheduledChecks(observation: Observation): Violation[] {
  const violations: Violation[] = [];
  const flag = (detail: string) => violations.push({ invariant: INVARIANT, detail });
  for (const { scheduledTime, deliveries } of observation.model.checks) {
    for (const { counting, reply, started } of deliveries) {
      if (counting && started.length > 0) flag(`the check firing at ${scheduledTime} started ${started.join(', ')} although ${counting} counted within the period`);
      if (!counting && reply === 'skipped') flag(`the check firing at ${scheduledTime} skipped, though nothing counting ran within the period`);
    }
    const runs = deliveries.flatMap(({ started }) => started);
    if (runs.length > 1) flag(`the check firing at ${scheduledTime} started ${runs.length} runs: ${runs.join(', ')}`);
  }
  return violations;
}
