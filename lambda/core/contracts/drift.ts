/**
 * The drift evaluator's contract: the settings a drift trigger's construct writes (AWS and Google alike)
 * and its function reads back, with the severity thresholds' defaults and limits. Pure: no SDK, no
 * clock, no environment.
 */
import { parseAlarmSources, type AlarmSources } from '../alarm-message';
import type { MonitorReports } from './drift-monitor';
import { accept, describe, isRecord, reject, requiredNumber, requiredString, type Parsed } from '../result';

/** Scores at which drift becomes medium, high and critical; below `medium` it is low. */
export interface DriftThresholds {
  readonly medium: number;
  readonly high: number;
  readonly critical: number;
}
/** The thresholds of every feature when a trigger is given none. */
export const DEFAULT_DRIFT_THRESHOLDS: DriftThresholds = Object.freeze({ medium: 0.1, high: 0.3, critical: 0.5 });
/** Thresholds are finite, at least this, and strictly increase from medium to critical. */
export const DRIFT_THRESHOLD_MIN = 0;
const LEVELS = ['medium', 'high', 'critical'] as const;

/** featureThresholds replace thresholds for the features they name; autoRetrain decides whether medium drift starts a retrain. */
export interface DriftConfig {
  readonly thresholds: DriftThresholds; readonly featureThresholds: Readonly<Record<string, DriftThresholds>>; readonly autoRetrain: boolean;
}
/** What a drift trigger decides with when its props leave a setting out. */
export const DRIFT_DEFAULTS: DriftConfig = Object.freeze({ thresholds: DEFAULT_DRIFT_THRESHOLDS, featureThresholds: {}, autoRetrain: false });

/** The problem with `thresholds`, the message the constructs and the parser share; undefined when they hold. */
export function thresholdsProblem(thresholds: DriftThresholds): string | undefined {
  const { medium, high, critical } = thresholds;
  if (![medium, high, critical].every((value) => Number.isFinite(value) && value >= DRIFT_THRESHOLD_MIN) || !(medium < high && high < critical)) {
    return `must be numbers with ${DRIFT_THRESHOLD_MIN} <= medium < high < critical, got medium ${medium}, high ${high}, critical ${critical}`;
  }
  return undefined;
}

/** Reads severity thresholds: all three, finite, >= 0 and strictly increasing. */
export function parseThresholds(input: unknown, path = 'thresholds'): Parsed<DriftThresholds> {
  if (!isRecord(input)) return reject(path, `must be an object with medium, high and critical, got ${describe(input)}`);
  const values: number[] = [];
  for (const level of LEVELS) {
    const value = requiredNumber(input, level, `${path}.${level}`, DRIFT_THRESHOLD_MIN, Number.MAX_VALUE);
    if (!value.ok) return value;
    values.push(value.value);
  }
  const [medium, high, critical] = values;
  if (!(medium < high && high < critical)) return reject(path, `must increase (medium < high < critical), got ${medium}, ${high}, ${critical}`);
  return accept({ medium, high, critical });
}

/**
 * Reads a drift config, naming fields relative to it (`featureThresholds.age.high`); every field is optional.
 * @default DRIFT_DEFAULTS
 */
export function parseDriftConfig(input: unknown): Parsed<DriftConfig> {
  const config = input ?? {};
  if (!isRecord(config)) return reject('drift', `must be an object, got ${describe(config)}`);
  const thresholds = config.thresholds === undefined ? accept(DRIFT_DEFAULTS.thresholds) : parseThresholds(config.thresholds, 'thresholds');
  if (!thresholds.ok) return thresholds;
  const perFeature = config.featureThresholds ?? {};
  if (!isRecord(perFeature)) return reject('featureThresholds', `must map feature names to thresholds, got ${describe(perFeature)}`);
  const featureThresholds: [string, DriftThresholds][] = [];
  for (const [feature, value] of Object.entries(perFeature)) {
    const parsed = parseThresholds(value, `featureThresholds.${feature}`);
    if (!parsed.ok) return parsed;
    featureThresholds.push([feature, parsed.value]);
  }
  const autoRetrain = config.autoRetrain ?? DRIFT_DEFAULTS.autoRetrain;
  if (typeof autoRetrain !== 'boolean') return reject('autoRetrain', `must be a boolean, got ${describe(autoRetrain)}`);
  return accept({ thresholds: thresholds.value, featureThresholds: Object.fromEntries(featureThresholds), autoRetrain });
}

/** Where Model Monitor writes its executions' output: `s3://<bucket>/<prefix><endpoint>/<schedule>/<yyyy>/<mm>/<dd>/<hh>/`. */
export interface MonitoringOutput {
  readonly bucket: string;
  /** Empty or ending in `/`. */
  readonly prefix: string;
}

/** What a drift trigger is, as its construct writes it into `DRIFT_SETTINGS` and its function receives it. */
export interface DriftTriggerSettings {
  readonly triggerId: string;
  readonly pipelineName: string;
  readonly drift: DriftConfig;
  /** The alarms this trigger acts on; a message about any other alarm is rejected. */
  readonly alarms: AlarmSources;
  readonly monitoringOutput?: MonitoringOutput;
  /** The drift monitors whose reports this trigger acts on, and where each writes them. */
  readonly monitors?: readonly MonitorReports[];
  readonly parameters: Readonly<Record<string, string>>;
  readonly coordinatorFunction?: string;
  /** Without a coordinator: the trigger's approval gate, which parks retraining that needs approval. */
  readonly approvalFunction?: string;
  readonly teamTopicArn?: string;
  readonly humanReviewTopicArn?: string;
}

/** The trigger's settings, as the construct writes them into DRIFT_SETTINGS. */
export function parseDriftTriggerSettings(input: unknown): Parsed<DriftTriggerSettings> {
  if (!isRecord(input)) return reject('settings', 'must be an object');
  const triggerId = requiredString(input, 'triggerId', 'triggerId');
  if (!triggerId.ok) return triggerId;
  const pipelineName = requiredString(input, 'pipelineName', 'pipelineName');
  if (!pipelineName.ok) return pipelineName;
  const drift = parseDriftConfig(input.drift);
  if (!drift.ok) return reject(`drift.${drift.error.field}`, drift.error.problem);
  const output = input.monitoringOutput;
  if (output !== undefined && (!isRecord(output) || typeof output.bucket !== 'string' || typeof output.prefix !== 'string')) {
    return reject('monitoringOutput', 'must be { bucket, prefix }');
  }
  const parameters = input.parameters ?? {};
  if (!isRecord(parameters) || Object.values(parameters).some((value) => typeof value !== 'string')) {
    return reject('parameters', 'must map names to strings');
  }
  const monitors = input.monitors ?? [];
  if (!Array.isArray(monitors) || monitors.some((m) => !isRecord(m) || typeof m.monitorId !== 'string' || typeof m.bucket !== 'string' || typeof m.prefix !== 'string')) {
    return reject('monitors', 'must be a list of { monitorId, bucket, prefix }');
  }
  // A trigger fed only by drift monitors names no alarm.
  const noAlarms = input.alarms === undefined || (isRecord(input.alarms) && ['arns', 'names', 'namePrefixes'].every((key) => {
    const list = (input.alarms as Record<string, unknown>)[key];
    return list === undefined || (Array.isArray(list) && list.length === 0);
  }));
  const alarms = monitors.length > 0 && noAlarms ? accept({ arns: [], names: [], namePrefixes: [] }) : parseAlarmSources(input.alarms);
  if (!alarms.ok) return alarms;
  const optional = (name: string) => (typeof input[name] === 'string' ? { [name]: input[name] as string } : {});
  return accept({
    triggerId: triggerId.value,
    pipelineName: pipelineName.value,
    drift: drift.value,
    alarms: alarms.value,
    ...(output ? { monitoringOutput: { bucket: output.bucket as string, prefix: output.prefix as string } } : {}),
    ...(monitors.length > 0 ? { monitors: (monitors as Record<string, string>[]).map(({ monitorId, bucket, prefix }) => ({ monitorId, bucket, prefix })) } : {}),
    parameters: parameters as Record<string, string>,
    ...optional('coordinatorFunction'),
    ...optional('approvalFunction'),
    ...optional('teamTopicArn'),
    ...optional('humanReviewTopicArn'),
  });
}
