import { parseCaptureLine, type CaptureRecord, type CaptureSchema, type SplitLine } from '../../core/data-capture';
import { reject, type FieldError, type Parsed } from '../../core/result';

/** What reading capture lines came to: rows added, lines skipped as malformed, and the first one's problem. */
export interface CaptureRead {
  readonly rows: number;
  readonly malformed: number;
  readonly firstProblem?: FieldError;
}

/**
 * Adds the rows of every request in `[fromMs, toMs)` (by its `eventMetadata.inferenceTime`) to `add`, one line at a
 * time; a malformed line, or a request without a time, is counted and skipped, never failing the read.
 */
export async function readCapture(
  lines: AsyncIterable<SplitLine>,
  schema: CaptureSchema,
  window: { readonly fromMs: number; readonly toMs: number },
  add: (row: Readonly<Record<string, unknown>>) => void,
): Promise<CaptureRead> {
  let rows = 0;
  let malformed = 0;
  let firstProblem: FieldError | undefined;
  for await (const line of lines) {
    if (line.kind === 'line' && line.text.trim() === '') continue;
    const record: Parsed<CaptureRecord> = line.kind === 'line' ? parseCaptureLine(line.text, schema) : reject('line', `is ${line.length} characters long`);
    const at = record.ok && record.value.inferenceTime !== undefined ? Date.parse(record.value.inferenceTime) : NaN;
    if (!record.ok || Number.isNaN(at)) {
      malformed += 1;
      firstProblem ??= record.ok ? { field: 'eventMetadata.inferenceTime', problem: 'is missing' } : record.error;
      continue;
    }
    if (!(at >= window.fromMs && at < window.toMs)) continue;
    for (const row of record.value.rows) add(row);
    rows += record.value.rows.length;
  }
  return { rows, malformed, ...(firstProblem ? { firstProblem } : {}) };
}
