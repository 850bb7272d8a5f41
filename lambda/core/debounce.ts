/**
 * Debounced event triggers: the events of a burst, and when the burst has been quiet long enough to start
 * one run for all of them. Every event arrives twice, at once (it joins the burst) and a quiet period later
 * from a delay queue (it may close the burst). Pure: times are parameters, and nothing here reads a clock.
 */
import { sha256 } from './batching';

/** One event of a burst, as it was received. */
export interface BurstEvent {
  readonly eventId: string;
  /** When the trigger's function received it (its own clock), or when the delay queue took it, whichever came first. */
  readonly receivedAtMs: number;
  /** The event's `data`, which parameter templates read as `event`. */
  readonly data: unknown;
  /** The event's own time (EventBridge's `time`): the same in every delivery of it, unlike its receipt. */
  readonly atMs: number;
}

/** Events received close enough together to start one run. */
export interface Burst {
  readonly firstEventId: string;
  readonly firstReceivedAtMs: number;
  /** The event received last: the burst is quiet a quiet period after its receipt, and templates render it. */
  readonly latest: BurstEvent;
  /** The distinct events received, counted once each while their ids are kept. */
  readonly count: number;
  /** The ids of the burst's events (hashed when long), the first {@link MAX_KEPT_IDS} of them. */
  readonly eventIds: readonly string[];
  /**
   * The latest event time among the burst's events: once the burst starts, no event at or before it starts anything.
   * @default - none known (a burst stored before event times were kept)
   */
  readonly latestAtMs?: number;
}

/** A debounced trigger's stored state; the shell writes it back with a condition on `version`. */
export interface DebounceState {
  readonly version: number;
  /** The burst still taking events. @default - no event since the last start */
  readonly burst?: Burst;
  /**
   * A burst that was quiet long enough and whose run has not started yet (an intent): it is asked for
   * again, with the same request id, until the start succeeds or is refused for good.
   * @default - no burst waits for its start
   */
  readonly pending?: Burst;
  /**
   * The ids of the events the last started burst consumed: a redelivery of one of them changes nothing.
   * @default - no start yet
   */
  readonly consumed?: readonly string[];
  /**
   * The latest event time of the bursts started so far: an event at or before it is a late delivery of one
   * of them, and changes nothing. It never moves back.
   * @default - no event time consumed yet
   */
  readonly consumedThroughMs?: number;
}

/** A trigger none of whose events arrived yet. */
export const EMPTY_DEBOUNCE_STATE: DebounceState = { version: 0 };

/**
 * How much earlier than its quiet period a burst may close: the immediate delivery and the delay queue's
 * copy of one event are taken a moment apart, and a forged early copy can start a burst at most this early.
 * A quiet period under a minute allows half of itself instead (see {@link slackMs}).
 */
export const DEBOUNCE_SLACK_MS = 30_000;
/** A burst keeps this many of its event ids: enough to recognise redeliveries, small enough for one item. */
export const MAX_KEPT_IDS = 256;
/** Ids longer than this are kept as their digest. */
const MAX_ID_LENGTH = 64;

/** What the delivery of an event did to its burst. */
export type Recorded = 'joined' | 'latest' | 'duplicate' | 'consumed';

/**
 * Records an event in the trigger's burst, starting a burst when none is open.
 *
 * - An event the open or pending burst already holds, or the last start consumed, changes nothing: a
 *   redelivery neither counts twice nor moves the burst's end.
 * - An event whose time is at or before the latest event time of a started (or pending) burst is taken as a
 *   late delivery of that burst's events, and changes nothing either: an event id is kept only for the last
 *   burst, but its time is the same in every redelivery.
 * - A new event becomes the burst's latest when it was received later than the latest (equal times are
 *   ordered by event id), so the state does not depend on the order distinct events are recorded in; an
 *   event received earlier only joins it. An event keeps the receipt it was first recorded with: a later
 *   delivery claiming an earlier receipt cannot pull the burst's end forward.
 * - `version` increments whenever the state changes, never otherwise; an unchanged state is returned as is.
 */
export function recordBurstEvent(state: DebounceState, event: BurstEvent): { readonly state: DebounceState; readonly recorded: Recorded } {
  if (!Number.isFinite(event.receivedAtMs)) throw new RangeError(`receivedAtMs must be a finite time, got ${event.receivedAtMs}`);
  if (!Number.isFinite(event.atMs)) throw new RangeError(`atMs must be a finite time, got ${event.atMs}`);
  const key = idKey(event.eventId);
  if (state.consumed?.includes(key) || state.pending?.eventIds.includes(key)) return { state, recorded: 'consumed' };
  const burst = state.burst;
  if (burst?.eventIds.includes(key) || burst?.latest.eventId === event.eventId) return { state, recorded: 'duplicate' };
  if (event.atMs <= consumedThrough(state)) return { state, recorded: 'consumed' };
  const next: Burst = burst
    ? {
        ...burst,
        latest: isLater(event, burst.latest) ? event : burst.latest,
        count: burst.count + 1,
        eventIds: burst.eventIds.length < MAX_KEPT_IDS ? [...burst.eventIds, key] : burst.eventIds,
        latestAtMs: Math.max(burst.latestAtMs ?? event.atMs, event.atMs),
      }
    : { firstEventId: event.eventId, firstReceivedAtMs: event.receivedAtMs, latest: event, count: 1, eventIds: [key], latestAtMs: event.atMs };
  return { state: { ...state, version: state.version + 1, burst: next }, recorded: next.latest === event ? 'latest' : 'joined' };
}

/** What the delay queue's copy of an event decides. */
export type DelayedDecision =
  /** The burst is quiet: start it (it is pending now), with the request id of {@link burstKey}. */
  | { readonly kind: 'start'; readonly burst: Burst }
  /** A burst still waits for its start: ask for it again first. `holdsEvent` when the delivered event is one of its own. */
  | { readonly kind: 'pending'; readonly burst: Burst; readonly holdsEvent: boolean }
  /** The event is its burst's latest, but the burst is not quiet yet: ask again at `dueAtMs`. */
  | { readonly kind: 'quiet'; readonly dueAtMs: number }
  /** A later event joined the burst: its own copy decides. */
  | { readonly kind: 'superseded'; readonly latestEventId: string }
  /** The event's burst started already. */
  | { readonly kind: 'consumed' };

/**
 * Records the delayed copy of an event (covering a lost immediate delivery) and decides whether its burst
 * starts now: when the event is the burst's latest and `nowMs` is at least the latest receipt plus the
 * quiet period, less its {@link slackMs}. A burst that starts moves to `pending`; a pending burst
 * is asked for again before anything else starts.
 *
 * @throws RangeError for a quiet period that is not a positive finite number or a time that is not finite.
 */
export function decideDelayed(state: DebounceState, event: BurstEvent, quietMs: number, nowMs: number): { readonly state: DebounceState; readonly decision: DelayedDecision } {
  if (!(Number.isFinite(quietMs) && quietMs > 0)) throw new RangeError(`quietMs must be a positive number of milliseconds, got ${quietMs}`);
  if (!Number.isFinite(nowMs)) throw new RangeError(`nowMs must be a finite time, got ${nowMs}`);
  const { state: next, recorded } = recordBurstEvent(state, event);
  if (next.pending) {
    const holdsEvent = next.pending.eventIds.includes(idKey(event.eventId)) || next.pending.latest.eventId === event.eventId;
    return { state: next, decision: { kind: 'pending', burst: next.pending, holdsEvent } };
  }
  if (recorded === 'consumed' || !next.burst) return { state: next, decision: { kind: 'consumed' } };
  const burst = next.burst;
  if (burst.latest.eventId !== event.eventId) return { state: next, decision: { kind: 'superseded', latestEventId: burst.latest.eventId } };
  const dueAtMs = burst.latest.receivedAtMs + quietMs - slackMs(quietMs);
  if (nowMs < dueAtMs) return { state: next, decision: { kind: 'quiet', dueAtMs } };
  const { burst: _started, ...rest } = next;
  return { state: { ...rest, version: next.version + 1, pending: burst }, decision: { kind: 'start', burst } };
}

/**
 * Gives up a pending burst once its run started (or was refused for good): its events are consumed, and so is
 * every event time up to its latest one ({@link DebounceState.consumedThroughMs}, which never moves back).
 * Returns the state unchanged when `burst` is no longer pending (another invocation settled it first).
 */
export function settleBurst(state: DebounceState, burst: Burst): DebounceState {
  if (!state.pending || burstKey(state.pending) !== burstKey(burst)) return state;
  const { pending, ...rest } = state;
  const through = Math.max(state.consumedThroughMs ?? Number.NEGATIVE_INFINITY, pending.latestAtMs ?? Number.NEGATIVE_INFINITY);
  return { ...rest, version: state.version + 1, consumed: pending.eventIds, ...(Number.isFinite(through) ? { consumedThroughMs: through } : {}) };
}

/** The identity of a burst, from which its request id derives: its first and latest events and the latest's receipt. */
export function burstKey(burst: Burst): string {
  return `${idKey(burst.firstEventId)}..${idKey(burst.latest.eventId)}@${burst.latest.receivedAtMs}`;
}

/** How much earlier than `quietMs` after its latest receipt a burst may close: {@link DEBOUNCE_SLACK_MS}, or half a shorter quiet period. */
export function slackMs(quietMs: number): number {
  return Math.min(DEBOUNCE_SLACK_MS, quietMs / 2);
}

/**
 * The latest event time taken: the settled bursts' horizon, or the pending burst's latest event time, which
 * becomes the horizon once its start settles. A state stored before event times were kept has none.
 */
function consumedThrough(state: DebounceState): number {
  return Math.max(state.consumedThroughMs ?? Number.NEGATIVE_INFINITY, state.pending?.latestAtMs ?? Number.NEGATIVE_INFINITY);
}

/** Whether `candidate` was received after `than` (time first, then event id). */
function isLater(candidate: BurstEvent, than: BurstEvent): boolean {
  return candidate.receivedAtMs > than.receivedAtMs || (candidate.receivedAtMs === than.receivedAtMs && candidate.eventId > than.eventId);
}

/** An event id as a burst keeps it: as given, or its digest when long. */
function idKey(eventId: string): string {
  return eventId.length <= MAX_ID_LENGTH ? eventId : `sha256:${sha256(eventId).slice(0, 40)}`;
}
