import { PIPELINE_PARAMETER_LIMITS } from './pipeline-parameters';
import { accept, compact, describe, isRecord, own, parseJson, reject, requiredString, type FieldError, type Parsed } from './result';
import { NUM } from './alarm-message';
import type { DriftConfig, DriftThresholds } from './contracts/drift';

export { modelMonitorSource, parseAlarmMessage, type AlarmTransition } from './alarm-message';

export interface FeatureScore {
  readonly feature: string; readonly score: number; readonly threshold?: number; readonly detail: string;
  readonly kind: ScoreKind;
}

/**
 * What a score measures; every kind is 0 for "as the baseline" and grows with drift:
 * - `numerical-distance`, `categorical-distance`: Model Monitor's baseline_drift_check distance;
 * - `metric-degradation`: a model-quality metric's shortfall, (threshold - value) / |threshold| for metrics where lower
 *   is worse (accuracy), (value - threshold) / |threshold| where higher is worse (errors);
 * - `attribution-drift`: feature_attribution_drift_check, the nDCG of the attributions' ranking against the baseline's,
 *   where lower is worse: (threshold - nDCG) / threshold;
 * - `bias-drift`: bias_drift_check, |value| of the bias metric (0 is an even distribution);
 * - `completeness`, `data-type`, `categorical-values`: the expected share minus the observed one, as a fraction;
 * - `schema-change`: a missing or extra column; always critical: a model retrained on it would learn the fault;
 * - `alarm-value`: an alarm's breaching value, where higher is worse;
 * - `alarm-shortfall`: an alarm that breaches below its threshold: (threshold - value) / |threshold|.
 */
export type ScoreKind =
  | 'numerical-distance' | 'categorical-distance' | 'metric-degradation' | 'attribution-drift' | 'bias-drift'
  | 'completeness' | 'data-type' | 'categorical-values' | 'schema-change' | 'alarm-value' | 'alarm-shortfall';

export interface ViolationReport {
  readonly scores: readonly FeatureScore[];
  /** Entries the evaluator cannot read or does not know: REPORTED for human review, never scored as 0. */
  readonly unknown: readonly { index: number; problem: string }[];
}

const DRIFT_DESCRIPTION = new RegExp(String.raw`^(Numerical|Categorical) distance:\s*(${NUM})\s+exceeds \w+ threshold:\s*(${NUM})`);
const METRIC_DESCRIPTION = new RegExp(String.raw`^Metric (\S+) with (${NUM})(?:\s*\+/-\s*${NUM})? was (\w+) (${NUM})`);
const ATTRIBUTION_DESCRIPTION = new RegExp(String.raw`^Feature attribution drift (${NUM}) exceeds threshold (${NUM})`);
const BIAS_DESCRIPTION = new RegExp(String.raw`^Value (${NUM}) does not meet the constraint requirement`);
/** "Expected completeness: 100.0%. Observed completeness: 97.5%."; "Expected match: 100.0%. Observed: Only 99.2% of data is ...". */
const EXPECTED_SHARE = new RegExp(String.raw`Expected [a-z ]{0,40}:\s*(${NUM})%`);
const OBSERVED_SHARE = new RegExp(String.raw`Observed[a-z ]{0,40}:\s*(?:Only\s+)?(${NUM})%`);
/** Model-quality comparison operators: +1 when the metric degrades upwards (errors), -1 downwards (accuracy). */
const DEGRADES = new Map<string, 1 | -1>([
  ['LessThanThreshold', -1], ['LessThanOrEqualToThreshold', -1], ['GreaterThanThreshold', 1], ['GreaterThanOrEqualToThreshold', 1],
]);
/** Data-quality checks that state an expected and an observed share of the rows. */
const SHARE_CHECKS: Readonly<Record<string, ScoreKind>> = {
  completeness_check: 'completeness', data_type_check: 'data-type', categorical_values_check: 'categorical-values',
};
const SCHEMA_CHECKS = new Set(['missing_column_check', 'extra_column_check']);

/**
 * Parses a constraint_violations.json body (the raw text) of any Model Monitor report: data quality, model quality,
 * bias drift or feature attribution drift. A body that is not JSON or has no `violations` array is a Parsed error
 * naming the field; an entry that cannot be read, or of a check type not listed above, is in `unknown`, never scored.
 */
export function parseViolations(body: string): Parsed<ViolationReport> {
  const json = parseJson(body, 'body');
  if (!json.ok) return json;
  if (!isRecord(json.value)) return reject('body', `must be a JSON object, got ${describe(json.value)}`);
  const violations = json.value.violations;
  if (violations === undefined) return reject('violations', 'is missing');
  if (!Array.isArray(violations)) return reject('violations', `must be an array, got ${describe(violations)}`);
  const read = violations.map((entry: unknown, index) => ({ index, read: readViolation(entry, `violations[${index}]`) }));
  return accept({
    scores: read.flatMap(({ read: r }) => (typeof r === 'string' ? [] : [r])),
    unknown: read.flatMap(({ index, read: r }) => (typeof r === 'string' ? [{ index, problem: r }] : [])),
  });
}

/** One violation as a score, or the problem that stops it from being read. */
function readViolation(entry: unknown, at: string): FeatureScore | string {
  if (!isRecord(entry)) return `${at} must be an object, got ${describe(entry)}`;
  const checkType = requiredString(entry, 'constraint_check_type', `${at}.constraint_check_type`);
  if (!checkType.ok) return problem(checkType.error);
  const description = requiredString(entry, 'description', `${at}.description`);
  if (!description.ok) return problem(description.error);
  const check = checkType.value;
  const text = description.value.trim();
  const unreadable = (expected: string) => `${at}.description of a ${check} does not state ${expected}: ${describe(description.value)}`;
  const named = (key: string): Parsed<string> => requiredString(entry, key, `${at}.${key}`);

  if (check === 'baseline_drift_check') {
    const feature = named('feature_name');
    if (!feature.ok) return problem(feature.error);
    const match = DRIFT_DESCRIPTION.exec(text);
    const [score, threshold] = match ? [Number(match[2]), Number(match[3])] : [NaN, NaN];
    if (!match || !(score >= 0 && score < Infinity) || !Number.isFinite(threshold)) return unreadable('a numerical or categorical distance and threshold');
    return { feature: feature.value, score, kind: match[1] === 'Numerical' ? 'numerical-distance' : 'categorical-distance', threshold, detail: text };
  }
  const direction = DEGRADES.get(check);
  if (direction !== undefined) {
    const match = METRIC_DESCRIPTION.exec(text);
    const [value, threshold] = match ? [Number(match[2]), Number(match[4])] : [NaN, NaN];
    if (!match || match[3] !== check || !Number.isFinite(value) || !Number.isFinite(threshold) || threshold === 0) {
      return unreadable(`'Metric <name> with <value> was ${check} <non-zero threshold>'`);
    }
    const feature = typeof entry.metric_name === 'string' && entry.metric_name !== '' ? entry.metric_name : match[1];
    // Written through value / threshold so that 0.71 vs 0.82 gives the double nearest 11/82.
    const score = Math.max(0, direction * Math.sign(threshold) * (value / threshold - 1));
    return { feature, score, kind: 'metric-degradation', threshold, detail: text };
  }
  if (check === 'feature_attribution_drift_check') {
    const label = named('label');
    if (!label.ok) return problem(label.error);
    const match = ATTRIBUTION_DESCRIPTION.exec(text);
    const [ndcg, threshold] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
    if (!match || !(ndcg >= 0 && ndcg <= 1) || !(threshold > 0 && threshold <= 1)) return unreadable("'Feature attribution drift <nDCG in [0, 1]> exceeds threshold <threshold in (0, 1]>'");
    // The nDCG falls as the ranking of attributions departs from the baseline's: lower is worse.
    return { feature: `attribution:${label.value}`, score: Math.max(0, 1 - ndcg / threshold), kind: 'attribution-drift', threshold, detail: text };
  }
  if (check === 'bias_drift_check') {
    const metric = named('metric_name');
    if (!metric.ok) return problem(metric.error);
    const facet = typeof entry.facet === 'string' && entry.facet !== '' ? `${entry.facet}${typeof entry.facet_value === 'string' ? `=${entry.facet_value}` : ''}` : undefined;
    const match = BIAS_DESCRIPTION.exec(text);
    const value = Number(match?.[1]);
    if (!match || !Number.isFinite(value)) return unreadable("'Value <number> does not meet the constraint requirement'");
    return { feature: facet ? `bias:${metric.value}(${facet})` : `bias:${metric.value}`, score: Math.abs(value), kind: 'bias-drift', detail: text };
  }
  const shareKind = own(SHARE_CHECKS, check);
  if (shareKind !== undefined) {
    const feature = named('feature_name');
    if (!feature.ok) return problem(feature.error);
    const scanned = text.slice(0, 1_024);
    const expected = Number(EXPECTED_SHARE.exec(scanned)?.[1]);
    const observed = Number(OBSERVED_SHARE.exec(scanned)?.[1]);
    if (!(expected >= 0 && expected <= 100) || !(observed >= 0 && observed <= 100)) return unreadable("an expected and an observed share ('Expected ...: 100.0%. Observed ...: 97.5%')");
    return { feature: feature.value, score: Math.max(0, (expected - observed) / 100), kind: shareKind, threshold: expected / 100, detail: text };
  }
  if (SCHEMA_CHECKS.has(check)) {
    const feature = typeof entry.feature_name === 'string' && entry.feature_name !== '' ? entry.feature_name : `schema:${check}`;
    return { feature, score: 1, kind: 'schema-change', detail: `${check}: ${text}` };
  }
  return `${at}.constraint_check_type '${check}' is not a check type the evaluator knows, so it is not scored`;
}

export type Severity = 'none' | 'low' | 'medium' | 'high' | 'critical';

/**
 * A metric that crossed a threshold, scored so that higher is worse: its value when a higher value breaches; when
 * a lower one does (an nDCG, an accuracy), its shortfall (threshold - value) / |threshold| (the plain difference
 * for a threshold of 0). A breach of unknown direction is read as higher, as alarms on distances are.
 */
export function breachScore(feature: string, value: number, detail: string, threshold?: number, breachesWhen?: 'higher' | 'lower'): FeatureScore {
  const withThreshold = threshold === undefined ? {} : { threshold };
  if (breachesWhen !== 'lower' || threshold === undefined) return { feature, score: value, kind: 'alarm-value', detail, ...withThreshold };
  const shortfall = threshold === 0 ? -value : (threshold - value) / Math.abs(threshold);
  return { feature, score: Math.max(0, shortfall), kind: 'alarm-shortfall', detail: `${detail}: ${value} below ${threshold}`, ...withThreshold };
}

/** Kinds that are critical whatever their score: the data's shape changed, and retraining would learn the fault. */
const ALWAYS_CRITICAL: ReadonlySet<ScoreKind> = new Set(['schema-change']);

/** The severity of a score; written as "not below" so that a NaN score is critical, never passed as low. */
export function severityOf(score: number, thresholds: DriftThresholds): Exclude<Severity, 'none'> {
  if (!(score < thresholds.critical)) return 'critical';
  if (!(score < thresholds.high)) return 'high';
  if (!(score < thresholds.medium)) return 'medium';
  return 'low';
}

export type DriftAction = 'log' | 'retrain' | 'retrain-with-approval' | 'block-and-review';
export interface DriftAssessment {
  readonly severity: Severity;                 // 'none' when there is nothing to score
  readonly action: DriftAction;
  readonly priority?: 1 | 2 | 3;               // critical 1, high 2, medium 3: only when a retrain is requested, or for critical for the record
  readonly drifted: readonly (FeatureScore & { severity: Severity })[];   // every scored feature, highest severity first, then score, then name
  /**
   * For a retrain: DriftSeverity, DriftScore (the max, 4 decimals), DriftedFeatures (the medium-or-worse features, highest first,
   * as many whole names as fit 1024 characters) and RequireApproval='true' for high. Empty otherwise.
   */
  readonly parameters: Readonly<Record<string, string>>;
  readonly recommendation: string;             // one or two sentences an on-call human can act on, naming the top features and scores
}

const RANK: Record<Severity, number> = { none: 0, low: 1, medium: 2, high: 3, critical: 4 };
const ACTION: Record<Severity, DriftAction> = {
  none: 'log', low: 'log', medium: 'retrain', high: 'retrain-with-approval', critical: 'block-and-review',
};
const PRIORITY: Partial<Record<Severity, 1 | 2 | 3>> = { critical: 1, high: 2, medium: 3 };
const NOT_AUTOMATIC = 'autoRetrain is off, so nothing was started: retrain by hand if the drift persists.';
const NEXT_STEP: Record<DriftAction, string> = {
  log: 'Logged only; no retrain is needed.',
  retrain: 'A retrain was requested at priority 3.',
  'retrain-with-approval': 'A retrain was requested that waits for approval: compare these features with the baseline before approving it.',
  'block-and-review': 'Automated retraining is blocked: check the upstream data for a pipeline fault or schema change before retraining by hand.',
};

/**
 * low -> log only; medium -> retrain if autoRetrain else log; high -> retrain with RequireApproval=true (and the shell notifies the
 * team topic); critical -> block automated retraining and ask a human (the shell notifies the human-review topic).
 */
export function assessDrift(config: DriftConfig, scores: readonly FeatureScore[]): DriftAssessment {
  const drifted = scores
    .map((s) => ({
      ...s,
      severity: ALWAYS_CRITICAL.has(s.kind) ? ('critical' as const) : severityOf(s.score, own(config.featureThresholds, s.feature) ?? config.thresholds),
    }))
    .sort((a, b) => RANK[b.severity] - RANK[a.severity] || b.score - a.score || (a.feature < b.feature ? -1 : a.feature > b.feature ? 1 : 0));
  const severity: Severity = drifted[0]?.severity ?? 'none';
  const action = severity === 'medium' ? (config.autoRetrain ? 'retrain' : 'log') : ACTION[severity];
  const retrain = action === 'retrain' || action === 'retrain-with-approval';
  const priority = retrain || severity === 'critical' ? PRIORITY[severity] : undefined;
  const parameters: Record<string, string> = {};
  if (retrain) {
    parameters.DriftSeverity = severity;
    parameters.DriftScore = drifted.reduce((max, s) => Math.max(max, s.score), -Infinity).toFixed(4);
    parameters.DriftedFeatures = featureList(drifted.filter((s) => RANK[s.severity] >= RANK.medium).map((s) => s.feature));
    if (severity === 'high') parameters.RequireApproval = 'true';
  }
  const top = drifted.slice(0, 3).map((s) => `${s.feature} ${s.score.toFixed(4)} (${s.kind}, ${s.severity})`).join(', ');
  const more = drifted.length > 3 ? ` and ${drifted.length - 3} more` : '';
  const next = severity === 'medium' && action === 'log' ? NOT_AUTOMATIC : NEXT_STEP[action];
  const heading = `${severity[0].toUpperCase()}${severity.slice(1)} drift`;
  const recommendation = drifted.length === 0 ? 'No drift was scored: nothing to act on.' : `${heading}: ${top}${more}. ${next}`;
  return compact({ severity, action, priority, drifted, parameters, recommendation });
}

/** Whole feature names, highest first, as many as fit SageMaker's limit on a parameter value. */
function featureList(features: readonly string[]): string {
  const limit = PIPELINE_PARAMETER_LIMITS.maxValueLength;
  let list = '';
  for (const feature of new Set(features)) {
    const next = list === '' ? feature : `${list},${feature}`;
    if (next.length > limit) break;
    list = next;
  }
  return list === '' ? (features[0] ?? '').slice(0, limit) : list;
}

const problem = (error: FieldError): string => `${error.field} ${error.problem}`;

