import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { linesOfChunks, s3Lines } from '../lambda/aws/adapters/s3-lines';
import { parseCaptureLine } from '../lambda/core/data-capture';
import { buildBaseline, mergeWindows, windowAccumulator, type Row, type WindowSketch } from '../lambda/core/drift-statistics';
import { seeded } from '../test/support/batcher-env';
import { CATEGORIES, NUMERIC, RECORDS_PER_OBJECT, ROWS_PER_OBJECT, ROWS_PER_RECORD, RUNS, BUCKET, SCHEMA, captureObject, chunksOf, medianRates, rowSource, sketchLines, type Format, type Rate } from './drift-monitor-capture';
import { FULL_VCPU_MB, MEMORY_MB, MIB, assessSecondsPerSlice, costModel } from './drift-monitor-cost';
import { bundleChild, runChild, type MemoryProbe } from './drift-monitor-memory';
import { table, type BenchmarkSection } from './harness';

const SEED = 20270301;
const THROUGHPUT_OBJECTS = 5;
const MEMORY_OBJECTS = { '1x': 5, '10x': 50 } as const;
const BASELINE_ROWS = 5000;
const FLAT_LIMIT = 1.5;

/** Rows per second of the drift monitor's read path, its peak memory at 1x and 10x rows, and the fan-out's cost per run. */
export async function benchDriftMonitor(): Promise<BenchmarkSection> {
  const { LOCAL_AWS_ENV, setEnv, startS3 } = await import('../test/support/local-services');
  const s3 = await startS3();
  const restoreEnv = setEnv({ ...LOCAL_AWS_ENV, AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1' });
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'drift-monitor-bench-'));
  const client = new S3Client({});
  try {
    const random = seeded(SEED);
    const nextRow = rowSource(random);
    const baseline = buildBaseline(Array.from({ length: BASELINE_ROWS }, nextRow));
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const put = async (format: Format, count: number) => {
      const objects: Array<{ key: string; body: Buffer }> = [];
      for (let index = 0; index < count; index++) {
        const object = captureObject(format, nextRow, random, index);
        await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: object.key, Body: object.body }));
        objects.push(object);
      }
      return objects;
    };
    const csv = await put('csv', MEMORY_OBJECTS['10x']);
    const json = await put('json', THROUGHPUT_OBJECTS);

    const rates: Array<{ format: string; bytes: number; bytesPerRow: number; fromMemory: Rate; fromS3: Rate }> = [];
    for (const [format, objects] of [['CSV', csv.slice(0, THROUGHPUT_OBJECTS)], ['JSON', json]] as const) {
      const bytes = objects.reduce((sum, object) => sum + object.body.length, 0);
      const [fromMemory, fromS3] = await medianRates(baseline, bytes, [
        async (accumulator) => {
          let rows = 0;
          for (const object of objects) rows += await sketchLines(linesOfChunks(chunksOf(object.body)), accumulator);
          return rows;
        },
        async (accumulator) => {
          let rows = 0;
          for (const object of objects) rows += await sketchLines(s3Lines(client, { bucket: BUCKET, key: object.key }), accumulator);
          return rows;
        },
      ]);
      rates.push({ format, bytes, bytesPerRow: bytes / (objects.length * ROWS_PER_OBJECT), fromMemory, fromS3 });
    }

    // Where the time goes, from memory: parsing the lines alone, and sketching rows parsed beforehand.
    const sample = csv.slice(0, THROUGHPUT_OBJECTS);
    const sampleBytes = sample.reduce((sum, object) => sum + object.body.length, 0);
    const [parseOnly] = await medianRates(baseline, sampleBytes, [async () => {
      let rows = 0;
      for (const object of sample) {
        for await (const line of linesOfChunks(chunksOf(object.body))) {
          const record = line.kind === 'line' && line.text !== '' ? parseCaptureLine(line.text, SCHEMA) : undefined;
          if (record?.ok) rows += record.value.rows.length;
        }
      }
      return rows;
    }]);
    const parsedRows: Row[] = [];
    for (const object of sample) {
      for await (const line of linesOfChunks(chunksOf(object.body))) {
        const record = line.kind === 'line' && line.text !== '' ? parseCaptureLine(line.text, SCHEMA) : undefined;
        if (record?.ok) parsedRows.push(...record.value.rows);
      }
    }
    const [sketchOnly] = await medianRates(baseline, sampleBytes, [async (accumulator) => {
      for (const row of parsedRows) accumulator.add(row);
      return parsedRows.length;
    }]);
    parsedRows.length = 0;

    const script = await bundleChild(directory);
    const one = await runChild(script, directory, csv.slice(0, MEMORY_OBJECTS['1x']).map((o) => o.key), baseline, s3.endpoint);
    const ten = await runChild(script, directory, csv.map((o) => o.key), baseline, s3.endpoint);
    const rssRatio = ten.maxRssKiB / one.maxRssKiB;

    // A merged sketch of the 25 features: the two halves of the CSV window, sketched apart and merged.
    const halves = [csv.slice(0, THROUGHPUT_OBJECTS), csv.slice(THROUGHPUT_OBJECTS, 2 * THROUGHPUT_OBJECTS)];
    const parts: WindowSketch[] = [];
    for (const half of halves) {
      const accumulator = windowAccumulator(baseline);
      for (const object of half) await sketchLines(linesOfChunks(chunksOf(object.body)), accumulator);
      parts.push(accumulator.sketch());
    }
    const merged = mergeWindows(parts[0], parts[1]);
    if (!merged.ok) throw new Error(`merge: ${merged.error.field} ${merged.error.problem}`);
    const sketchBytes = Buffer.byteLength(JSON.stringify(merged.value));
    const perSlice = assessSecondsPerSlice(merged.value, baseline);

    const csvRate = rates[0];
    const objectBytes = csv[0].body.length;
    const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
    const mibOfKiB = (kib: number) => (kib / 1024).toFixed(0);
    const rate = (r: Rate) => `${Math.round(r.rowsPerSecond).toLocaleString('en-US')} rows/s, ${r.mbPerSecond.toFixed(1)} MB/s`;
    // The cost model's rate: the 10x child's, the longest read, with s3rver in another process as S3 is to a function.
    const modelRate = ten.rows / ten.seconds;
    const sliceSeconds = (bytes: number) => (bytes / csvRate.bytesPerRow / modelRate / (MEMORY_MB / FULL_VCPU_MB));
    const s3Share = (r: (typeof rates)[number]) => {
      const share = 1 - r.fromS3.rowsPerSecond / r.fromMemory.rowsPerSecond;
      return share < 0 ? 'none measurable (s3rver run faster: noise)' : `${Math.round(share * 100)}%`;
    };
    const body = [
      'Reproduce with `npm run bench -- drift-monitor` (about 1-2 minutes; loopback s3rver only).',
      '',
      `Capture files as SageMaker writes them: one JSON line per request of ${ROWS_PER_RECORD} rows (input and output captured), ${RECORDS_PER_OBJECT} requests`,
      `(${ROWS_PER_OBJECT.toLocaleString('en-US')} rows) per object, ${NUMERIC.length} numeric and ${Object.keys(CATEGORIES).length} categorical features, seed ${SEED}; CSV objects are`,
      `${mb(objectBytes)} MB (${csvRate.bytesPerRow.toFixed(0)} bytes per row), JSON (\`{"instances":[{...}]}\`) ${rates[1].bytesPerRow.toFixed(0)} bytes per row. The baseline is`,
      `built from ${BASELINE_ROWS.toLocaleString('en-US')} rows of the same distribution. The read loop is the monitor's sketch step: \`s3Lines\` ->`,
      '`readCapture` (`parseCaptureLine` per line, requests inside the window kept) -> `windowAccumulator(baseline).add(row)`,',
      'the functions the monitor\'s slice reader calls. "From memory" feeds the same bytes through `linesOfChunks` in 64 KiB',
      'chunks, so the only difference is the GET through the SDK and s3rver; s3rver runs in the benchmark\'s own process and',
      `shares its event loop. Median of ${RUNS} runs after a warm-up, ${(THROUGHPUT_OBJECTS * ROWS_PER_OBJECT).toLocaleString('en-US')} rows each, on ${os.cpus().length} CPUs; the read is single-threaded.`,
      '',
      table(
        ['payload', 'from memory', 'from s3rver (same process)', 'S3 share of the time'],
        rates.map((r) => [r.format, rate(r.fromMemory), rate(r.fromS3), s3Share(r)]),
      ),
      '',
      `- Where the time goes (CSV, from memory): \`parseCaptureLine\` alone ${rate(parseOnly)}; \`windowAccumulator.add\` alone, on rows`,
      `  parsed beforehand, ${Math.round(sketchOnly.rowsPerSecond).toLocaleString('en-US')} rows/s. Per row that is ${(1e6 / parseOnly.rowsPerSecond).toFixed(1)} us parsing and ${(1e6 / sketchOnly.rowsPerSecond).toFixed(1)} us sketching.`,
      '',
      `Peak memory of the read in a child process (a bundled script run by \`${path.basename(process.execPath)}\`, reading CSV objects from s3rver`,
      'in the parent): `process.resourceUsage().maxRSS`, and the largest `heapUsed` sampled every 10 requests.',
      '',
      table(
        ['rows', 'capture read', 'RSS before reading', 'peak RSS', 'peak heap used', 'rows/s (s3rver in another process)'],
        [['1x', one], ['10x', ten]].map(([label, probe]) => {
          const p = probe as MemoryProbe;
          return [`${label} (${p.rows.toLocaleString('en-US')})`, `${mb(p.rows * csvRate.bytesPerRow)} MB`, `${mibOfKiB(p.startRssKiB)} MiB`, `${mibOfKiB(p.maxRssKiB)} MiB`, `${(p.peakHeapBytes / MIB).toFixed(0)} MiB`, Math.round(p.rows / p.seconds).toLocaleString('en-US')];
        }),
      ),
      '',
      `- Flat memory (10x the rows costs less than ${FLAT_LIMIT}x the peak RSS): ratio ${rssRatio.toFixed(2)}, heap ${(ten.peakHeapBytes / one.peakHeapBytes).toFixed(2)}: ${rssRatio < FLAT_LIMIT ? 'met' : '**not met**'}.`,
      `- A 512 MiB slice of this capture is ${Math.round((512 * MIB) / csvRate.bytesPerRow).toLocaleString('en-US')} rows: ${sliceSeconds(512 * MIB).toFixed(0)} s at the 10x child's rate scaled to the CPU share of`,
      `  ${MEMORY_MB} MB (${MEMORY_MB}/${FULL_VCPU_MB} of a vCPU), against the function's 900 s timeout; 64 MiB: ${sliceSeconds(64 * MIB).toFixed(0)} s.`,
      '',
      `Cost model of one run (a one-hour window of CSV capture at ${csvRate.bytesPerRow.toFixed(0)} bytes per row). Assumption: capture objects of`,
      `${mb(objectBytes)} MB, as benchmarked. SageMaker starts a new capture object per instance every few minutes, so object size follows`,
      'traffic: a quieter endpoint writes smaller objects and more GETs per row (GETs scale as window bytes / object size).',
      'Slices follow the plan (objects in order, a new slice when the next object would pass `bytesPerInvocation`); a',
      'window of one slice is read by the assessment itself, with no Distributed Map and no partial sketch. S3 requests',
      'are those `lambda/aws/drift-monitor/runs.ts` makes (watermark, baseline ETag and document, slice key lists,',
      'manifest, run record, partials, statistics, report), HEAD counted as GET; the first run\'s baseline build is left out.',
      'State transitions count states entered (Plan, WindowSize, then Assess, or SketchSlices, one SketchSlice per child',
      `execution and Assess); retries add one each. GB-s: the sketch step at ${Math.round(modelRate).toLocaleString('en-US')} rows/s (the 10x memory child: CSV from s3rver in another process)`,
      `at ${MEMORY_MB} MB, plus ${(perSlice * 1000).toFixed(1)} ms per slice for the assessment to parse and merge a partial (measured); the plan`,
      `step (a few S3 round trips) is left out. The second figure divides by ${MEMORY_MB}/${FULL_VCPU_MB}, the CPU share Lambda gives ${MEMORY_MB} MB; costs use it.`,
      `A partial sketch of the ${SCHEMA.features.length} features is ${sketchBytes.toLocaleString('en-US')} bytes of JSON (two merged halves of the ${(THROUGHPUT_OBJECTS * ROWS_PER_OBJECT).toLocaleString('en-US')}-row`,
      `window; the memory child's ${ten.rows.toLocaleString('en-US')}-row sketch was ${ten.sketchBytes.toLocaleString('en-US')} bytes), so it does not grow with rows.`,
      '',
      ...costModel(csvRate.bytesPerRow, objectBytes, modelRate, sketchBytes, perSlice),
    ].join('\n');
    return { title: 'Drift monitor: read throughput, memory and fan-out cost', body };
  } finally {
    client.destroy();
    restoreEnv();
    await s3.close();
    fs.rmSync(directory, { recursive: true, force: true });
  }
}
