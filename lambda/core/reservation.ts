/**
 * A start is reserved before it is made: the pipeline state is charged (last start, runs today, spend)
 * and the reservation remembers what was charged, so that a start SageMaker refused can be released.
 * Pure: states in, state out.
 */
import type { PipelineState } from './coordination';

/** What one reserved start charged to the pipeline state. */
export interface Reservation {
  readonly startedAtMs: number;
  readonly previousLastStartAtMs?: number;
  /** The day (in the policy's time zone) whose runs and spend were charged. */
  readonly day: string;
  readonly estimatedCost: number;
}

/** The reservation that moved the state from `before` to `after`. */
export function reservationOf(before: PipelineState, after: PipelineState, estimatedCost: number): Reservation {
  return {
    startedAtMs: after.lastStartAtMs ?? 0,
    ...(before.lastStartAtMs !== undefined ? { previousLastStartAtMs: before.lastStartAtMs } : {}),
    day: after.day ?? '',
    estimatedCost,
  };
}

/**
 * Gives back what `reservation` charged, whatever happened to the state since: its run and spend on its
 * day, and the last start if no later start replaced it. The run sequence is not reused.
 */
export function releaseReservation(state: PipelineState, reservation: Reservation): PipelineState {
  const sameDay = state.day === reservation.day;
  const { lastStartAtMs, ...rest } = state;
  const restoredLastStart = lastStartAtMs === reservation.startedAtMs ? reservation.previousLastStartAtMs : lastStartAtMs;
  return {
    ...rest,
    version: state.version + 1,
    ...(restoredLastStart !== undefined ? { lastStartAtMs: restoredLastStart } : {}),
    runsToday: sameDay ? Math.max(0, state.runsToday - 1) : state.runsToday,
    spentToday: sameDay ? Math.max(0, Math.round((state.spentToday - reservation.estimatedCost) * 100) / 100) : state.spentToday,
  };
}
