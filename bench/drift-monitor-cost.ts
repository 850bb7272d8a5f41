import { performance } from 'node:perf_hooks';
import { DRIFT_MONITOR_DEFAULTS } from '../lambda/core/contracts/drift-monitor';
import { compareWindow, mergeWindows, parseWindowSketch, type Baseline, type WindowSketch } from '../lambda/core/drift-statistics';
import { table } from './harness';

export const MIB = 1024 ** 2;
/** Lambda gives a function one full vCPU at 1,769 MB and CPU in proportion to memory below it. */
export const FULL_VCPU_MB = 1769;
/** The monitor function's memory, as lib/drift-monitor.ts sets it. */
export const MEMORY_MB = 1024;
/** The `bytesPerInvocation` the cost model compares with the default: a tighter slice, more fan-out. */
const SMALL_SLICE_BYTES = 64 * MIB;

/**
 * Inputs, not measurements: list prices in US East (N. Virginia), us-east-1, first tier, as the pages named in
 * `PRICE_SOURCES` state them. The monitor's function runs on Arm (`HANDLER_ARCHITECTURE` in lib/private/handler-code.ts).
 */
const PRICES = { gbSecond: 0.0000133334, lambdaRequest: 0.2 / 1e6, get: 0.0004 / 1000, put: 0.005 / 1000, transition: 0.025 / 1000 };
const PRICE_SOURCES = [
  'Prices are inputs, not measurements, and are not fetched by this run: list prices for US East (N. Virginia), us-east-1.',
  'Lambda on Arm, which the monitor\'s function runs on: $0.0000133334 per GB-s (first 7.5 billion GB-s a month), as',
  '<https://cloudchipr.com/blog/aws-lambda-pricing> states it (<https://aws.amazon.com/lambda/pricing/> renders its rate',
  'table in the browser), and $0.20 per million requests, as <https://aws.amazon.com/lambda/pricing/> states in its worked',
  'example. S3 Standard: $0.0004 per 1,000 GET/HEAD and $0.005 per 1,000 PUT/LIST, as',
  '<https://awsi.click/en/articles/s3-request-pricing-get-put-difference/> states them for us-east-1 (the rate table of',
  '<https://aws.amazon.com/s3/pricing/> is likewise rendered in the browser). Step Functions Standard: $0.025 per 1,000 state',
  'transitions, from the table of <https://aws.amazon.com/step-functions/pricing/>. Free tiers and data transfer (none within',
  'a region) are left out.',
];

/** S3 requests of one run as lambda/aws/drift-monitor/runs.ts makes them at the time of this benchmark (HEAD counted as GET). */
function s3Requests(objects: number, slices: number): { captureGets: number; otherGets: number; puts: number; lists: number } {
  const lists = 1 + Math.max(1, Math.ceil(objects / 1000)); // variant folders, then the hour's keys 1,000 a page
  const plan = { gets: 3, puts: slices + 2 }; // watermark, baseline ETag + document; each slice's keys, manifest, run record
  const report = { gets: 1, puts: 3 }; // watermark; statistics.json, constraint_violations.json, watermark
  // One slice: the assessment reads the run record, the baseline's ETag and document, and the slice's keys.
  if (slices === 1) return { captureGets: objects, otherGets: plan.gets + 3 + 1 + report.gets, puts: plan.puts + report.puts, lists };
  const sketches = { gets: 4 * slices, puts: slices }; // run record, slice keys, baseline ETag + document; one partial sketch each
  const assess = { gets: 3 + slices }; // run record, baseline ETag + document, every partial
  return { captureGets: objects, otherGets: plan.gets + 1 + sketches.gets + assess.gets + report.gets, puts: plan.puts + sketches.puts + report.puts, lists };
}

/** Slices as the plan cuts them: objects in order, a new slice when the next object would pass `bytesPerInvocation`. */
function sliceCount(objects: number, objectBytes: number, bytesPerInvocation: number): number {
  return Math.ceil(objects / Math.max(1, Math.floor(bytesPerInvocation / objectBytes)));
}

/** The cost table of one run at 1M, 10M and 100M rows, each at the default `bytesPerInvocation` and at 64 MiB, then the prices' sources. */
export function costModel(bytesPerRow: number, objectBytes: number, rowsPerSecond: number, sketchBytes: number, assessSecondsPerSlice: number): string[] {
  const cpuShare = MEMORY_MB / FULL_VCPU_MB;
  const gb = MEMORY_MB / 1024;
  const rows = [1e6, 1e7, 1e8].flatMap((windowRows) => [DRIFT_MONITOR_DEFAULTS.bytesPerInvocation, SMALL_SLICE_BYTES].map((bytesPerInvocation) => {
    const objects = Math.ceil((windowRows * bytesPerRow) / objectBytes);
    const slices = sliceCount(objects, objectBytes, bytesPerInvocation);
    const fanOut = slices > 1;
    const requests = s3Requests(objects, slices);
    const transitions = fanOut ? 4 + slices : 3;
    const invocations = fanOut ? slices + 2 : 2;
    const sketchSeconds = windowRows / rowsPerSecond + (fanOut ? slices * assessSecondsPerSlice : 0);
    const gbSeconds = sketchSeconds * gb;
    const dollars = gbSeconds / cpuShare * PRICES.gbSecond + invocations * PRICES.lambdaRequest
      + (requests.captureGets + requests.otherGets) * PRICES.get + (requests.puts + requests.lists) * PRICES.put + transitions * PRICES.transition;
    return [
      `${windowRows / 1e6}M (${((windowRows * bytesPerRow) / 1e9).toFixed(2)} GB)`,
      `${bytesPerInvocation / MIB} MiB`,
      `${fanOut ? 'fan-out' : 'single'}: ${slices}`,
      `${requests.captureGets} + ${requests.otherGets}`,
      requests.puts,
      requests.lists,
      fanOut ? `${slices} x ${(sketchBytes / 1024).toFixed(1)} KiB` : '(none written)',
      transitions,
      invocations,
      `${gbSeconds.toFixed(1)} / ${(gbSeconds / cpuShare).toFixed(1)}`,
      `$${dollars.toFixed(4)}`,
      `$${(dollars / (windowRows / 1e6)).toFixed(4)}`,
    ];
  }));
  return [
    table(
      ['window rows', 'bytesPerInvocation', 'mode: slices', 'S3 GETs: capture + other', 'S3 PUTs', 'S3 LISTs', 'partial sketches', 'state transitions', 'Lambda invocations', 'GB-s (full core / 1024 MB CPU share)', 'run cost', 'per 1M rows'],
      rows,
    ),
    '',
    ...PRICE_SOURCES,
  ];
}

/** Median seconds to read one partial sketch back from JSON and merge it, as the assessment does per slice. */
export function assessSecondsPerSlice(sketch: WindowSketch, baseline: Baseline): number {
  const text = JSON.stringify(sketch);
  const samples: number[] = [];
  for (let run = 0; run < 7; run++) {
    const started = performance.now();
    let merged = sketch;
    for (let i = 0; i < 20; i++) {
      const parsed = parseWindowSketch(JSON.parse(text));
      if (!parsed.ok) throw new Error(`partial sketch: ${parsed.error.field} ${parsed.error.problem}`);
      const next = mergeWindows(merged, parsed.value);
      if (!next.ok) throw new Error(`merge: ${next.error.field} ${next.error.problem}`);
      merged = next.value;
    }
    if (!compareWindow(baseline, merged).ok) throw new Error('the merged window does not compare with its baseline');
    samples.push((performance.now() - started) / 1000 / 20);
  }
  return samples.sort((a, b) => a - b)[3];
}
