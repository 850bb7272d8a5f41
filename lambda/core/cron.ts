/**
 * EventBridge Scheduler cron expressions, parsed without I/O or a clock, so that a schedule can be
 * validated at synth time; cron-firings.ts evaluates what they parse to.
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
export type DayRule =
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
