import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { S3Client } from '@aws-sdk/client-s3';
import { s3Lines } from '../lambda/aws/adapters/s3-lines';
import { windowAccumulator, type Baseline } from '../lambda/core/drift-statistics';
import { BUCKET, sketchLines } from './drift-monitor-capture';

/** What the memory child reports: peak RSS (`maxRSS`, KiB), peak sampled heap, and the RSS before reading. */
export interface MemoryProbe {
  readonly rows: number;
  readonly seconds: number;
  readonly maxRssKiB: number;
  /** RSS (current, KiB) once the script and the baseline are loaded, before the first GET. */
  readonly startRssKiB: number;
  readonly peakHeapBytes: number;
  /** JSON bytes of the window's sketch at the end. */
  readonly sketchBytes: number;
}

/** Run in a child process: streams the objects named in `inputFile` from S3 through the read loop and prints a MemoryProbe. */
export async function memoryChild(inputFile: string): Promise<void> {
  const input = JSON.parse(fs.readFileSync(inputFile, 'utf8')) as { keys: string[]; baseline: Baseline };
  const client = new S3Client({});
  const startRssKiB = Math.round(process.memoryUsage().rss / 1024);
  let peakHeapBytes = 0;
  const tick = () => (peakHeapBytes = Math.max(peakHeapBytes, process.memoryUsage().heapUsed));
  const accumulator = windowAccumulator(input.baseline);
  const started = performance.now();
  let rows = 0;
  for (const key of input.keys) rows += await sketchLines(s3Lines(client, { bucket: BUCKET, key }), accumulator, tick);
  const seconds = (performance.now() - started) / 1000;
  const sketchBytes = Buffer.byteLength(JSON.stringify(accumulator.sketch()));
  const probe: MemoryProbe = { rows, seconds, maxRssKiB: process.resourceUsage().maxRSS, startRssKiB, peakHeapBytes, sketchBytes };
  process.stdout.write(`\nMEMORY ${JSON.stringify(probe)}\n`);
}

/** Bundles `memoryChild` into one script, so the child runs without a TypeScript loader in its memory. */
export async function bundleChild(directory: string): Promise<string> {
  const esbuild = await import('esbuild');
  const outfile = path.join(directory, 'memory-child.js');
  esbuild.buildSync({
    stdin: { contents: "import { memoryChild } from './drift-monitor-memory';\nvoid memoryChild(process.argv[2]);\n", resolveDir: __dirname, loader: 'ts' },
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile, logLevel: 'error',
    external: ['esbuild'],
  });
  return outfile;
}

/** Runs the child asynchronously: s3rver answers its GETs from this process's event loop. */
export async function runChild(script: string, directory: string, keys: readonly string[], baseline: Baseline, endpoint: string): Promise<MemoryProbe> {
  const inputFile = path.join(directory, `input-${keys.length}.json`);
  fs.writeFileSync(inputFile, JSON.stringify({ keys, baseline }));
  const child = spawn(process.execPath, [script, inputFile], {
    env: { PATH: process.env.PATH, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_S3: endpoint, AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const status = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const line = stdout.split('\n').find((text) => text.startsWith('MEMORY '));
  if (!line) throw new Error(`memory child for ${keys.length} objects failed (status ${status}): ${stderr.slice(-2000)}`);
  return JSON.parse(line.slice('MEMORY '.length)) as MemoryProbe;
}
