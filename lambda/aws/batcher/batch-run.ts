import { batchOccasion, batchParameters, executionDisplayName, type BatchId, type ManifestEntry } from '../../core/batching';
import type { BatchTriggerConfig } from '../../core/contracts/batch';
import { priorityOf } from '../../core/contracts/shared';
import type { LaunchRequest } from '../../core/launch';
import type { Launchers } from '../adapters/launcher';

/** A start that was refused for good: its outcome is known, and no later attempt changes it. */
export class StartRefused extends Error {
  override readonly name: string = 'StartRefused';
}

/** The coordinator decided the batch's request for good (rejected, start-failed): nothing there starts it later. */
export class CoordinatorRefusal extends StartRefused {
  override readonly name = 'CoordinatorRefusal';
}

/** A batch's run: started, or deferred by its coordinator. */
export type RunOutcome = { readonly executionArn: string } | { readonly deferredUntilMs: number; readonly reason: string };

/** When the coordinator names no time (a pending approval), the batch asks again after this long. */
const DEFER_WITHOUT_DATE_MS = 15 * 60_000;

/** The batch's run as its launcher takes it; the same request whether it is started or withdrawn. */
function launchRequest(config: BatchTriggerConfig, batch: BatchId, members: readonly ManifestEntry[], manifestUri: string, sealedAtMs = 0): LaunchRequest {
  const parameters = batchParameters(config, manifestUri, members.length);
  if (!parameters.ok) throw new StartRefused(`${parameters.error.field} ${parameters.error.problem}`);
  return {
    triggerType: 'data-arrival',
    triggerId: config.triggerId,
    occasion: batchOccasion(batch),
    pipelineName: config.pipelineName,
    parameters: parameters.value,
    priority: priorityOf(config),
    reason: `Data-arrival batch ${batch.generation} of trigger ${batch.triggerId}: ${members.length} objects listed in ${manifestUri}`,
    displayName: executionDisplayName(batch),
    dataSizeGb: members.reduce((sum, member) => sum + member.size, 0) / 1e9,
    // No run of the batch is older than its sealing; a day's margin covers clocks that disagree.
    notBeforeMs: Math.max(0, sealedAtMs - 86_400_000),
  };
}

/** Withdraws the batch's request from its coordinator, or, on a direct route, looks for its run among the executions. */
export async function withdrawBatchRun(
  launchers: Pick<Launchers, 'for'>,
  config: BatchTriggerConfig,
  batch: BatchId,
  members: readonly ManifestEntry[],
  manifestUri: string,
  sealedAtMs: number,
): Promise<{ readonly status: 'started'; readonly executionArn: string } | { readonly status: 'withdrawn' | 'unsettled' }> {
  const withdraw = launchers.for(config).withdraw;
  if (!withdraw) return { status: 'withdrawn' };
  let request: LaunchRequest;
  try {
    request = launchRequest(config, batch, members, manifestUri, sealedAtMs);
  } catch {
    return { status: 'withdrawn' }; // parameters no coordinator would take: no attempt could have reached one
  }
  try {
    const outcome = await withdraw(request);
    return outcome.status === 'started' ? outcome : { status: 'withdrawn' };
  } catch {
    return { status: 'unsettled' };
  }
}

/** Hands the batch's run to the trigger's launcher: started, deferred by its coordinator, or refused (a failed attempt). */
export async function startBatchRun(
  launchers: Pick<Launchers, 'for'>,
  config: BatchTriggerConfig,
  batch: BatchId,
  members: readonly ManifestEntry[],
  manifestUri: string,
  now: () => number,
): Promise<RunOutcome> {
  const outcome = await launchers.for(config).launch(launchRequest(config, batch, members, manifestUri));
  if (outcome.status === 'started') return { executionArn: outcome.executionArn };
  // A start the coordinator tried and SageMaker refused, or a run an operator rejected, will not come by
  // waiting: it counts as a failed attempt, so the batch ends FAILED, with its alarm, once attempts run out.
  if (outcome.status === 'refused') throw new CoordinatorRefusal(`the coordinator answered ${outcome.reason}: the run of this batch did not start`);
  return { deferredUntilMs: outcome.delayUntilMs ?? now() + DEFER_WITHOUT_DATE_MS, reason: outcome.reason };
}
