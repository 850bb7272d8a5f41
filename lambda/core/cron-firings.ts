/**
 * When a parsed cron expression fires, evaluated without I/O or a clock, so that a schedule's longest gap
 * between runs is derived at synth time.
 *
 * Firings are wall-clock times computed with UTC arithmetic: the schedule's own time zone shifts
 * every firing alike, so gaps between firings do not depend on it (daylight-saving jumps aside).
 */
import type { CronSpec, DayRule } from './cron';

const MS_PER_MINUTE = 60_000;
const MINUTES_PER_DAY = 1440;
const MS_PER_DAY = MINUTES_PER_DAY * MS_PER_MINUTE;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** EventBridge numbering: 1 = Sunday ... 7 = Saturday. */
function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
}

function firingDaysOfMonth(rule: DayRule, year: number, month: number): number[] {
  const lastDay = daysInMonth(year, month);
  switch (rule.kind) {
    case 'daysOfMonth':
      return rule.days.filter((day) => day <= lastDay);
    case 'lastDayOfMonth':
      return [lastDay];
    case 'weekdayNearest': {
      if (rule.day > lastDay) return [];
      const weekday = weekdayOf(year, month, rule.day);
      // The nearest weekday never leaves the month: a Saturday 1st moves forward, a Sunday last day back.
      if (weekday === 7) return [rule.day === 1 ? 3 : rule.day - 1];
      if (weekday === 1) return [rule.day === lastDay ? rule.day - 2 : rule.day + 1];
      return [rule.day];
    }
    case 'daysOfWeek': {
      const firstWeekday = weekdayOf(year, month, 1);
      const days: number[] = [];
      for (let day = 1; day <= lastDay; day++) {
        if (rule.weekdays.includes(((firstWeekday - 1 + day - 1) % 7) + 1)) days.push(day);
      }
      return days;
    }
    case 'lastWeekdayOfMonth':
      return [lastDay - ((weekdayOf(year, month, lastDay) - rule.weekday + 7) % 7)];
    case 'nthWeekdayOfMonth': {
      const day = 1 + ((rule.weekday - weekdayOf(year, month, 1) + 7) % 7) + 7 * (rule.nth - 1);
      return day <= lastDay ? [day] : [];
    }
  }
}

/** Days (as days since the epoch) on which the spec fires and that overlap [fromMs, toMs), ascending. */
function* firingDays(spec: CronSpec, fromMs: number, toMs: number): Generator<number> {
  const firstYear = new Date(fromMs).getUTCFullYear();
  const lastYear = new Date(toMs).getUTCFullYear();
  for (const year of spec.years) {
    if (year < firstYear) continue;
    if (year > lastYear) return;
    for (const month of spec.months) {
      const monthStartDay = Date.UTC(year, month - 1, 1) / MS_PER_DAY;
      for (const day of firingDaysOfMonth(spec.days, year, month)) {
        const epochDay = monthStartDay + day - 1;
        if ((epochDay + 1) * MS_PER_DAY <= fromMs) continue;
        if (epochDay * MS_PER_DAY >= toMs) return;
        yield epochDay;
      }
    }
  }
}

function minutesOfDay(spec: CronSpec): number[] {
  return spec.hours.flatMap((hour) => spec.minutes.map((minute) => hour * 60 + minute));
}

/** Wall-clock firings (as epoch-millisecond numbers computed with UTC arithmetic, i.e. time zone agnostic) in [fromMs, toMs), at most `limit`. */
export function cronFirings(spec: CronSpec, fromMs: number, toMs: number, limit: number): number[] {
  const firings: number[] = [];
  if (limit < 1) return firings;
  const times = minutesOfDay(spec);
  for (const epochDay of firingDays(spec, fromMs, toMs)) {
    for (const minute of times) {
      const firing = epochDay * MS_PER_DAY + minute * MS_PER_MINUTE;
      if (firing < fromMs) continue;
      if (firing >= toMs) return firings;
      firings.push(firing);
      if (firings.length >= limit) return firings;
    }
  }
  return firings;
}

// Fixed rather than "from today" so synthesis is deterministic; eight years cover two leap years
// and every layout of weekdays over the months.
const HORIZON_START_MS = Date.UTC(2027, 0, 1);
const HORIZON_END_MS = Date.UTC(2035, 0, 1);

/** Longest gap in minutes between consecutive firings over the fixed wall-clock horizon 2027-01-01T00:00 to 2035-01-01T00:00 (fixed so that synthesis is deterministic and independent of today's date; it spans leap years and every weekday layout). Returns undefined when fewer than two firings fall in the horizon. */
export function maxIntervalMinutes(spec: CronSpec): number | undefined {
  const times = minutesOfDay(spec);
  let widestWithinDay = 0;
  for (let i = 1; i < times.length; i++) widestWithinDay = Math.max(widestWithinDay, times[i] - times[i - 1]);

  let firingCount = 0;
  let longest = 0;
  let previousFiring: number | undefined;
  for (const epochDay of firingDays(spec, HORIZON_START_MS, HORIZON_END_MS)) {
    const dayStart = epochDay * MINUTES_PER_DAY;
    if (previousFiring !== undefined) longest = Math.max(longest, dayStart + times[0] - previousFiring);
    longest = Math.max(longest, widestWithinDay);
    previousFiring = dayStart + times[times.length - 1];
    firingCount += times.length;
  }
  return firingCount < 2 ? undefined : longest;
}
