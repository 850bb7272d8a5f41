/**
 * When an EventBridge Scheduler schedule fires, and the input it sends then. Pure: times are parameters.
 *
 * Scheduler evaluates `cron(...)` and `at(...)` in the schedule's time zone: a wall-clock time that daylight
 * saving time skips does not fire, and one that it repeats fires once, at its first occurrence. A rate counts
 * from the StartDate, or from when the schedule was created, and fires at that instant first.
 */
import { wallClockMs as calendarWallClockMs } from '../../lambda/core/calendar';
import { parseCron } from '../../lambda/core/cron';
import { cronFirings } from '../../lambda/core/cron-firings';
import type { SimulatedSchedule } from './model';
import { stableUuid } from './routing';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** No time zone is further than this from UTC (UTC-12 to UTC+14). */
const MAX_BEHIND_MS = 12 * HOUR_MS;
const MAX_AHEAD_MS = 14 * HOUR_MS;
const RATE = /^rate\((\d{1,9}) (minute|minutes|hour|hours|day|days)\)$/;
const AT = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;
const UNIT_MS: Readonly<Record<string, number>> = { minute: MINUTE_MS, hour: HOUR_MS, day: DAY_MS };
/** Wall-clock firings read per step of a cron walk. */
const CRON_BATCH = 256;

/**
 * The times `schedule` fires in (fromMs, toMs], ascending, at most `limit`: none when it is disabled, and only
 * those from its StartDate and before its EndDate (which Scheduler ignores for `at(...)`). `createdAtMs` is when
 * the schedule was created, where a rate without a StartDate counts from.
 */
export function firings(schedule: SimulatedSchedule, fromMs: number, toMs: number, limit: number, createdAtMs = fromMs): number[] {
  if (!schedule.enabled || limit < 1 || toMs <= fromMs) return [];
  const expression = schedule.expression.trim();
  const at = AT.exec(expression);
  if (at) {
    const [year, month, day, hour, minute, second] = at.slice(1).map(Number);
    const wall = Date.UTC(year, month - 1, day, hour, minute, second);
    if (new Date(wall).toISOString().slice(0, 19) !== expression.slice(3, -1)) {
      throw new Error(`schedule ${schedule.logicalId}: ${expression} is not a real date and time`);
    }
    const instant = instantOf(schedule.timeZone, wall);
    return instant !== undefined && instant > fromMs && instant <= toMs ? [instant] : [];
  }
  const startMs = bound(schedule, 'startDate');
  const endMs = bound(schedule, 'endDate');
  const lowMs = Math.max(fromMs, startMs === undefined ? -Infinity : startMs - 1);
  const highMs = Math.min(toMs, endMs === undefined ? Infinity : endMs - 1);
  if (highMs <= lowMs) return [];
  const rate = RATE.exec(expression);
  if (rate) {
    const periodMs = Number(rate[1]) * UNIT_MS[rate[2].replace(/s$/, '')];
    if (periodMs === 0) throw new Error(`schedule ${schedule.logicalId}: ${expression} must have a positive rate`);
    return rateFirings(startMs ?? createdAtMs, periodMs, lowMs, highMs, limit);
  }
  if (expression.startsWith('cron(')) return zonedCronFirings(schedule, lowMs, highMs, limit);
  throw new Error(`schedule ${schedule.logicalId}: expression '${expression}' is not cron(...), rate(...) or at(...)`);
}

function bound(schedule: SimulatedSchedule, field: 'startDate' | 'endDate'): number | undefined {
  const text = schedule[field];
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`schedule ${schedule.logicalId}: ${field} must be an ISO 8601 time, got '${text}'`);
  return ms;
}

function rateFirings(anchorMs: number, periodMs: number, lowMs: number, highMs: number, limit: number): number[] {
  const result: number[] = [];
  let next = anchorMs > lowMs ? anchorMs : anchorMs + (Math.floor((lowMs - anchorMs) / periodMs) + 1) * periodMs;
  for (; next <= highMs && result.length < limit; next += periodMs) result.push(next);
  return result;
}

function zonedCronFirings(schedule: SimulatedSchedule, lowMs: number, highMs: number, limit: number): number[] {
  const spec = parseCron(schedule.expression);
  const result: number[] = [];
  // Every instant in (lowMs, highMs] reads as a wall-clock time in this range, whatever the zone.
  let cursor = lowMs - MAX_BEHIND_MS;
  const wallEnd = highMs + MAX_AHEAD_MS + 1;
  while (result.length < limit) {
    const walls = cronFirings(spec, cursor, wallEnd, CRON_BATCH);
    for (const wall of walls) {
      const instant = instantOf(schedule.timeZone, wall);
      if (instant === undefined || instant <= lowMs || instant > highMs) continue;
      result.push(instant);
      if (result.length >= limit) return result;
    }
    if (walls.length < CRON_BATCH) break;
    cursor = walls[walls.length - 1] + 1;
  }
  return result;
}

/** The wall-clock time in `timeZone` at `epochMs`, written as if it were UTC, milliseconds kept. */
function wallClockMs(timeZone: string, epochMs: number): number {
  const seconds = Math.floor(epochMs / 1000) * 1000;
  return calendarWallClockMs(timeZone, seconds) + (epochMs - seconds);
}

/**
 * The instant at which `timeZone`'s clocks read `wallMs`: the earlier one when clocks going back repeat it,
 * undefined when clocks going forward skip it. The offsets a day either side cover any one transition.
 */
export function instantOf(timeZone: string, wallMs: number): number | undefined {
  const candidates = [wallClockMs(timeZone, wallMs - DAY_MS) - (wallMs - DAY_MS), wallClockMs(timeZone, wallMs + DAY_MS) - (wallMs + DAY_MS)]
    .map((offset) => wallMs - offset)
    .filter((instant) => wallClockMs(timeZone, instant) === wallMs)
    .sort((a, b) => a - b);
  return candidates[0];
}

/** A time as Scheduler writes `<aws.scheduler.scheduled-time>`: ISO 8601 in UTC, whole seconds, `Z`. */
export function schedulerTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** An execution id for one firing, the same every time for the same schedule and time. */
export function executionId(schedule: SimulatedSchedule, scheduledMs: number): string {
  return stableUuid(`schedule#${schedule.logicalId}#${scheduledMs}`);
}

/**
 * The input Scheduler sends for the firing at `scheduledMs`: the target's Input with its context attributes
 * filled in, or `{}` when the target has none. `scheduleArn` defaults to one in the default group named after
 * the schedule's logical id.
 */
export function scheduledInput(
  input: string | undefined,
  scheduledMs: number,
  schedule: SimulatedSchedule,
  scheduleArn = `arn:aws:scheduler:us-east-1:123456789012:schedule/default/${schedule.logicalId}`,
): string {
  if (input === undefined) return '{}';
  const values: Readonly<Record<string, string>> = {
    '<aws.scheduler.scheduled-time>': schedulerTime(scheduledMs),
    '<aws.scheduler.execution-id>': executionId(schedule, scheduledMs),
    '<aws.scheduler.attempt-number>': '1',
    '<aws.scheduler.schedule-arn>': scheduleArn,
  };
  return input.replace(/<aws\.scheduler\.[a-z-]+>/g, (attribute) => values[attribute] ?? attribute);
}
