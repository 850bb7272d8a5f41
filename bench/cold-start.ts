import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as esbuild from 'esbuild';
import { buildOptions } from '../scripts/bundle';
import { table, type BenchmarkSection } from './harness';

const REPO_ROOT = path.join(__dirname, '..');
const ASSETS = path.join(REPO_ROOT, 'assets');
const RUNS = 20;
const SIZE_LIMIT_KB = 250;
const INIT_LIMIT_RATIO = 1.5;
const TOP_INPUTS = 5;

/**
 * What a cold Lambda or Cloud Function sees, minus credentials that could reach anything: the
 * handlers read table names and settings at module load, and the SDK clients read the region.
 */
const CHILD_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIDBENCHMARK',
  AWS_SECRET_ACCESS_KEY: 'benchmark-secret',
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  BATCH_TABLE_NAME: 'bench-batches',
  COORDINATOR_TABLE_NAME: 'bench-coordinator',
  JOIN_TABLE_NAME: 'bench-joins',
  GCP_PROJECT: 'bench-project',
  GCE_METADATA_HOST: '127.0.0.1:9',
};

/**
 * The child: counts every connection attempt, times one `require` with `process.hrtime.bigint()`,
 * then waits a few ms so that a connection opened on a later tick would be counted as well.
 */
const PROBE = `'use strict';
const net = require('node:net');
const dns = require('node:dns');
const attempts = [];
const watch = (owner, key, label) => {
  const original = owner[key];
  owner[key] = function (...args) { attempts.push(label); return original.apply(this, args); };
};
watch(net.Socket.prototype, 'connect', 'socket');
watch(dns, 'lookup', 'dns');
watch(dns.promises, 'lookup', 'dns');
if (typeof globalThis.fetch === 'function') watch(globalThis, 'fetch', 'fetch');
const start = process.hrtime.bigint();
require(process.argv[2]);
const ms = Number(process.hrtime.bigint() - start) / 1e6;
setTimeout(() => {
  process.stdout.write('\\nCOLD-START ' + JSON.stringify({ ms, network: attempts.length }) + '\\n');
  process.exit(0);
}, 25);
`;

interface Variant {
  readonly label: string;
  readonly file: string;
  readonly samples: number[];
  readonly wallSamples: number[];
  network: number;
}

function ensureBundles(): Record<string, { bytes: number }> {
  const manifestFile = path.join(ASSETS, 'manifest.json');
  const complete = () =>
    fs.existsSync(manifestFile) &&
    Object.keys(JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as object).every((name) => fs.existsSync(path.join(ASSETS, name, 'index.js')));
  if (!complete()) execFileSync('npm', ['run', 'bundle'], { cwd: REPO_ROOT, stdio: 'ignore' });
  return JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Record<string, { bytes: number }>;
}

/** The shipped bundle's own options, with a metafile and nothing written, so the metafile describes that bundle. */
function bundleOptions(name: string, outDir: string): esbuild.BuildOptions {
  return { ...buildOptions(REPO_ROOT, outDir, name), metafile: true, write: false };
}

interface Composition {
  readonly bytes: number;
  /** Input file -> bytes it contributes to the minified output. */
  readonly inputs: ReadonlyArray<readonly [string, number]>;
  /** Package (or `this repo`) -> bytes in the output. */
  readonly packages: ReadonlyArray<readonly [string, number]>;
  /** npm packages the handler's own code imports, as a handler shipped without bundling would require them. */
  readonly imports: readonly string[];
}

function packageOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return match ? match[1] : 'this repo';
}

function compose(name: string, outDir: string): Composition {
  const full = esbuild.buildSync(bundleOptions(name, outDir));
  const output = Object.values(full.metafile?.outputs ?? {})[0];
  const inputs = Object.entries(output.inputs)
    .map(([file, { bytesInOutput }]) => [file, bytesInOutput] as const)
    .sort((a, b) => b[1] - a[1]);
  const byPackage = new Map<string, number>();
  for (const [file, bytes] of inputs) byPackage.set(packageOf(file), (byPackage.get(packageOf(file)) ?? 0) + bytes);

  const shallow = esbuild.buildSync({ ...bundleOptions(name, outDir), packages: 'external', minify: false });
  const builtins = new Set(builtinModules);
  const imports = new Set<string>();
  for (const out of Object.values(shallow.metafile?.outputs ?? {})) {
    for (const imported of out.imports) {
      if (imported.external && !imported.path.startsWith('node:') && !builtins.has(imported.path)) imports.add(imported.path);
    }
  }
  return {
    bytes: output.bytes,
    inputs,
    packages: [...byPackage.entries()].sort((a, b) => b[1] - a[1]),
    imports: [...imports].sort(),
  };
}

function runChild(probe: string, variant: Variant): void {
  const start = performance.now();
  const stdout = execFileSync(process.execPath, [probe, variant.file], { env: CHILD_ENV, cwd: os.tmpdir(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const wall = performance.now() - start;
  const line = stdout.split('\n').find((text) => text.startsWith('COLD-START '));
  if (!line) throw new Error(`${variant.label}: the child printed no measurement`);
  const result = JSON.parse(line.slice('COLD-START '.length)) as { ms: number; network: number };
  variant.samples.push(result.ms);
  variant.wallSamples.push(wall);
  variant.network = Math.max(variant.network, result.network);
}

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const kB = (bytes: number) => (bytes / 1000).toFixed(1);

/** Bundle size and module init time of every bundled handler, against an empty module and unbundled packages. */
export function benchColdStart(): BenchmarkSection {
  const manifest = ensureBundles();
  const names = Object.keys(manifest).sort();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cold-start-'));
  try {
    const compositions = new Map(names.map((name) => [name, compose(name, workDir)] as const));

    const probe = path.join(workDir, 'probe.js');
    fs.writeFileSync(probe, PROBE);
    const emptyFile = path.join(workDir, 'empty.js');
    fs.writeFileSync(emptyFile, '');
    const variant = (label: string, file: string): Variant => ({ label, file, samples: [], wallSamples: [], network: 0 });
    const empty = variant('empty module', emptyFile);
    const bundled = new Map(names.map((name) => [name, variant(name, path.join(ASSETS, name, 'index.js'))] as const));
    const unbundled = new Map<string, Variant>();
    for (const name of names) {
      const imports = compositions.get(name)?.imports ?? [];
      if (imports.length === 0) continue;
      const file = path.join(workDir, `unbundled-${name.replace('/', '-')}.js`);
      const requires = imports.map((id) => `require(${JSON.stringify(require.resolve(id, { paths: [REPO_ROOT] }))});`);
      fs.writeFileSync(file, `${requires.join('\n')}\n`);
      unbundled.set(name, variant(`${name} unbundled`, file));
    }

    // Rounds interleave the variants so that drift on a shared machine hits all of them alike;
    // the first round warms the file cache and is discarded.
    const variants = [empty, ...bundled.values(), ...unbundled.values()];
    for (let round = 0; round <= RUNS; round++) {
      for (const each of variants) runChild(probe, each);
      if (round === 0) for (const each of variants) each.samples.length = each.wallSamples.length = 0;
    }

    const emptyMs = median(empty.samples);
    const rows = names.map((name) => {
      const bytes = manifest[name].bytes;
      const init = median(bundled.get(name)?.samples ?? []);
      const plain = unbundled.get(name);
      const plainMs = plain ? median(plain.samples) : undefined;
      const network = (bundled.get(name)?.network ?? 0) + (plain?.network ?? 0);
      return [
        name,
        kB(bytes),
        bytes / 1000 <= SIZE_LIMIT_KB ? 'met' : 'not met',
        init.toFixed(1),
        `${(init / emptyMs).toFixed(0)}x`,
        init / emptyMs <= INIT_LIMIT_RATIO ? 'met' : 'not met',
        plainMs === undefined ? 'no npm imports' : plainMs.toFixed(1),
        plainMs === undefined ? '-' : `${(init / plainMs).toFixed(2)}x`,
        network,
      ];
    });

    const largest = names.reduce((a, b) => (manifest[b].bytes > manifest[a].bytes ? b : a));
    const largestComposition = compositions.get(largest);
    const stale = names.filter((name) => compositions.get(name)?.bytes !== manifest[name].bytes);
    const sizeMet = rows.filter((row) => row[2] === 'met').length;
    const share = (test: (pkg: string) => boolean) => {
      const bytes = (largestComposition?.packages ?? []).filter(([pkg]) => test(pkg)).reduce((sum, [, n]) => sum + n, 0);
      return `${kB(bytes)} kB (${((100 * bytes) / manifest[largest].bytes).toFixed(0)}%)`;
    };
    const smallestAws = names.filter((name) => !name.startsWith('gcp/')).reduce((a, b) => (manifest[b].bytes < manifest[a].bytes ? b : a));
    const isSdk = (pkg: string) => pkg.startsWith('@aws-sdk/') || pkg.startsWith('@smithy/') || pkg.startsWith('@aws-crypto/');
    const packageRows = names
      .filter((name) => !name.startsWith('gcp/'))
      .map((name) => {
        const composition = compositions.get(name);
        const top = (composition?.packages ?? []).slice(0, 3).map(([pkg, bytes]) => `${pkg} ${kB(bytes)}`);
        return [name, composition?.imports.join(', ') ?? '', top.join('; ')];
      });

    const body = [
      `Every bundle in \`assets/manifest.json\` (kB = 1000 bytes; esbuild, minified, the SDK bundled from its ES module build). Init time: a fresh`,
      `\`node\` process that only \`require()\`s the file, timed inside the child with \`process.hrtime.bigint()\` around the`,
      `require, so process startup is excluded; median of ${RUNS} runs, interleaved across all variants after one discarded`,
      `warm-up round. "Unbundled" requires, from this repo's node_modules, the npm packages the handler's code imports`,
      `(found with esbuild's metafile with packages external), the way a handler deployed without bundling would.`,
      `Children get dummy credentials, \`AWS_REGION=eu-west-1\` and table names; "network" counts socket connects, DNS`,
      `lookups and \`fetch\` calls during the require and the 25 ms after it (all three are patched in the child).`,
      '',
      `Baseline, the empty module: ${emptyMs.toFixed(2)} ms to require. For scale, a whole fresh \`node\` process`,
      `requiring the empty module takes ${median(empty.wallSamples).toFixed(0)} ms wall clock from this process.`,
      '',
      table(
        ['bundle', 'size (kB)', `<= ${SIZE_LIMIT_KB} kB`, 'init (ms)', 'vs empty', `<= ${INIT_LIMIT_RATIO}x empty`, 'unbundled init (ms)', 'bundled vs unbundled', 'network'],
        rows,
      ),
      '',
      `- Size target (at most ${SIZE_LIMIT_KB} kB each): ${sizeMet === names.length ? 'met' : 'not met'}, ${sizeMet} of ${names.length} bundles within it.`,
      `- Init target (at most ${INIT_LIMIT_RATIO}x the empty module): ${rows.every((row) => row[5] === 'met') ? 'met' : 'not met'}. Any real`,
      `  module misses it: the empty require is a fraction of a millisecond, so the column that says what bundling buys is`,
      '  "bundled vs unbundled".',
      `- Network calls at require time: ${rows.reduce((sum, row) => sum + Number(row[8]), 0)} in total.`,
      ...(stale.length > 0
        ? [`- The metafile rebuild differs in size from the manifest for ${stale.join(', ')}: assets/ is stale, run \`npm run bundle\`.`]
        : []),
      '',
      `What the largest bundle, \`${largest}\` (${kB(manifest[largest].bytes)} kB), is made of: the same esbuild options once more with`,
      `\`metafile: true\`; bytes each input contributes to the minified output. Top ${TOP_INPUTS} inputs:`,
      '',
      table(
        ['input', 'kB in bundle'],
        (largestComposition?.inputs ?? []).slice(0, TOP_INPUTS).map(([file, bytes]) => [`\`${file}\``, kB(bytes)]),
      ),
      '',
      `By origin: the AWS SDK and its runtime (\`@aws-sdk/*\`, \`@smithy/*\`, \`@aws-crypto/*\`) ${share(isSdk)}, Powertools`,
      `${share((pkg) => pkg.startsWith('@aws-lambda-powertools/'))}, this repo's own code ${share((pkg) => pkg === 'this repo')}, everything else`,
      `${share((pkg) => !isSdk(pkg) && !pkg.startsWith('@aws-lambda-powertools/') && pkg !== 'this repo')}. No single file dominates: the size is`,
      'one copy of the SDK runtime per bundle (with the default credential chain\'s nested STS/SSO clients) plus each',
      `client's schemas and endpoint rules. The smallest AWS bundle, \`${smallestAws}\` (${kB(manifest[smallestAws].bytes)} kB), already misses`,
      `${SIZE_LIMIT_KB} kB; the Google functions, which call REST APIs with \`fetch\` and bundle no SDK, stay far under it.`,
      '',
      'Summed by package, the three largest contributors to each AWS bundle:',
      '',
      table(['bundle', 'npm imports', 'largest packages (kB in bundle)'], packageRows),
    ].join('\n');
    return { title: 'Cold start: bundle size and module init', body };
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}
