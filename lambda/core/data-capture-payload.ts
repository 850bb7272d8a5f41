import { MAX_CAPTURE_COLUMNS, parseCsvRows, toCaptureValue, type CaptureValue } from './data-capture-csv';
import { accept, isRecord, reject, type Parsed } from './result';

/** One captured payload, decoded to text and known to be CSV or JSON (or JSON Lines). */
export interface PayloadText {
  readonly format: 'csv' | 'json' | 'jsonlines';
  readonly text: string;
}

/** A payload's rows before they are named: by position (CSV, arrays) or by feature (objects). */
export type RawRow = readonly CaptureValue[] | Map<string, CaptureValue>;

/**
 * The media type's format, from `observedContentType` (`text/csv; charset=utf-8` is CSV):
 * undefined when it is neither CSV nor JSON.
 */
export function formatOf(contentType: string): PayloadText['format'] | undefined {
  const semicolon = contentType.indexOf(';');
  const media = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  const subtype = media.slice(media.indexOf('/') + 1);
  if (subtype === 'csv' || subtype === 'x-csv' || subtype.endsWith('+csv')) return 'csv';
  if (subtype === 'jsonlines' || subtype === 'x-jsonlines' || subtype === 'jsonl' || subtype === 'x-ndjson') return 'jsonlines';
  if (subtype === 'json' || subtype.endsWith('+json')) return 'json';
  return undefined;
}

/**
 * Decodes standard base64 (padding optional) to UTF-8 text, refusing anything that is not base64
 * rather than skipping the characters it does not know, as Buffer would.
 */
export function decodeBase64Text(data: string, field: string): Parsed<string> {
  let end = data.length;
  while (end > 0 && data.length - end < 2 && data.charCodeAt(end - 1) === EQUALS) end -= 1;
  for (let index = 0; index < end; index += 1) {
    if (!isBase64Char(data.charCodeAt(index))) return reject(field, `is not base64: unexpected character at offset ${index}`);
  }
  const padded = end < data.length;
  if ((padded && data.length % 4 !== 0) || (!padded && end % 4 === 1)) return reject(field, 'is not base64: its length is not a whole number of bytes');
  try {
    return accept(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(data, 'base64')));
  } catch {
    return reject(field, 'is base64 of bytes that are not UTF-8 text');
  }
}

/** The rows a payload holds; `field` names the payload in errors. */
export function rowsOfPayload(payload: PayloadText, field: string): Parsed<RawRow[]> {
  if (payload.format === 'csv') {
    const rows = parseCsvRows(payload.text, field);
    if (!rows.ok) return rows;
    const width = rows.value[0]?.length ?? 0;
    const ragged = rows.value.findIndex((row) => row.length !== width);
    if (ragged !== -1) {
      return reject(field, `is ragged: row 1 has ${width} columns but row ${ragged + 1} has ${rows.value[ragged].length}`);
    }
    return accept(rows.value.map((row) => row.map(toCaptureValue)));
  }
  const documents = jsonDocuments(payload, field);
  if (!documents.ok) return documents;
  const rows: RawRow[] = [];
  for (const document of documents.value) {
    const shaped = rowsOfJson(document, field);
    if (!shaped.ok) return shaped;
    rows.push(...shaped.value);
  }
  return accept(rows);
}

/**
 * The rows of one JSON document: `{"instances":[...]}` of arrays or objects, `{"features":[...]}`,
 * an array of values (one row), an array of arrays or objects (a row each), or an object of features.
 */
function rowsOfJson(value: unknown, field: string): Parsed<RawRow[]> {
  if (isRecord(value) && Object.hasOwn(value, 'instances')) {
    if (!Array.isArray(value.instances)) return reject(field, '`instances` must be an array');
    return rowsOfList(value.instances, field, 'instances');
  }
  if (Array.isArray(value) && !value.every(isScalar)) return rowsOfList(value, field, '');
  const row = rowOf(isScalar(value) ? [value] : value, field, '');
  return row.ok ? accept([row.value]) : row;
}

/** Each item is one row; a bare value is a row of one. */
function rowsOfList(items: readonly unknown[], field: string, path: string): Parsed<RawRow[]> {
  const rows: RawRow[] = [];
  for (const [index, item] of items.entries()) {
    const row = rowOf(isScalar(item) ? [item] : item, field, `${path}[${index}]`);
    if (!row.ok) return row;
    rows.push(row.value);
  }
  return accept(rows);
}

function rowOf(item: unknown, field: string, at: string): Parsed<RawRow> {
  const width = Array.isArray(item) ? item.length : isRecord(item) ? Object.keys(item).length : 0;
  if (width > MAX_CAPTURE_COLUMNS) return reject(field, `${at === '' ? 'the payload' : at} has more than ${MAX_CAPTURE_COLUMNS} values`);
  if (isRecord(item) && Object.keys(item).length === 1 && Array.isArray(item.features)) {
    return rowOf(item.features, field, join(at, 'features'));
  }
  if (Array.isArray(item)) {
    const values: CaptureValue[] = [];
    for (const [index, element] of item.entries()) {
      const value = valueOf(element);
      if (value === undefined) return reject(field, `${join(at, `[${index}]`)} must be a number, string, boolean or null`);
      values.push(value);
    }
    return accept(values);
  }
  if (isRecord(item)) {
    const values = new Map<string, CaptureValue>();
    for (const [name, element] of Object.entries(item)) {
      const value = valueOf(element);
      if (value === undefined) return reject(field, `${join(at, name)} must be a number, string, boolean or null`);
      values.set(name, value);
    }
    return accept(values);
  }
  return reject(field, `${at === '' ? 'the payload' : at} must be an object or an array of values`);
}

/** A JSON scalar as a capture value; undefined for objects and arrays. */
function valueOf(element: unknown): CaptureValue | undefined {
  if (element === null) return null;
  if (typeof element === 'number') return Number.isFinite(element) ? element : String(element);
  if (typeof element === 'string') return toCaptureValue(element);
  if (typeof element === 'boolean') return String(element);
  return undefined;
}

/**
 * One prediction per input row from an output payload: a value per row (CSV rows, a JSON array or
 * `{"predictions":[...]}`), or one row holding a value per input row, as XGBoost answers a CSV batch.
 * A prediction that is itself a list counts by its first value, and an object by its `score`.
 */
export function predictionsOf(payload: PayloadText, inputRows: number, field: string): Parsed<CaptureValue[]> {
  let items: unknown[];
  if (payload.format === 'csv') {
    const rows = parseCsvRows(payload.text, field);
    if (!rows.ok) return rows;
    items = rows.value.length === 1 && inputRows > 1 ? rows.value[0] : rows.value;
  } else {
    const documents = jsonDocuments(payload, field);
    if (!documents.ok) return documents;
    const [only] = documents.value;
    const list = documents.value.length === 1 && isRecord(only) && Array.isArray(only.predictions) ? only.predictions : only;
    items = documents.value.length === 1 && Array.isArray(list) ? list : documents.value;
    if (items.length === 1 && Array.isArray(items[0]) && inputRows > 1) items = items[0];
  }
  if (items.length !== inputRows) return reject(field, `holds ${items.length} predictions for ${inputRows} input rows`);
  const values: CaptureValue[] = [];
  for (const [index, item] of items.entries()) {
    const chosen = Array.isArray(item) ? item[0] : isRecord(item) ? item.score : item;
    const value = valueOf(chosen);
    if (value === undefined) return reject(field, `prediction ${index + 1} must be a value, a list of values or an object with a \`score\``);
    values.push(value);
  }
  return accept(values);
}

/** The JSON documents of a payload: one for JSON, one per non-blank line for JSON Lines. */
function jsonDocuments(payload: PayloadText, field: string): Parsed<unknown[]> {
  const texts = payload.format === 'json' ? [payload.text] : payload.text.split('\n').filter((line) => line.trim() !== '');
  const documents: unknown[] = [];
  for (const [index, text] of texts.entries()) {
    try {
      documents.push(JSON.parse(text) as unknown);
    } catch (error) {
      const which = payload.format === 'json' ? '' : ` (line ${index + 1})`;
      return reject(field, `is not JSON${which}: ${(error as Error).message}`);
    }
  }
  return accept(documents);
}

const isScalar = (value: unknown): boolean => value === null || ['number', 'string', 'boolean'].includes(typeof value);
const join = (path: string, name: string): string => (path === '' ? name : name.startsWith('[') ? `${path}${name}` : `${path}.${name}`);

const EQUALS = 0x3d;
const isBase64Char = (char: number): boolean =>
  (char >= 0x41 && char <= 0x5a) || (char >= 0x61 && char <= 0x7a) || (char >= 0x30 && char <= 0x39) || char === 0x2b || char === 0x2f;
