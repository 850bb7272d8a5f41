/** Calendar days in a time zone: where daily caps and budgets roll over. */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * One formatter per time zone: building an Intl.DateTimeFormat costs far more than using one, and the
 * cache holds no state a caller could observe.
 */
const dayFormatters = new Map<string, Intl.DateTimeFormat>();

/** Whether this runtime knows `timeZone` as an IANA time zone. */
export function isTimeZone(timeZone: string): boolean {
  try {
    dayFormatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * The IANA spelling of `timeZone` when it names a known zone in the wrong letter case
 * (`europe/berlin` for `Europe/Berlin`), which this runtime accepts and services that match
 * names exactly do not; undefined when it is spelled right or is unknown here.
 */
export function misspelledTimeZoneCase(timeZone: string): string | undefined {
  if (!isTimeZone(timeZone)) return undefined;
  const resolved = dayFormatter(timeZone).resolvedOptions().timeZone;
  return resolved !== timeZone && resolved.toLowerCase() === timeZone.toLowerCase() ? resolved : undefined;
}

function dayFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = dayFormatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, calendar: 'gregory', numberingSystem: 'latn', year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The calendar day of `nowMs` in `timeZone`, as 'YYYY-MM-DD'. */
export function dayIn(timeZone: string, nowMs: number): string {
  const parts = dayFormatter(timeZone).formatToParts(nowMs);
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((candidate) => candidate.type === type)?.value ?? '';
  return `${part('year').padStart(4, '0')}-${part('month')}-${part('day')}`;
}

/**
 * The epoch ms at which the day after `nowMs`'s day starts in `timeZone`. Found by bisection over
 * dayIn rather than offset arithmetic, so days of 23 or 25 hours and midnights that a DST change
 * skips or repeats (America/Santiago) come out right.
 */
export function nextDayStartMs(timeZone: string, nowMs: number): number {
  const today = dayIn(timeZone, nowMs);
  let before = Math.floor(nowMs);
  let after = before + 26 * HOUR_MS;
  while (dayIn(timeZone, after) <= today) after += 24 * HOUR_MS;
  while (after - before > 1) {
    const middle = before + Math.floor((after - before) / 2);
    if (dayIn(timeZone, middle) > today) after = middle;
    else before = middle;
  }
  return after;
}

/** Wall-clock time that a time zone skips, as local `YYYY-MM-DDThh:mm:ss`: `from` included, `to` excluded. */
export interface WallClockGap {
  readonly from: string;
  readonly to: string;
}

const wallClockFormatters = new Map<string, Intl.DateTimeFormat>();

function wallClockFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = wallClockFormatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone, calendar: 'gregory', numberingSystem: 'latn', hourCycle: 'h23',
      year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    wallClockFormatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall-clock time in `timeZone` at the instant `epochMs`, written as if it were UTC (whole seconds). */
export function wallClockMs(timeZone: string, epochMs: number): number {
  const parts = wallClockFormatter(timeZone).formatToParts(epochMs);
  const part = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((candidate) => candidate.type === type)?.value);
  return Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
}

function offsetMs(timeZone: string, epochMs: number): number {
  const second = Math.floor(epochMs / 1000) * 1000;
  return wallClockMs(timeZone, second) - second;
}

function localIso(wallMs: number): string {
  return new Date(wallMs).toISOString().slice(0, 19);
}

/**
 * The gap that skips the local time `localDateTime` (`YYYY-MM-DDThh:mm:ss`) in `timeZone`, such as
 * 02:00-03:00 when daylight saving time starts, or undefined when that wall-clock time exists there
 * (once, or twice when clocks go back). Looks two days either side, which covers any gap of up to a day.
 */
export function wallClockGapAt(timeZone: string, localDateTime: string): WallClockGap | undefined {
  const wall = Date.parse(`${localDateTime}Z`);
  // Instants two days either side; no offset exceeds 14 hours, so they lie before and after `wall` however it maps.
  let low = wall - 2 * DAY_MS;
  let high = wall + 2 * DAY_MS;
  const before = offsetMs(timeZone, low);
  const after = offsetMs(timeZone, high);
  for (const offset of [before, after]) {
    if (wallClockMs(timeZone, wall - offset) === wall) return undefined;
  }
  // Bisects for the instant the offset changes from `before` to `after`; transitions fall on whole seconds.
  while (high - low > 1000) {
    const middle = low + Math.floor((high - low) / 2000) * 1000;
    if (offsetMs(timeZone, middle) === before) low = middle;
    else high = middle;
  }
  return { from: localIso(high + before), to: localIso(high + after) };
}
