/**
 * `npm run compat`: does the published package install into the CDK apps teams already have?
 *
 * Builds and packs the library, then for each aws-cdk-lib version below x tsconfig module setting x
 * cdk-nag major x rule pack: installs the tarball into a throwaway TypeScript app in a fresh temporary
 * folder (nothing of this repository beside it), type-checks the app strictly and without skipLibCheck
 * (as `cdk init` apps do; tsc also emits, so that what is synthesized is what was checked), synthesizes
 * compat/app/compositions.ts and counts the rule pack's unacknowledged findings on the library's
 * resources and on the team's own. Prints one table; exits 1 when anything fails to install, compile or
 * synthesize, or when a library resource has a finding.
 *
 *   npm run compat                                   # build, pack, run the whole matrix
 *   npm run compat -- --no-build                     # pack what `npm run build` left in dist/ and assets/
 *   npm run compat -- --tarball x.tgz --cdk 2.221.0  # a given tarball against other versions (bisecting)
 *   npm run compat -- --keep --out table.txt         # keep the apps; also write the table to a file
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { counts, nag2Findings, nag3Findings, type Finding } from './compat-findings';

/**
 * The oldest aws-cdk-lib the peer range admits, and the newest release. 2.215.0 is the first with
 * `sagemaker.IPipelineRef` and `PipelineReference`, which the library's declarations name (triggers take
 * any `IPipelineRef`): on 2.214.0 a consumer's `tsc` fails TS2694 in dist/lib/training-pipeline.d.ts.
 */
const CDK_VERSIONS = ['2.215.0', '2.276.0'];
/** The newest cdk-nag of each major: 2.x registers aspects, 3.x policy validation plugins. */
const NAG_VERSIONS = { 2: '2.38.2', 3: '3.0.2' } as const;
/** cdk-nag 3's peer range starts here; it registers through `Validations`, which the oldest supported releases lack. */
const NAG3_MIN_CDK = '2.257.0';
/** What every app installs besides aws-cdk-lib and cdk-nag: the versions a current `cdk init` app has. */
const APP_PACKAGES = ['constructs@10.8.1', 'typescript@5.9.3', '@types/node@20.19.43', '@aws-sdk/client-eventbridge@3.1169.0'];
const MODULES = ['commonjs', 'NodeNext'] as const;
const PACKS = ['AwsSolutions', 'Serverless'] as const;
const NPM_INSTALL_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

type NagMajor = keyof typeof NAG_VERSIONS;
type Module = (typeof MODULES)[number];
type Pack = (typeof PACKS)[number];

interface Cell {
  readonly cdk: string;
  readonly module: Module;
  readonly nag: NagMajor;
  readonly pack: Pack;
  install: string;
  tsc: string;
  synth: string;
  library: Finding[];
  team: Finding[];
  problems: string[];
}

const repo = path.resolve(__dirname, '..');
const options = parseArgs(process.argv.slice(2));
const log = (line: string) => process.stderr.write(`${line}\n`);

function parseArgs(args: string[]): { tarball?: string; build: boolean; cdk: string[]; keep: boolean; out?: string } {
  const value = (name: string) => {
    const index = args.indexOf(name);
    return index === -1 ? undefined : args[index + 1];
  };
  return {
    tarball: value('--tarball') && path.resolve(value('--tarball')!),
    build: !args.includes('--no-build'),
    cdk: value('--cdk')?.split(',') ?? CDK_VERSIONS,
    keep: args.includes('--keep'),
    out: value('--out'),
  };
}

/** Runs a command, its output into `logFile`; resolves with whether it exited 0 and what it printed. */
function run(command: string, args: string[], cwd: string, logFile: string): Promise<{ ok: boolean; output: string; seconds: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const done = (ok: boolean, extra = '') => {
      output += extra;
      fs.appendFileSync(logFile, `$ (in ${cwd}) ${command} ${args.join(' ')}\n${output}\n`);
      resolve({ ok, output, seconds: (Date.now() - started) / 1000 });
    };
    child.on('error', (error) => done(false, String(error)));
    child.on('close', (code) => done(code === 0));
  });
}

function versionAtLeast(version: string, minimum: string): boolean {
  const [a, b] = [version, minimum].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}

async function packLibrary(work: string, logFile: string): Promise<string> {
  if (options.tarball) return options.tarball;
  if (options.build) {
    const build = await run('npm', ['run', 'build'], repo, logFile);
    if (!build.ok) throw new Error(`npm run build failed:\n${tail(build.output)}`);
  }
  const pack = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], repo, logFile);
  if (!pack.ok) throw new Error(`npm pack failed:\n${tail(pack.output)}`);
  const [{ filename }] = JSON.parse(pack.output.slice(pack.output.indexOf('['))) as Array<{ filename: string }>;
  return path.join(work, filename);
}

/** tsconfig of a `cdk init app --language typescript` app, with the module setting under test. */
function tsconfig(module: Module): string {
  return JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        module,
        lib: ['es2022'],
        declaration: true,
        strict: true,
        noImplicitAny: true,
        strictNullChecks: true,
        noImplicitThis: true,
        alwaysStrict: true,
        noImplicitReturns: true,
        inlineSourceMap: true,
        inlineSources: true,
        experimentalDecorators: true,
        strictPropertyInitialization: false,
        typeRoots: ['./node_modules/@types'],
        outDir: `build-${module}`,
      },
      files: ['main.ts'],
    },
    null,
    2,
  );
}

function createApp(nag: NagMajor): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-ml-triggers-app-'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'team-app', version: '0.0.0', private: true }, null, 2));
  fs.copyFileSync(path.join(repo, 'compat', 'app', 'compositions.ts'), path.join(dir, 'compositions.ts'));
  fs.copyFileSync(path.join(repo, 'compat', 'app', `nag${nag}.ts`), path.join(dir, 'main.ts'));
  for (const module of MODULES) fs.writeFileSync(path.join(dir, `tsconfig.${module}.json`), tsconfig(module));
  return dir;
}

function tail(text: string, lines = 15): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** Type-checks the app under one module setting, then synthesizes what tsc emitted with each rule pack. */
async function checkModule(app: string, nag: NagMajor, module: Module, cells: Cell[], logFile: string): Promise<void> {
  const tsc = await run('node', [path.join('node_modules', 'typescript', 'bin', 'tsc'), '-p', `tsconfig.${module}.json`], app, logFile);
  const errors = tsc.output.split('\n').filter((line) => /error TS\d+/.test(line));
  const codes = [...new Set(errors.map((line) => /error (TS\d+)/.exec(line)![1]))];
  log(`compat:   ${module}: tsc ${tsc.ok ? 'ok' : `${errors.length} errors`} (${tsc.seconds.toFixed(0)} s)`);
  for (const cell of cells) {
    cell.tsc = tsc.ok ? 'ok' : `FAIL ${errors.length}x ${codes.join(',')}`;
    if (!tsc.ok) cell.problems.push(`tsc (module ${module}):\n${errors.length ? errors.join('\n') : tail(tsc.output)}`);
  }
  // tsc emits even when types fail: synthesizing that output still tells whether anything else is wrong.
  const main = path.join(app, `build-${module}`, 'main.js');
  for (const cell of cells) {
    if (!fs.existsSync(main)) {
      cell.synth = 'not run';
      continue;
    }
    const outdir = path.join(app, `cdk.out-${module}-${cell.pack}`);
    const synth = await run('node', [main, cell.pack, outdir], app, logFile);
    log(`compat:   ${module} ${cell.pack}: synth ${synth.ok ? 'ok' : 'FAILED'} (${synth.seconds.toFixed(0)} s)`);
    if (!synth.ok) {
      cell.synth = 'FAIL';
      cell.problems.push(`synth:\n${tail(synth.output)}`);
      continue;
    }
    cell.synth = 'ok';
    const teamOwned = JSON.parse(fs.readFileSync(path.join(outdir, 'team-owned.json'), 'utf8')) as string[];
    const findings = nag === 2 ? nag2Findings(outdir, cell.pack) : nag3Findings(outdir, cell.pack);
    const isTeams = (f: Finding) => teamOwned.some((owned) => f.path === owned || f.path.startsWith(`${owned}/`));
    cell.team = findings.filter(isTeams);
    cell.library = findings.filter((f) => !isTeams(f));
    if (cell.team.length === 0) {
      cell.problems.push(`the ${cell.pack} pack reported nothing, not even on the team's own resources, which have findings: it did not run`);
    }
    if (cell.library.length > 0) {
      const ids = [...new Set(cell.library.map((f) => `${f.level} ${f.id} on ${f.path}`))].sort();
      cell.problems.push(`unacknowledged findings on library resources:\n${ids.join('\n')}`);
    }
  }
}

async function runMatrix(): Promise<number> {
  const started = Date.now();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-ml-triggers-compat-'));
  const logFile = path.join(work, 'compat.log');
  log(`compat: working in ${work} (full log: ${logFile})`);
  const tarball = await packLibrary(work, logFile);
  log(`compat: packed ${path.basename(tarball)}`);

  const cells: Cell[] = [];
  const notes: string[] = [];
  const apps: string[] = [];
  for (const cdk of options.cdk) {
    for (const nag of [2, 3] as NagMajor[]) {
      if (nag === 3 && !versionAtLeast(cdk, NAG3_MIN_CDK)) {
        notes.push(`aws-cdk-lib ${cdk}: cdk-nag 2 only; cdk-nag ${NAG_VERSIONS[3]} takes aws-cdk-lib ^${NAG3_MIN_CDK} (it needs Validations).`);
        continue;
      }
      const app = createApp(nag);
      apps.push(app);
      const appCells = MODULES.flatMap((module) =>
        PACKS.map((pack): Cell => ({ cdk, module, nag, pack, install: '', tsc: '', synth: '', library: [], team: [], problems: [] })),
      );
      cells.push(...appCells);
      const install = await run(
        'npm',
        ['install', ...NPM_INSTALL_FLAGS, tarball, `aws-cdk-lib@${cdk}`, `cdk-nag@${NAG_VERSIONS[nag]}`, ...APP_PACKAGES],
        app,
        logFile,
      );
      log(`compat: aws-cdk-lib ${cdk} + cdk-nag ${NAG_VERSIONS[nag]}: install ${install.ok ? 'ok' : 'FAILED'} (${install.seconds.toFixed(0)} s) in ${app}`);
      for (const cell of appCells) {
        cell.install = install.ok ? 'ok' : `FAIL ${/npm error code (\w+)/.exec(install.output)?.[1] ?? ''}`.trim();
        if (!install.ok) cell.problems.push(`npm install failed:\n${tail(install.output)}`);
      }
      if (!install.ok) continue;
      // The two module settings share nothing but the installed packages: one per core.
      await Promise.all(MODULES.map((module) => checkModule(app, nag, module, appCells.filter((c) => c.module === module), logFile)));
    }
  }

  const header = ['aws-cdk-lib', 'module', 'cdk-nag', 'pack', 'install', 'tsc', 'synth', 'library', 'team', 'result'];
  const rows = cells.map((c) => [
    c.cdk,
    c.module,
    NAG_VERSIONS[c.nag],
    c.pack,
    c.install,
    c.tsc || '-',
    c.synth || '-',
    c.synth === 'ok' ? counts(c.library) : '-',
    c.synth === 'ok' ? counts(c.team) : '-',
    c.problems.length === 0 ? 'ok' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cols: string[]) => cols.map((col, i) => col.padEnd(widths[i])).join('  ').trimEnd();
  const failed = cells.filter((c) => c.problems.length > 0);
  const table = [
    `cdk-ml-triggers compatibility: ${path.basename(tarball)}; findings are unacknowledged errors (E) and warnings (W) of the rule pack`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    ...notes,
    `${cells.length - failed.length} passed, ${failed.length} failed (${((Date.now() - started) / 1000).toFixed(0)} s)`,
  ].join('\n');

  // Details first, the table last, so that the table is what a CI log ends with.
  const seen = new Set<string>();
  for (const cell of failed) {
    for (const problem of cell.problems) {
      const key = `${cell.cdk} ${cell.nag} ${problem}`;
      if (seen.has(key)) continue;
      seen.add(key);
      log(`\n--- aws-cdk-lib ${cell.cdk}, cdk-nag ${cell.nag}, ${cell.module}, ${cell.pack}: ${problem}`);
    }
  }
  process.stdout.write(`\n${table}\n`);
  if (options.out) fs.writeFileSync(options.out, `${table}\n`);
  if (!options.keep) {
    for (const dir of apps) fs.rmSync(dir, { recursive: true, force: true });
    if (!options.tarball) fs.rmSync(tarball, { force: true });
    // The log stays where a failure can be read; a clean run leaves nothing behind.
    if (failed.length === 0) fs.rmSync(work, { recursive: true, force: true });
  }
  return failed.length === 0 ? 0 : 1;
}

runMatrix().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log(`compat: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
