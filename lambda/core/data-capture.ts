import type { CaptureValue } from './data-capture-csv';
import { decodeBase64Text, formatOf, predictionsOf, rowsOfPayload, type PayloadText, type RawRow } from './data-capture-payload';
import type { SplitLine } from './data-capture-lines';
import { accept, isRecord, parseJson, reject, requiredString, type FieldError, type Parsed } from './result';

export type { CaptureValue } from './data-capture-csv';
export { captureEndpointPrefix, captureHourPrefixes, isCaptureKeyInWindow } from './data-capture-layout';
export { LineSplitter, splitLines, type SplitLine } from './data-capture-lines';

/**
 * What a capture's payloads mean: the model's features in the order its CSV columns hold them, and
 * optionally the name under which each row carries the endpoint's prediction.
 */
export interface CaptureSchema {
  readonly features: readonly string[];
  /** @default - the endpoint's output is not read */
  readonly outputFeature?: string;
}

/** One row of feature values: a feature the payload did not carry is absent, not null. */
export type CaptureRow = Record<string, CaptureValue>;

/** What one capture line (one inference request) holds. */
export interface CaptureRecord {
  readonly rows: CaptureRow[];
  /** `eventMetadata.inferenceTime`, when the line carries it. */
  readonly inferenceTime?: string;
}

/**
 * Reads one line of a SageMaker data capture file (JSON Lines, one inference request per line) into
 * rows of feature values, naming the first field that is missing or malformed; never throws.
 *
 * CSV payloads map columns to `schema.features` by position; columns past the schema are kept as
 * `_c<index>` (zero-based, so the 13th column is `_c12`), so a changed schema shows in the rows.
 */
export function parseCaptureLine(line: string, schema: CaptureSchema): Parsed<CaptureRecord> {
  const document = parseJson(line, 'line');
  if (!document.ok) return document;
  const record = document.value;
  if (!isRecord(record)) return reject('line', 'must be a JSON object');
  if (!isRecord(record.captureData)) return reject('captureData', record.captureData === undefined ? 'is missing' : 'must be an object');
  const inferenceTime = inferenceTimeOf(record.eventMetadata);
  if (!inferenceTime.ok) return inferenceTime;

  const input = payloadOf(record.captureData, 'endpointInput');
  if (!input.ok) return input;
  const inputField = 'captureData.endpointInput.data';
  const raw = rowsOfPayload(input.value, inputField);
  if (!raw.ok) return raw;

  let predictions: readonly CaptureValue[] | undefined;
  if (schema.outputFeature !== undefined && record.captureData.endpointOutput !== undefined) {
    const output = payloadOf(record.captureData, 'endpointOutput');
    if (!output.ok) return output;
    const read = predictionsOf(output.value, raw.value.length, 'captureData.endpointOutput.data');
    if (!read.ok) return read;
    predictions = read.value;
  }
  const rows = raw.value.map((row, index) => {
    const entries = entriesOf(row, schema.features);
    if (predictions !== undefined && schema.outputFeature !== undefined) entries.push([schema.outputFeature, predictions[index]]);
    return Object.fromEntries(entries);
  });
  return accept(inferenceTime.value === undefined ? { rows } : { rows, inferenceTime: inferenceTime.value });
}

/** A line that was skipped: where it is in its file, and why. */
export interface MalformedLine {
  readonly line: number;
  readonly error: FieldError;
}

/**
 * Reads a capture file's lines one at a time into rows, skipping and counting malformed lines so one
 * bad request never hides the rest. Blank lines are not records and are passed over.
 */
export class CaptureTally {
  private readonly collected: CaptureRow[] = [];
  private readonly kept: MalformedLine[] = [];
  private recordCount = 0;
  private malformedCount = 0;

  /** `examples`: how many malformed lines to keep for a report (all are counted). */
  constructor(
    private readonly schema: CaptureSchema,
    private readonly examples = 10,
  ) {}

  get rows(): readonly CaptureRow[] {
    return this.collected;
  }

  /** Lines read into rows. */
  get records(): number {
    return this.recordCount;
  }

  /** Lines skipped as malformed. */
  get malformed(): number {
    return this.malformedCount;
  }

  /** The first malformed lines, up to `examples` of them. */
  get malformedExamples(): readonly MalformedLine[] {
    return this.kept;
  }

  add(line: SplitLine): void {
    if (line.kind === 'too-long') {
      this.skip(line.number, { field: 'line', problem: `is ${line.length} characters long, more than a line may be` });
      return;
    }
    if (line.text.trim() === '') return;
    const parsed = parseCaptureLine(line.text, this.schema);
    if (!parsed.ok) {
      this.skip(line.number, parsed.error);
      return;
    }
    this.recordCount += 1;
    for (const row of parsed.value.rows) this.collected.push(row);
  }

  private skip(line: number, error: FieldError): void {
    this.malformedCount += 1;
    if (this.kept.length < this.examples) this.kept.push({ line, error });
  }
}

/** Reads `captureData.<which>`, decoding base64 by its observed content type. */
function payloadOf(captureData: Record<string, unknown>, which: 'endpointInput' | 'endpointOutput'): Parsed<PayloadText> {
  const path = `captureData.${which}`;
  const payload = captureData[which];
  if (!isRecord(payload)) return reject(path, payload === undefined ? 'is missing' : 'must be an object');
  const data = payload.data;
  if (typeof data !== 'string') return reject(`${path}.data`, data === undefined ? 'is missing' : 'must be a string');
  const encoding = requiredString(payload, 'encoding', `${path}.encoding`);
  if (!encoding.ok) return encoding;
  if (encoding.value === 'CSV') return accept({ format: 'csv', text: data });
  if (encoding.value === 'JSON') return accept({ format: jsonFormat(payload.observedContentType), text: data });
  if (encoding.value !== 'BASE64') {
    return reject(`${path}.encoding`, `must be CSV, JSON or BASE64, got '${encoding.value.slice(0, 40)}'`);
  }
  const contentType = requiredString(payload, 'observedContentType', `${path}.observedContentType`);
  if (!contentType.ok) return contentType;
  const format = formatOf(contentType.value);
  if (format === undefined) {
    return reject(`${path}.observedContentType`, `must be a CSV or JSON media type to read a base64 payload, got '${contentType.value.slice(0, 80)}'`);
  }
  const text = decodeBase64Text(data, `${path}.data`);
  return text.ok ? accept({ format, text: text.value }) : text;
}

/** A JSON-encoded payload is JSON Lines only when its content type says so. */
function jsonFormat(contentType: unknown): PayloadText['format'] {
  return typeof contentType === 'string' && formatOf(contentType) === 'jsonlines' ? 'jsonlines' : 'json';
}

function inferenceTimeOf(metadata: unknown): Parsed<string | undefined> {
  if (metadata === undefined) return accept(undefined);
  if (!isRecord(metadata)) return reject('eventMetadata', 'must be an object');
  const time = metadata.inferenceTime;
  if (time === undefined) return accept(undefined);
  if (typeof time !== 'string' || Number.isNaN(Date.parse(time))) {
    return reject('eventMetadata.inferenceTime', `must be an ISO 8601 time, got ${JSON.stringify(time)?.slice(0, 40)}`);
  }
  return accept(time);
}

/** Names a raw row's values: positions by the schema (or `_c<index>` past it), objects by their own keys. */
function entriesOf(row: RawRow, features: readonly string[]): Array<[string, CaptureValue]> {
  if (row instanceof Map) return [...row.entries()];
  return row.map((value, index) => [index < features.length ? features[index] : `_c${index}`, value]);
}
