/**
 * A scheduled trigger that catches up when it is turned back on: hourly on the direct trigger's pipeline, which
 * the direct batches, the scheduled check and the deadline also start. The workload turns it off and on again
 * (each change delivered at least once, sometimes twice); the deployment's versions of its configuration are what
 * the model writes, and the catch-up reads when it was off from them. It lists the pipeline's executions and starts
 * through its own direct launcher, as the deployed check function composes them; the model reads what counted from
 * SageMaker's own list of the pipeline's runs (every one, unfiltered, without faults).
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ListPipelineExecutionsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { CoordinatorClient } from '../../lambda/aws/adapters/coordinator-client';
import { Launchers } from '../../lambda/aws/adapters/launcher';
import { PipelineStarter } from '../../lambda/aws/adapters/pipeline-starter';
import { ScheduledCatchUp } from '../../lambda/aws/scheduled/catch-up';
import { RecentExecutions } from '../../lambda/aws/scheduled/recent-executions';
import { latestOffPeriod, type ConfigurationVersion } from '../../lambda/core/configuration-history';
import { parseScheduledCheckConfig, type ScheduledCheckConfig } from '../../lambda/core/contracts/scheduled-check';
import type { RecordedExecution } from '../support/local-services';
import type { Violation } from './invariants';
import type { WorkloadStepContext } from './model-keyed-join';
import type { Observation } from './observe';
import type { Faults } from './system';

const INVARIANT = '14 a scheduled re-enable starts one run for the firings it missed, only when nothing counting started since, once' as const;
const HOUR = 3_600_000;
const MAX_AGE_SECONDS = 2 * 86_400;
const COUNTING = new Set(['Executing', 'Stopping', 'Succeeded']);
const TRIGGER_ID = 'hourly-catch-up';
/** The parameter that marks the catch-up's runs. */
export const CATCH_UP_MODE = 'hourly-catch-up';

/** One re-enable: the firings the trigger missed while off (the latest), and each delivery's reply and the runs it started. */
export interface ScheduledReEnable {
  readonly offAtMs: number;
  readonly onAtMs: number;
  readonly latestMissedMs?: number;
  /** A counting run of the pipeline that started at or after the latest missed firing, before the change was first delivered. */
  readonly countingBefore?: string;
  readonly deliveries: Array<{ readonly reply: string; readonly started: string[] }>;
}

function catchUpConfigOf(pipelineName: string, enabled: boolean): ScheduledCheckConfig {
  const parsed = parseScheduledCheckConfig({
    triggerId: TRIGGER_ID, pipelineName, schedule: 'cron(0 * * * ? *)', parameters: { TrainingMode: CATCH_UP_MODE },
    ...(enabled ? {} : { enabled: false }),
    whenReEnabled: { mode: 'catch-up', maxAgeSeconds: MAX_AGE_SECONDS, timeZone: 'UTC' },
  });
  if (!parsed.ok) throw new Error(`${parsed.error.field} ${parsed.error.problem}`);
  return parsed.value;
}

/** The hourly firings strictly between `afterMs` and `beforeMs`, none before `earliestMs`: the latest, or undefined. */
function latestFiringBetween(afterMs: number, beforeMs: number, earliestMs: number): number | undefined {
  const latest = Math.ceil(beforeMs / HOUR) * HOUR - HOUR;
  return latest > Math.max(afterMs, earliestMs) && latest < beforeMs ? latest : undefined;
}

export function scheduledCatchUpSteps({ services, deployment, model, clock, delivery, random, chance }: WorkloadStepContext, faults: Faults) {
  const pipelineName = deployment.scheduledCheck.pipelineName;
  const sagemaker = faults.wrap(new SageMakerClient({ maxAttempts: 1 }), 'catch-up.sagemaker');
  /** The versions of the trigger's configuration, as the deployments wrote them. */
  const versions: ConfigurationVersion[] = [];
  const catchUp = new ScheduledCatchUp({
    history: { latestOffPeriod: async (triggerId) => latestOffPeriod(versions, triggerId) },
    executions: new RecentExecutions(sagemaker),
    launchers: new Launchers(new PipelineStarter(sagemaker), new CoordinatorClient(faults.wrap(new LambdaClient({ maxAttempts: 1 }), 'catch-up.lambda'))),
    now: clock.now,
  });
  const truth = new SageMakerClient({ maxAttempts: 1 });
  const catchUpRuns = () => services.sagemaker.executions.filter((execution) => execution.pipelineName === pipelineName && execution.parameters.TrainingMode === CATCH_UP_MODE);
  let enabled = true;
  let offAtMs: number | undefined;

  /** A counting run of the pipeline that started at or after `sinceMs`, as SageMaker lists them all. */
  async function countingSince(sinceMs: number): Promise<string | undefined> {
    const listed = await truth.send(new ListPipelineExecutionsCommand({ PipelineName: pipelineName, MaxResults: 100 }));
    if (listed.NextToken) throw new Error(`${pipelineName} has more runs than the model reads in one page`);
    return (listed.PipelineExecutionSummaries ?? []).find((run) => COUNTING.has(run.PipelineExecutionStatus ?? '') && (run.StartTime?.getTime() ?? -Infinity) >= sinceMs)?.PipelineExecutionArn;
  }

  /** A deployment turns the trigger off or back on, some minutes to hours after the last; Parameter Store's change reaches the function at least once. */
  async function toggle(): Promise<void> {
    clock.advance((1 + Math.floor(random() * 180)) * 60_000);
    enabled = !enabled;
    const config = catchUpConfigOf(pipelineName, enabled);
    versions.push({ value: JSON.stringify({ [TRIGGER_ID]: config }), modifiedMs: clock.now() });
    if (!enabled) {
      offAtMs = clock.now();
      return;
    }
    const onAtMs = clock.now();
    const latestMissedMs = latestFiringBetween(offAtMs ?? onAtMs, onAtMs, onAtMs - MAX_AGE_SECONDS * 1000);
    const countingBefore = latestMissedMs === undefined ? undefined : await countingSince(latestMissedMs);
    const record: ScheduledReEnable = { offAtMs: offAtMs ?? onAtMs, onAtMs, ...(latestMissedMs !== undefined ? { latestMissedMs } : {}), ...(countingBefore ? { countingBefore } : {}), deliveries: [] };
    model.scheduledReEnables.push(record);
    const change = async () => {
      const before = new Set(catchUpRuns().map((run) => run.executionArn));
      const [followed] = await catchUp.follow(new Map([[TRIGGER_ID, { ok: true, value: config }]]));
      if ('error' in followed) throw followed.error;
      const started = catchUpRuns().filter((run) => !before.has(run.executionArn)).map((run) => run.executionArn);
      record.deliveries.push({ reply: 'outcome' in followed ? followed.outcome.status : 'invalid', started });
    };
    await delivery.deliver(`${TRIGGER_ID} turned on`, change);
    if (chance(0.3)) {
      clock.advance(Math.floor(random() * 5) * 60_000);
      await delivery.deliver(`${TRIGGER_ID} turned on, again`, change);
    }
  }

  return { toggle };
}

/** The logical request of a catch-up's run (`catch-up:` and its correlation), for invariant 2. */
export function catchUpKeyOf(execution: RecordedExecution): string | undefined {
  if (execution.parameters.TrainingMode !== CATCH_UP_MODE) return undefined;
  return `catch-up:${/\[correlation ([^\]]+)\]/.exec(execution.description ?? '')?.[1] ?? execution.clientRequestToken}`;
}

/**
 * Invariant 14: a re-enable starts no run when no firing fell while the trigger was off (within maxAge) or when a
 * counting execution of the pipeline had started since the latest of them; at most one run between all deliveries
 * of its change; and when it started none though a firing was missed, a delivery said why (an execution started
 * since, or SageMaker refused the start).
 */
export function checkScheduledReEnables(observation: Observation): Violation[] {
  const violations: Violation[] = [];
  const flag = (detail: string) => violations.push({ invariant: INVARIANT, detail });
  for (const { offAtMs, onAtMs, latestMissedMs, countingBefore, deliveries } of observation.model.scheduledReEnables) {
    const at = `the re-enable at ${new Date(onAtMs).toISOString()} (off since ${new Date(offAtMs).toISOString()})`;
    const runs = deliveries.flatMap(({ started }) => started);
    if (runs.length > 1) flag(`${at} started ${runs.length} runs: ${runs.join(', ')}`);
    if (latestMissedMs === undefined && runs.length > 0) flag(`${at} missed no firing but started ${runs.join(', ')}`);
    if (countingBefore && runs.length > 0) flag(`${at} started ${runs.join(', ')} although ${countingBefore} started since the missed firing`);
    const explained = deliveries.some(({ reply }) => reply === 'not-needed' || reply === 'refused' || reply === 'deferred');
    if (latestMissedMs !== undefined && !countingBefore && runs.length === 0 && deliveries.length > 0 && !explained) {
      flag(`${at} missed the firing of ${new Date(latestMissedMs).toISOString()} and started nothing: ${deliveries.map(({ reply }) => reply).join(', ')}`);
    }
  }
  return violations;
}
