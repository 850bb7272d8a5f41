/**
 * The drift monitor's contract: the settings a `DriftMonitor` construct writes and its function reads back,
 * with their defaults and limits, and the message the monitor sends a drift trigger. Pure: no SDK, no clock,
 * no environment.
 */
import { parseDriftConfig, type DriftConfig } from './drift';
import { accept, describe, isRecord, own, reject, requiredNumber, requiredString, type Parsed } from '../result';

/** Which statistic is a feature's drift score, compared with the drift thresholds. */
export type DriftScoreStatistic = 'jensen-shannon' | 'psi' | 'ks';
export const DRIFT_SCORE_STATISTICS: readonly DriftScoreStatistic[] = ['jensen-shannon', 'psi', 'ks'];

/** What the baseline is built from: a training-data sample, or a Model Monitor `statistics.json`. */
export type BaselineSource =
  | { readonly kind: 'training-sample'; readonly bucket: string; readonly key: string; readonly format: 'csv' | 'jsonl'; readonly header: boolean }
  | { readonly kind: 'model-monitor-statistics'; readonly bucket: string; readonly key: string };

/** The limits a monitor's props are checked against at synth, and its function's settings at run time. */
export const DRIFT_MONITOR_LIMITS = Object.freeze({
  /** Features a monitor compares: the report and its metrics stay readable. */
  maxFeatures: 500,
  /** Bytes of capture one invocation reads before the monitor fans out. */
  bytesPerInvocation: { min: 1024 * 1024, max: 8 * 1024 ** 3 },
  /** The longest window one run assesses; an older watermark is moved up to it. */
  maxWindowMs: 7 * 86_400_000,
  /** Histogram bins fixed by the baseline's quantiles. */
  bins: { min: 2, max: 100 },
  /** How long before a run's start its window ends, for capture SageMaker has yet to write. */
  captureDelayMs: { min: 0, max: 3_600_000 },
});

export const DRIFT_MONITOR_DEFAULTS = Object.freeze({
  statistic: 'jensen-shannon' as DriftScoreStatistic,
  bytesPerInvocation: 512 * 1024 * 1024,
  bins: 10,
  /** The first run, having no watermark, looks back this far. */
  firstWindowMs: 3_600_000,
  /** SageMaker writes a capture file some minutes after its requests: a window ends this long before its run. */
  captureDelayMs: 10 * 60_000,
});

/** A feature name as the report and the metrics carry it. */
export const FEATURE_NAME = /^[A-Za-z0-9_.\-]{1,128}$/;

/** What a drift monitor is, as its construct writes it into `DRIFT_MONITOR_SETTINGS`. */
export interface DriftMonitorSettings {
  readonly monitorId: string;
  readonly endpointName: string;
  readonly variantName?: string;
  /** Where the endpoint captures: `s3://<bucket>/<prefix><endpoint>/<variant>/yyyy/mm/dd/hh/`. */
  readonly capture: { readonly bucket: string; readonly prefix: string };
  /** The model input's columns, in CSV order (or the JSON keys read), and the name given the endpoint's output. */
  readonly features: readonly string[];
  readonly outputName?: string;
  readonly baseline: BaselineSource;
  /** Where the monitor keeps its baseline, watermark, partial sketches and reports: `s3://<bucket>/<prefix>...`. */
  readonly store: { readonly bucket: string; readonly prefix: string };
  readonly statistic: DriftScoreStatistic;
  readonly bins: number;
  readonly drift: DriftConfig;
  readonly bytesPerInvocation: number;
  readonly firstWindowMs: number;
  /** A run's window ends this long before the run starts, so that capture of its last minutes has been written. */
  readonly captureDelayMs: number;
  /** Drift triggers' topics told of each report. */
  readonly topicArns: readonly string[];
}

/** Where a monitor's reports are, for the drift triggers that read them: `s3://<bucket>/<prefix>reports/...`. */
export interface MonitorReports {
  readonly monitorId: string;
  readonly bucket: string;
  readonly prefix: string;
}

/** The message a monitor publishes to a drift trigger's topic after writing a report. */
export interface MonitorReportMessage {
  readonly source: typeof MONITOR_MESSAGE_SOURCE;
  readonly monitorId: string;
  /** The report's key, under the monitor's `reports/` folder. */
  readonly reportKey: string;
}
export const MONITOR_MESSAGE_SOURCE = 'cdk-ml-triggers.drift-monitor';

/** The key of a window's report: one report per window, so a redelivered message names the same one. */
export function reportKeyOf(storePrefix: string, windowEndMs: number): string {
  const iso = new Date(windowEndMs).toISOString();
  return `${storePrefix}reports/${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(11, 13)}/${iso.slice(14, 16)}/constraint_violations.json`;
}

/** A report key the monitor could have written: under its `reports/` folder, in the layout above. */
export function isReportKey(storePrefix: string, key: string): boolean {
  if (!key.startsWith(`${storePrefix}reports/`)) return false;
  return /^\d{4}\/\d{2}\/\d{2}\/\d{2}\/\d{2}\/constraint_violations\.json$/.test(key.slice(storePrefix.length + 'reports/'.length));
}

/** Reads a monitor's message; anything else is a structured error naming the field. */
export function parseMonitorReportMessage(input: unknown): Parsed<MonitorReportMessage> {
  if (!isRecord(input)) return reject('message', `must be an object, got ${describe(input)}`);
  if (input.source !== MONITOR_MESSAGE_SOURCE) return reject('source', `must be '${MONITOR_MESSAGE_SOURCE}'`);
  const monitorId = requiredString(input, 'monitorId', 'monitorId');
  if (!monitorId.ok) return monitorId;
  const reportKey = requiredString(input, 'reportKey', 'reportKey');
  if (!reportKey.ok) return reportKey;
  return accept({ source: MONITOR_MESSAGE_SOURCE, monitorId: monitorId.value, reportKey: reportKey.value });
}

function location(input: unknown, path: string, prefixKey: 'prefix' | 'key'): Parsed<{ bucket: string; value: string }> {
  if (!isRecord(input)) return reject(path, `must be an object, got ${describe(input)}`);
  const bucket = requiredString(input, 'bucket', `${path}.bucket`);
  if (!bucket.ok) return bucket;
  const value = input[prefixKey];
  if (typeof value !== 'string' || (prefixKey === 'key' && value === '')) return reject(`${path}.${prefixKey}`, 'must be a string');
  if (prefixKey === 'prefix' && value !== '' && !value.endsWith('/')) return reject(`${path}.prefix`, "must be empty or end with '/'");
  return accept({ bucket: bucket.value, value });
}

function parseBaseline(input: unknown): Parsed<BaselineSource> {
  const at = location(input, 'baseline', 'key');
  if (!at.ok) return at;
  const kind = own(input as Record<string, unknown>, 'kind');
  if (kind === 'model-monitor-statistics') return accept({ kind, bucket: at.value.bucket, key: at.value.value });
  if (kind !== 'training-sample') return reject('baseline.kind', "must be 'training-sample' or 'model-monitor-statistics'");
  const { format, header } = input as Record<string, unknown>;
  if (format !== 'csv' && format !== 'jsonl') return reject('baseline.format', "must be 'csv' or 'jsonl'");
  if (typeof header !== 'boolean') return reject('baseline.header', 'must be a boolean');
  return accept({ kind, bucket: at.value.bucket, key: at.value.value, format, header });
}

/** The monitor's settings as its construct writes them; every limit above is checked again here. */
export function parseDriftMonitorSettings(input: unknown): Parsed<DriftMonitorSettings> {
  if (!isRecord(input)) return reject('settings', `must be an object, got ${describe(input)}`);
  const strings: Record<string, string> = {};
  for (const name of ['monitorId', 'endpointName'] as const) {
    const value = requiredString(input, name, name);
    if (!value.ok) return value;
    strings[name] = value.value;
  }
  const capture = location(input.capture, 'capture', 'prefix');
  if (!capture.ok) return capture;
  const store = location(input.store, 'store', 'prefix');
  if (!store.ok) return store;
  const features = input.features;
  if (!Array.isArray(features) || features.length === 0 || features.length > DRIFT_MONITOR_LIMITS.maxFeatures) {
    return reject('features', `must list 1 to ${DRIFT_MONITOR_LIMITS.maxFeatures} feature names`);
  }
  const badFeature = features.findIndex((feature) => typeof feature !== 'string' || !FEATURE_NAME.test(feature));
  if (badFeature >= 0) return reject(`features[${badFeature}]`, `must match ${FEATURE_NAME}`);
  if (new Set(features).size !== features.length) return reject('features', 'must name each feature once');
  const baseline = parseBaseline(input.baseline);
  if (!baseline.ok) return baseline;
  const statistic = DRIFT_SCORE_STATISTICS.find((name) => name === input.statistic);
  if (!statistic) return reject('statistic', `must be one of ${DRIFT_SCORE_STATISTICS.join(', ')}`);
  const bins = requiredNumber(input, 'bins', 'bins', DRIFT_MONITOR_LIMITS.bins.min, DRIFT_MONITOR_LIMITS.bins.max);
  if (!bins.ok) return bins;
  const bytes = requiredNumber(input, 'bytesPerInvocation', 'bytesPerInvocation', DRIFT_MONITOR_LIMITS.bytesPerInvocation.min, DRIFT_MONITOR_LIMITS.bytesPerInvocation.max);
  if (!bytes.ok) return bytes;
  const firstWindowMs = requiredNumber(input, 'firstWindowMs', 'firstWindowMs', 60_000, DRIFT_MONITOR_LIMITS.maxWindowMs);
  if (!firstWindowMs.ok) return firstWindowMs;
  const delay = input.captureDelayMs === undefined
    ? accept(DRIFT_MONITOR_DEFAULTS.captureDelayMs)
    : requiredNumber(input, 'captureDelayMs', 'captureDelayMs', DRIFT_MONITOR_LIMITS.captureDelayMs.min, DRIFT_MONITOR_LIMITS.captureDelayMs.max);
  if (!delay.ok) return delay;
  const drift = parseDriftConfig(input.drift);
  if (!drift.ok) return reject(`drift.${drift.error.field}`, drift.error.problem);
  const topicArns = input.topicArns ?? [];
  if (!Array.isArray(topicArns) || topicArns.some((arn) => typeof arn !== 'string' || arn === '')) return reject('topicArns', 'must be a list of topic ARNs');
  const optional = (name: 'variantName' | 'outputName') => {
    const value = input[name];
    return typeof value === 'string' && value !== '' ? { [name]: value } : {};
  };
  if (input.outputName !== undefined && (typeof input.outputName !== 'string' || !FEATURE_NAME.test(input.outputName))) {
    return reject('outputName', `must match ${FEATURE_NAME}`);
  }
  return accept({
    monitorId: strings.monitorId,
    endpointName: strings.endpointName,
    ...optional('variantName'),
    capture: { bucket: capture.value.bucket, prefix: capture.value.value },
    features: features as string[],
    ...optional('outputName'),
    baseline: baseline.value,
    store: { bucket: store.value.bucket, prefix: store.value.value },
    statistic,
    bins: Math.floor(bins.value),
    drift: drift.value,
    bytesPerInvocation: bytes.value,
    firstWindowMs: firstWindowMs.value,
    captureDelayMs: delay.value,
    topicArns: topicArns as string[],
  });
}
