import { burstKey, decideDelayed, recordBurstEvent, settleBurst, type Burst, type BurstEvent, type Recorded } from '../../core/debounce';
import type { EventTriggerConfig } from '../../core/contracts/event-trigger';
import { priorityOf } from '../../core/contracts/shared';
import { receiptProblem } from '../../core/event-time';
import { readDecideWrite, type Backoff } from '../../core/persistence';
import type { FieldError } from '../../core/result';
import { renderParameters } from '../../core/templates';
import type { Launchers } from '../adapters/launcher';
import type { BurstDocuments } from './burst-store';
import type { ReceivedEvent } from './event-starter';

/** Rounds of one delayed copy: a burst pending before it, then its own (a third only when others raced it). */
const MAX_ROUNDS = 3;

/** What a debounced trigger did with an event, on either delivery. */
export type DebounceOutcome =
  /** The immediate delivery: the event is in the trigger's open burst, which is quiet from `quietFromMs` on. */
  | { readonly status: 'debouncing'; readonly recorded: Recorded; readonly firstEventId: string; readonly events: number; readonly quietFromMs: number }
  | { readonly status: 'unchanged' }
  | { readonly status: 'started'; readonly executionArn: string; readonly requestId: string; readonly events: number }
  | { readonly status: 'deferred'; readonly reason: string; readonly requestId: string; readonly delayUntilMs?: number }
  | { readonly status: 'refused'; readonly reason: string; readonly requestId: string }
  | { readonly status: 'rejected'; readonly error: FieldError }
  /** The delayed copy came before its burst was quiet, or while an earlier burst still waits for its start: it must come again. */
  | { readonly status: 'quiet'; readonly dueAtMs: number }
  | { readonly status: 'waiting'; readonly forRequestId?: string }
  /** The delayed copy of an event that a later one superseded, or whose burst started: nothing to do. */
  | { readonly status: 'superseded' | 'consumed' };

/** Whether the delay queue must deliver the message again: its burst is not quiet yet, or an earlier start is unsettled. */
export function comesAgain(outcome: DebounceOutcome): boolean {
  return outcome.status === 'quiet' || outcome.status === 'waiting';
}

/**
 * Keeps each debounced trigger's burst: the immediate delivery of an event records it; the delay queue's copy,
 * a quiet period later, records it too and starts the burst once its latest event's quiet period is over. A
 * burst to start is stored as pending (an intent) and started with a request id derived from it, so a retry
 * after a failed start, a crash or a deferral asks again with the same token; its events are consumed only
 * after the start succeeded or was refused for good. A late delivery of an event of a started burst, one whose
 * time is at or before that burst's latest event time, is answered as a consumed one: it starts nothing.
 */
export class Debouncer {
  constructor(
    private readonly deps: { readonly bursts: BurstDocuments; readonly launchers: Pick<Launchers, 'for'>; readonly now: () => number } & Backoff,
  ) {}

  /** The immediate delivery: the event joins the trigger's burst. */
  async record(config: EventTriggerConfig, event: ReceivedEvent): Promise<DebounceOutcome> {
    const now = this.deps.now();
    const timeProblem = receiptProblem(event.atMs, now);
    if (timeProblem) return { status: 'rejected', error: { field: 'event.time', problem: timeProblem } };
    const { decided } = await readDecideWrite(
      this.deps.bursts.document(config.triggerId),
      (state) => {
        const { state: next, recorded } = recordBurstEvent(state, burstEvent(event, now));
        return { next, recorded };
      },
      this.deps,
      `burst ${config.triggerId}`,
    );
    const burst = decided.next.burst;
    if (decided.recorded === 'consumed' || !burst) return { status: 'unchanged' };
    return { status: 'debouncing', recorded: decided.recorded, firstEventId: burst.firstEventId, events: burst.count, quietFromMs: burst.latest.receivedAtMs + quietMs(config) };
  }

  /**
   * The delay queue's copy of `event`, which the queue took at `sentAtMs`: recorded (when its immediate delivery
   * was lost, as received then), and its burst started when it is quiet. An earlier burst still pending is asked
   * for first; once it settles, the decision is made again.
   */
  async delayed(config: EventTriggerConfig, event: ReceivedEvent, sentAtMs: number): Promise<DebounceOutcome> {
    const now = this.deps.now();
    const timeProblem = receiptProblem(event.atMs, now);
    if (timeProblem) return { status: 'rejected', error: { field: 'event.time', problem: timeProblem } };
    const received = burstEvent(event, Math.min(sentAtMs, now));
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const { decided } = await readDecideWrite(
        this.deps.bursts.document(config.triggerId),
        (state) => {
          const { state: next, decision } = decideDelayed(state, received, quietMs(config), this.deps.now());
          return { next, decision };
        },
        this.deps,
        `burst ${config.triggerId}`,
      );
      const { decision } = decided;
      if (decision.kind === 'quiet') return { status: 'quiet', dueAtMs: decision.dueAtMs };
      if (decision.kind === 'superseded' || decision.kind === 'consumed') return { status: decision.kind };
      const ours = decision.kind === 'start' || decision.holdsEvent;
      const outcome = await this.start(config, decision.burst);
      // A deferred burst stays pending: the coordinator holds the request, and the next copy asks again.
      if (outcome.status === 'deferred') return ours ? outcome : { status: 'waiting', forRequestId: outcome.requestId };
      // A start, a refusal, or a template that can never render the burst's latest event, consumes the burst.
      await readDecideWrite(this.deps.bursts.document(config.triggerId), (state) => ({ next: settleBurst(state, decision.burst) }), this.deps, `burst ${config.triggerId}`);
      if (ours) return outcome;
    }
    return { status: 'waiting' };
  }

  private async start(config: EventTriggerConfig, burst: Burst): Promise<Exclude<DebounceOutcome, { status: 'debouncing' | 'unchanged' | 'quiet' | 'waiting' | 'superseded' | 'consumed' }>> {
    const rendered = renderParameters(config.templates, { event: burst.latest.data });
    if (!rendered.ok) return { status: 'rejected', error: rendered.error };
    const key = burstKey(burst);
    const outcome = await this.deps.launchers.for(config).launch({
      triggerType: 'event',
      triggerId: config.triggerId,
      occasion: `debounce#${key}`,
      pipelineName: config.pipelineName,
      parameters: [...rendered.value].sort((a, b) => a.Name.localeCompare(b.Name)),
      priority: priorityOf(config),
      reason: `event trigger ${config.triggerId}: a burst of ${burst.count} events, quiet for ${config.debounceSeconds} s after its last (${key})`,
      displayName: 'event-trigger',
    });
    if (outcome.status === 'started') return { ...outcome, events: burst.count };
    return outcome.status === 'refused' ? { status: 'refused', reason: outcome.reason, requestId: outcome.requestId } : outcome;
  }
}

/** The event as a burst records it: its id (the publisher's `event_id`, else EventBridge's), its receipt, its data, its time. */
function burstEvent(event: ReceivedEvent, receivedAtMs: number): BurstEvent {
  const eventId = typeof event.detail.event_id === 'string' ? event.detail.event_id : event.id;
  return { eventId, receivedAtMs, data: event.detail.data ?? {}, atMs: event.atMs };
}

function quietMs(config: Pick<EventTriggerConfig, 'debounceSeconds'>): number {
  if (config.debounceSeconds === undefined) throw new Error('the trigger is not debounced');
  return config.debounceSeconds * 1000;
}

