/**
 * How the statistics read one cell of a row. Rows arrive from JSON, CSV or Parquet readers, so a number may
 * come as a number or as its text.
 * - missing: absent (undefined), null, NaN, or a string of only blanks;
 * - a number: a finite number, or a string that is one in decimal notation (`12`, `-0.5`, `1e-3`);
 * - anything else (other text, booleans, +-Infinity, objects, arrays) is present but not a number.
 */

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** Longer text is never read as a number: it keeps a cell's cost bounded. */
const LONGEST_NUMBER_TEXT = 64;

export function isMissing(value: unknown): boolean {
  return value === undefined || value === null || Number.isNaN(value) || (typeof value === 'string' && value.trim() === '');
}

/** The cell as a finite number, or undefined when it is missing or not a number; -0 reads as 0. */
export function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value + 0 : undefined;
  if (typeof value !== 'string' || value.length > LONGEST_NUMBER_TEXT) return undefined;
  const text = value.trim();
  if (!DECIMAL.test(text)) return undefined;
  const parsed = Number(text);
  return Number.isFinite(parsed) ? parsed + 0 : undefined;
}

/** A present cell's category: text as it is, numbers and booleans as written, objects and arrays by their kind. */
export function categoryOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return Array.isArray(value) ? '<array>' : `<${typeof value}>`;
}

/** Whether `a` and `b` hold the same numbers in the same order (Object.is, so -0 and NaN are told apart). */
export function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((value, i) => Object.is(value, b[i]));
}
