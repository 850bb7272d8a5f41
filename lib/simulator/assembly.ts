import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssemblyReadError } from './assembly-error';
import { resolve, type CfnTemplate, type ResolveContext } from './intrinsics';
import type { SimulatedStack } from './model';
import type { StackEnvironment } from './physical-names';
import { simulatedStack } from './wiring';

/** Options of {@link readAssembly}. */
export interface ReadAssemblyOptions {
  /**
   * The stack to read: its stack name, its artifact id or its construct path (`Stage/Stack`).
   * @default every stack of the assembly, stages' stacks included
   */
  readonly stackName?: string;
  /**
   * The account an environment-agnostic stack is deployed to. A stack pinned to an account keeps its own.
   * @default '123456789012'
   */
  readonly account?: string;
  /**
   * The region an environment-agnostic stack is deployed to. A stack pinned to a region keeps its own.
   * @default 'us-east-1'
   */
  readonly region?: string;
}

export const DEFAULT_ACCOUNT = '123456789012';
export const DEFAULT_REGION = 'us-east-1';

/** A stack artifact of the assembly or of one of its nested assemblies (a stage's). */
interface StackArtifact {
  readonly id: string;
  readonly stackName: string;
  readonly displayName: string;
  /** The folder of the (nested) assembly that holds the template and the assets. */
  readonly assemblyDir: string;
  readonly templateFile: string;
  readonly environment: string;
  /** The stack's metadata by construct path, in the manifest or in a file beside it. */
  readonly metadata?: Readonly<Record<string, readonly { type?: string; data?: unknown }[]>>;
  readonly metadataFile?: string;
}

interface ManifestArtifact {
  readonly type: string;
  readonly environment?: string;
  readonly displayName?: string;
  readonly properties?: { readonly templateFile?: string; readonly stackName?: string; readonly directoryName?: string };
  readonly metadata?: Readonly<Record<string, readonly { type?: string; data?: unknown }[]>>;
  readonly additionalMetadataFile?: string;
}

/**
 * The stacks of the cloud assembly in `dir` (a `cdk.out`), each with its template resolved as CloudFormation would
 * deploy it: every `Ref`, `Fn::GetAtt`, `Fn::Sub` and the rest replaced by the value it would have.
 */
export function readAssembly(dir: string, options: ReadAssemblyOptions = {}): SimulatedStack[] {
  const artifacts = stackArtifacts(path.resolve(dir));
  const wanted = options.stackName;
  const selected = wanted === undefined ? artifacts : artifacts.filter((artifact) => [artifact.stackName, artifact.id, artifact.displayName].includes(wanted));
  if (selected.length === 0 && wanted !== undefined) {
    const names = artifacts.map((artifact) => artifact.stackName).join(', ') || 'none';
    throw new AssemblyReadError(`the assembly ${dir} has no stack named ${wanted}; its stacks: ${names}`);
  }
  const contexts = new Map<StackArtifact, ResolveContext>();
  const contextOf = (artifact: StackArtifact): ResolveContext => {
    let context = contexts.get(artifact);
    if (!context) {
      context = { template: templateOf(artifact), env: environmentOf(artifact, options), importValue: (name) => exportedValue(name, artifacts, contextOf) };
      contexts.set(artifact, context);
    }
    return context;
  };
  return selected.map((artifact) => simulatedStack(contextOf(artifact), artifact.assemblyDir, constructPaths(artifact)));
}

/**
 * Each resource's construct path (without its `/Resource`), by logical id, from the stack's metadata in the
 * assembly: the manifest records it whether or not the template carries `aws:cdk:path` metadata.
 */
function constructPaths(artifact: StackArtifact): ReadonlyMap<string, string> {
  const metadata = artifact.metadata ?? (artifact.metadataFile && fs.existsSync(artifact.metadataFile) ? JSON.parse(fs.readFileSync(artifact.metadataFile, 'utf8')) : {});
  const paths = new Map<string, string>();
  for (const [constructPath, entries] of Object.entries(metadata as Record<string, readonly { type?: string; data?: unknown }[]>)) {
    for (const entry of entries) {
      if (entry.type === 'aws:cdk:logicalId' && typeof entry.data === 'string') paths.set(entry.data, constructPath.replace(/^\//, '').replace(/\/Resource$/, ''));
    }
  }
  return paths;
}

function stackArtifacts(assemblyDir: string): StackArtifact[] {
  const manifestFile = path.join(assemblyDir, 'manifest.json');
  if (!fs.existsSync(manifestFile)) {
    throw new AssemblyReadError(`${assemblyDir} has no manifest.json: it is not a cloud assembly; synthesize the app into it first`);
  }
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { readonly artifacts?: Readonly<Record<string, ManifestArtifact>> };
  return Object.entries(manifest.artifacts ?? {}).flatMap(([id, artifact]): StackArtifact[] => {
    const properties = artifact.properties ?? {};
    if (artifact.type === 'cdk:cloud-assembly' && properties.directoryName) {
      return stackArtifacts(path.join(assemblyDir, properties.directoryName));
    }
    if (artifact.type !== 'aws:cloudformation:stack' || !properties.templateFile) return [];
    return [
      {
        id,
        stackName: properties.stackName ?? id,
        displayName: artifact.displayName ?? id,
        assemblyDir,
        templateFile: path.join(assemblyDir, properties.templateFile),
        environment: artifact.environment ?? 'aws://unknown-account/unknown-region',
        metadata: artifact.metadata,
        metadataFile: artifact.additionalMetadataFile ? path.join(assemblyDir, artifact.additionalMetadataFile) : undefined,
      },
    ];
  });
}

function templateOf(artifact: StackArtifact): CfnTemplate {
  if (!fs.existsSync(artifact.templateFile)) {
    throw new AssemblyReadError(`stack ${artifact.stackName}: its template ${artifact.templateFile} is missing from the assembly`);
  }
  return JSON.parse(fs.readFileSync(artifact.templateFile, 'utf8')) as CfnTemplate;
}

/** The account and region of `aws://<account>/<region>`, with the options' (or the defaults) for unknown ones. */
function environmentOf(artifact: StackArtifact, options: ReadAssemblyOptions): StackEnvironment {
  const match = /^aws:\/\/([^/]+)\/([^/]+)$/.exec(artifact.environment);
  if (!match) throw new AssemblyReadError(`stack ${artifact.stackName}: environment ${artifact.environment} is not aws://<account>/<region>`);
  const account = match[1] === 'unknown-account' ? (options.account ?? DEFAULT_ACCOUNT) : match[1];
  const region = match[2] === 'unknown-region' ? (options.region ?? DEFAULT_REGION) : match[2];
  const [partition, urlSuffix] = region.startsWith('cn-')
    ? ['aws-cn', 'amazonaws.com.cn']
    : region.startsWith('us-gov-')
      ? ['aws-us-gov', 'amazonaws.com']
      : ['aws', 'amazonaws.com'];
  return { stackName: artifact.stackName, account, region, partition, urlSuffix };
}

/** The value a stack of the assembly exports under `exportName`, as CDK's cross-stack references use it. */
function exportedValue(exportName: string, artifacts: readonly StackArtifact[], contextOf: (artifact: StackArtifact) => ResolveContext): unknown {
  for (const artifact of artifacts) {
    const context = contextOf(artifact);
    for (const [outputId, output] of Object.entries(context.template.Outputs ?? {})) {
      if (output.Export && resolve(output.Export.Name, context, `Outputs.${outputId}.Export.Name`) === exportName) {
        return resolve(output.Value, context, `Outputs.${outputId}.Value`);
      }
    }
  }
  return undefined;
}
