import type { ScheduledCheckConfig } from '../../core/contracts/scheduled-check';
import type { FieldError, Parsed } from '../../core/result';
import { decideCatchUp, startedSince, type CatchUpDecision, type OffPeriod } from '../../core/scheduled-catch-up';
import { countingExecution, scheduledRequest, type ExecutionSummary } from '../../core/scheduled-check';
import type { ConfigurationHistory } from '../adapters/configuration-history';
import type { Launchers } from '../adapters/launcher';
import type { RecentExecutions } from './recent-executions';

/** What a change of the configurations did for one trigger that catches up. */
export type CatchUpOutcome =
  | { readonly status: 'nothing'; readonly reason: 'still-disabled' | 'never-disabled' | 'nothing-missed' | 'noticed-late'; readonly off?: OffTimes }
  /** More executions since the missed firing than a look-back reads, none of them counting. */
  | { readonly status: 'nothing'; readonly reason: 'look-back-exhausted'; readonly off: OffTimes; readonly missedFiring: string }
  | { readonly status: 'not-needed'; readonly off: OffTimes; readonly missedFiring: string; readonly execution: ExecutionSummary }
  | { readonly status: 'started'; readonly off: OffTimes; readonly missedFiring: string; readonly missed: number; readonly requestId: string; readonly executionArn: string }
  /** The coordinator keeps the request and starts it later (or an operator approves it). */
  | { readonly status: 'deferred' | 'refused'; readonly off: OffTimes; readonly missedFiring: string; readonly missed: number; readonly requestId: string; readonly reason: string };

export interface OffTimes {
  readonly disabledAt: string;
  readonly enabledAt: string;
}

export type FollowedTrigger =
  | { readonly triggerId: string; readonly outcome: CatchUpOutcome }
  | { readonly triggerId: string; readonly invalid: FieldError }
  | { readonly triggerId: string; readonly error: Error };

export interface CatchUpDeps {
  /** When the deployment last had each trigger off: its configuration's parameter history, nothing an invocation says. */
  readonly history: Pick<ConfigurationHistory, 'latestOffPeriod'>;
  readonly executions: Pick<RecentExecutions, 'newest'>;
  readonly launchers: Pick<Launchers, 'for'>;
  readonly now: () => number;
}

/**
 * Follows the configurations after Parameter Store said one changed: for each trigger that catches up, finds
 * when it was last off in its configuration's parameter history, and when a firing fell then, starts one run unless an
 * execution started since that firing. Every step is safe to repeat: a repeated or concurrent delivery asks
 * with the one request id of (trigger, latest missed firing), so SageMaker or the coordinator starts one run.
 */
export class ScheduledCatchUp {
  constructor(private readonly deps: CatchUpDeps) {}

  async follow(configs: ReadonlyMap<string, Parsed<ScheduledCheckConfig>>): Promise<FollowedTrigger[]> {
    const catchingUp = [...configs].filter(([, config]) => !config.ok || config.value.whenReEnabled !== undefined);
    const followed: FollowedTrigger[] = [];
    for (const [triggerId, config] of catchingUp) {
      if (!config.ok) {
        followed.push({ triggerId, invalid: config.error });
        continue;
      }
      try {
        followed.push({ triggerId, outcome: await this.catchUp(config.value) });
      } catch (error) {
        followed.push({ triggerId, error: error as Error });
      }
    }
    return followed;
  }

  private async catchUp(config: ScheduledCheckConfig): Promise<CatchUpOutcome> {
    const catchUp = config.whenReEnabled!;
    const schedule = {
      schedule: config.schedule,
      timeZone: catchUp.timeZone,
      ...(catchUp.startDate !== undefined ? { startMs: Date.parse(catchUp.startDate) } : {}),
      ...(catchUp.endDate !== undefined ? { endMs: Date.parse(catchUp.endDate) } : {}),
    };
    // The newest version decides whether it is on now, whatever change this delivery was about.
    const off = await this.deps.history.latestOffPeriod(config.triggerId);
    const decision = decideCatchUp(off, schedule, catchUp.maxAgeSeconds, this.deps.now());
    if (decision.action === 'none') return { status: 'nothing', reason: decision.reason, ...('off' in decision ? { off: offTimes(decision.off) } : {}) };
    return this.start(config, decision);
  }

  private async start(config: ScheduledCheckConfig, decision: Extract<CatchUpDecision, { action: 'catch-up' }>): Promise<CatchUpOutcome> {
    const off = offTimes(decision.off);
    const missedFiring = new Date(decision.missed.latestMs).toISOString();
    const lookBack = await this.deps.executions.newest(config.pipelineName, decision.missed.latestMs, countingExecution);
    const since = startedSince(decision.missed.latestMs, lookBack.found);
    if (since) return { status: 'not-needed', off, missedFiring, execution: since };
    if (!lookBack.found && !lookBack.complete) return { status: 'nothing', reason: 'look-back-exhausted', off, missedFiring };
    const request = scheduledRequest(config, {
      occasion: decision.occasion,
      reason:
        `catch-up of schedule ${config.schedule}: missed firing ${missedFiring}` +
        `${decision.missed.count > 1 ? ` (latest of ${decision.missed.count})` : ''} while disabled from ${off.disabledAt} to ${off.enabledAt}`,
      displayName: 'scheduled-catch-up',
      notBeforeMs: decision.missed.latestMs,
    });
    const outcome = await this.deps.launchers.for(config).launch(request);
    const made = { off, missedFiring, missed: decision.missed.count, requestId: outcome.requestId };
    return outcome.status === 'started' ? { status: 'started', ...made, executionArn: outcome.executionArn } : { status: outcome.status, ...made, reason: outcome.reason };
  }
}

function offTimes(off: OffPeriod): OffTimes {
  return { disabledAt: new Date(off.disabledAtMs).toISOString(), enabledAt: new Date(off.enabledAtMs).toISOString() };
}
