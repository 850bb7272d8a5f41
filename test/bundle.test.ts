import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { HANDLER_ARCHITECTURE, HANDLER_RUNTIME, handlerCode } from '../lib/private/handler-code';
import { BundleManifest, bundleHandlers, discoverHandlers } from '../scripts/bundle';

const repo = path.resolve(__dirname, '..');

// A handler that sends one S3 command, so the SDK client is bundled and tree-shaken.
const HELLO_HANDLER = `
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { greeting } from '../../core/util';

const s3 = new S3Client({});

export async function handler(event: { bucket?: string; key?: string }): Promise<string> {
  if (event.bucket && event.key) {
    await s3.send(new HeadObjectCommand({ Bucket: event.bucket, Key: event.key }));
  }
  return greeting(event.key ?? 'world');
}
`;
const CORE_UTIL = `export const greeting = (name: string): string => \`hello \${name}\`;\n`;
// Present so that a discovery that forgot to skip lambda/core would bundle it.
const CORE_INDEX = `export { greeting } from './util';\n`;

const tempDirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** A throwaway repo layout: lambda/aws/hello, lambda/core and the real repo's node_modules. */
function fixtureRepo(files: Readonly<Record<string, string>> = {}): string {
  const root = tempDir('ml-triggers-bundle-');
  const all: Record<string, string> = {
    'lambda/aws/hello/index.ts': HELLO_HANDLER,
    'lambda/core/util.ts': CORE_UTIL,
    'lambda/core/index.ts': CORE_INDEX,
    ...files,
  };
  for (const [file, text] of Object.entries(all)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  return root;
}

afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('bundleHandlers', () => {
  let fixture: string;
  let outDir: string;
  let manifest: BundleManifest;
  let bundle: Buffer;

  beforeAll(async () => {
    fixture = fixtureRepo();
    outDir = path.join(fixture, 'assets');
    manifest = await bundleHandlers(fixture, outDir);
    bundle = fs.readFileSync(path.join(outDir, 'hello', 'index.js'));
  }, 60_000);

  test('gives byte-identical bundles across output folders and checkout folders', async () => {
    // Prepare: a second output folder, and a second copy of the same sources elsewhere.
    const otherOut = path.join(tempDir('ml-triggers-out-'), 'nested', 'assets');
    const otherCheckout = fixtureRepo();

    // Act
    const again = await bundleHandlers(fixture, otherOut);
    const elsewhere = await bundleHandlers(otherCheckout, path.join(otherCheckout, 'assets'));

    // Assess
    expect(fs.readFileSync(path.join(otherOut, 'hello', 'index.js')).equals(bundle)).toBe(true);
    expect(fs.readFileSync(path.join(otherCheckout, 'assets', 'hello', 'index.js')).equals(bundle)).toBe(true);
    expect(again).toEqual(manifest);
    expect(elsewhere).toEqual(manifest);
    expect(fs.readFileSync(path.join(otherOut, 'manifest.json'), 'utf8')).toBe(
      fs.readFileSync(path.join(outDir, 'manifest.json'), 'utf8'),
    );
  }, 60_000);

  test('writes a manifest with each handler size and sha256', () => {
    const written = JSON.parse(fs.readFileSync(path.join(outDir, 'manifest.json'), 'utf8'));

    expect(written).toEqual({ hello: { bytes: bundle.length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(Object.keys(written.hello)).toEqual(['bytes', 'sha256']);
  });

  test('leaves no absolute path in the bundle', () => {
    const text = bundle.toString('utf8');
    const absolutePaths = [fixture, fs.realpathSync(fixture), repo, os.tmpdir(), '/tmp'];

    expect(absolutePaths.filter((absolute) => text.includes(absolute))).toEqual([]);
  });

  test('is CommonJS that Node can require, exporting handler and loading no SDK from node_modules', () => {
    // Prepare: node_modules (with the SDK) sits next to the bundle, so a left-out SDK would load.
    const bundlePath = path.join(outDir, 'hello', 'index.js');
    const script = [
      'const m = require(process.argv[1]);',
      'process.stdout.write(JSON.stringify({ handler: typeof m.handler, loaded: Object.keys(require.cache) }));',
    ].join('\n');

    // Act
    const loaded = JSON.parse(execFileSync(process.execPath, ['-e', script, bundlePath], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));

    // Assess
    expect(loaded).toEqual({ handler: 'function', loaded: [fs.realpathSync(bundlePath)] });
  });

  test('treats lambda/core as shared code, not a handler', () => {
    expect(discoverHandlers(fixture)).toEqual(['hello']);
    expect(fs.readdirSync(outDir).sort()).toEqual(['hello', 'manifest.json']);
  });

  test('empties the output folder so a removed handler leaves nothing behind', async () => {
    // Prepare: an output folder holding a bundle of a handler that no longer exists.
    const out = tempDir('ml-triggers-stale-');
    fs.mkdirSync(path.join(out, 'removed'));
    fs.writeFileSync(path.join(out, 'removed', 'index.js'), 'exports.handler = () => 1;');

    // Act
    await bundleHandlers(fixture, out);

    // Assess
    expect(fs.readdirSync(out).sort()).toEqual(['hello', 'manifest.json']);
  }, 60_000);
});

describe('bundleHandlers on broken sources', () => {
  test('bundles a handler whose only problem is a type error: type-checking is tsc\'s job', async () => {
    const fixture = fixtureRepo({ 'lambda/aws/hello/index.ts': `export const handler = async (): Promise<number> => 'text' as unknown as string;\n` });

    await expect(bundleHandlers(fixture, path.join(fixture, 'assets'))).resolves.toHaveProperty('hello');
  });

  test('rejects a syntax error, naming the handler', async () => {
    const fixture = fixtureRepo({ 'lambda/aws/hello/index.ts': `export const handler = async ( => 1;\n` });

    await expect(bundleHandlers(fixture, path.join(fixture, 'assets'))).rejects.toThrow(/bundling handler 'hello' failed/);
  });

  test('rejects an esbuild warning as firmly as an error', async () => {
    const fixture = fixtureRepo({ 'lambda/aws/hello/index.ts': `export const handler = async () => ({ a: 1, a: 2 });\n` });

    await expect(bundleHandlers(fixture, path.join(fixture, 'assets'))).rejects.toThrow(/produced warnings/);
  });

  test('the bundle script exits non-zero on a syntax error', () => {
    const fixture = fixtureRepo({ 'lambda/aws/hello/index.ts': `export const handler = async ( => 1;\n` });

    const run = spawnSync(process.execPath, [path.join(repo, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/bundle.ts', fixture], {
      cwd: repo,
      encoding: 'utf8',
    });

    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('lambda/aws/hello/index.ts');
  }, 30_000);

  test('the bundle script prints nothing on success, and the sizes with --verbose', () => {
    const fixture = fixtureRepo();
    const bundle = (...args: string[]) =>
      spawnSync(process.execPath, [path.join(repo, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/bundle.ts', ...args, fixture], { cwd: repo, encoding: 'utf8' });

    const quiet = bundle();
    const verbose = bundle('--verbose');

    expect(quiet).toMatchObject({ status: 0, stdout: '', stderr: '' });
    expect(verbose).toMatchObject({ status: 0, stderr: '' });
    expect(verbose.stdout).toMatch(/^assets\/hello\/index\.js +\d+\.\d KiB\n$/);
  }, 30_000);
});

describe('handlerCode', () => {
  test('names the missing bundle relative to the package and says to build', () => {
    expect(() => handlerCode('nope')).toThrow(/assets\/nope is missing: run `npm run build`/);
    expect(() => handlerCode('nope')).not.toThrow(repo);
  });

  test('gives the same asset hash whatever the working directory', () => {
    // Prepare: a bundle in a temp assets folder, and two unrelated working directories.
    const assetsDir = tempDir('ml-triggers-assets-');
    fs.mkdirSync(path.join(assetsDir, 'hello'));
    fs.writeFileSync(path.join(assetsDir, 'hello', 'index.js'), 'exports.handler = async () => "hello";\n');
    const synthFrom = (cwd: string): unknown => {
      const previous = process.cwd();
      process.chdir(cwd);
      try {
        const stack = new Stack(new App(), 'Stack');
        new lambda.Function(stack, 'Handler', {
          code: handlerCode('hello', assetsDir),
          handler: 'index.handler',
          runtime: HANDLER_RUNTIME,
          architecture: HANDLER_ARCHITECTURE,
        });
        const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
        return Object.values(functions).map((resource) => resource.Properties.Code);
      } finally {
        process.chdir(previous);
      }
    };

    // Act
    const fromRepo = synthFrom(repo);
    const fromElsewhere = synthFrom(tempDir('ml-triggers-cwd-'));

    // Assess
    expect(fromElsewhere).toEqual(fromRepo);
    expect(JSON.stringify(fromRepo)).toMatch(/[0-9a-f]{64}\.zip/);
  });
});
