import { own } from './result';

/** One event's occurrence, as a join records it. */
export interface Occurrence {
  readonly eventId: string;
  readonly atMs: number;
  readonly data: unknown;
}

/** Which occurrence of a name the last start consumed. */
export interface OccurrenceMark {
  readonly eventId: string;
  readonly atMs: number;
}

/** A join's stored state; the shell writes it back with a condition on `version`. */
export interface JoinState {
  readonly version: number;
  /** The latest occurrence per event name since the last start. */
  readonly occurrences: Readonly<Record<string, Occurrence>>;
  /**
   * The occurrence each name contributed to the last start. A redelivery of it (or anything older)
   * after the reset changes nothing, so at-least-once delivery cannot start a join twice.
   * @default - no start yet: nothing is ignored on this account
   */
  readonly consumed?: Readonly<Record<string, OccurrenceMark>>;
  /**
   * The joined occurrences of a completed join whose run has not started yet (an intent). They are
   * given up only by {@link settleJoin}, after the start succeeded or was terminally decided.
   * @default - no completed join waits for its start
   */
  readonly pending?: Readonly<Record<string, Occurrence>>;
}

export type JoinDecision =
  | {
      readonly complete: false;
      readonly state: JoinState;
      readonly waitingFor: readonly string[];
      readonly expired: readonly string[];
      /** A join completed earlier that has not started yet: start it (again) with the same request id. */
      readonly pending?: Readonly<Record<string, Occurrence>>;
    }
  | { readonly complete: true; readonly state: JoinState; readonly joined: Readonly<Record<string, Occurrence>> };

/** How a join completes: all names (the default), some of them, or all of them in order. */
export interface JoinRule {
  /**
   * How many of the names complete the join.
   * @default - every name
   */
  readonly minimum?: number;
  /**
   * Whether the names are steps that must occur in the order given.
   * @default false
   */
  readonly ordered?: boolean;
}

/** A join that has not started yet. */
export const EMPTY_JOIN_STATE: JoinState = { version: 0, occurrences: {} };

/**
 * Records `name`'s occurrence and decides whether every event in `names` has occurred within `windowMs`
 * before `nowMs` (an occurrence counts while `atMs >= nowMs - windowMs`).
 *
 * - A newer occurrence replaces an older one; an older one, a duplicate (same `eventId`) or one no newer
 *   than what the last start consumed changes nothing. Equal times are ordered by `eventId`, so the state
 *   does not depend on delivery order.
 * - Occurrences older than the window do not count and are dropped, as are names no longer in `names`;
 *   `expired` lists the names that lost an occurrence (or whose new one arrived too late) this way.
 * - A complete join returns the joined occurrences and resets the state (`occurrences: {}`), keeping
 *   them as `pending` until {@link settleJoin} gives them up after the start. While a join is pending,
 *   new occurrences are recorded but nothing completes: the decision returns the pending join instead.
 * - `version` increments whenever the state changes, never otherwise; an unchanged state is returned as is.
 * - With `rule.minimum` (N of M), the join completes once that many of `names` hold an occurrence; it
 *   joins the names that have one, and the names left out keep no occurrence (there is none to keep).
 *   A start marks only the joined names as consumed; the marks of the others stay as they were.
 * - With `rule.ordered` (a sequence), the join completes when every name holds an occurrence and each
 *   one is after the one of the name before it in `names` (time first, then event id). The state keeps
 *   the latest occurrence per name, so an occurrence of an earlier step later than a later step's breaks
 *   the order: every step after it must occur again, in order, after it (see {@link sequenceGaps}).
 *
 * @throws RangeError for a configuration that the construct rejects at synth time: no names, a name
 * twice, a window that is not a positive finite number, a time that is not finite, a minimum that is not
 * a whole number from 1 to the number of names, or a minimum on an ordered join.
 */
export function recordOccurrence(
  state: JoinState,
  names: readonly string[],
  name: string,
  occurrence: Occurrence,
  windowMs: number,
  nowMs: number,
  rule: JoinRule = {},
): JoinDecision {
  if (names.length === 0 || new Set(names).size !== names.length) throw new RangeError(`a join needs distinct event names, got ${JSON.stringify(names)}`);
  if (!(Number.isFinite(windowMs) && windowMs > 0)) throw new RangeError(`windowMs must be a positive number of milliseconds, got ${windowMs}`);
  if (!Number.isFinite(nowMs)) throw new RangeError(`nowMs must be a finite time, got ${nowMs}`);
  const minimum = rule.minimum ?? names.length;
  if (!Number.isInteger(minimum) || minimum < 1 || minimum > names.length) throw new RangeError(`minimum must be a whole number from 1 to ${names.length}, got ${minimum}`);
  if (rule.ordered && minimum !== names.length) throw new RangeError('an ordered join needs every name: it takes no minimum');

  const horizon = nowMs - windowMs;
  const counts = (candidate: Occurrence): boolean => Number.isFinite(candidate.atMs) && candidate.atMs >= horizon;
  const expired = new Set<string>();
  const kept = new Map<string, Occurrence>();
  let changed = false;
  for (const [key, stored] of Object.entries(state.occurrences)) {
    if (!names.includes(key)) changed = true;
    else if (!counts(stored)) {
      changed = true;
      expired.add(key);
    } else kept.set(key, stored);
  }

  if (names.includes(name)) {
    const mark = state.consumed === undefined ? undefined : own(state.consumed, name);
    if (!counts(occurrence)) expired.add(name);
    else if (isAfter(occurrence, kept.get(name)) && isAfter(occurrence, mark)) {
      kept.set(name, occurrence);
      changed = true;
    }
  }

  const waitingFor = rule.ordered ? sequenceGaps(names, kept) : names.filter((required) => !kept.has(required));
  if (names.length - waitingFor.length >= minimum && state.pending === undefined) {
    const entries = names.filter((required) => kept.has(required)).map((required): [string, Occurrence] => [required, kept.get(required) as Occurrence]);
    // Marks only move forward: a name left out of this start keeps the mark of the start that used it.
    const consumed = { ...(state.consumed ?? {}), ...Object.fromEntries(entries.map(([required, { eventId, atMs }]) => [required, { eventId, atMs }])) };
    const joined = Object.fromEntries(entries);
    return { complete: true, joined, state: { version: state.version + 1, occurrences: {}, consumed, pending: joined } };
  }
  const next: JoinState = changed
    ? {
        version: state.version + 1,
        occurrences: Object.fromEntries(kept),
        ...(state.consumed === undefined ? {} : { consumed: state.consumed }),
        ...(state.pending === undefined ? {} : { pending: state.pending }),
      }
    : state;
  return {
    complete: false,
    state: next,
    waitingFor,
    expired: names.filter((required) => expired.has(required)),
    ...(state.pending === undefined ? {} : { pending: state.pending }),
  };
}

/**
 * Gives up a pending join's occurrences once its run started (or was terminally decided). Returns the
 * state unchanged when `joined` is no longer pending (another invocation settled it first).
 */
export function settleJoin(state: JoinState, joined: Readonly<Record<string, Occurrence>>): JoinState {
  if (state.pending === undefined || joinKey(state.pending) !== joinKey(joined)) return state;
  return { version: state.version + 1, occurrences: state.occurrences, ...(state.consumed === undefined ? {} : { consumed: state.consumed }) };
}

/** The identity of a set of joined occurrences: each name with its event id, in name order. */
export function joinKey(joined: Readonly<Record<string, OccurrenceMark>>): string {
  return Object.keys(joined)
    .sort()
    .map((name) => `${name}=${joined[name].eventId}`)
    .join('&');
}

/** The occurrence a pending join renders as `event`: the latest of the joined ones, whichever delivery asks. */
export function latestOccurrence(joined: Readonly<Record<string, Occurrence>>): Occurrence {
  return Object.values(joined).reduce((latest, candidate) => (isAfter(candidate, latest) ? candidate : latest));
}

/**
 * The steps of a sequence that still have to occur, given the latest occurrence per step: a step with no
 * occurrence, and a step whose occurrence is not after the previous step's (which has one). So the steps
 * are in order exactly when this is empty, and the answer depends only on the occurrences, never on the
 * order they were delivered in.
 */
export function sequenceGaps(steps: readonly string[], latest: ReadonlyMap<string, OccurrenceMark>): string[] {
  return steps.filter((step, index) => {
    const occurrence = latest.get(step);
    if (occurrence === undefined) return true;
    const previous = index === 0 ? undefined : latest.get(steps[index - 1]);
    return previous !== undefined && !isAfter(occurrence, previous);
  });
}

/** Whether `candidate` is a different, later occurrence than `than` (time first, then event id). */
function isAfter(candidate: OccurrenceMark, than: OccurrenceMark | undefined): boolean {
  if (than === undefined) return true;
  if (candidate.eventId === than.eventId) return false;
  return candidate.atMs > than.atMs || (candidate.atMs === than.atMs && candidate.eventId > than.eventId);
}
