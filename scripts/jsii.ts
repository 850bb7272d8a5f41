/**
 * `npm run jsii`: the constructs as jsii packages (see scripts/jsii-packages.ts), for Python.
 *
 *   npm run jsii                 # stage and compile both packages, extract and translate the README examples
 *   npm run jsii -- --python     # also generate the Python packages into dist/python, compile them, and
 *                                # synthesize an app from the JavaScript they embed
 *   npm run jsii -- --docs       # also write API.md, API.python.md and the README's generated Python example
 *   npm run jsii -- --check      # like --docs, but fail when one of them is not current
 *   npm run jsii -- --reuse ...  # the packages the last build compiled, as they are (CI, right after the build)
 *
 * It needs the bundled handlers (`npm run bundle`). jsii fails on any error or warning, and the examples of
 * each package's README must compile (rosetta's strict mode).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { jsiiPackages, rewriteImports, sourceClosure, STAGING, type JsiiPackage } from './jsii-packages';
import { apiReference, pythonExamples, REFERENCES } from './jsii-docs';
import { installTarballs, synthesizeFromTarballs } from './jsii-smoke';

const REPO = path.resolve(__dirname, '..');
const BIN = path.join(REPO, 'node_modules', '.bin');
/** jsii's tools warn on every run that Node 20 reached its end of life; the library still supports Node 20. */
const QUIET_NODE = { JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: process.versions.node.split('.')[0], JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION: '1' };

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(path.join(BIN, command), args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...QUIET_NODE }, encoding: 'utf8' });
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout}${result.stderr}`);
    throw new Error(`${command} ${args.join(' ')} failed in ${path.relative(REPO, cwd) || '.'} (exit ${result.status})`);
  }
}

function pythonVersion(): string {
  return spawnSync('python3', ['--version'], { encoding: 'utf8' }).stdout.trim();
}

function copy(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.cpSync(from, to, { recursive: true });
}

/** The package's folder: its sources, assets, README, fixture and manifest, and the repository's node_modules. */
export function stage(pkg: JsiiPackage, version: string): string {
  const dir = path.join(REPO, STAGING, pkg.name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const { files } = sourceClosure(REPO, pkg);
  for (const file of files) {
    const target = path.join(dir, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, rewriteImports(file, fs.readFileSync(path.join(REPO, file), 'utf8'), pkg));
  }
  for (const asset of pkg.assets(REPO)) {
    const from = path.join(REPO, 'assets', asset);
    if (!fs.existsSync(from)) throw new Error(`assets/${asset} is missing: run \`npm run bundle\` first`);
    copy(from, path.join(dir, 'assets', asset));
  }
  copy(path.join(REPO, 'LICENSE'), path.join(dir, 'LICENSE'));
  copy(path.join(REPO, pkg.fixture), path.join(dir, 'rosetta', 'default.ts-fixture'));
  fs.writeFileSync(path.join(dir, 'README.md'), pkg.readme(fs.readFileSync(path.join(REPO, 'README.md'), 'utf8')));
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const main = pkg.entry.replace(/\.ts$/, '');
  fs.writeFileSync(path.join(dir, 'tsconfig.jsii.json'), `${JSON.stringify(TSCONFIG, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest(pkg, version, main), null, 2)}\n`);
  return dir;
}

/** jsii's strict rule set, with the repository's own compiler checks. */
const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['es2022'],
    module: 'commonjs',
    declaration: true,
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    noEmitOnError: true,
    outDir: '.',
    rootDir: '.',
    types: ['node'],
    noUnusedLocals: true,
    noUnusedParameters: true,
    noImplicitReturns: true,
    noFallthroughCasesInSwitch: true,
    isolatedModules: true,
    forceConsistentCasingInFileNames: true,
  },
  include: ['lib/**/*.ts', 'lambda/**/*.ts'],
  exclude: ['node_modules', '**/*.d.ts'],
};

function manifest(pkg: JsiiPackage, version: string, main: string): Record<string, unknown> {
  const root = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as Record<string, unknown>;
  // jsii wants each peer dependency as a development dependency at the lowest version the range admits.
  const lowest = Object.fromEntries(Object.entries(pkg.peerDependencies).map(([name, range]) => [name, range.replace(/^\^/, '')]));
  return {
    name: pkg.name,
    version,
    description: pkg.description,
    license: root.license,
    author: { name: 'cdk-ml-triggers contributors', url: root.homepage, organization: false },
    homepage: root.homepage,
    repository: root.repository,
    keywords: root.keywords,
    stability: 'experimental',
    main: `${main}.js`,
    types: `${main}.d.ts`,
    files: ['lib/**/*.js', 'lib/**/*.d.ts', 'lambda/**/*.js', 'lambda/**/*.d.ts', 'assets/**', '.jsii', 'README.md', 'LICENSE'],
    engines: root.engines,
    peerDependencies: pkg.peerDependencies,
    devDependencies: lowest,
    jsii: {
      outdir: 'dist',
      tsconfig: 'tsconfig.jsii.json',
      validateTsconfig: 'strict',
      targets: { python: { distName: pkg.python.distName, module: pkg.python.module } },
    },
    jsiiRosetta: { strict: true },
  };
}

/** Compiles a staged package with no error and no warning, then compiles and translates its README's examples. */
export function compile(dir: string): void {
  run('jsii', ['--fail-on-warnings'], dir);
  run('jsii-rosetta', ['extract', '--strict', '--compile'], dir);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { python: { type: 'boolean' }, docs: { type: 'boolean' }, check: { type: 'boolean' }, reuse: { type: 'boolean' } } });
  const { version } = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
  const packages = jsiiPackages(version);
  const dirs: string[] = [];
  for (const pkg of packages) {
    const started = Date.now();
    if (values.reuse) {
      const dir = path.join(REPO, STAGING, pkg.name);
      if (!fs.existsSync(path.join(dir, '.jsii')) || !fs.existsSync(path.join(dir, '.jsii.tabl.json'))) {
        throw new Error(`--reuse needs ${pkg.name} compiled: run \`npm run build\` (or \`npm run jsii\`) first`);
      }
      dirs.push(dir);
      continue;
    }
    const dir = stage(pkg, version);
    compile(dir);
    dirs.push(dir);
    console.log(`jsii: ${pkg.name} compiled, its README examples translated (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  if (values.python) {
    const out = path.join(REPO, 'dist', 'python');
    fs.rmSync(out, { recursive: true, force: true });
    const tarballs: Record<string, string> = {};
    for (const [index, pkg] of packages.entries()) {
      const pkgOut = path.join(out, pkg.name);
      run('jsii-pacmak', ['--code-only', '--targets', 'python', '--outdir', pkgOut, '--rosetta-unknown-snippets', 'fail', dirs[index]], REPO);
      tarballs[pkg.name] = path.join(pkgOut, 'python', 'src', pkg.python.module, '_jsii', `${pkg.name}@${version}.jsii.tgz`);
    }
    const compiled = spawnSync('python3', ['-m', 'compileall', '-q', out], { stdio: 'inherit' });
    if (compiled.status !== 0) throw new Error(`the generated Python in ${path.relative(REPO, out)} does not compile`);
    console.log(`jsii: Python packages generated in ${path.relative(REPO, out)}/ and compiled by ${pythonVersion()}`);
    const smoke = path.join(REPO, 'build', 'jsii-smoke');
    installTarballs(smoke, tarballs);
    for (const line of synthesizeFromTarballs(smoke, path.join(smoke, 'out'))) console.log(`jsii: ${line}`);
  }
  if (values.docs || values.check) {
    // One at a time: the reference generator changes the process's working directory while it runs.
    const written = [{ file: 'README.md', text: pythonExamples(fs.readFileSync(path.join(REPO, 'README.md'), 'utf8'), dirs[0]) }];
    for (const { file, language, title } of REFERENCES) {
      written.push({ file, text: await apiReference(dirs, path.join(REPO, STAGING, '..'), language, title) });
    }
    const stale = written.filter(({ file, text }) => !fs.existsSync(path.join(REPO, file)) || fs.readFileSync(path.join(REPO, file), 'utf8') !== text);
    const names = stale.map(({ file }) => file).join(', ');
    if (values.check && stale.length > 0) throw new Error(`${names} not current: run \`npm run jsii -- --docs\` and commit the result`);
    for (const { file, text } of stale) fs.writeFileSync(path.join(REPO, file), text);
    console.log(values.check ? 'jsii: the API references and the README are current' : `jsii: ${stale.length ? `${names} written` : 'the API references and the README were current'}`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  });
}
