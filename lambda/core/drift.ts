import { PIPELINE_PARAMETER_LIMITS } from './pipeline-parameters';
import { accept, compact, describe, isRecord, own, parseJson, reject, requiredString, type FieldError, type Parsed } from './result';
import { NUM } from './alarm-message';
import type { DriftConfig, DriftThresholds } from './contracts/drift';

export { modelMonitorSource, parseAlarmMessage, type AlarmTransition } from './alarm-message';

export interface FeatureScore {
  readonly feature: string; readonly score: number; readonly threshold?: number; readonly detail: string;
  readonly kind: 'numerical-distance' | 'categorical-distance' | 'metric-degradation' | 'alarm-value';
}
type OtherViolation = { feature: string; checkType: string; description: string };
export interface ViolationReport {
  readonly scores: readonly FeatureScore[];             // drift distances, and model-quality degradation as relative shortfall
  readonly otherViolations: readonly OtherViolation[];  // data_type_check, completeness_check...
  readonly unknown: readonly { index: number; problem: string }[];   // entries whose format is not recognised: REPORTED, never scored as 0
}

const DRIFT_DESCRIPTION = new RegExp(String.raw`^(Numerical|Categorical) distance:\s*(${NUM})\s+exceeds \w+ threshold:\s*(${NUM})`);
const METRIC_DESCRIPTION = new RegExp(String.raw`^Metric (\S+) with (${NUM})(?:\s*\+/-\s*${NUM})? was (\w+) (${NUM})`);
/** Model-quality comparison operators: +1 when the metric degrades upwards (errors), -1 downwards (accuracy). */
const DEGRADES = new Map<string, 1 | -1>([
  ['LessThanThreshold', -1], ['LessThanOrEqualToThreshold', -1], ['GreaterThanThreshold', 1], ['GreaterThanOrEqualToThreshold', 1],
]);

/**
 * Parses a constraint_violations.json body (the raw text). A body that is not JSON or has no `violations` array is a
 * Parsed error naming the field; an entry that cannot be read is listed in `unknown`, never scored.
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
    scores: read.flatMap(({ read: r }) => (typeof r !== 'string' && 'score' in r ? [r] : [])),
    otherViolations: read.flatMap(({ read: r }) => (typeof r !== 'string' && !('score' in r) ? [r] : [])),
    unknown: read.flatMap(({ index, read: r }) => (typeof r === 'string' ? [{ index, problem: r }] : [])),
  });
}

/** One violation as a score, an unscored violation, or the problem that stops it from being read. */
function readViolation(entry: unknown, at: string): FeatureScore | OtherViolation | string {
  if (!isRecord(entry)) return `${at} must be an object, got ${describe(entry)}`;
  const checkType = requiredString(entry, 'constraint_check_type', `${at}.constraint_check_type`);
  if (!checkType.ok) return problem(checkType.error);
  const description = requiredString(entry, 'description', `${at}.description`);
  if (!description.ok) return problem(description.error);
  const text = description.value.trim();
  const direction = DEGRADES.get(checkType.value);
  if (checkType.value === 'baseline_drift_check') {
    const feature = requiredString(entry, 'feature_name', `${at}.feature_name`);
    if (!feature.ok) return problem(feature.error);
    const match = DRIFT_DESCRIPTION.exec(text);
    const [score, threshold] = match ? [Number(match[2]), Number(match[3])] : [NaN, NaN];
    if (!match || !(score >= 0 && score < Infinity) || !Number.isFinite(threshold)) {
      return `${at}.description does not state a numerical or categorical distance and threshold: ${describe(description.value)}`;
    }
    return { feature: feature.value, score, kind: match[1] === 'Numerical' ? 'numerical-distance' : 'categorical-distance', threshold, detail: text };
  }
  if (direction !== undefined) {
    const match = METRIC_DESCRIPTION.exec(text);
    const [value, threshold] = match ? [Number(match[2]), Number(match[4])] : [NaN, NaN];
    if (!match || match[3] !== checkType.value || !Number.isFinite(value) || !Number.isFinite(threshold) || threshold === 0) {
      const expected = `'Metric <name> with <value> was ${checkType.value} <non-zero threshold>'`;
      return `${at}.description does not state ${expected}: ${describe(description.value)}`;
    }
    const feature = typeof entry.metric_name === 'string' && entry.metric_name !== '' ? entry.metric_name : match[1];
    // (threshold - value) / |threshold| for Less*, (value - threshold) / |threshold| for Greater*, written
    // through value / threshold so that 0.71 vs 0.82 gives the double nearest 11/82.
    const score = Math.max(0, direction * Math.sign(threshold) * (value / threshold - 1));
    return { feature, score, kind: 'metric-degradation', threshold, detail: text };
  }
  const key = entry.feature_name === undefined && entry.metric_name !== undefined ? 'metric_name' : 'feature_name';
  const feature = requiredString(entry, key, `${at}.${key}`);
  if (!feature.ok) return problem(feature.error);
  return { feature: feature.value, checkType: checkType.value, description: description.value };
}

export type Severity = 'none' | 'low' | 'medium' | 'high' | 'critical';

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
    .map((s) => ({ ...s, severity: severityOf(s.score, own(config.featureThresholds, s.feature) ?? config.thresholds) }))
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

