/**
 * Distances between a baseline's distribution and a window's. Each is a pure function of sketches or counts;
 * each is null when either side has no values, since a share of nothing is undefined.
 */
import { unitsToNumber, parseSum } from './exact-sum';
import { geometry, placedBuckets, type NumericSketch, type PlacedBucket } from './numeric-sketch';

/** The share PSI puts in place of an empty one, so that ln(c / b) stays finite. */
export const PSI_EPSILON = 1e-4;

const total = (counts: readonly number[]): number => counts.reduce((sum, n) => sum + n, 0);

/**
 * Population stability index of `current` against `baseline`, counts over the same bins:
 * PSI = sum_i (c_i - b_i) * ln(c_i / b_i), with b_i and c_i the bins' shares of their totals, and a share of 0
 * replaced by PSI_EPSILON (1e-4) before the sum; the shares are not renormalised afterwards.
 */
export function populationStabilityIndex(baseline: readonly number[], current: readonly number[]): number | null {
  const baselineTotal = total(baseline);
  const currentTotal = total(current);
  if (baselineTotal === 0 || currentTotal === 0) return null;
  let psi = 0;
  for (let i = 0; i < baseline.length; i += 1) {
    const b = baseline[i] === 0 ? PSI_EPSILON : baseline[i] / baselineTotal;
    const c = current[i] === 0 ? PSI_EPSILON : current[i] / currentTotal;
    psi += (c - b) * Math.log(c / b);
  }
  return psi;
}

/**
 * Jensen-Shannon distance, base 2, between the bins' shares p and q: with m = (p + q) / 2,
 * JS = sqrt((KL(p || m) + KL(q || m)) / 2), KL(p || m) = sum_i p_i * log2(p_i / m_i) and 0 * log 0 = 0.
 * Between 0 (same distribution) and 1 (disjoint support); scipy.spatial.distance.jensenshannon(p, q, base=2).
 */
export function jensenShannonDistance(baseline: readonly number[], current: readonly number[]): number | null {
  const baselineTotal = total(baseline);
  const currentTotal = total(current);
  if (baselineTotal === 0 || currentTotal === 0) return null;
  let divergence = 0;
  for (let i = 0; i < baseline.length; i += 1) {
    const p = baseline[i] / baselineTotal;
    const q = current[i] / currentTotal;
    const m = (p + q) / 2;
    if (p > 0) divergence += p * Math.log(p / m);
    if (q > 0) divergence += q * Math.log(q / m);
  }
  // Rounding can leave a hair below 0 for identical shares.
  return Math.sqrt(Math.max(0, divergence / 2 / Math.LN2));
}

/** The KS statistic from sketches, and how far the exact two-sample statistic can be above it. */
export interface KolmogorovSmirnovEstimate {
  readonly statistic: number;
  readonly errorBound: number;
}

/** W1 from sketches, and how far the exact distance can be from it either way. */
export interface WassersteinEstimate {
  readonly value: number;
  readonly errorBound: number;
}

/** The buckets of both sketches in value order, with each side's count there (0 where a side has none). */
function aligned(a: NumericSketch, b: NumericSketch): { value: number; countA: number; countB: number }[] {
  const left = placedBuckets(a);
  const right = placedBuckets(b);
  const rows: { value: number; countA: number; countB: number }[] = [];
  let i = 0, j = 0;
  const take = (bucket: PlacedBucket, countA: number, countB: number) => rows.push({ value: bucket.value, countA, countB });
  while (i < left.length || j < right.length) {
    if (j === right.length || (i < left.length && left[i].position < right[j].position)) { take(left[i], left[i].count, 0); i += 1; }
    else if (i === left.length || right[j].position < left[i].position) { take(right[j], 0, right[j].count); j += 1; }
    else { take(left[i], left[i].count, right[j].count); i += 1; j += 1; }
  }
  return rows;
}

/** Whether both sketches have values; sketches of different alphas are a programming error (RangeError). */
function comparable(a: NumericSketch, b: NumericSketch): boolean {
  if (a.alpha !== b.alpha) throw new RangeError(`sketches of different accuracy are not comparable: ${a.alpha} and ${b.alpha}`);
  return a.count > 0 && b.count > 0;
}

/**
 * Two-sample Kolmogorov-Smirnov statistic, D = sup_x |F_a(x) - F_b(x)|, from two quantile sketches of one alpha:
 * both empirical CDFs evaluated at every bucket's upper boundary, where the sketch knows them exactly. Within a
 * bucket either CDF moves by at most its share of values there, so the exact D (scipy.stats.ks_2samp) lies in
 * [statistic, statistic + errorBound], errorBound being the largest share of either sample in one bucket.
 */
export function kolmogorovSmirnov(a: NumericSketch, b: NumericSketch): KolmogorovSmirnovEstimate | null {
  if (!comparable(a, b)) return null;
  let cumulativeA = 0, cumulativeB = 0, statistic = 0, largestShare = 0;
  for (const { countA, countB } of aligned(a, b)) {
    cumulativeA += countA;
    cumulativeB += countB;
    statistic = Math.max(statistic, Math.abs(cumulativeA / a.count - cumulativeB / b.count));
    largestShare = Math.max(largestShare, countA / a.count, countB / b.count);
  }
  return { statistic, errorBound: largestShare };
}

/**
 * Wasserstein-1 distance, W1 = integral |F_a(x) - F_b(x)| dx, between the two sketches with every value moved to
 * its bucket's representative 2 * gamma^i / (gamma + 1). Moving a value x costs at most alpha * |x|, so the
 * exact W1 (scipy.stats.wasserstein_distance) is within alpha * (E|X_a| + E|X_b|) of it, plus, for values
 * counted as zero, 1e-9 each, and for values past the last bucket, their excess over its representative
 * (both shares of their sample). errorBound states that sum, with a 1e-12 relative allowance for rounding.
 */
export function wasserstein(a: NumericSketch, b: NumericSketch): WassersteinEstimate | null {
  if (!comparable(a, b)) return null;
  const rows = aligned(a, b);
  let cumulativeA = 0, cumulativeB = 0, distance = 0;
  for (let k = 0; k + 1 < rows.length; k += 1) {
    cumulativeA += rows[k].countA;
    cumulativeB += rows[k].countB;
    distance += Math.abs(cumulativeA / a.count - cumulativeB / b.count) * (rows[k + 1].value - rows[k].value);
  }
  return { value: distance, errorBound: movingCost(a) + movingCost(b) };
}

/** At most the mean |x - representative(x)| over the sketch's values. */
function movingCost(sketch: NumericSketch): number {
  const g = geometry(sketch.alpha);
  const meanAbs = unitsToNumber(parseSum(sketch.sumAbs)) / sketch.count;
  let beyond = 0;
  const top = (store: NumericSketch['positive'], extreme: number | null): void => {
    const last = store[store.length - 1];
    if (last === undefined || last[0] !== g.maxIndex || extreme === null) return;
    const representative = (2 * g.gamma ** g.maxIndex) / (g.gamma + 1);
    beyond += last[1] * Math.max(0, Math.abs(extreme) - representative);
  };
  top(sketch.positive, sketch.max);
  top(sketch.negative, sketch.min);
  return (g.alpha + 1e-12) * meanAbs + (sketch.zero * 1e-9 + beyond) / sketch.count;
}
