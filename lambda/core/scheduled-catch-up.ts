/**
 * A scheduled trigger's catch-up when it is enabled again: which firings of its schedule fell while it was off
 * (as its configuration's history says), and whether one run makes them up. Pure: the clock is a parameter; the
 * off period and the executions are read by the shell and handed in.
 */
import { instantAtWallClock, previousFiring, zonedFirings } from './arrival-calendar';
import type { OffPeriod as HistoryOffPeriod } from './configuration-history';
import { parseCron } from './cron';
import { CATCH_UP_NOTICE_MS } from './contracts/scheduled-check';
import type { ExecutionSummary } from './scheduled-check';

/** From the version of the configuration that turned the trigger off to the one that turned it on again. */
export interface OffPeriod {
  readonly disabledAtMs: number;
  readonly enabledAtMs: number;
}

/** A schedule as its trigger's configuration names it. */
export interface CatchUpSchedule {
  /** `cron(...)`, `rate(...)` or `at(...)`, as EventBridge Scheduler receives it. */
  readonly schedule: string;
  readonly timeZone: string;
  /** The schedule's startDate and endDate: no firing falls outside them. */
  readonly startMs?: number;
  readonly endMs?: number;
}

/** The firings that fell while the trigger was off: the latest, and how many (counted up to {@link MAX_COUNTED}). */
export interface MissedFirings {
  readonly latestMs: number;
  readonly count: number;
}

/** Firings counted for the logs; the decision needs only the latest. */
export const MAX_COUNTED = 1000;

export type CatchUpDecision =
  /** The latest version has the trigger off: it was disabled again before the change was seen. */
  | { readonly action: 'none'; readonly reason: 'still-disabled' | 'never-disabled' }
  /** No firing fell while it was off within maxAge, or the re-enabling is older than a delivery of its change can be. */
  | { readonly action: 'none'; readonly reason: 'nothing-missed' | 'noticed-late'; readonly off: OffPeriod }
  /** One run, named by the trigger's latest missed firing, unless an execution started since that firing. */
  | { readonly action: 'catch-up'; readonly off: OffPeriod; readonly missed: MissedFirings; readonly occasion: string };

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const AT = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/;
const UNIT_MS: Readonly<Record<string, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/**
 * The firings of `schedule` strictly between `off`'s two changes, none before `earliestMs` nor outside the
 * schedule's dates; undefined when there are none. Cron and one-time schedules fire at wall-clock times in
 * their time zone, as EventBridge Scheduler does (a time daylight saving skips does not fire). A rate's phase is
 * the schedule's own and not written anywhere, so its firings are counted from when it went off: every full
 * interval off is one missed firing.
 */
export function missedFirings(schedule: CatchUpSchedule, off: OffPeriod, earliestMs: number): MissedFirings | undefined {
  const afterMs = Math.max(off.disabledAtMs, earliestMs, (schedule.startMs ?? -Infinity) - 1);
  const beforeMs = Math.min(off.enabledAtMs, (schedule.endMs ?? Infinity) + 1);
  if (beforeMs - afterMs < 2) return undefined;
  const rate = RATE.exec(schedule.schedule);
  if (rate) return rateFirings(Number(rate[1]) * UNIT_MS[rate[2].replace(/s$/, '')], off.disabledAtMs, afterMs, beforeMs);
  const at = AT.exec(schedule.schedule);
  if (at) {
    const instant = instantAtWallClock(schedule.timeZone, Date.parse(`${at[1]}Z`));
    return instant !== undefined && instant > afterMs && instant < beforeMs ? { latestMs: instant, count: 1 } : undefined;
  }
  const latestMs = previousFiring({ schedule: schedule.schedule, timeZone: schedule.timeZone }, beforeMs);
  if (latestMs === undefined || latestMs <= afterMs) return undefined;
  const count = zonedFirings(parseCron(schedule.schedule), schedule.timeZone, afterMs + 1, beforeMs - 1, MAX_COUNTED).length;
  return { latestMs, count };
}

function rateFirings(intervalMs: number, anchorMs: number, afterMs: number, beforeMs: number): MissedFirings | undefined {
  const last = Math.floor((beforeMs - 1 - anchorMs) / intervalMs);
  const first = Math.floor((afterMs - anchorMs) / intervalMs) + 1;
  if (last < Math.max(first, 1)) return undefined;
  return { latestMs: anchorMs + last * intervalMs, count: Math.min(last - Math.max(first, 1) + 1, MAX_COUNTED) };
}

/**
 * What a change of the configurations does for one trigger that catches up, given the latest period its
 * configuration's history has it off (undefined: none): nothing, or one run for the firings it missed while off,
 * no older than `maxAgeSeconds` when it was enabled again. The run's occasion is the latest missed firing, so
 * every delivery of the change, and every later change, asks with one request id.
 */
export function decideCatchUp(history: HistoryOffPeriod | undefined, schedule: CatchUpSchedule, maxAgeSeconds: number, nowMs: number): CatchUpDecision {
  if (history === undefined) return { action: 'none', reason: 'never-disabled' };
  // Off in the newest version: disabled again before the change was seen.
  if (history.onMs === undefined) return { action: 'none', reason: 'still-disabled' };
  const off = { disabledAtMs: history.offMs, enabledAtMs: history.onMs };
  if (nowMs - off.enabledAtMs > CATCH_UP_NOTICE_MS) return { action: 'none', reason: 'noticed-late', off };
  const missed = missedFirings(schedule, off, off.enabledAtMs - maxAgeSeconds * 1000);
  if (!missed) return { action: 'none', reason: 'nothing-missed', off };
  return { action: 'catch-up', off, missed, occasion: `catch-up#${new Date(missed.latestMs).toISOString()}` };
}

/** An execution that started at or after the latest missed firing made the catch-up unneeded. */
export function startedSince(latestMissedMs: number, execution: ExecutionSummary | undefined): ExecutionSummary | undefined {
  return execution && (execution.startMs === undefined || execution.startMs >= latestMissedMs) ? execution : undefined;
}
