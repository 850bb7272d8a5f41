import { accept, compact, describe, isRecord, own, parseJson, reject, requiredString, type Parsed } from './result';

/** One alarm transition, whichever way it arrived. */
export interface AlarmTransition {
  readonly alarmName: string; readonly alarmArn: string; readonly state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA'; readonly previousState?: string;
  readonly changedAt: string;            // ISO time of the state change, in UTC as toISOString() writes it
  readonly metricName?: string; readonly namespace?: string; readonly dimensions: Readonly<Record<string, string>>;
  readonly breachingValue?: number;      // on ALARM: the newest datapoint the reason lists as crossing the threshold
  /** How the alarm compares, when its message says: `lower` when a value below the threshold breaches (a score where lower is worse). */
  readonly breachesWhen?: 'higher' | 'lower';
  readonly threshold?: number;
}

const STATES: readonly AlarmTransition['state'][] = ['ALARM', 'OK', 'INSUFFICIENT_DATA'];
/**
 * A decimal number as Model Monitor and CloudWatch print them, scientific notation included. Each digit
 * can be matched one way only (no `\d+\.?\d*`), so a failed match backtracks in linear time.
 */
export const NUM = String.raw`[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?`;
/** CloudWatch's state reasons are at most 1,023 characters; a longer one is read no further than this. */
const MAX_REASON_SCAN = 2_048;
const DATAPOINT = new RegExp(String.raw`datapoints?\s*\[\s*(${NUM})\s*\(`);
/** CloudWatch's reason: "... was less than the threshold (0.9)", "... was greater than or equal to the threshold (0.1)". */
const COMPARISON = new RegExp(String.raw`was (less|greater) than (?:or equal to )?the threshold \((${NUM})\)`);
/** The SNS alarm message's `Trigger.ComparisonOperator`, by direction. */
const OPERATORS: Readonly<Record<string, 'higher' | 'lower'>> = {
  GreaterThanThreshold: 'higher', GreaterThanOrEqualToThreshold: 'higher', LessThanThreshold: 'lower', LessThanOrEqualToThreshold: 'lower',
};
const TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)(Z|[+-]\d{2}:?\d{2})$/;

type Path = readonly (string | number)[];
/** Where each format keeps what a transition needs. */
interface AlarmFormat {
  readonly alarmName: Path; readonly alarmArn: Path; readonly state: Path; readonly changedAt: Path; readonly previousState: Path;
  readonly reason: Path; readonly reasonData?: Path;
  /** A single-metric alarm's metric, then the metric-math list and where each entry keeps its metric. */
  readonly metric?: Path; readonly metrics: Path; readonly metricStat: Path;
  /** The metric's name, namespace and dimensions keys. */
  readonly keys: readonly [string, string, string];
}
const ALARM_MESSAGE: AlarmFormat = {
  alarmName: ['AlarmName'], alarmArn: ['AlarmArn'], state: ['NewStateValue'], changedAt: ['StateChangeTime'], previousState: ['OldStateValue'],
  reason: ['NewStateReason'], metric: ['Trigger'], metrics: ['Trigger', 'Metrics'], metricStat: ['MetricStat', 'Metric'],
  keys: ['MetricName', 'Namespace', 'Dimensions'],
};
const STATE_CHANGE_EVENT: AlarmFormat = {
  alarmName: ['detail', 'alarmName'], alarmArn: ['resources', 0], state: ['detail', 'state', 'value'], changedAt: ['detail', 'state', 'timestamp'],
  previousState: ['detail', 'previousState', 'value'], reason: ['detail', 'state', 'reason'], reasonData: ['detail', 'state', 'reasonData'],
  metrics: ['detail', 'configuration', 'metrics'], metricStat: ['metricStat', 'metric'], keys: ['name', 'namespace', 'dimensions'],
};

/**
 * Parses the SNS message body: either a CloudWatch alarm JSON (as SNS delivers alarm actions) or an EventBridge
 * "CloudWatch Alarm State Change" event forwarded to SNS. Names the field on error.
 */
export function parseAlarmMessage(message: string): Parsed<AlarmTransition> {
  const json = parseJson(message, 'message');
  if (!json.ok) return json;
  const body = json.value;
  if (!isRecord(body)) return reject('message', `must be a JSON object, got ${describe(body)}`);
  const isEvent = body['detail-type'] !== undefined || body.detail !== undefined;
  if (isEvent && body['detail-type'] !== 'CloudWatch Alarm State Change') {
    return reject('detail-type', `must be 'CloudWatch Alarm State Change', got ${JSON.stringify(body['detail-type'])}`);
  }
  if (!isEvent && body.AlarmName === undefined) {
    return reject('message', 'is neither a CloudWatch alarm message (AlarmName) nor a CloudWatch Alarm State Change event (detail-type)');
  }
  const f = isEvent ? STATE_CHANGE_EVENT : ALARM_MESSAGE;
  const fields: Record<string, string | undefined> = {};
  for (const [name, required] of [['alarmName', true], ['alarmArn', true], ['previousState', false], ['reason', false]] as const) {
    const value = stringAt(body, f[name], required);
    if (!value.ok) return value;
    fields[name] = value.value;
  }
  const state = stringAt(body, f.state, true);
  if (!state.ok) return state;
  const known = STATES.find((s) => s === state.value);
  if (!known) return reject(fieldOf(f.state), `must be one of ${STATES.join(', ')}, got '${state.value}'`);
  const changedAt = isoTime(body, f.changedAt);
  if (!changedAt.ok) return changedAt;
  const metric = metricOf(body, f);
  if (!metric.ok) return metric;
  const breaching = known === 'ALARM' ? breachingValue(body, f, fields.reason) : accept(undefined);
  if (!breaching.ok) return breaching;
  const { alarmName, alarmArn, previousState } = fields as { alarmName: string; alarmArn: string; previousState?: string };
  const transition = { alarmName, alarmArn, state: known, previousState, changedAt: changedAt.value, ...metric.value };
  return accept(compact({ ...transition, breachingValue: breaching.value, ...comparisonOf(body, fields.reason) }));
}

interface MetricRef { readonly metricName?: string; readonly namespace?: string; readonly dimensions: Record<string, string> }

/** The alarm's metric; for metric math, the one metric read through a metric stat (none when there are several). */
function metricOf(body: unknown, f: AlarmFormat): Parsed<MetricRef> {
  let metric = f.metric !== undefined && get(body, [...f.metric, f.keys[0]]) !== undefined ? f.metric : undefined;
  if (metric === undefined) {
    const list = get(body, f.metrics) ?? [];
    if (!Array.isArray(list)) return reject(fieldOf(f.metrics), `must be an array, got ${describe(list)}`);
    const stats = list.flatMap((entry, i) => (isRecord(get(entry, f.metricStat)) ? [[...f.metrics, i, ...f.metricStat]] : []));
    if (stats.length !== 1) return accept({ dimensions: {} });
    metric = stats[0];
  }
  const [nameKey, namespaceKey, dimensionsKey] = f.keys;
  const metricName = stringAt(body, [...metric, nameKey], false);
  if (!metricName.ok) return metricName;
  const namespace = stringAt(body, [...metric, namespaceKey], false);
  if (!namespace.ok) return namespace;
  const dimensions = dimensionsOf(get(body, [...metric, dimensionsKey]), fieldOf([...metric, dimensionsKey]));
  if (!dimensions.ok) return dimensions;
  return accept(compact({ metricName: metricName.value, namespace: namespace.value, dimensions: dimensions.value }));
}

/** Dimensions as CloudWatch alarm messages list them (`[{name, value}]`) or as EventBridge maps them. */
function dimensionsOf(value: unknown, path: string): Parsed<Record<string, string>> {
  if (value === undefined || value === null) return accept({});
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((d) => (isRecord(d) && typeof d.name === 'string' ? [d.name, d.value] : ['', undefined]))
    : isRecord(value) ? Object.entries(value) : [['', undefined]];
  const bad = entries.findIndex(([name, v]) => name === '' || typeof v !== 'string');
  if (bad >= 0) return reject(Array.isArray(value) ? `${path}[${bad}]` : path, 'must name each dimension with a string value');
  return accept(Object.fromEntries(entries) as Record<string, string>);
}

/**
 * The most recent datapoint the reason lists (CloudWatch lists the breaching ones, newest first); else, for
 * events, reasonData's recentDatapoints when it holds exactly one, as only then is it unambiguous.
 */
function breachingValue(body: unknown, f: AlarmFormat, reason: string | undefined): Parsed<number | undefined> {
  const listed = Number(DATAPOINT.exec((reason ?? '').slice(0, MAX_REASON_SCAN))?.[1]);
  if (Number.isFinite(listed)) return accept(listed);
  if (f.reasonData === undefined || get(body, f.reasonData) === undefined) return accept(undefined);
  const data = parseJson(get(body, f.reasonData), fieldOf(f.reasonData));
  if (!data.ok) return data;
  const recent = get(data.value, ['recentDatapoints']);
  const only = Array.isArray(recent) && recent.length === 1 ? recent[0] : undefined;
  return accept(typeof only === 'number' && Number.isFinite(only) ? only : undefined);
}

/**
 * Which side of the threshold breaches, and the threshold: from the SNS message's `Trigger` when it names
 * a known operator and a finite threshold, else from the reason's wording (both formats write it).
 */
function comparisonOf(body: unknown, reason: string | undefined): { breachesWhen?: 'higher' | 'lower'; threshold?: number } {
  const operator = get(body, ['Trigger', 'ComparisonOperator']);
  const threshold = get(body, ['Trigger', 'Threshold']);
  const direction = typeof operator === 'string' ? own(OPERATORS, operator) : undefined;
  if (direction && typeof threshold === 'number' && Number.isFinite(threshold)) return { breachesWhen: direction, threshold };
  const match = COMPARISON.exec((reason ?? '').slice(0, MAX_REASON_SCAN));
  const stated = Number(match?.[2]);
  return match && Number.isFinite(stated) ? { breachesWhen: match[1] === 'less' ? 'lower' : 'higher', threshold: stated } : {};
}

/** CloudWatch writes `+0000` offsets; returns the instant as `toISOString()` does. */
function isoTime(body: unknown, path: Path): Parsed<string> {
  const value = stringAt(body, path, true);
  if (!value.ok) return value;
  const match = TIME.exec(value.value);
  const offset = match === null || match[2] === 'Z' ? 'Z' : `${match[2].slice(0, 3)}:${match[2].slice(-2)}`;
  const ms = match ? Date.parse(`${match[1]}${offset}`) : NaN;
  return Number.isNaN(ms) ? reject(fieldOf(path), `must be an ISO 8601 time, got '${value.value}'`) : accept(new Date(ms).toISOString());
}

function get(root: unknown, path: Path): unknown {
  return path.reduce<unknown>(
    (node, key) => (isRecord(node) && typeof key === 'string' ? own(node, key) : Array.isArray(node) ? node[key as number] : undefined),
    root,
  );
}

const fieldOf = (path: Path): string => path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? key : `.${key}`)).join('');

function stringAt(root: unknown, path: Path, required: true): Parsed<string>;
function stringAt(root: unknown, path: Path, required: boolean): Parsed<string | undefined>;
function stringAt(root: unknown, path: Path, required: boolean): Parsed<string | undefined> {
  const value = get(root, path);
  return !required && (value === undefined || value === null) ? accept(undefined) : requiredString({ value }, 'value', fieldOf(path));
}

const DRIFT_METRIC = /^feature_baseline_drift_(.+)$/;
const DATA_METRICS_NAMESPACE = 'aws/sagemaker/Endpoints/data-metrics';

/**
 * When the alarm watches a Model Monitor drift metric: its endpoint, schedule, and feature (from feature_baseline_drift_<feature>
 * in namespace aws/sagemaker/Endpoints/data-metrics, dimensions Endpoint and MonitoringSchedule).
 */
export function modelMonitorSource(t: AlarmTransition): { endpointName: string; monitoringScheduleName: string; feature?: string } | undefined {
  const endpointName = own(t.dimensions, 'Endpoint');
  const monitoringScheduleName = own(t.dimensions, 'MonitoringSchedule');
  if (t.namespace !== DATA_METRICS_NAMESPACE || !endpointName || !monitoringScheduleName) return undefined;
  const feature = DRIFT_METRIC.exec(t.metricName ?? '')?.[1];
  return compact({ endpointName, monitoringScheduleName, feature });
}

/** The alarms a drift trigger was built for: by ARN (its own and Model Monitor alarms), by name, or by name prefix. */
export interface AlarmSources {
  readonly arns: readonly string[];
  readonly names: readonly string[];
  readonly namePrefixes: readonly string[];
}

/** Whether the transition is of one of the trigger's alarms; any other alarm is not the trigger's to act on. */
export function isSourceAlarm(sources: AlarmSources, transition: Pick<AlarmTransition, 'alarmArn' | 'alarmName'>): boolean {
  return sources.arns.includes(transition.alarmArn)
    || sources.names.includes(transition.alarmName)
    || sources.namePrefixes.some((prefix) => transition.alarmName.startsWith(prefix));
}

/** Reads the sources as the construct writes them into the settings. */
export function parseAlarmSources(input: unknown): Parsed<AlarmSources> {
  if (!isRecord(input)) return reject('alarms', `must be an object of arns, names and namePrefixes, got ${describe(input)}`);
  const lists: Record<string, string[]> = {};
  for (const key of ['arns', 'names', 'namePrefixes'] as const) {
    const list = own(input, key) ?? [];
    if (!Array.isArray(list) || list.some((item) => typeof item !== 'string' || item === '')) return reject(`alarms.${key}`, 'must be a list of non-empty strings');
    lists[key] = list as string[];
  }
  if (lists.arns.length + lists.names.length + lists.namePrefixes.length === 0) return reject('alarms', 'must name at least one alarm, name or prefix');
  return accept({ arns: lists.arns, names: lists.names, namePrefixes: lists.namePrefixes });
}
