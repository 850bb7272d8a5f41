/**
 * EventBridge Scheduler cron expressions, parsed and evaluated without I/O or a clock, so that a
 * schedule can be validated and its longest gap between runs derived at synth time.
 *
 * Firings are wall-clock times computed with UTC arithmetic: the schedule's own time zone shifts
 * every firing alike, so gaps between firings do not depend on it (daylight-saving jumps aside).
 */

export type CronField = 'expression' | 'minutes' | 'hours' | 'dayOfMonth' | 'month' | 'dayOfWeek' | 'year';

/** A cron expression EventBridge Scheduler would reject; `field` and `value` locate the problem. */
export class CronSyntaxError extends Error {
  constructor(
    readonly field: CronField,
    readonly value: string,
    message: string,
  ) {
    super(message);
    this.name = 'CronSyntaxError';
  }
}

/** Which days of a month fire; EventBridge lets exactly one of day-of-month and day-of-week decide. */
type DayRule =
  | { readonly kind: 'daysOfMonth'; readonly days: readonly number[] }
  | { readonly kind: 'lastDayOfMonth' }
  | { readonly kind: 'weekdayNearest'; readonly day: number }
  | { readonly kind: 'daysOfWeek'; readonly weekdays: readonly number[] }
  | { readonly kind: 'lastWeekdayOfMonth'; readonly weekday: number }
  | { readonly kind: 'nthWeekdayOfMonth'; readonly weekday: number; readonly nth: number };

/** A parsed cron expression; every list is sorted ascending and free of duplicates. */
export interface CronSpec {
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  /** Weekdays are numbered as EventBridge does: 1 = Sunday ... 7 = Saturday. */
  readonly days: DayRule;
  readonly months: readonly number[];
  readonly years: readonly number[];
}

interface FieldBounds {
  readonly field: CronField;
  readonly label: string;
  readonly min: number;
  readonly max: number;
  /** Names for min, min + 1, ...; matched case-insensitively. */
  readonly names?: readonly string[];
  /** False where EventBridge's grammar has no '/' (day-of-week). */
  readonly allowsStep?: boolean;
}

const MINUTES: FieldBounds = { field: 'minutes', label: 'minutes', min: 0, max: 59 };
const HOURS: FieldBounds = { field: 'hours', label: 'hours', min: 0, max: 23 };
const DAY_OF_MONTH: FieldBounds = { field: 'dayOfMonth', label: 'day-of-month', min: 1, max: 31 };
const MONTH: FieldBounds = {
  field: 'month', label: 'month', min: 1, max: 12,
  names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
};
const DAY_OF_WEEK: FieldBounds = {
  field: 'dayOfWeek', label: 'day-of-week', min: 1, max: 7,
  names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
  // EventBridge's day-of-week wildcards are `, - * ? L #`: no '/'.
  allowsStep: false,
};
const YEAR: FieldBounds = { field: 'year', label: 'year', min: 1970, max: 2199 };

const FIELD_ORDER = 'minutes hours day-of-month month day-of-week year';

function invalid(bounds: FieldBounds, value: string, problem: string): CronSyntaxError {
  return new CronSyntaxError(bounds.field, value, `${bounds.label} value '${value}' ${problem}`);
}

function allowedRange(bounds: FieldBounds): string {
  const numeric = `${bounds.min}-${bounds.max}`;
  return bounds.names ? `${numeric} or ${bounds.names[0]}-${bounds.names[bounds.names.length - 1]}` : numeric;
}

function operators(bounds: FieldBounds): string {
  return bounds.allowsStep === false ? "',', '-' or '*'" : "',', '-', '*' or '/'";
}

/**
 * Explains a token that is not a plain value, naming the wildcard's proper place when it has one.
 * A wildcard that must stand alone (`?`, `L`, `NL`, `NW`, `N#M`) but shares its field with a list,
 * range or step is blamed on the whole field, `fieldText`: the token on its own would be valid.
 */
function unrecognised(bounds: FieldBounds, token: string, fieldText: string): CronSyntaxError {
  const inDayOfMonth = bounds.field === 'dayOfMonth';
  const inDayOfWeek = bounds.field === 'dayOfWeek';
  let problem: string | undefined;
  let wholeField = false;
  if (token.includes('?')) {
    wholeField = inDayOfMonth || inDayOfWeek;
    problem = wholeField ? "'?' must be the whole field" : "'?' is only valid in day-of-month or day-of-week";
  } else if (/^L$/i.test(token) && (inDayOfMonth || inDayOfWeek)) {
    wholeField = true;
    problem = "'L' must be the whole field";
  } else if (/^\d+L$/i.test(token) && inDayOfWeek) {
    wholeField = true;
    problem = "'NL' must be the whole field, as in '6L'";
  } else if (/^\d*L$/i.test(token)) {
    problem = inDayOfMonth ? "'NL' is only valid in day-of-week: use 'L' for the last day of the month"
      : "'L' is only valid in day-of-month or day-of-week";
  } else if (/^\d*W$/i.test(token)) {
    wholeField = inDayOfMonth;
    problem = inDayOfMonth ? "'W' takes one day and must be the whole field, as in '15W'" : "'W' is only valid in day-of-month, as in '15W'";
  } else if (token.includes('#')) {
    wholeField = inDayOfWeek;
    problem = inDayOfWeek ? "'#' must be the whole field, as in '2#1'" : "'#' is only valid in day-of-week, as in '2#1'";
  }
  if (!problem) return invalid(bounds, token, `is not valid: use ${allowedRange(bounds)} with ${operators(bounds)}`);
  return invalid(bounds, wholeField ? fieldText : token, `is not allowed: ${problem}`);
}

function parseValue(bounds: FieldBounds, token: string, fieldText: string): number {
  if (/^\d+$/.test(token)) {
    const value = Number(token);
    if (value < bounds.min || value > bounds.max) {
      throw invalid(bounds, token, `is out of range: use ${allowedRange(bounds)}`);
    }
    return value;
  }
  const nameIndex = bounds.names?.indexOf(token.toUpperCase()) ?? -1;
  if (nameIndex >= 0) return bounds.min + nameIndex;
  throw unrecognised(bounds, token, fieldText);
}

/** Expands one list item: `*`, `N`, `N-M`, each optionally followed by `/step`. */
function parseItem(bounds: FieldBounds, item: string, fieldText: string): number[] {
  const [base, stepText, ...rest] = item.split('/');
  if (stepText !== undefined && bounds.allowsStep === false) {
    throw invalid(bounds, item,
      `is not allowed: '/' is not valid in ${bounds.label}: list the days instead, as in 'MON,WED,FRI'`);
  }
  if (rest.length > 0) throw invalid(bounds, item, "is not valid: use a single '/', as in '0/15'");
  let step = 1;
  if (stepText !== undefined) {
    step = /^\d+$/.test(stepText) ? Number(stepText) : 0;
    if (step < 1) throw invalid(bounds, item, "has a bad step: the step must be a positive integer, as in '*/5'");
  }
  let start = bounds.min;
  let end = bounds.max;
  if (base !== '*') {
    const ends = base.split('-');
    // Reports the whole item when its shape is wrong, so `-5` or `*-5` is not blamed on an empty part.
    if (ends.length > 2 || ends.some((part) => !/^\w+$/.test(part))) throw unrecognised(bounds, item, fieldText);
    start = parseValue(bounds, ends[0], fieldText);
    // `N/step` runs from N to the field's maximum; a bare `N` is the single value.
    end = ends.length === 2 ? parseValue(bounds, ends[1], fieldText) : stepText === undefined ? start : bounds.max;
    if (start > end) {
      throw invalid(bounds, item, `is a reversed range: start must not exceed end, as in '${ends[1]}-${ends[0]}'`);
    }
  }
  const values: number[] = [];
  for (let value = start; value <= end; value += step) values.push(value);
  return values;
}

function parseList(bounds: FieldBounds, text: string): number[] {
  const items = text.split(',');
  // An empty item is best shown in its field: `1,,2` says where the extra ',' is, `''` does not.
  if (items.length > 1 && items.includes('')) throw invalid(bounds, text, "has an empty list item: remove the extra ','");
  const values = new Set<number>();
  for (const item of items) {
    for (const value of parseItem(bounds, item, text)) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

function parseDayOfMonth(text: string): DayRule {
  if (/^L$/i.test(text)) return { kind: 'lastDayOfMonth' };
  if (/^LW$/i.test(text)) {
    throw invalid(DAY_OF_MONTH, text,
      "is not supported by EventBridge Scheduler: use 'L' for the last day or 'NW' for the weekday nearest day N");
  }
  const nearest = /^(\d+)W$/i.exec(text);
  if (nearest) return { kind: 'weekdayNearest', day: parseValue(DAY_OF_MONTH, nearest[1], text) };
  return { kind: 'daysOfMonth', days: parseList(DAY_OF_MONTH, text) };
}

function parseDayOfWeek(text: string): DayRule {
  // A lone `L` in day-of-week is simply the last day of the week, Saturday.
  if (/^L$/i.test(text)) return { kind: 'daysOfWeek', weekdays: [DAY_OF_WEEK.max] };
  const last = /^(\w+)L$/i.exec(text);
  if (last) return { kind: 'lastWeekdayOfMonth', weekday: parseValue(DAY_OF_WEEK, last[1], text) };
  const nth = /^(\w+)#(\w+)$/.exec(text);
  if (nth) {
    if (!/^[1-5]$/.test(nth[2])) {
      throw invalid(DAY_OF_WEEK, text, `has occurrence '${nth[2]}' after '#': use 1-5, as in '2#1' for the first Monday`);
    }
    return { kind: 'nthWeekdayOfMonth', weekday: parseValue(DAY_OF_WEEK, nth[1], text), nth: Number(nth[2]) };
  }
  return { kind: 'daysOfWeek', weekdays: parseList(DAY_OF_WEEK, text) };
}

/** Accepts either the body `0 3 ? * MON *` or the wrapped form `cron(0 3 ? * MON *)` (surrounding whitespace ok). */
export function parseCron(expression: string): CronSpec {
  const trimmed = expression.trim();
  const wrapped = /^cron\((.*)\)$/is.exec(trimmed);
  if (!wrapped && /^\w*\(/.test(trimmed)) {
    throw new CronSyntaxError('expression', trimmed,
      `expression value '${trimmed}' is not a cron expression: use cron(${FIELD_ORDER})`);
  }
  const body = (wrapped ? wrapped[1] : trimmed).trim();
  const fields = body === '' ? [] : body.split(/\s+/);
  if (fields.length !== 6) {
    throw new CronSyntaxError('expression', body,
      `expression value '${body}' has ${fields.length} field(s): use 6 (${FIELD_ORDER})`);
  }
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields;
  const parsedMinutes = parseList(MINUTES, minutes);
  const parsedHours = parseList(HOURS, hours);
  const parsedMonths = parseList(MONTH, month);
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    // Blame the field the user most likely has to turn into '?': day-of-month unless it already is one.
    const offender: CronField = dayOfMonth === '?' ? 'dayOfWeek' : 'dayOfMonth';
    throw new CronSyntaxError(offender, offender === 'dayOfMonth' ? dayOfMonth : dayOfWeek,
      `day-of-month and day-of-week: exactly one must be '?', got '${dayOfMonth}' and '${dayOfWeek}'`);
  }
  return {
    minutes: parsedMinutes,
    hours: parsedHours,
    days: dayOfMonth === '?' ? parseDayOfWeek(dayOfWeek) : parseDayOfMonth(dayOfMonth),
    months: parsedMonths,
    years: parseList(YEAR, year),
  };
}

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
