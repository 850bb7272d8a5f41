import { parseDriftConfig, type DriftConfig } from './drift';
import { accept, describe, isRecord, reject, requiredString, type Parsed } from '../result';
import { parameterValues } from '../pipeline-job';

/** Where a trigger's runs go, as the CDKTF construct writes it into the function's environment. */
export interface VertexTarget {
  /** 1-64 letters, digits, - or _; the prefix of every job id and the `ml-trigger-id` label. */
  readonly triggerId: string;
  readonly project: string;
  /** A Vertex AI region such as `europe-west4`; it names the API host, so it is checked strictly. */
  readonly region: string;
  /** The compiled pipeline: `gs://...` or `https://<region>-kfp.pkg.dev/...`. */
  readonly templateUri: string;
  /** The jobs' display name (at most 128 characters). */
  readonly pipelineName: string;
  /** @default the Compute Engine default service account */
  readonly pipelineServiceAccount?: string;
  /** runtimeConfig.gcsOutputDirectory. @default the template's defaultPipelineRoot */
  readonly pipelineRoot?: string;
  /** Static parameters every run receives. */
  readonly parameters: Readonly<Record<string, string>>;
}

/** TRIGGER_CONFIG of the scheduled function. */
export type TriggerConfig = VertexTarget;

/** DRIFT_SETTINGS of the drift function. */
export interface DriftSettings extends VertexTarget {
  readonly drift: DriftConfig;
  /** The alert policy the trigger made, and the metric it watches: an incident of any other is not this trigger's. */
  readonly source: { readonly metricType: string; readonly policyName: string };
  /** The Pub/Sub topic a human reviews critical drift on; named in the log, publishing to it is not done here. */
  readonly reviewTopic?: string;
}

const TRIGGER_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Project ids: 6-30 lowercase letters, digits and hyphens, from a letter, not ending in a hyphen; legacy ones carry `domain:`. */
const PROJECT = /^(?:[a-z][a-z0-9.-]*:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const REGION = /^[a-z]+-[a-z]+[0-9]+$/;
const SERVICE_ACCOUNT = /^[^@\s]+@[^@\s]+$/;
const TEMPLATE_URI = /^(?:gs:\/\/|https:\/\/)\S+$/;

/** Reads a Vertex target, naming fields relative to it (`region`, `parameters.Epochs`). */
export function parseVertexTarget(input: unknown): Parsed<VertexTarget> {
  if (!isRecord(input)) return reject('settings', `must be a JSON object, got ${describe(input)}`);
  const strings: Record<string, string> = {};
  const rules: ReadonlyArray<readonly [string, RegExp, string]> = [
    ['triggerId', TRIGGER_ID, 'must be 1-64 letters, digits, - or _'],
    ['project', PROJECT, 'must be a Google Cloud project id such as my-project-123'],
    ['region', REGION, 'must be a Vertex AI region such as us-central1'],
    ['templateUri', TEMPLATE_URI, 'must be a gs:// or https:// URI of a compiled pipeline'],
    ['pipelineName', /^[\s\S]{1,128}$/, 'must be at most 128 characters'],
  ];
  for (const [name, pattern, problem] of rules) {
    const value = requiredString(input, name, name);
    if (!value.ok) return value;
    if (!pattern.test(value.value)) return reject(name, `${problem}, got '${value.value}'`);
    strings[name] = value.value;
  }
  const optional: Record<string, string> = {};
  for (const [name, pattern, problem] of [
    ['pipelineServiceAccount', SERVICE_ACCOUNT, 'must be a service account email'],
    ['pipelineRoot', /^gs:\/\/\S+$/, 'must be a gs:// URI'],
  ] as const) {
    const value = input[name];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !pattern.test(value)) return reject(name, `${problem} when present, got ${describe(value)}`);
    optional[name] = value;
  }
  const parameters = input.parameters ?? {};
  if (!isRecord(parameters) || Object.values(parameters).some((value) => typeof value !== 'string')) {
    return reject('parameters', 'must map names to string values');
  }
  const checked = parameterValues(parameters as Record<string, string>);
  if (!checked.ok) return checked;
  const { triggerId, project, region, templateUri, pipelineName } = strings;
  return accept({ triggerId, project, region, templateUri, pipelineName, ...optional, parameters: checked.value });
}

export const parseTriggerConfig: (input: unknown) => Parsed<TriggerConfig> = parseVertexTarget;

/** Reads DRIFT_SETTINGS: a Vertex target plus the drift config as lambda/core/drift parses it (fields `drift.thresholds.high`). */
export function parseDriftSettings(input: unknown): Parsed<DriftSettings> {
  const target = parseVertexTarget(input);
  if (!target.ok) return target;
  if (!isRecord(input)) return reject('settings', 'must be a JSON object');
  const drift = parseDriftConfig(input.drift);
  if (!drift.ok) return reject(drift.error.field === 'drift' ? 'drift' : `drift.${drift.error.field}`, drift.error.problem);
  const source = input.source;
  if (!isRecord(source) || typeof source.metricType !== 'string' || source.metricType === '' || typeof source.policyName !== 'string' || source.policyName === '') {
    return reject('source', `must name the metricType and policyName the trigger watches, got ${describe(source)}`);
  }
  const reviewTopic = input.reviewTopic;
  if (reviewTopic !== undefined && (typeof reviewTopic !== 'string' || !/^projects\/[^/]+\/topics\/[^/]+$/.test(reviewTopic))) {
    return reject('reviewTopic', `must be a topic name projects/<project>/topics/<topic> when present, got ${describe(reviewTopic)}`);
  }
  return accept({
    ...target.value,
    drift: drift.value,
    source: { metricType: source.metricType, policyName: source.policyName },
    ...(reviewTopic !== undefined ? { reviewTopic } : {}),
  });
}
