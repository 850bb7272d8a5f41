import { performance } from 'node:perf_hooks';
import { readCapture } from '../lambda/aws/drift-monitor/capture-reader';
import type { CaptureSchema, SplitLine } from '../lambda/core/data-capture';
import { windowAccumulator, type Baseline, type Row } from '../lambda/core/drift-statistics';

export const NUMERIC = Array.from({ length: 20 }, (_, i) => `num_${String(i).padStart(2, '0')}`);
export const CATEGORIES: Readonly<Record<string, readonly string[]>> = {
  region: ['eu-west', 'eu-central', 'us-east', 'us-west', 'ap-south', 'ap-northeast', 'sa-east', 'af-south'],
  contract: ['month-to-month', 'one-year', 'two-year'],
  device: ['ios', 'android', 'web', 'tv', 'other'],
  plan: Array.from({ length: 12 }, (_, i) => `plan-${String.fromCharCode(97 + i)}`),
  channel: ['organic', 'paid-search', 'referral', 'partner'],
};
export const SCHEMA: CaptureSchema = { features: [...NUMERIC, ...Object.keys(CATEGORIES)] };
export const ROWS_PER_RECORD = 100;
export const RECORDS_PER_OBJECT = 100;
export const ROWS_PER_OBJECT = ROWS_PER_RECORD * RECORDS_PER_OBJECT;
export const RUNS = 5;
export const BUCKET = 'bench-capture';
export const WINDOW = { fromMs: Date.parse('2027-03-01T10:00:00Z'), toMs: Date.parse('2027-03-01T11:00:00Z') };

export type Format = 'csv' | 'json';
export type Accumulator = ReturnType<typeof windowAccumulator>;

/** Rows like a churn model's input: normals, log-normal amounts, counts and shares, and five skewed categories. */
export function rowSource(random: () => number): () => Row {
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const numeric: Array<() => number> = NUMERIC.map((_, i) => {
    if (i % 4 === 0) return () => Number((50 + 12 * normal()).toFixed(2));
    if (i % 4 === 1) return () => Number(Math.exp(3 + normal()).toFixed(2));
    if (i % 4 === 2) return () => Math.floor(-Math.log(1 - random()) * 3);
    return () => Number(random().toFixed(4));
  });
  const categorical = Object.entries(CATEGORIES).map(([name, values]) => [name, () => values[Math.floor(values.length * random() ** 2)]] as const);
  return () => {
    const row: Record<string, number | string> = {};
    NUMERIC.forEach((name, i) => (row[name] = numeric[i]()));
    for (const [name, draw] of categorical) row[name] = draw();
    return row;
  };
}

/** One capture file as SageMaker writes it: one JSON line per request of 100 rows, output captured too. */
export function captureObject(format: Format, nextRow: () => Row, random: () => number, index: number): { key: string; body: Buffer } {
  const lines: string[] = [];
  const startMs = WINDOW.fromMs + index * 20_000;
  for (let record = 0; record < RECORDS_PER_OBJECT; record++) {
    const rows = Array.from({ length: ROWS_PER_RECORD }, nextRow);
    const scores = rows.map(() => random().toFixed(4));
    const [input, output] = format === 'csv'
      ? [
        { observedContentType: 'text/csv', mode: 'INPUT', data: rows.map((row) => SCHEMA.features.map((name) => row[name]).join(',')).join('\n'), encoding: 'CSV' },
        { observedContentType: 'text/csv; charset=utf-8', mode: 'OUTPUT', data: scores.join('\n'), encoding: 'CSV' },
      ]
      : [
        { observedContentType: 'application/json', mode: 'INPUT', data: JSON.stringify({ instances: rows }), encoding: 'JSON' },
        { observedContentType: 'application/json', mode: 'OUTPUT', data: JSON.stringify({ predictions: scores.map(Number) }), encoding: 'JSON' },
      ];
    const eventId = `${index.toString(16).padStart(8, '0')}-${record.toString(16).padStart(4, '0')}-4000-8000-${Math.floor(random() * 2 ** 48).toString(16).padStart(12, '0')}`;
    const inferenceTime = new Date(startMs + record * 150).toISOString().replace(/\.\d{3}Z$/, 'Z');
    lines.push(JSON.stringify({ captureData: { endpointInput: input, endpointOutput: output }, eventMetadata: { eventId, inferenceTime }, eventVersion: '0' }));
  }
  const at = new Date(startMs).toISOString();
  const key = `datacapture/bench-endpoint/AllTraffic/${at.slice(0, 4)}/${at.slice(5, 7)}/${at.slice(8, 10)}/${at.slice(11, 13)}/${at.slice(14, 16)}-${at.slice(17, 19)}-000-${format}-${index}.jsonl`;
  return { key, body: Buffer.from(`${lines.join('\n')}\n`) };
}

/**
 * The monitor's own read loop (`readCapture`, as a slice is read): requests inside the window go into the
 * accumulator. A malformed line fails the benchmark, since its capture is generated well-formed; `tick` is
 * called every 1,000 rows, for the memory child to sample its heap.
 */
export async function sketchLines(lines: AsyncIterable<SplitLine>, accumulator: Accumulator, tick?: () => void): Promise<number> {
  let added = 0;
  const read = await readCapture(lines, SCHEMA, WINDOW, (row) => {
    accumulator.add(row);
    if (tick && ++added % 1_000 === 0) tick();
  });
  if (read.firstProblem) throw new Error(`capture line: ${read.firstProblem.field} ${read.firstProblem.problem}`);
  return read.rows;
}

/** A body in 64 KiB chunks, as the SDK hands a GET's body over. */
export async function* chunksOf(body: Buffer, size = 64 * 1024): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < body.length; offset += size) yield body.subarray(offset, offset + size);
}

export interface Rate {
  readonly rowsPerSecond: number;
  readonly mbPerSecond: number;
}

export type Read = (accumulator: Accumulator) => Promise<number>;

/**
 * Median of `RUNS` timed reads of each of `reads` (each into a fresh window, after one warm-up read), taken
 * in turns so that a noisy neighbour on the machine slows every variant alike.
 */
export async function medianRates(baseline: Baseline, bytes: number, reads: readonly Read[]): Promise<Rate[]> {
  for (const read of reads) await read(windowAccumulator(baseline));
  const samples: Rate[][] = reads.map(() => []);
  for (let run = 0; run < RUNS; run++) {
    for (const [index, read] of reads.entries()) {
      const started = performance.now();
      const rows = await read(windowAccumulator(baseline));
      const seconds = (performance.now() - started) / 1000;
      samples[index].push({ rowsPerSecond: rows / seconds, mbPerSecond: bytes / 1e6 / seconds });
    }
  }
  return samples.map((rates) => rates.sort((a, b) => a.rowsPerSecond - b.rowsPerSecond)[Math.floor(RUNS / 2)]);
}
