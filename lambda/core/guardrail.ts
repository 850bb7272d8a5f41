/**
 * The promotion guardrail: four checks a retrained model must pass before a pipeline registers or
 * deploys it, so that a model that learned the drift (or its own feedback loop) is never promoted
 * silently. Pure: documents arrive already read, and the answer is data.
 */
import { accept, describe, isRecord, numberIn, reject, requiredNumber, requiredString, type Parsed } from './result';

import { GUARDRAIL_THRESHOLD_NAMES, STRICTER, parseThresholds, type GuardrailThresholds } from './contracts/guardrail';

/** An object in S3, named by an `s3://bucket/key` URI. */
export interface S3Location {
  readonly bucket: string;
  readonly key: string;
  readonly uri: string;
}

/** What the pipeline's LambdaStep sends: three `s3://` URIs and optional threshold overrides. */
export interface GuardrailRequest {
  readonly candidateReport: S3Location;
  readonly baselineReport: S3Location;
  readonly goldenSet: S3Location;
  readonly thresholds: GuardrailThresholds;
}

/** The event fields that name documents, in the order they are read and reported. */
export const DOCUMENT_FIELDS = ['candidateReportUri', 'baselineReportUri', 'goldenSetUri'] as const;

/** Reads the LambdaStep inputs; `defaults` supplies every threshold the event leaves out. */
export function parseGuardrailRequest(event: unknown, defaults: GuardrailThresholds): Parsed<GuardrailRequest> {
  if (!isRecord(event)) return reject('input', `must be an object of LambdaStep inputs, got ${describe(event)}`);
  const locations: S3Location[] = [];
  for (const field of DOCUMENT_FIELDS) {
    const uri = requiredString(event, field, field);
    if (!uri.ok) return uri;
    const location = parseS3Uri(uri.value);
    if (!location) return reject(field, `must be an s3://bucket/key URI, got ${describe(uri.value)}`);
    locations.push(location);
  }
  const [candidate, baseline, golden] = locations;
  // The golden set is the evidence a candidate cannot produce for itself: it may not be either report.
  if (golden.uri === candidate.uri || golden.uri === baseline.uri) {
    return reject('goldenSetUri', `must name the golden-set results, not ${golden.uri === candidate.uri ? 'the candidate' : 'the baseline'} report (${golden.uri})`);
  }
  const thresholds = parseThresholds(event, defaults);
  if (!thresholds.ok) return thresholds;
  for (const name of GUARDRAIL_THRESHOLD_NAMES) {
    const asked = thresholds.value[name];
    const set = defaults[name];
    const looser = STRICTER[name] === 'higher' ? asked < set : asked > set;
    if (looser) {
      return reject(name, `may only tighten the threshold the deployment set (${set}): it must be ${STRICTER[name] === 'higher' ? 'at least' : 'at most'} ${set}, got ${asked}`);
    }
  }
  const [candidateReport, baselineReport, goldenSet] = locations;
  return accept({ candidateReport, baselineReport, goldenSet, thresholds: thresholds.value });
}

/** `s3://bucket/key` as a location, or undefined when it is not one (bucket names follow S3's rules). */
export function parseS3Uri(uri: string): S3Location | undefined {
  if (uri.length > MAX_S3_URI_LENGTH) return undefined;
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(uri);
  // S3 object keys are at most 1,024 bytes of UTF-8.
  return match && Buffer.byteLength(match[2], 'utf8') <= 1024 ? { bucket: match[1], key: match[2], uri } : undefined;
}

/** `s3://`, a bucket name (at most 63) and `/`, and a key of at most 1,024 bytes. */
const MAX_S3_URI_LENGTH = 5 + 63 + 1 + 1024;

/** Counts by name: `{ "<class>": 120, ... }` or `{ "<error type>": 7, ... }`. */
export type Counts = Readonly<Record<string, number>>;

/**
 * An evaluation report, read from one of these JSON shapes (the first accuracy found wins):
 * `{"multiclass_classification_metrics": {"accuracy": {"value": 0.91}}}` or
 * `{"binary_classification_metrics": {"accuracy": {"value": 0.91}}}` (SageMaker Model Monitor's
 * model-quality metrics), or `{"accuracy": 0.91}`; accuracy is between 0 and 1. Beside it,
 * `"prediction_distribution": {"<class>": <count>, ...}` (required, with at least one prediction) and
 * `"error_types": {"<error type>": <count>, ...}` (required in the candidate's report, where `{}`
 * means no errors; optional in the baseline's). Counts are finite numbers >= 0.
 */
export interface EvaluationReport {
  readonly accuracy: number;
  readonly predictionDistribution: Counts;
  /** Empty when the report has no errors, or (baseline only) no `error_types`. */
  readonly errorTypes: Counts;
}

const ACCURACY_PATHS = [
  ['multiclass_classification_metrics', 'accuracy', 'value'],
  ['binary_classification_metrics', 'accuracy', 'value'],
  ['accuracy'],
] as const;

/** Reads a report; `role` decides whether `error_types` is required. An error's field is a path in the document. */
export function parseEvaluationReport(document: unknown, role: 'candidate' | 'baseline'): Parsed<EvaluationReport> {
  if (!isRecord(document)) return reject('report', `must be a JSON object, got ${describe(document)}`);
  const accuracy = parseAccuracy(document);
  if (!accuracy.ok) return accuracy;
  const predictionDistribution = parseCounts(document, 'prediction_distribution');
  if (!predictionDistribution.ok) return predictionDistribution;
  if (total(predictionDistribution.value) <= 0) return reject('prediction_distribution', 'must count at least one prediction');
  const hasErrorTypes = document.error_types !== undefined && document.error_types !== null;
  const errorTypes = hasErrorTypes || role === 'candidate' ? parseCounts(document, 'error_types') : accept<Counts>({});
  if (!errorTypes.ok) return errorTypes;
  return accept({ accuracy: accuracy.value, predictionDistribution: predictionDistribution.value, errorTypes: errorTypes.value });
}

function parseAccuracy(document: Record<string, unknown>): Parsed<number> {
  for (const path of ACCURACY_PATHS) {
    if (document[path[0]] === undefined) continue;
    let holder: unknown = document;
    for (const [depth, name] of path.slice(0, -1).entries()) {
      holder = isRecord(holder) ? holder[name] : undefined;
      if (!isRecord(holder)) return reject(path.slice(0, depth + 1).join('.'), `must be an object, got ${describe(holder)}`);
    }
    return requiredNumber(holder as Record<string, unknown>, path[path.length - 1], path.join('.'), 0, 1);
  }
  return reject('accuracy', `is missing: expected ${ACCURACY_PATHS.map((path) => path.join('.')).join(', ')}`);
}

function parseCounts(document: Record<string, unknown>, name: string): Parsed<Counts> {
  const counts = document[name];
  if (!isRecord(counts)) return reject(name, counts === undefined ? 'is missing' : `must be an object of counts, got ${describe(counts)}`);
  for (const key of Object.keys(counts)) {
    const count = numberIn(counts, key, `${name}.${key}`, 0, Infinity);
    if (!count.ok) return count;
  }
  return accept(counts as Counts);
}

/**
 * Golden-set results: `{"accuracy": 0.9}` or `{"predictions": [{"label": "a", "prediction": "b"}, ...]}`;
 * when `predictions` is present it wins and accuracy is computed from its pairs. Labels and predictions
 * are strings or numbers compared as text, as JSON object keys name classes (`1` and `"1"` are one class).
 */
export function parseGoldenSet(document: unknown): Parsed<number> {
  if (!isRecord(document)) return reject('golden set', `must be a JSON object, got ${describe(document)}`);
  const rows = document.predictions;
  if (rows === undefined || rows === null) return requiredNumber(document, 'accuracy', 'accuracy', 0, 1);
  if (!Array.isArray(rows) || rows.length === 0) return reject('predictions', 'must be a non-empty list of { label, prediction }');
  const pairs: [string, string][] = [];
  for (const [index, row] of rows.entries()) {
    const label = isRecord(row) ? row.label : undefined;
    const prediction = isRecord(row) ? row.prediction : undefined;
    if (!isClass(label)) return reject(`predictions[${index}].label`, `must be a string or number, got ${describe(label)}`);
    if (!isClass(prediction)) return reject(`predictions[${index}].prediction`, `must be a string or number, got ${describe(prediction)}`);
    pairs.push([String(label), String(prediction)]);
  }
  return accept(goldenAccuracy(pairs));
}

const isClass = (value: unknown): value is string | number => typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));

/** The share of `[label, prediction]` pairs that agree (0 for no pairs). */
export function goldenAccuracy(pairs: ReadonlyArray<readonly [string, string]>): number {
  return pairs.length === 0 ? 0 : pairs.filter(([label, prediction]) => label === prediction).length / pairs.length;
}

const total = (counts: Counts): number => Object.values(counts).reduce((sum, count) => sum + count, 0);

/**
 * Both distributions over the union of their classes with 1 added to every count (Laplace smoothing),
 * so a class one side never predicted still gets a small, non-zero share.
 */
export function smoothedDistributions(p: Counts, q: Counts): { readonly classes: string[]; readonly p: number[]; readonly q: number[] } {
  const classes = [...new Set([...Object.keys(p), ...Object.keys(q)])].sort();
  const share = (counts: Counts): number[] => {
    const denominator = total(counts) + classes.length;
    return classes.map((name) => ((counts[name] ?? 0) + 1) / denominator);
  };
  return { classes, p: share(p), q: share(q) };
}

/** KL(p || q) in nats of the Laplace-smoothed distributions; 0 when there are no classes at all. */
export function klDivergence(p: Counts, q: Counts): number {
  const smoothed = smoothedDistributions(p, q);
  const kl = smoothed.p.reduce((sum, pi, i) => sum + pi * Math.log(pi / smoothed.q[i]), 0);
  return Math.max(0, kl); // rounding leaves sums like -2e-16 where the distributions (nearly) agree
}

/** The largest share of the errors one error type holds, and which type; 0 and none when there are no errors. */
export function errorConcentration(errorTypes: Counts): { readonly value: number; readonly dominant?: string } {
  const errors = total(errorTypes);
  if (errors <= 0) return { value: 0 };
  const [dominant, count] = Object.entries(errorTypes).reduce((top, entry) => (entry[1] > top[1] ? entry : top));
  return { value: count / errors, dominant };
}

export type CheckName = 'golden_accuracy' | 'accuracy_delta' | 'prediction_shift' | 'error_concentration';

/** One check's outcome, with the measured value and the threshold it was held to. */
export interface GuardrailCheck {
  readonly name: CheckName;
  readonly passed: boolean;
  readonly value: number;
  readonly threshold: number;
  readonly details: string;
}

/** Every check, always in the same order, and what the pipeline should do next. */
export interface GuardrailVerdict {
  readonly passed: boolean;
  readonly requiresApproval: boolean;
  readonly checks: readonly GuardrailCheck[];
}

/** What the checks look at: the candidate and baseline reports and the candidate's golden-set accuracy. */
export interface GuardrailEvidence {
  readonly candidate: EvaluationReport;
  readonly baseline: EvaluationReport;
  readonly goldenAccuracy: number;
}

// Subtracting two decimal accuracies leaves float noise (0.9 - 0.6 = 0.30000000000000004); a
// delta within this of the limit is the limit.
const DELTA_TOLERANCE = 1e-9;

/** Runs all four checks; none short-circuits, so the report always explains every one. */
export function evaluateGuardrail(evidence: GuardrailEvidence, thresholds: GuardrailThresholds): GuardrailVerdict {
  const { candidate, baseline } = evidence;
  const delta = Math.abs(candidate.accuracy - baseline.accuracy);
  const shift = klDivergence(candidate.predictionDistribution, baseline.predictionDistribution);
  const concentration = errorConcentration(candidate.errorTypes);
  const checks: GuardrailCheck[] = [
    {
      name: 'golden_accuracy',
      passed: evidence.goldenAccuracy >= thresholds.minGoldenAccuracy,
      value: evidence.goldenAccuracy,
      threshold: thresholds.minGoldenAccuracy,
      details: `golden-set accuracy ${evidence.goldenAccuracy} must be at least ${thresholds.minGoldenAccuracy}`,
    },
    {
      name: 'accuracy_delta',
      passed: delta <= thresholds.maxAccuracyDelta + DELTA_TOLERANCE,
      value: delta,
      threshold: thresholds.maxAccuracyDelta,
      details: `candidate accuracy ${candidate.accuracy} vs baseline ${baseline.accuracy}: the difference must be at most ${thresholds.maxAccuracyDelta}`,
    },
    {
      name: 'prediction_shift',
      passed: shift < thresholds.maxPredictionShift,
      value: shift,
      threshold: thresholds.maxPredictionShift,
      details: `${shiftDetails(candidate.predictionDistribution, baseline.predictionDistribution)}; KL must be below ${thresholds.maxPredictionShift}`,
    },
    {
      name: 'error_concentration',
      passed: concentration.value <= thresholds.maxErrorConcentration,
      value: concentration.value,
      threshold: thresholds.maxErrorConcentration,
      details: concentration.dominant === undefined
        ? 'the candidate reports no errors'
        : `'${concentration.dominant}' holds a ${round(concentration.value)} share of ${total(candidate.errorTypes)} errors; at most ${thresholds.maxErrorConcentration} allowed`,
    },
  ];
  const passed = checks.every((check) => check.passed);
  return { passed, requiresApproval: !passed || shift > thresholds.approvalPredictionShift, checks };
}

/** Names the class whose share grew most: where a feedback loop collapses predictions onto one class, that class. */
function shiftDetails(candidate: Counts, baseline: Counts): string {
  const { classes, p, q } = smoothedDistributions(candidate, baseline);
  let most = 0;
  for (let i = 1; i < classes.length; i++) if (p[i] - q[i] > p[most] - q[most]) most = i;
  const moved = classes.length === 0 ? '' : `, largest gain: '${classes[most]}' ${round(q[most])} -> ${round(p[most])}`;
  return `KL(candidate || baseline) over ${classes.length} classes (Laplace-smoothed)${moved}`;
}

const round = (value: number): number => Math.round(value * 1e4) / 1e4;
