import { countingExecution, decideCheck, scheduledRequest, windowStartMs, type ExecutionSummary, type Firing } from '../../core/scheduled-check';
import type { ScheduledCheckConfig } from '../../core/contracts/scheduled-check';
import type { LaunchOutcome } from '../../core/launch';
import type { Launchers } from '../adapters/launcher';
import type { RecentExecutions } from './recent-executions';

export type CheckOutcome =
  /** A counting execution started within the window: this firing starts nothing. */
  | { readonly status: 'skipped'; readonly execution: ExecutionSummary; readonly windowStart: string }
  /** More executions within the window than a look-back reads, none of them counting: starting another would feed whatever fails them. */
  | { readonly status: 'skipped'; readonly reason: 'look-back-exhausted'; readonly read: number; readonly windowStart: string }
  | { readonly status: 'started'; readonly requestId: string; readonly executionArn: string }
  /** The coordinator would only have started it later: the request was withdrawn, and the next firing asks again. */
  | { readonly status: 'withdrawn'; readonly requestId: string; readonly reason: string }
  | { readonly status: 'refused'; readonly requestId: string; readonly reason: string };

/**
 * One firing: look for a counting execution of the pipeline within the window before now; when there is
 * none, start a run through the trigger's launcher, with the firing as its occasion. A coordinator that
 * defers the start (a cooldown, a cap) has the request withdrawn: the schedule's next firing is the retry,
 * and asks only if still nothing ran, so firings during a long deferral never pile up waiting requests.
 */
export class ScheduledChecker {
  constructor(private readonly deps: { readonly executions: Pick<RecentExecutions, 'newest'>; readonly launchers: Pick<Launchers, 'for'>; readonly now: () => number }) {}

  async check(config: ScheduledCheckConfig, firing: Firing): Promise<CheckOutcome> {
    // The handler refuses firings for a trigger written only for its catch-up; this says so to any other caller.
    if (config.withinSeconds === undefined) throw new Error(`trigger ${config.triggerId} checks no firings: its configuration has no withinSeconds`);
    const sinceMs = windowStartMs(this.deps.now(), config.withinSeconds);
    const windowStart = new Date(sinceMs).toISOString();
    const lookBack = await this.deps.executions.newest(config.pipelineName, sinceMs, countingExecution);
    if (lookBack.found === undefined && !lookBack.complete) return { status: 'skipped', reason: 'look-back-exhausted', read: lookBack.read, windowStart };
    const decision = decideCheck(firing, lookBack.found);
    if (decision.action === 'skip') return { status: 'skipped', execution: decision.execution, windowStart };
    const launcher = this.deps.launchers.for(config);
    const request = scheduledRequest(config, {
      occasion: decision.occasion,
      reason: `schedule ${config.schedule}: no run of ${config.pipelineName} since ${windowStart} (firing ${firing.scheduledTime})`,
      displayName: 'scheduled-check',
      notBeforeMs: firing.scheduledMs,
    });
    const outcome = await launcher.launch(request);
    if (outcome.status !== 'deferred' || !launcher.withdraw) return settled(outcome);
    const withdrawn = await launcher.withdraw(request);
    return withdrawn.status === 'started' ? settled(withdrawn) : { status: 'withdrawn', requestId: outcome.requestId, reason: outcome.reason };
  }
}

function settled(outcome: LaunchOutcome): CheckOutcome {
  if (outcome.status === 'started') return { status: 'started', requestId: outcome.requestId, executionArn: outcome.executionArn };
  return { status: 'refused', requestId: outcome.requestId, reason: outcome.reason };
}
