/**
 * The retraining coordinator's contract: the policy its construct writes and its function applies, with
 * its defaults and limits. Pure: no SDK, no clock, no environment.
 */
import { isTimeZone } from '../calendar';
import { accept, describe, isRecord, reject, requiredNumber, requiredString, type Parsed } from '../result';

/** How a run's cost is estimated: `baseCost x (1 + dataSizeGb / gbPerIncrement)`. */
export interface CostModel {
  /** The cost of a run on no data. */
  readonly baseCost: number;
  /** The data size that adds one more `baseCost`. */
  readonly gbPerIncrement: number;
}
export const DEFAULT_COST_MODEL: CostModel = Object.freeze({ baseCost: 150, gbPerIncrement: 100 });

export interface CoordinatorPolicy {
  /** The shortest time between two runs of a pipeline, in milliseconds. @default 6 hours */
  readonly minIntervalMs: number;
  /** The most runs of a pipeline per calendar day. @default 4 */
  readonly maxDailyRuns: number;
  /** The most estimated spend per calendar day. @default 1000 */
  readonly dailyBudget: number;
  /** How a run's cost is estimated. @default DEFAULT_COST_MODEL */
  readonly costModel: CostModel;
  /** The IANA time zone whose calendar days the cap and budget count. @default 'UTC' */
  readonly timeZone: string;
}

const HOUR_MS = 3_600_000;
export const DEFAULT_POLICY: CoordinatorPolicy = Object.freeze({
  minIntervalMs: 6 * HOUR_MS, maxDailyRuns: 4, dailyBudget: 1000, costModel: DEFAULT_COST_MODEL, timeZone: 'UTC',
});

/**
 * The range of each policy setting. The construct holds its props to all of it; the function also runs a
 * policy written by hand, whose `maxDailyRuns` may be 0 (no run but critical ones) and whose cooldown is
 * not capped.
 */
export const COORDINATOR_LIMITS = {
  minIntervalMs: { min: 0, max: 30 * 24 * HOUR_MS },
  maxDailyRuns: { min: 1, max: 1000 },
  dailyBudget: { min: 0 },
  baseCost: { min: 0 },
  /** Exclusive: a run's cost divides by it. */
  gbPerIncrement: { above: 0 },
} as const;

/** Reads a policy; absent fields take DEFAULT_POLICY's values, an error names the field. */
export function parsePolicy(input: unknown): Parsed<CoordinatorPolicy> {
  if (input == null) return accept(DEFAULT_POLICY);
  if (!isRecord(input)) return reject('policy', `must be an object, got ${describe(input)}`);
  const minIntervalMs = optionalNumber(input, 'minIntervalMs', 'minIntervalMs', COORDINATOR_LIMITS.minIntervalMs.min, DEFAULT_POLICY.minIntervalMs);
  if (!minIntervalMs.ok) return minIntervalMs;
  const maxDailyRuns = optionalNumber(input, 'maxDailyRuns', 'maxDailyRuns', 0, DEFAULT_POLICY.maxDailyRuns);
  if (!maxDailyRuns.ok) return maxDailyRuns;
  if (!Number.isInteger(maxDailyRuns.value)) return reject('maxDailyRuns', `must be an integer, got ${maxDailyRuns.value}`);
  const dailyBudget = optionalNumber(input, 'dailyBudget', 'dailyBudget', COORDINATOR_LIMITS.dailyBudget.min, DEFAULT_POLICY.dailyBudget);
  if (!dailyBudget.ok) return dailyBudget;
  const costModel = parseCostModel(input.costModel);
  if (!costModel.ok) return costModel;
  const timeZone = input.timeZone == null ? accept(DEFAULT_POLICY.timeZone) : requiredString(input, 'timeZone', 'timeZone');
  if (!timeZone.ok) return timeZone;
  if (!isTimeZone(timeZone.value)) return reject('timeZone', `must be an IANA time zone such as 'Europe/Berlin', got '${timeZone.value}'`);
  return accept({
    minIntervalMs: minIntervalMs.value, maxDailyRuns: maxDailyRuns.value, dailyBudget: dailyBudget.value,
    costModel: costModel.value, timeZone: timeZone.value,
  });
}

function parseCostModel(input: unknown): Parsed<CostModel> {
  if (input == null) return accept(DEFAULT_COST_MODEL);
  if (!isRecord(input)) return reject('costModel', `must be an object, got ${describe(input)}`);
  const baseCost = optionalNumber(input, 'baseCost', 'costModel.baseCost', COORDINATOR_LIMITS.baseCost.min, DEFAULT_COST_MODEL.baseCost);
  if (!baseCost.ok) return baseCost;
  const gbPerIncrement = optionalNumber(input, 'gbPerIncrement', 'costModel.gbPerIncrement', Number.MIN_VALUE, DEFAULT_COST_MODEL.gbPerIncrement);
  if (!gbPerIncrement.ok) return gbPerIncrement;
  return accept({ baseCost: baseCost.value, gbPerIncrement: gbPerIncrement.value });
}

function optionalNumber(record: Record<string, unknown>, name: string, path: string, min: number, fallback: number): Parsed<number> {
  return record[name] == null ? accept(fallback) : requiredNumber(record, name, path, min, Infinity);
}
