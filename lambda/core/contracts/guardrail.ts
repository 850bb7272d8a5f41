/**
 * The promotion guardrail's contract: the thresholds its construct writes into `GUARDRAIL_DEFAULTS` and
 * its function reads back, with their defaults, ranges and the way a call may tighten them. Pure: no
 * SDK, no clock, no environment.
 */
import { accept, describe, isRecord, numberIn, reject, type Parsed } from '../result';

/** Limits the checks compare against; the event may tighten each one, never loosen it. */
export interface GuardrailThresholds {
  /** Lowest golden-set accuracy that passes. @default 0.85 */
  readonly minGoldenAccuracy: number;
  /** Largest |candidate accuracy - baseline accuracy| that passes. @default 0.4 */
  readonly maxAccuracyDelta: number;
  /** KL(candidate || baseline) of the prediction distributions, in nats, must stay below this. @default 0.5 */
  readonly maxPredictionShift: number;
  /** Largest share of the candidate's errors one error type may hold. @default 0.7 */
  readonly maxErrorConcentration: number;
  /** A prediction shift above this asks for human approval even when every check passes. @default 0.2 */
  readonly approvalPredictionShift: number;
}

export const DEFAULT_GUARDRAIL_THRESHOLDS: GuardrailThresholds = Object.freeze({
  minGoldenAccuracy: 0.85,
  maxAccuracyDelta: 0.4,
  maxPredictionShift: 0.5,
  maxErrorConcentration: 0.7,
  approvalPredictionShift: 0.2,
});

/** What a threshold measures: a share (0 to 1) or a KL divergence (0 and up); it names the range in errors. */
export type ThresholdKind = 'share' | 'divergence';

/** The range each threshold may take, inclusive. */
export const GUARDRAIL_THRESHOLD_RANGES: Readonly<Record<keyof GuardrailThresholds, { readonly kind: ThresholdKind; readonly min: number; readonly max: number }>> = {
  minGoldenAccuracy: { kind: 'share', min: 0, max: 1 },
  maxAccuracyDelta: { kind: 'share', min: 0, max: 1 },
  maxPredictionShift: { kind: 'divergence', min: 0, max: Infinity },
  maxErrorConcentration: { kind: 'share', min: 0, max: 1 },
  approvalPredictionShift: { kind: 'divergence', min: 0, max: Infinity },
};
export const GUARDRAIL_THRESHOLD_NAMES = Object.keys(GUARDRAIL_THRESHOLD_RANGES) as (keyof GuardrailThresholds)[];

/** Which way each threshold gets stricter: a per-call override may only move that way from the deployment's. */
export const STRICTER: Readonly<Record<keyof GuardrailThresholds, 'higher' | 'lower'>> = {
  minGoldenAccuracy: 'higher',
  maxAccuracyDelta: 'lower',
  maxPredictionShift: 'lower',
  maxErrorConcentration: 'lower',
  approvalPredictionShift: 'lower',
};

// Pipeline parameters of type String arrive as strings, so a plain decimal string counts as a number.
// Each digit matches one way only, so a long non-number fails in linear time; longer strings are no number at all.
const DECIMAL = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?\s*$/i;
const MAX_DECIMAL_LENGTH = 64;

/** Reads the thresholds named in `input` over `base`; absent and null ones keep `base`'s value. */
export function parseThresholds(input: Record<string, unknown>, base: GuardrailThresholds): Parsed<GuardrailThresholds> {
  const thresholds: Record<keyof GuardrailThresholds, number> = { ...base };
  for (const name of GUARDRAIL_THRESHOLD_NAMES) {
    const raw = input[name];
    if (raw === undefined || raw === null) continue;
    const value = typeof raw === 'string' && raw.length <= MAX_DECIMAL_LENGTH && DECIMAL.test(raw) ? Number(raw) : raw;
    const { min, max } = GUARDRAIL_THRESHOLD_RANGES[name];
    const parsed = numberIn({ [name]: value }, name, name, min, max);
    if (!parsed.ok) return parsed;
    thresholds[name] = parsed.value;
  }
  return accept(thresholds);
}

/** The deployment's defaults from the `GUARDRAIL_DEFAULTS` JSON text (absent: the built-in ones). */
export function parseDefaults(text: string | undefined): Parsed<GuardrailThresholds> {
  if (text === undefined || text.trim() === '') return accept(DEFAULT_GUARDRAIL_THRESHOLDS);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return reject('GUARDRAIL_DEFAULTS', 'must be JSON');
  }
  if (!isRecord(json)) return reject('GUARDRAIL_DEFAULTS', `must be a JSON object, got ${describe(json)}`);
  const parsed = parseThresholds(json, DEFAULT_GUARDRAIL_THRESHOLDS);
  return parsed.ok ? parsed : reject(`GUARDRAIL_DEFAULTS.${parsed.error.field}`, parsed.error.problem);
}

/** What is wrong with a threshold a construct was given, in the construct's words; undefined when it is in range. */
export function thresholdProblem(name: keyof GuardrailThresholds, value: number): string | undefined {
  const { kind, min, max } = GUARDRAIL_THRESHOLD_RANGES[name];
  if (Number.isFinite(value) && value >= min && value <= max) return undefined;
  return kind === 'share' ? `${name} must be a share between ${min} and ${max}, got ${value}` : `${name} must be a KL divergence of at least ${min}, got ${value}`;
}
