import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';

/** Where each cloud's functions live: `lambda/aws/<name>/index.ts`, `lambda/gcp/<name>/index.ts`, `lambda/azure/<name>/index.ts`. */
const AWS_FUNCTIONS = 'lambda/aws';
const GCP_FUNCTIONS = 'lambda/gcp';
const AZURE_FUNCTIONS = 'lambda/azure';

/** One bundled handler, as recorded in `manifest.json`. */
export interface BundledHandler {
  readonly bytes: number;
  readonly sha256: string;
}

/** Handler names, sorted, mapped to their bundle's size and hash. */
export type BundleManifest = Readonly<Record<string, BundledHandler>>;

/** Entry points bundled like handlers that are not Lambda handlers: the operator command line. */
const COMMAND_ENTRIES: Readonly<Record<string, string>> = { cli: 'lib/cli/index.ts' };

/** The folders under `dir` (relative to `repoRoot`) that hold an `index.ts`, sorted. */
function functionFolders(repoRoot: string, dir: string): string[] {
  const absolute = path.join(repoRoot, dir);
  if (!fs.existsSync(absolute)) return [];
  return fs
    .readdirSync(absolute, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(absolute, entry.name, 'index.ts')))
    .map((entry) => entry.name)
    .sort();
}

/** Google Cloud Functions: `lambda/gcp/<name>/index.ts`, bundled as `gcp/<name>`. */
export function discoverGcpFunctions(repoRoot: string): string[] {
  return functionFolders(repoRoot, GCP_FUNCTIONS).map((name) => `gcp/${name}`);
}

/** Cloud Functions' Node.js build reads the package manifest; the bundle needs nothing installed but the framework. */
const GCP_PACKAGE_JSON = `${JSON.stringify(
  { name: 'cdk-ml-triggers-function', version: '1.0.0', main: 'index.js', dependencies: { '@google-cloud/functions-framework': '^3.4.0' } },
  null,
  2,
)}\n`;

/** Azure Functions (v4 programming model): `lambda/azure/<name>/index.ts`, bundled as `azure/<name>`, one function app each. */
export function discoverAzureFunctions(repoRoot: string): string[] {
  return functionFolders(repoRoot, AZURE_FUNCTIONS).map((name) => `azure/${name}`);
}

/**
 * What an Azure function app's package holds beside the bundle: the manifest whose `main` the Node.js worker loads (the
 * v4 model registers the functions in code, so there is no function.json), and host.json with the extension bundle
 * the Event Grid trigger needs and Application Insights' sampling off, so that no decision log line is dropped.
 */
const AZURE_PACKAGE_JSON = `${JSON.stringify({ name: 'cdk-ml-triggers-function', version: '1.0.0', main: 'index.js' }, null, 2)}\n`;
const AZURE_HOST_JSON = `${JSON.stringify(
  {
    version: '2.0',
    extensionBundle: { id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[4.*, 5.0.0)' },
    logging: { applicationInsights: { samplingSettings: { isEnabled: false } } },
    functionTimeout: '00:05:00',
  },
  null,
  2,
)}\n`;

/**
 * What the Azure bundles need besides: the Node.js worker provides `@azure/functions-core` to @azure/functions at run
 * time (it is not on npm), and the Azure Storage SDK's ES modules read `import.meta.url` at load (its CRC64 code calls
 * `createRequire`), which a CommonJS bundle must be given: the bundle's own file URL, computed where it runs, so that
 * nothing of the build machine is written into it.
 */
const AZURE_OPTIONS: esbuild.BuildOptions = {
  external: ['@azure/functions-core'],
  define: { 'import.meta.url': '__bundleFileUrl' },
  banner: { js: 'var __bundleFileUrl = require("node:url").pathToFileURL(__filename).href;' },
};

function entryPoint(repoRoot: string, name: string): string {
  if (name.startsWith('gcp/')) return `${GCP_FUNCTIONS}/${name.slice(4)}/index.ts`;
  if (name.startsWith('azure/')) return `${AZURE_FUNCTIONS}/${name.slice(6)}/index.ts`;
  const command = COMMAND_ENTRIES[name];
  return command && fs.existsSync(path.join(repoRoot, command)) ? command : `${AWS_FUNCTIONS}/${name}/index.ts`;
}

/** Every AWS Lambda function, `lambda/aws/<name>/index.ts`, as sorted handler names. */
export function discoverHandlers(repoRoot: string): string[] {
  return functionFolders(repoRoot, AWS_FUNCTIONS);
}

/**
 * The esbuild options for one handler. Everything that could differ between machines or checkout
 * folders is pinned: paths are relative to `absWorkingDir`, no sourcemap or legal comments carry
 * file names, and `tsconfigRaw` stops esbuild from reading whatever tsconfig.json sits on disk.
 */
export function buildOptions(repoRoot: string, outDir: string, name: string): esbuild.BuildOptions {
  return {
    absWorkingDir: repoRoot,
    entryPoints: [entryPoint(repoRoot, name)],
    outfile: path.join(outDir, name, 'index.js'),
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    bundle: true,
    minify: true,
    treeShaking: true,
    legalComments: 'none',
    sourcemap: false,
    // The SDK ships in the bundle, not from the runtime: Lambda's built-in version drifts, and its
    // ES module builds are what tree-shake down to the commands a handler actually sends.
    mainFields: ['module', 'main'],
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } },
    logLevel: 'silent',
    ...(name.startsWith('azure/') ? AZURE_OPTIONS : {}),
  };
}

async function formatted(messages: esbuild.Message[], kind: 'error' | 'warning'): Promise<string> {
  const lines = await esbuild.formatMessages(messages, { kind, color: false });
  return lines.join('');
}

/**
 * Bundles every function under `<repoRoot>/lambda/aws`, `<repoRoot>/lambda/gcp` and `<repoRoot>/lambda/azure`, and the operator command, into `<outDir>/<name>/index.js` and writes
 * `<outDir>/manifest.json`. Empties `outDir` first, so a removed handler leaves nothing behind.
 * Rejects on any esbuild error or warning.
 */
export async function bundleHandlers(repoRoot: string, outDir: string): Promise<BundleManifest> {
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });

  const manifest: Record<string, BundledHandler> = {};
  const commands = Object.keys(COMMAND_ENTRIES).filter((name) => fs.existsSync(path.join(repoRoot, COMMAND_ENTRIES[name])));
  for (const name of [...discoverHandlers(repoRoot), ...commands, ...discoverGcpFunctions(repoRoot), ...discoverAzureFunctions(repoRoot)].sort()) {
    let result: esbuild.BuildResult;
    try {
      result = await esbuild.build(buildOptions(repoRoot, outDir, name));
    } catch (error) {
      const errors = (error as Partial<esbuild.BuildFailure>).errors;
      if (!errors?.length) throw error;
      throw new Error(`bundling handler '${name}' failed:\n${await formatted(errors, 'error')}`);
    }
    if (result.warnings.length > 0) {
      throw new Error(`bundling handler '${name}' produced warnings:\n${await formatted(result.warnings, 'warning')}`);
    }
    if (name.startsWith('gcp/')) fs.writeFileSync(path.join(outDir, name, 'package.json'), GCP_PACKAGE_JSON);
    if (name.startsWith('azure/')) {
      fs.writeFileSync(path.join(outDir, name, 'package.json'), AZURE_PACKAGE_JSON);
      fs.writeFileSync(path.join(outDir, name, 'host.json'), AZURE_HOST_JSON);
    }
    const bundle = fs.readFileSync(path.join(outDir, name, 'index.js'));
    manifest[name] = { bytes: bundle.length, sha256: createHash('sha256').update(bundle).digest('hex') };
  }

  // Handler names are already sorted and each entry's keys are written in a fixed order.
  fs.writeFileSync(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

// `tsx scripts/bundle.ts [--verbose] [repoRoot]`: bundles into `<repoRoot>/assets`, the repo itself by
// default. Silent on success, since it runs before every test and synth; `--verbose` lists the sizes,
// which `assets/manifest.json` records in any case.
if (require.main === module) {
  const { values, positionals } = parseArgs({ options: { verbose: { type: 'boolean', short: 'v' } }, allowPositionals: true });
  const repoRoot = path.resolve(positionals[0] ?? path.join(__dirname, '..'));
  bundleHandlers(repoRoot, path.join(repoRoot, 'assets')).then(
    (manifest) => {
      if (!values.verbose) return;
      for (const [name, { bytes }] of Object.entries(manifest)) {
        console.log(`assets/${name}/index.js  ${(bytes / 1024).toFixed(1)} KiB`);
      }
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
