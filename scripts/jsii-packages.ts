import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The jsii packages the constructs are published as for Python (and, later, other jsii languages).
 *
 * The npm package keeps its three entry points (`cdk-ml-triggers`, `/gcp`, `/publish`). jsii maps one package
 * onto one module per language, and a package's dependencies must all be jsii assemblies, so the constructs
 * are staged as two jsii packages:
 * - `cdk-ml-triggers`: the AWS constructs. Its only dependencies are aws-cdk-lib and constructs.
 * - `cdk-ml-triggers-gcp`: the CDK for Terraform constructs. It depends on the first for `TriggerSchedule`
 *   and on cdktf and the Google provider, so AWS users never install Terraform's packages.
 * The publish client is not a construct and has a Python client of its own (`python/`).
 * Both share the neutral core (`lambda/core/`), copied into each as compiled code, and the bundled handlers
 * they deploy (`assets/`).
 */
export interface JsiiPackage {
  /** The npm name of the jsii package; also what jsii's runtime loads. */
  readonly name: string;
  readonly description: string;
  /** The entry point, relative to the repository: the package's public API is what it exports. */
  readonly entry: string;
  /** The bundled handlers the constructs deploy, folders under `assets/`. */
  readonly assets: (repoRoot: string) => string[];
  readonly python: { readonly distName: string; readonly module: string };
  /** The peer dependencies: jsii assemblies all. */
  readonly peerDependencies: Readonly<Record<string, string>>;
  /** Relative imports that reach into another jsii package's public API, rewritten to import that package. */
  readonly publicOf?: { readonly files: RegExp; readonly packageName: string };
  /** The README, from the repository's README: its regions for this package. */
  readonly readme: (rootReadme: string) => string;
  /** The fixture README examples compile in, under `rosetta/`. */
  readonly fixture: string;
}

/** Where the packages are staged: beside each other in a `node_modules`, so that one resolves the other. */
export const STAGING = 'build/jsii/node_modules';

const OMIT = /<!-- jsii: (?:omit|gcp) -->[\s\S]*?<!-- jsii: end -->\n?/g;
const GCP = /<!-- jsii: gcp -->\n([\s\S]*?)<!-- jsii: end -->/;

function awsAssets(repoRoot: string): string[] {
  const dir = path.join(repoRoot, 'assets');
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !['gcp', 'azure', 'cli'].includes(entry.name))
    .map((entry) => entry.name)
    .sort();
}

export function jsiiPackages(version: string): JsiiPackage[] {
  const cdk = { 'aws-cdk-lib': '^2.215.0', constructs: '^10.0.0' };
  return [
    {
      name: 'cdk-ml-triggers',
      description: 'AWS CDK constructs that decide when ML training pipelines run: schedules, data arrival, drift, named events and a coordinator in front of SageMaker Pipelines.',
      entry: 'lib/index.ts',
      assets: awsAssets,
      python: { distName: 'cdk-ml-triggers', module: 'cdk_ml_triggers' },
      peerDependencies: cdk,
      readme: (root) => root.replace(OMIT, ''),
      fixture: 'rosetta/aws.ts-fixture',
    },
    {
      name: 'cdk-ml-triggers-gcp',
      description: 'CDK for Terraform constructs that decide when Vertex AI pipelines run: schedules, data arrival and drift on Google Cloud.',
      entry: 'lib/gcp/index.ts',
      assets: () => ['gcp'],
      python: { distName: 'cdk-ml-triggers-gcp', module: 'cdk_ml_triggers_gcp' },
      peerDependencies: { ...cdk, 'cdk-ml-triggers': `^${version}`, cdktf: '^0.21.0', '@cdktf/provider-google': '^16.0.0' },
      publicOf: { files: /^lib\/[^/]+\.ts$/, packageName: 'cdk-ml-triggers' },
      readme: (root) => {
        const section = GCP.exec(root)?.[1];
        if (!section) throw new Error('README.md has no <!-- jsii: gcp --> region for the Google package');
        return `# cdk-ml-triggers-gcp\n\n${section.replace(/'cdk-ml-triggers\/gcp'/g, "'cdk-ml-triggers-gcp'")}`;
      },
      fixture: 'rosetta/gcp.ts-fixture',
    },
  ];
}

/** The repository files a package compiles: its entry and every file reached by relative imports from it. */
export function sourceClosure(repoRoot: string, pkg: JsiiPackage): { files: string[]; rewritten: string[] } {
  const seen = new Set<string>();
  const rewritten = new Set<string>();
  const queue = [pkg.entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of relativeImports(fs.readFileSync(path.join(repoRoot, file), 'utf8'))) {
      const target = resolveRelative(repoRoot, file, specifier);
      if (pkg.publicOf?.files.test(target)) rewritten.add(target);
      else queue.push(target);
    }
  }
  return { files: [...seen].sort(), rewritten: [...rewritten].sort() };
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'(\.{1,2}\/[^']+)'/g;

export function relativeImports(source: string): string[] {
  return [...source.matchAll(IMPORT)].map((match) => match[1]);
}

function resolveRelative(repoRoot: string, from: string, specifier: string): string {
  const base = path.posix.join(path.posix.dirname(from), specifier);
  for (const candidate of [`${base}.ts`, `${base}/index.ts`]) {
    if (fs.existsSync(path.join(repoRoot, candidate))) return candidate;
  }
  throw new Error(`${from} imports '${specifier}', which is no TypeScript file of the repository`);
}

/** `source` with its relative imports of another package's public files replaced by that package's name. */
export function rewriteImports(file: string, source: string, pkg: JsiiPackage): string {
  const publicOf = pkg.publicOf;
  if (!publicOf) return source;
  return source.replace(/from\s+'(\.{1,2}\/[^']+)'/g, (whole, specifier: string) => {
    const target = path.posix.join(path.posix.dirname(file), specifier);
    return publicOf.files.test(`${target}.ts`) ? `from '${publicOf.packageName}'` : whole;
  });
}
