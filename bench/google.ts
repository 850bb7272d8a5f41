import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { medianMs, table, type BenchmarkSection } from './harness';

const REPO_ROOT = path.join(__dirname, '..');
const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const APP = path.join(REPO_ROOT, 'bin', 'gcp-app.ts');
const PROVIDER = '@cdktf/provider-google';
const SYNTH_RUNS = 3;
const IMPORT_RUNS = 5;
const CHILD_ENV: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: '1' };

const resolve = (id: string) => require.resolve(id, { paths: [REPO_ROOT] });

/** What `cdk synth` pays before any construct of ours: load cdktf and write one empty stack. */
const EMPTY_APP = (cdktf: string) => `const { App, TerraformStack } = require(${JSON.stringify(cdktf)});
const app = new App({ outdir: process.env.CDKTF_OUTDIR });
new TerraformStack(app, 'empty');
app.synth();
`;

/**
 * The child for import times: loads cdktf first and times it alone, so the provider figure is only
 * the provider's own modules (each one requires cdktf, which is then cached).
 */
const IMPORT_PROBE = `'use strict';
const [cdktf, ...modules] = JSON.parse(process.argv[2]);
let start = process.hrtime.bigint();
require(cdktf);
const cdktfMs = Number(process.hrtime.bigint() - start) / 1e6;
start = process.hrtime.bigint();
for (const id of modules) require(id);
const ms = Number(process.hrtime.bigint() - start) / 1e6;
process.stdout.write('\\nIMPORT ' + JSON.stringify({ cdktfMs, ms }) + '\\n');
`;

/** `@cdktf/provider-google/lib/<module>` imported by the constructs in lib/gcp/ and by the reference app. */
function providerModules(): string[] {
  const files = [
    ...fs.readdirSync(path.join(REPO_ROOT, 'lib', 'gcp')).filter((file) => file.endsWith('.ts')).map((file) => path.join(REPO_ROOT, 'lib', 'gcp', file)),
    APP,
  ];
  const modules = new Set<string>();
  for (const file of files) {
    for (const match of fs.readFileSync(file, 'utf8').matchAll(/@cdktf\/provider-google\/lib\/([\w-]+)/g)) modules.add(match[1]);
  }
  return [...modules].sort();
}

function importTimes(probe: string, modules: readonly string[], runs: number): { cdktfMs: number; ms: number } {
  const args = JSON.stringify([resolve('cdktf'), ...modules.map(resolve)]);
  const samples: Array<{ cdktfMs: number; ms: number }> = [];
  // One discarded warm-up run, so that every measured run reads the files from the page cache.
  for (let run = 0; run <= runs; run++) {
    const stdout = execFileSync(process.execPath, [probe, args], { env: CHILD_ENV, cwd: os.tmpdir(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const line = stdout.split('\n').find((text) => text.startsWith('IMPORT '));
    if (!line) throw new Error('the import probe printed no measurement');
    if (run > 0) samples.push(JSON.parse(line.slice('IMPORT '.length)) as { cdktfMs: number; ms: number });
  }
  const mid = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  return { cdktfMs: mid(samples.map((s) => s.cdktfMs)), ms: mid(samples.map((s) => s.ms)) };
}

function resourceCount(outDir: string): number {
  const stacks = path.join(outDir, 'stacks');
  let count = 0;
  for (const stack of fs.readdirSync(stacks)) {
    const config = JSON.parse(fs.readFileSync(path.join(stacks, stack, 'cdk.tf.json'), 'utf8')) as {
      resource?: Record<string, Record<string, unknown>>;
      data?: Record<string, Record<string, unknown>>;
    };
    for (const byType of [...Object.values(config.resource ?? {}), ...Object.values(config.data ?? {})]) count += Object.keys(byType).length;
  }
  return count;
}

/** Synthesis time of the Google reference app and import time of the provider modules its constructs use. */
export function benchGoogle(): BenchmarkSection {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'google-bench-'));
  try {
    const emptyApp = path.join(workDir, 'empty-app.ts');
    fs.writeFileSync(emptyApp, EMPTY_APP(resolve('cdktf')));
    const probe = path.join(workDir, 'import-probe.js');
    fs.writeFileSync(probe, IMPORT_PROBE);

    let outDir = '';
    let runCount = 0;
    const synth = (app: string) => () => {
      outDir = path.join(workDir, `out-${runCount++}`);
      execFileSync(TSX, [app], { env: { ...CHILD_ENV, CDKTF_OUTDIR: outDir }, cwd: REPO_ROOT, stdio: 'ignore' });
    };
    const emptyMs = medianMs(SYNTH_RUNS, synth(emptyApp));
    const emptyResources = resourceCount(outDir);
    const appMs = medianMs(SYNTH_RUNS, synth(APP));
    const appResources = resourceCount(outDir);

    const modules = providerModules();
    const perModule = importTimes(probe, modules.map((module) => `${PROVIDER}/lib/${module}`), IMPORT_RUNS);
    const index = importTimes(probe, [PROVIDER], 1);
    const indexModules = fs.readdirSync(path.dirname(resolve(PROVIDER)), { withFileTypes: true }).filter((entry) => entry.isDirectory()).length;

    const body = [
      `The Google reference app (\`bin/gcp-app.ts\`: provider, one Vertex AI pipeline, a scheduled, a data-arrival and a`,
      `drift trigger) synthesized the way \`npm run synth:gcp\` does: a fresh \`tsx\` process writing to a temporary`,
      `\`CDKTF_OUTDIR\`, median of ${SYNTH_RUNS} after a warm-up. The baseline is a fresh \`tsx\` process that loads \`cdktf\` and`,
      'synthesizes one empty `TerraformStack`, so the difference is what our constructs and their provider modules cost.',
      '',
      table(
        ['app', 'resources and data sources', 'fresh process synth (ms)', 'vs baseline'],
        [
          ['empty TerraformStack (baseline)', emptyResources, emptyMs.toFixed(0), '1.00x'],
          ['Google reference app', appResources, appMs.toFixed(0), `${(appMs / emptyMs).toFixed(2)}x`],
        ],
      ),
      '',
      `Import time of the provider: a fresh \`node\` process loads \`cdktf\` (${perModule.cdktfMs.toFixed(0)} ms, timed on its own and`,
      `excluded below), then requires the modules, timed with \`process.hrtime.bigint()\` around the requires. The ${modules.length}`,
      `per-module imports are the \`${PROVIDER}/lib/<module>\` paths in \`lib/gcp/*.ts\` and \`bin/gcp-app.ts\` (median of`,
      `${IMPORT_RUNS}); the index is \`require('${PROVIDER}')\`, which eagerly loads all ${indexModules} resource modules (measured once, after`,
      'one discarded warm-up run, because each run takes seconds).',
      '',
      table(
        ['import', 'modules', 'time (ms)', 'vs per-module imports'],
        [
          [`per-module: ${modules.map((module) => `\`${module}\``).join(', ')}`, modules.length, perModule.ms.toFixed(0), '1.00x'],
          [`index: \`require('${PROVIDER}')\``, indexModules, index.ms.toFixed(0), `${(index.ms / perModule.ms).toFixed(0)}x`],
        ],
      ),
      '',
      `- The reference app's synth costs ${(appMs - emptyMs).toFixed(0)} ms over the empty stack; importing the provider through`,
      `  its index instead would add about ${(index.ms - perModule.ms).toFixed(0)} ms to every synth, which is why the constructs import`,
      `  \`${PROVIDER}/lib/<module>\` and never the package root.`,
      `- The per-module imports explain only ${perModule.ms.toFixed(0)} ms of those ${(appMs - emptyMs).toFixed(0)} ms. The rest (tsx compiling this repo's`,
      '  TypeScript, constructing the resources, archiving the three function bundles as `TerraformAsset`s) is not',
      '  broken down here.',
    ].join('\n');
    return { title: 'Google Cloud: synthesis and provider imports', body };
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}
