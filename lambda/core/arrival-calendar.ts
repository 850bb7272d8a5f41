/**
 * What a data-arrival trigger's calendar decides at a firing of one of its schedules: which firing an
 * invocation answers (none, for an invocation at any other time), whether data missed the deadline, and
 * whether the open batch closes. Pure: the invocation's time is a parameter.
 *
 * Firings follow EventBridge Scheduler in the schedule's time zone: a wall-clock time that daylight saving
 * time skips does not fire, and one that it repeats fires once, at its first occurrence.
 */
import { wallClockMs } from './calendar';
import { parseCron, type CronSpec } from './cron';
import { cronFirings } from './cron-firings';
import { CALENDAR_LIMITS, type CalendarKind, type CalendarSchedule, type DeadlineConfig } from './contracts/arrival-calendar';
import { accept, reject, type Parsed } from './result';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** No time zone is further than this from UTC (UTC-12 to UTC+14). */
const MAX_BEHIND_MS = 12 * HOUR_MS;
const MAX_AHEAD_MS = 14 * HOUR_MS;
/** Wall-clock firings read per step of a walk. */
const WALK_STEP = 512;
/** How far back the firing before another is looked for, widening step by step: a dense schedule is found in the first. */
const LOOK_BACK_MS = [2 * HOUR_MS, 2 * DAY_MS, 35 * DAY_MS, 400 * DAY_MS, 9 * 366 * DAY_MS];

/**
 * The instant at which `timeZone`'s clocks read `wallMs` (a wall-clock time written as if it were UTC): the
 * earlier one when clocks going back repeat it, undefined when clocks going forward skip it. The offsets a
 * day either side cover any one transition.
 */
export function instantAtWallClock(timeZone: string, wallMs: number): number | undefined {
  const offsets = [wallMs - DAY_MS, wallMs + DAY_MS].map((probe) => wallClockMs(timeZone, probe) - probe);
  const candidates = offsets.map((offset) => wallMs - offset).filter((instant) => wallClockMs(timeZone, instant) === wallMs);
  return candidates.length ? Math.min(...candidates) : undefined;
}

/** The instants at which `spec` fires in `timeZone` within [fromMs, toMs], ascending, at most `limit`. */
export function zonedFirings(spec: CronSpec, timeZone: string, fromMs: number, toMs: number, limit: number): number[] {
  const result: number[] = [];
  // Every instant in [fromMs, toMs] reads as a wall-clock time in this range, whatever the zone.
  let cursor = fromMs - MAX_BEHIND_MS;
  const wallEnd = toMs + MAX_AHEAD_MS + 1;
  while (result.length < limit) {
    const walls = cronFirings(spec, cursor, wallEnd, WALK_STEP);
    for (const wall of walls) {
      const instant = instantAtWallClock(timeZone, wall);
      if (instant === undefined || instant < fromMs || instant > toMs) continue;
      result.push(instant);
      if (result.length >= limit) break;
    }
    if (walls.length < WALK_STEP) break;
    cursor = walls[walls.length - 1] + 1;
  }
  return result;
}

/**
 * The firing an invocation at `nowMs` answers: the latest firing of the schedule at most the tolerance
 * before it (or a few seconds after, for clocks that disagree). Any other time is refused, field `calendar`:
 * only the schedule invokes the trigger then, so nothing may change.
 */
export function firingAnswered(schedule: CalendarSchedule, nowMs: number): Parsed<number> {
  const firings = zonedFirings(parseCron(schedule.schedule), schedule.timeZone, nowMs - CALENDAR_LIMITS.toleranceMs, nowMs + CALENDAR_LIMITS.earlyMs, 100);
  const firing = firings.at(-1);
  if (firing !== undefined) return accept(firing);
  return reject(
    'calendar',
    `was invoked at ${new Date(nowMs).toISOString()}, not within ${CALENDAR_LIMITS.toleranceMs / 60_000} minutes after a firing of ${schedule.schedule} in ${schedule.timeZone}: ` +
      'only a firing of the schedule acts, so nothing changed',
  );
}

/** The schedule's firing before `firingMs`, or undefined when it fired none in the nine years before. */
export function previousFiring(schedule: CalendarSchedule, firingMs: number): number | undefined {
  const spec = parseCron(schedule.schedule);
  for (const span of LOOK_BACK_MS) {
    const walls = wallsWithin(spec, firingMs - span - MAX_BEHIND_MS, firingMs + MAX_AHEAD_MS);
    // Later walls are later instants: the first from the end that fires before `firingMs` is the one.
    for (let i = walls.length - 1; i >= 0; i--) {
      const instant = instantAtWallClock(schedule.timeZone, walls[i]);
      if (instant === undefined || instant >= firingMs) continue;
      if (instant >= firingMs - span) return instant;
      break;
    }
  }
  return undefined;
}

function wallsWithin(spec: CronSpec, fromMs: number, toMs: number): number[] {
  const walls: number[] = [];
  for (let cursor = fromMs; ;) {
    const step = cronFirings(spec, cursor, toMs, WALK_STEP);
    walls.push(...step);
    if (step.length < WALK_STEP) return walls;
    cursor = step[step.length - 1] + 1;
  }
}

/**
 * Whether a deadline was missed: no object of the trigger was placed since the firing before it (or ever, for
 * a trigger whose schedule fired none before). An object placed between the firing and its invocation counts
 * as on time: the trigger's state keeps only its latest arrival.
 */
export function deadlineMissed(lastArrivalAtMs: number | undefined, previousFiringMs: number | undefined): boolean {
  if (lastArrivalAtMs === undefined) return true;
  return previousFiringMs !== undefined && lastArrivalAtMs <= previousFiringMs;
}

/** What a firing does to the trigger's state: nothing when it was acted on before, else close the open batch or only record the firing. */
export type CalendarAction = 'already-acted' | 'close' | 'record';

export interface CalendarFiring {
  readonly kind: CalendarKind;
  readonly firingMs: number;
  /** The latest firing of this kind the trigger acted on. */
  readonly actedOnMs?: number;
  /** Objects in the open batch. */
  readonly openCount: number;
  /** The trigger's deadline, for a firing of kind `deadline`. */
  readonly deadline?: DeadlineConfig;
}

/**
 * A batch schedule closes the open batch at every firing; a deadline does when it starts with what arrived,
 * at every firing, met or missed: the deadline is when the data is meant to be complete. An empty batch is
 * never closed, so it starts nothing.
 */
export function calendarAction(firing: CalendarFiring): CalendarAction {
  if (firing.actedOnMs !== undefined && firing.actedOnMs >= firing.firingMs) return 'already-acted';
  const closes = firing.kind === 'close' || firing.deadline?.startWithWhatArrived === true;
  return closes && firing.openCount > 0 ? 'close' : 'record';
}
