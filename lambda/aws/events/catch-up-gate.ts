import type { EventTriggerConfig } from '../../core/contracts/event-trigger';
import { eventKey } from '../../core/event-catch-up';
import type { CatchUpRecords } from './catch-up-store';
import type { ReceivedEvent } from './event-starter';

/** Handled events are remembered this long past the catch-up's maxAge: a replay's window reaches a margin past it. */
const REMEMBER_BEYOND_MAX_AGE_S = 86_400;

/** Whether an event of a catching-up trigger goes on to the trigger's normal path. */
export type GateDecision =
  | { readonly pass: true }
  | { readonly pass: false; readonly reason: 'handled-before' | 'over-bound'; readonly replay?: string };

/**
 * Stands before a catching-up trigger's normal path. An event the trigger handled before (delivered live before
 * its rule went off, then replayed; or replayed twice) does not pass again; a replayed event passes while its
 * replay has admitted fewer than the trigger's maxEvents. A trigger that skips passes every event untouched.
 */
export class CatchUpGate {
  constructor(
    private readonly records: CatchUpRecords,
    private readonly now: () => number,
  ) {}

  async before(config: EventTriggerConfig, event: ReceivedEvent, replay: string | undefined): Promise<GateDecision> {
    const catchUp = config.whenReEnabled;
    if (!catchUp) return { pass: true };
    const key = eventKey(identityOf(event));
    if (await this.records.handled(config.triggerId, key)) return { pass: false, reason: 'handled-before', ...(replay ? { replay } : {}) };
    if (replay === undefined) return { pass: true };
    const admission = await this.records.admit(config.triggerId, replay, key, catchUp.maxEvents, this.expiresAt(config));
    return admission === 'admitted' ? { pass: true } : { pass: false, reason: 'over-bound', replay };
  }

  /** After the normal path handled the event (a start, a join, a rejection): it is not handled again. */
  async after(config: EventTriggerConfig, event: ReceivedEvent): Promise<void> {
    if (!config.whenReEnabled) return;
    await this.records.rememberHandled(config.triggerId, eventKey(identityOf(event)), this.expiresAt(config));
  }

  private expiresAt(config: EventTriggerConfig): number {
    return Math.floor(this.now() / 1000) + (config.whenReEnabled?.maxAgeSeconds ?? 0) + REMEMBER_BEYOND_MAX_AGE_S;
  }
}

/** The event's identity as the trigger's start and join paths read it: the publisher's `event_id`, else EventBridge's id (kept by a replay). */
export function identityOf(event: ReceivedEvent): string {
  return typeof event.detail.event_id === 'string' ? event.detail.event_id : event.id;
}
