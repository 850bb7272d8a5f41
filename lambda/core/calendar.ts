/** Calendar days in a time zone: where daily caps and budgets roll over. */

const HOUR_MS = 3_600_000;

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
