import { existsSync } from 'node:fs';

/** Where `safePublish` found itself running, and the documented signal that told it. */
export interface Platform {
  readonly name: string;
  /** A deployed workload, which publishes in `auto` mode; false for CI and interactive notebooks, which do not. */
  readonly deployed: boolean;
  /** The environment variable or file that identified the platform. */
  readonly signal: string;
}

/** `always` sends, `never` does not, `auto` sends where {@link detectPlatform} finds a deployed workload. */
export type PublishMode = 'always' | 'never' | 'auto';

type Env = Readonly<Record<string, string | undefined>>;

interface Rule {
  readonly name: string;
  readonly deployed: boolean;
  /** The signal present, or undefined. */
  readonly detect: (env: Env, fileExists: (file: string) => boolean) => string | undefined;
}

const set = (env: Env, name: string): string | undefined => (env[name] ? name : undefined);
const truthy = (env: Env, name: string): string | undefined => (/^(true|1)$/i.test(env[name]?.trim() ?? '') ? name : undefined);
const both = (env: Env, first: string, second: string): string | undefined => (env[first] && env[second] ? second : undefined);
const file = (fileExists: (file: string) => boolean, path: string): string | undefined => (fileExists(path) ? path : undefined);

/**
 * In order: CI before compute platforms, since a runner may itself run on ECS, EKS or EC2 and its tests must not publish;
 * a SageMaker training job before the notebook metadata file, since a scheduled notebook job runs as a training job.
 * Environment variables are those each platform documents as set for every workload; files are read only where no
 * variable exists (SageMaker processing jobs and notebooks). EC2 has neither: its instance metadata service is a
 * network call, and an EC2 workstation looks like an EC2 service, so EC2 publishes only when told (`always`).
 */
const RULES: readonly Rule[] = [
  { name: 'GitHub Actions', deployed: false, detect: (env) => truthy(env, 'GITHUB_ACTIONS') },
  { name: 'AWS CodeBuild', deployed: false, detect: (env) => set(env, 'CODEBUILD_BUILD_ID') },
  { name: 'a CI service', deployed: false, detect: (env) => truthy(env, 'CI') },
  { name: 'AWS Lambda', deployed: true, detect: (env) => set(env, 'AWS_LAMBDA_FUNCTION_NAME') },
  { name: 'an Amazon SageMaker training job', deployed: true, detect: (env) => set(env, 'TRAINING_JOB_ARN') ?? set(env, 'TRAINING_JOB_NAME') },
  {
    name: 'Amazon ECS',
    deployed: true,
    detect: (env) => set(env, 'ECS_CONTAINER_METADATA_URI_V4') ?? set(env, 'ECS_CONTAINER_METADATA_URI')
      ?? (env.AWS_EXECUTION_ENV?.startsWith('AWS_ECS_') ? 'AWS_EXECUTION_ENV' : undefined),
  },
  { name: 'Amazon EKS (IAM roles for service accounts)', deployed: true, detect: (env) => both(env, 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE') },
  {
    name: 'Amazon EKS (Pod Identity)',
    deployed: true,
    detect: (env) => both(env, 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE'),
  },
  { name: 'an Amazon SageMaker processing job', deployed: true, detect: (_env, exists) => file(exists, '/opt/ml/config/processingjobconfig.json') },
  { name: 'a SageMaker notebook or Studio app', deployed: false, detect: (_env, exists) => file(exists, '/opt/ml/metadata/resource-metadata.json') },
];

/** The platform the environment names, or undefined where none of the rules above matches. */
export function detectPlatform(env: Env, fileExists: (file: string) => boolean = existsSync): Platform | undefined {
  for (const rule of RULES) {
    const signal = rule.detect(env, fileExists);
    if (signal !== undefined) return { name: rule.name, deployed: rule.deployed, signal };
  }
  return undefined;
}

const MODES: readonly PublishMode[] = ['always', 'never', 'auto'];
/** The spellings of 0.x, still read. */
const LEGACY: Readonly<Record<string, PublishMode>> = { true: 'always', false: 'never' };

/** An ML_TRIGGERS_PUBLISH value that is none of the modes. */
export class UnknownPublishMode extends RangeError {
  constructor(readonly value: string) {
    super(`ML_TRIGGERS_PUBLISH must be always, never or auto, got '${value}'`);
    this.name = 'UnknownPublishMode';
  }
}

/** `ML_TRIGGERS_PUBLISH`, read; unset or blank is undefined. Throws UnknownPublishMode on a value it does not know. */
export function modeFromEnvironment(value: string | undefined): { mode: PublishMode; spelled: string } | undefined {
  const spelled = value?.trim() ?? '';
  if (spelled === '') return undefined;
  const lower = spelled.toLowerCase();
  const mode = (MODES as readonly string[]).includes(lower) ? (lower as PublishMode) : LEGACY[lower];
  if (mode === undefined) throw new UnknownPublishMode(spelled);
  return { mode, spelled };
}

export interface PublishDecisionInput {
  readonly env: Env;
  readonly mode?: PublishMode;
  readonly isDeployed?: () => boolean;
  readonly fileExists?: (file: string) => boolean;
}

/**
 * Why not to publish, or undefined to publish. `never` wins from either side (the operator's switch and the code's);
 * otherwise the code's mode, then the environment's, then `auto`: `isDeployed()` when given, else the detection.
 */
export function whyNotPublishing({ env, mode, isDeployed, fileExists }: PublishDecisionInput): string | undefined {
  const fromEnv = modeFromEnvironment(env.ML_TRIGGERS_PUBLISH);
  if (fromEnv?.mode === 'never') return `ML_TRIGGERS_PUBLISH=${fromEnv.spelled} disables publishing`;
  if (mode === 'never') return "options.mode is 'never'";
  const effective = mode ?? fromEnv?.mode ?? 'auto';
  if (effective === 'always') return undefined;
  if (isDeployed) return isDeployed() ? undefined : 'options.isDeployed() returned false';
  const platform = detectPlatform(env, fileExists);
  if (platform?.deployed) return undefined;
  if (platform) return `running in ${platform.name} (${platform.signal}), which does not publish unless ML_TRIGGERS_PUBLISH=always or options.mode is 'always'`;
  return 'not a deployed environment: no Lambda, ECS, EKS or SageMaker job detected (EC2 is not probed); '
    + "set ML_TRIGGERS_PUBLISH=always or options.mode 'always' to publish";
}
