import { accept, reject, type Parsed } from './result';

/** One feature value as a capture row holds it. */
export type CaptureValue = string | number | null;

/**
 * The most values one row may hold. A wider row is no model's input but a hostile or broken
 * payload, and naming each of its columns would cost far more than reading it.
 */
export const MAX_CAPTURE_COLUMNS = 65_536;

/**
 * Splits CSV text (RFC 4180) into rows of raw fields in one pass: `""` inside a quoted field is a
 * quote, quoted fields may hold commas and line breaks, and a row ends at `\n` or `\r\n`. Blank rows
 * are dropped, since payloads often end with a line break. `field` names the input in errors; a row
 * wider than `MAX_CAPTURE_COLUMNS` is refused as soon as it is seen.
 */
export function parseCsvRows(text: string, field: string): Parsed<string[][]> {
  const rows: string[][] = [];
  let row: string[] = [];
  let value = '';
  let quoted = false;
  let closedQuote = false;
  // Runs of plain characters are copied with one slice rather than char by char.
  let runStart = 0;
  let index = 0;
  const where = (): string => `row ${rows.length + 1}, column ${row.length + 1}`;
  const endRow = (): void => {
    row.push(value);
    if (!(row.length === 1 && row[0] === '' && !closedQuote)) rows.push(row);
    row = [];
    value = '';
    closedQuote = false;
  };
  while (index < text.length) {
    const char = text.charCodeAt(index);
    if (quoted) {
      if (char !== QUOTE) {
        index += 1;
        continue;
      }
      value += text.slice(runStart, index);
      if (text.charCodeAt(index + 1) === QUOTE) {
        value += '"';
        index += 2;
        runStart = index;
        continue;
      }
      quoted = false;
      closedQuote = true;
      index += 1;
      continue;
    }
    if (char === COMMA) {
      if (row.length + 1 >= MAX_CAPTURE_COLUMNS) return reject(field, `has a row of more than ${MAX_CAPTURE_COLUMNS} columns`);
      row.push(value);
      value = '';
      closedQuote = false;
    } else if (char === LF || (char === CR && text.charCodeAt(index + 1) === LF)) {
      endRow();
      if (char === CR) index += 1;
    } else if (closedQuote) {
      return reject(field, `has text after a closing quote at ${where()}`);
    } else if (char === QUOTE) {
      if (value !== '') return reject(field, `has a quote inside an unquoted value at ${where()}`);
      quoted = true;
      runStart = index + 1;
    } else {
      // A plain run: find where it ends and take it whole.
      let end = index + 1;
      while (end < text.length && !isSpecial(text.charCodeAt(end))) end += 1;
      value += text.slice(index, end);
      index = end;
      continue;
    }
    index += 1;
  }
  if (quoted) return reject(field, `has a quoted value that is never closed at ${where()}`);
  if (value !== '' || row.length > 0 || closedQuote) endRow();
  return accept(rows);
}

/**
 * Reads one field: a finite decimal number becomes a number, an empty field null, anything else
 * stays the text it was. Hex, `Infinity` and numbers too large for a double stay text.
 */
export function toCaptureValue(text: string): CaptureValue {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  if (!isDecimal(trimmed)) return text;
  const number = Number(trimmed);
  return Number.isFinite(number) ? number : text;
}

/** Whether `text` is `[+-]digits[.digits][e[+-]digits]` with at least one digit before the exponent; one pass, no regex. */
function isDecimal(text: string): boolean {
  let index = 0;
  const at = (i: number): number => text.charCodeAt(i);
  if (at(index) === PLUS || at(index) === MINUS) index += 1;
  let digits = 0;
  while (isDigit(at(index))) {
    index += 1;
    digits += 1;
  }
  if (at(index) === DOT) {
    index += 1;
    while (isDigit(at(index))) {
      index += 1;
      digits += 1;
    }
  }
  if (digits === 0) return false;
  if (at(index) === LOWER_E || at(index) === UPPER_E) {
    index += 1;
    if (at(index) === PLUS || at(index) === MINUS) index += 1;
    if (!isDigit(at(index))) return false;
    while (isDigit(at(index))) index += 1;
  }
  return index === text.length;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

const isDigit = (char: number): boolean => char >= 0x30 && char <= 0x39;
const isSpecial = (char: number): boolean => char === QUOTE || char === COMMA || char === LF || char === CR;
