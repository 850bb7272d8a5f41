import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * The packages that carry the bundled handlers: the npm package, and the jsii packages of the AWS and the
 * Google constructs (`scripts/jsii-packages.ts`), which is where Python's runtime loads this file from.
 */
const PACKAGE_NAMES: ReadonlySet<string> = new Set(['cdk-ml-triggers', 'cdk-ml-triggers-gcp']);

/** The runtime every bundled handler targets (esbuild `target: node22`). */
export const HANDLER_RUNTIME = lambda.Runtime.NODEJS_22_X;

/** The architecture every handler runs on; the bundles hold no native code. */
export const HANDLER_ARCHITECTURE = lambda.Architecture.ARM_64;

function isPackageRoot(dir: string): boolean {
  const manifest = path.join(dir, 'package.json');
  if (!fs.existsSync(manifest)) return false;
  const { name } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: unknown };
  return typeof name === 'string' && PACKAGE_NAMES.has(name);
}

/**
 * The package root, found by walking up from this file: it sits at `lib/private/` when run from
 * source and at `dist/lib/private/` when run from the published package.
 */
export function packageRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (isPackageRoot(dir)) return dir;
    if (path.dirname(dir) === dir) {
      throw new Error(`cannot find the cdk-ml-triggers package.json above ${path.basename(__dirname)}/`);
    }
  }
}

/**
 * The code of handler `name`, bundled at build time into `<assetsDir>/<name>/index.js`.
 * @param assetsDir where the bundles live; the package's own `assets/` unless a test points elsewhere.
 */
export function handlerCode(name: string, assetsDir: string = path.join(packageRoot(), 'assets')): lambda.Code {
  const bundleDir = path.join(assetsDir, name);
  if (!fs.existsSync(path.join(bundleDir, 'index.js'))) {
    const shown = path.relative(path.dirname(assetsDir), bundleDir).split(path.sep).join('/');
    throw new Error(`the Lambda bundle ${shown} is missing: run \`npm run build\` to bundle the handlers`);
  }
  return lambda.Code.fromAsset(bundleDir);
}
