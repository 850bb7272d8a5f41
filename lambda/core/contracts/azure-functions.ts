/**
 * The Azure functions' contract: the settings an Azure construct (lib/azure) writes into a function app's
 * `TRIGGER_SETTINGS` app setting and the function reads back. Pure: no SDK, no clock, no environment.
 */
import { BATCH_LIMITS } from './batch';
import { parseDriftConfig, type DriftConfig } from './drift';
import { parameterValues } from '../pipeline-job';
import { accept, describe, isRecord, reject, requiredNumber, requiredString, type Parsed } from '../result';

/** The Azure ML REST API version every function speaks (Jobs - Create Or Update, Jobs - Get). */
export const AZURE_ML_API_VERSION = '2024-10-01';

/** How a pipeline job's steps reach data: as the submitter, with the workspace's AML token, or as a managed identity. */
export type AzureJobIdentity =
  | { readonly identityType: 'UserIdentity' }
  | { readonly identityType: 'AMLToken' }
  | { readonly identityType: 'Managed'; readonly clientId?: string; readonly resourceId?: string };

/** Where a trigger's runs go, as the construct writes it. */
export interface AzureMLTarget {
  /** 1-64 letters, digits, - or _; the prefix of every job name and the `ml-trigger-id` tag. */
  readonly triggerId: string;
  /** A GUID. */
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  /** `^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$` (Azure ML's rule for workspace names). */
  readonly workspace: string;
  /** The experiment the jobs are filed under. */
  readonly experimentName: string;
  /** The jobs' display name. */
  readonly pipelineName: string;
  /**
   * What a run is a copy of: the ARM id of a registered pipeline component version (`componentId`) or of a pipeline
   * job whose definition each run repeats (`sourceJobId`). Exactly one.
   */
  readonly componentId?: string;
  readonly sourceJobId?: string;
  /** The compute the pipeline's steps default to (an ARM id). @default - the component's own */
  readonly computeId?: string;
  /** @default - Azure ML's default (the submitter's identity) */
  readonly jobIdentity?: AzureJobIdentity;
  /** Static parameters every run receives, as literal pipeline inputs. */
  readonly parameters: Readonly<Record<string, string>>;
}

/** TRIGGER_SETTINGS of the batcher function. */
export interface AzureBatcherSettings extends AzureMLTarget {
  /** The storage account whose Blob Created events arrive (its name); another account's events are rejected. */
  readonly storageAccount: string;
  /** The container data lands in. */
  readonly container: string;
  /** Only blobs whose name starts with it count. '' for every blob. */
  readonly prefix: string;
  /** Only blobs whose name ends with it count. '' for every blob. */
  readonly suffix: string;
  readonly batchSize: number;
  readonly batchWindowSeconds: number;
  /** Start attempts before a batch is recorded FAILED. */
  readonly maxStartAttempts: number;
  /** The account and container manifests are written to, under `manifestPrefix` (empty or ending in `/`). */
  readonly manifestAccount: string;
  readonly manifestContainer: string;
  readonly manifestPrefix: string;
  /** The Table Storage endpoint and table the batch state lives in (one partition per trigger). */
  readonly stateTableEndpoint: string;
  readonly stateTable: string;
}

/** TRIGGER_SETTINGS of the drift function. */
export interface AzureDriftSettings extends AzureMLTarget {
  readonly drift: DriftConfig;
  /**
   * The alert rule the construct made (its ARM id, compared without regard to case, as ARM ids are) and the metric it
   * watches: an alert of any other rule starts nothing.
   */
  readonly source: { readonly alertRuleId: string; readonly metricName: string };
}

/** The statuses of an upstream run that a chain may start on (RunStatusChanged's `runStatus`; RunCompleted is `Completed`). */
export const CHAIN_STATUSES = ['Completed', 'Failed', 'Canceled'] as const;
export type ChainStatus = (typeof CHAIN_STATUSES)[number];

/** TRIGGER_SETTINGS of the chain function. */
export interface AzureChainSettings extends AzureMLTarget {
  /**
   * The upstream: the workspace whose events arrive (its ARM id, which is the Event Grid event's `topic`), the
   * experiments whose runs count, and the statuses that start a run.
   */
  readonly upstream: { readonly workspaceId: string; readonly experimentNames: readonly string[]; readonly statuses: readonly ChainStatus[] };
}

const TRIGGER_ID = /^[A-Za-z0-9_-]{1,64}$/;
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Resource group names: 1-90 letters, digits, `_ - . ( )`, not ending in a period. */
const RESOURCE_GROUP = /^[-\w.()]{0,89}[-\w()]$/;
export const AZURE_ML_WORKSPACE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$/;
const ARM_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/[^\s]+$/i;
const EXPERIMENT = /^[a-zA-Z0-9][\w.-]{0,254}$/;
/** Storage account names: 3-24 lowercase letters and digits. */
export const STORAGE_ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;
/** Container names: 3-63 lowercase letters, digits and single hyphens, from and to a letter or digit. */
export const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** Table names: 3-63 letters and digits, from a letter. */
export const TABLE_NAME = /^[A-Za-z][A-Za-z0-9]{2,62}$/;

/** Reads an Azure ML target, naming fields relative to it (`workspace`, `parameters.Epochs`). */
export function parseAzureMLTarget(input: unknown): Parsed<AzureMLTarget> {
  if (!isRecord(input)) return reject('settings', `must be a JSON object, got ${describe(input)}`);
  const strings: Record<string, string> = {};
  const rules: ReadonlyArray<readonly [string, RegExp, string]> = [
    ['triggerId', TRIGGER_ID, 'must be 1-64 letters, digits, - or _'],
    ['subscriptionId', GUID, 'must be a subscription id (a GUID)'],
    ['resourceGroup', RESOURCE_GROUP, 'must be a resource group name'],
    ['workspace', AZURE_ML_WORKSPACE_NAME, 'must be an Azure ML workspace name (3-33 letters, digits, _ and -, from a letter or digit)'],
    ['experimentName', EXPERIMENT, 'must be an experiment name of letters, digits, _, - and .'],
    ['pipelineName', /^[\s\S]{1,256}$/, 'must be 1-256 characters'],
  ];
  for (const [name, pattern, problem] of rules) {
    const value = requiredString(input, name, name);
    if (!value.ok) return value;
    if (!pattern.test(value.value)) return reject(name, `${problem}, got '${value.value}'`);
    strings[name] = value.value;
  }
  const ids: Record<string, string> = {};
  for (const name of ['componentId', 'sourceJobId', 'computeId'] as const) {
    const value = input[name];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !ARM_ID.test(value)) return reject(name, `must be an ARM resource id (/subscriptions/.../providers/...) when present, got ${describe(value)}`);
    ids[name] = value;
  }
  if ((ids.componentId === undefined) === (ids.sourceJobId === undefined)) {
    return reject('componentId', 'exactly one of componentId and sourceJobId must name what a run is a copy of');
  }
  const identity = parseJobIdentity(input.jobIdentity);
  if (!identity.ok) return identity;
  const parameters = input.parameters ?? {};
  if (!isRecord(parameters) || Object.values(parameters).some((value) => typeof value !== 'string')) {
    return reject('parameters', 'must map names to string values');
  }
  const checked = parameterValues(parameters as Record<string, string>);
  if (!checked.ok) return checked;
  const { triggerId, subscriptionId, resourceGroup, workspace, experimentName, pipelineName } = strings;
  return accept({
    triggerId, subscriptionId, resourceGroup, workspace, experimentName, pipelineName, ...ids,
    ...(identity.value ? { jobIdentity: identity.value } : {}),
    parameters: checked.value,
  });
}

function parseJobIdentity(input: unknown): Parsed<AzureJobIdentity | undefined> {
  if (input === undefined) return accept(undefined);
  if (!isRecord(input)) return reject('jobIdentity', `must be an object with identityType, got ${describe(input)}`);
  const type = input.identityType;
  if (type === 'UserIdentity' || type === 'AMLToken') return accept({ identityType: type });
  if (type !== 'Managed') return reject('jobIdentity.identityType', `must be UserIdentity, AMLToken or Managed, got ${describe(type)}`);
  const { clientId, resourceId } = input;
  if (clientId !== undefined && (typeof clientId !== 'string' || !GUID.test(clientId))) return reject('jobIdentity.clientId', `must be a GUID when present, got ${describe(clientId)}`);
  if (resourceId !== undefined && (typeof resourceId !== 'string' || !ARM_ID.test(resourceId))) return reject('jobIdentity.resourceId', `must be an ARM id when present, got ${describe(resourceId)}`);
  return accept({ identityType: 'Managed', ...(clientId !== undefined ? { clientId } : {}), ...(resourceId !== undefined ? { resourceId } : {}) });
}

/** Reads the batcher's TRIGGER_SETTINGS. */
export function parseAzureBatcherSettings(input: unknown): Parsed<AzureBatcherSettings> {
  const target = parseAzureMLTarget(input);
  if (!target.ok) return target;
  const record = input as Record<string, unknown>;
  const names: Record<string, string> = {};
  for (const [name, pattern] of [
    ['storageAccount', STORAGE_ACCOUNT_NAME], ['container', CONTAINER_NAME], ['manifestAccount', STORAGE_ACCOUNT_NAME],
    ['manifestContainer', CONTAINER_NAME], ['stateTable', TABLE_NAME], ['stateTableEndpoint', /^https?:\/\/\S+$/],
  ] as const) {
    const value = requiredString(record, name, name);
    if (!value.ok) return value;
    if (!pattern.test(value.value)) return reject(name, `is not valid here, got '${value.value}'`);
    names[name] = value.value;
  }
  const optional: Record<string, string> = {};
  for (const name of ['prefix', 'suffix', 'manifestPrefix'] as const) {
    const value = record[name] ?? '';
    if (typeof value !== 'string' || value.length > 1024) return reject(name, `must be a string of at most 1,024 characters, got ${describe(value)}`);
    optional[name] = value;
  }
  if (optional.manifestPrefix !== '' && !optional.manifestPrefix.endsWith('/')) return reject('manifestPrefix', `must be empty or end with '/', got '${optional.manifestPrefix}'`);
  const batchSize = requiredNumber(record, 'batchSize', 'batchSize', 1, BATCH_LIMITS.maxBatchSize);
  if (!batchSize.ok) return batchSize;
  const window = requiredNumber(record, 'batchWindowSeconds', 'batchWindowSeconds', BATCH_LIMITS.minWindowSeconds, BATCH_LIMITS.maxWindowSeconds);
  if (!window.ok) return window;
  const attempts = requiredNumber(record, 'maxStartAttempts', 'maxStartAttempts', 1, BATCH_LIMITS.maxStartAttempts);
  if (!attempts.ok) return attempts;
  for (const [name, value] of [['batchSize', batchSize.value], ['batchWindowSeconds', window.value], ['maxStartAttempts', attempts.value]] as const) {
    if (!Number.isInteger(value)) return reject(name, `must be a whole number, got ${value}`);
  }
  return accept({
    ...target.value,
    storageAccount: names.storageAccount, container: names.container, prefix: optional.prefix, suffix: optional.suffix,
    batchSize: batchSize.value, batchWindowSeconds: window.value, maxStartAttempts: attempts.value,
    manifestAccount: names.manifestAccount, manifestContainer: names.manifestContainer, manifestPrefix: optional.manifestPrefix,
    stateTableEndpoint: names.stateTableEndpoint, stateTable: names.stateTable,
  });
}

/** Reads the drift function's TRIGGER_SETTINGS (fields `drift.thresholds.high`, `source.alertRuleId`). */
export function parseAzureDriftSettings(input: unknown): Parsed<AzureDriftSettings> {
  const target = parseAzureMLTarget(input);
  if (!target.ok) return target;
  const record = input as Record<string, unknown>;
  const drift = parseDriftConfig(record.drift);
  if (!drift.ok) return reject(drift.error.field === 'drift' ? 'drift' : `drift.${drift.error.field}`, drift.error.problem);
  const source = record.source;
  if (!isRecord(source)) return reject('source', `must name the alertRuleId and metricName the trigger watches, got ${describe(source)}`);
  const ruleId = requiredString(source, 'alertRuleId', 'source.alertRuleId');
  if (!ruleId.ok) return ruleId;
  if (!ARM_ID.test(ruleId.value)) return reject('source.alertRuleId', `must be the alert rule's ARM id, got '${ruleId.value}'`);
  const metric = requiredString(source, 'metricName', 'source.metricName');
  if (!metric.ok) return metric;
  return accept({ ...target.value, drift: drift.value, source: { alertRuleId: ruleId.value, metricName: metric.value } });
}

/** Reads the chain function's TRIGGER_SETTINGS (fields `upstream.workspaceId`, `upstream.statuses[0]`). */
export function parseAzureChainSettings(input: unknown): Parsed<AzureChainSettings> {
  const target = parseAzureMLTarget(input);
  if (!target.ok) return target;
  const upstream = (input as Record<string, unknown>).upstream;
  if (!isRecord(upstream)) return reject('upstream', `must name the workspaceId, experimentNames and statuses, got ${describe(upstream)}`);
  const workspaceId = requiredString(upstream, 'workspaceId', 'upstream.workspaceId');
  if (!workspaceId.ok) return workspaceId;
  if (!/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+$/i.test(workspaceId.value)) {
    return reject('upstream.workspaceId', `must be an Azure ML workspace's ARM id, got '${workspaceId.value}'`);
  }
  const experiments = upstream.experimentNames;
  if (!Array.isArray(experiments) || experiments.length === 0 || experiments.length > 25) return reject('upstream.experimentNames', `must list 1-25 experiment names, got ${describe(experiments)}`);
  for (const [index, name] of experiments.entries()) {
    if (typeof name !== 'string' || !EXPERIMENT.test(name)) return reject(`upstream.experimentNames[${index}]`, `must be an experiment name, got ${describe(name)}`);
  }
  const statuses = upstream.statuses;
  if (!Array.isArray(statuses) || statuses.length === 0) return reject('upstream.statuses', `must list the statuses that start a run, got ${describe(statuses)}`);
  for (const [index, status] of statuses.entries()) {
    if (!(CHAIN_STATUSES as readonly unknown[]).includes(status)) return reject(`upstream.statuses[${index}]`, `must be one of ${CHAIN_STATUSES.join(', ')}, got ${describe(status)}`);
  }
  return accept({
    ...target.value,
    upstream: { workspaceId: workspaceId.value, experimentNames: experiments as string[], statuses: statuses as ChainStatus[] },
  });
}
