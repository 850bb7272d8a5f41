import type { PipelineState } from '../../core/coordination';

/** A start reserved in the state, with the decision (as stored) its request is to be answered with. */
export interface ReservedStart {
  readonly atMs: number;
  readonly decision: string;
}

/**
 * The state as stored: the policy's state plus the starts reserved in the last day, by request id, written
 * in the same conditional write as the charge. A redelivery that finds no decision for its request
 * (the function died between the reservation and the decision record) finds its reservation here and
 * completes it instead of being charged a second time.
 */
export interface LedgeredState extends PipelineState {
  readonly reservations?: Readonly<Record<string, ReservedStart>>;
}

/** How long a reservation is remembered: longer than any redelivery of the request that made it. */
export const RESERVATION_MEMORY_MS = 24 * 3_600_000;

/** `next` as stored: the reservations of `before` that are still remembered, plus `added`. An unchanged state stays `before`. */
export function withReservations(
  before: LedgeredState,
  next: PipelineState,
  nowMs: number,
  added?: { readonly requestId: string; readonly decision: string },
): LedgeredState {
  if (next === before || next.version === before.version) return before;
  const kept = Object.entries(before.reservations ?? {}).filter(([, reserved]) => nowMs - reserved.atMs < RESERVATION_MEMORY_MS);
  if (added) kept.push([added.requestId, { atMs: nowMs, decision: added.decision }]);
  const { reservations: _dropped, ...plain } = next as LedgeredState;
  return kept.length > 0 ? { ...plain, reservations: Object.fromEntries(kept) } : plain;
}

/** `state` without the reservation of `requestId`. */
export function withoutReservation(state: LedgeredState, requestId: string): LedgeredState {
  if (!state.reservations?.[requestId]) return state;
  const { [requestId]: _released, ...rest } = state.reservations;
  const { reservations: _all, ...plain } = state;
  return Object.keys(rest).length > 0 ? { ...plain, reservations: rest } : plain;
}
