/**
 * Pearson's chi-square test of homogeneity on a 2 x k table, and the chi-square distribution's survival
 * function it needs, through the regularized upper incomplete gamma function.
 */

export interface ChiSquareTest {
  readonly statistic: number;
  readonly degreesOfFreedom: number;
  readonly pValue: number;
}

/**
 * Whether `baseline` and `current` (counts over the same k categories) come from one distribution. Columns where
 * both counts are 0 are dropped; with row totals R_r, column totals C_j and N in all, E_rj = R_r * C_j / N and
 * statistic = sum_rj (O_rj - E_rj)^2 / E_rj, degrees of freedom k - 1 (of the kept columns), p-value = Q((k - 1) / 2,
 * statistic / 2). As scipy.stats.chi2_contingency(table, correction=False); with one column left, 0 and p = 1.
 * null when either row is empty (expected counts of 0).
 */
export function chiSquareHomogeneity(baseline: readonly number[], current: readonly number[]): ChiSquareTest | null {
  const columns: [number, number][] = [];
  for (let j = 0; j < baseline.length; j += 1) if (baseline[j] !== 0 || current[j] !== 0) columns.push([baseline[j], current[j]]);
  const baselineTotal = columns.reduce((sum, [b]) => sum + b, 0);
  const currentTotal = columns.reduce((sum, [, c]) => sum + c, 0);
  if (baselineTotal === 0 || currentTotal === 0) return null;
  const degreesOfFreedom = columns.length - 1;
  if (degreesOfFreedom === 0) return { statistic: 0, degreesOfFreedom, pValue: 1 };
  const all = baselineTotal + currentTotal;
  let statistic = 0;
  for (const [b, c] of columns) {
    const column = b + c;
    const expectedB = (baselineTotal * column) / all;
    const expectedC = (currentTotal * column) / all;
    statistic += (b - expectedB) ** 2 / expectedB + (c - expectedC) ** 2 / expectedC;
  }
  return { statistic, degreesOfFreedom, pValue: chiSquareSurvival(statistic, degreesOfFreedom) };
}

/** P(X > x) for X chi-square with `dof` degrees of freedom: Q(dof / 2, x / 2). */
export function chiSquareSurvival(x: number, dof: number): number {
  return x <= 0 ? 1 : regularizedUpperGamma(dof / 2, x / 2);
}

const EPSILON = 1e-16;
const TINY = 1e-300;
const MAX_ITERATIONS = 10_000;

/**
 * Q(a, x) = Gamma(a, x) / Gamma(a) = 1 - P(a, x), for a > 0 and x >= 0. Below x = a + 1 the series
 * P(a, x) = x^a e^-x / Gamma(a + 1) * sum_n x^n / ((a + 1) ... (a + n)) converges fast and Q = 1 - P loses nothing
 * that matters (Q is not small there); from x = a + 1 on, the continued fraction
 * Q(a, x) = x^a e^-x / Gamma(a) * 1 / (x + 1 - a - 1 (1 - a) / (x + 3 - a - 2 (2 - a) / (x + 5 - a - ...))),
 * evaluated by the modified Lentz method, keeps Q's relative precision however small Q gets.
 */
export function regularizedUpperGamma(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return Number.NaN;
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  const logPrefix = a * Math.log(x) - x - logGamma(a);
  return x < a + 1 ? 1 - Math.exp(logPrefix) * lowerSeries(a, x) : Math.exp(logPrefix) * upperFraction(a, x);
}

/** sum_n x^n / (a (a + 1) ... (a + n)), so that P(a, x) = x^a e^-x / Gamma(a) times it. */
function lowerSeries(a: number, x: number): number {
  let denominator = a;
  let term = 1 / a;
  let sum = term;
  for (let n = 0; n < MAX_ITERATIONS && Math.abs(term) > Math.abs(sum) * EPSILON; n += 1) {
    denominator += 1;
    term *= x / denominator;
    sum += term;
  }
  return sum;
}

/** The continued fraction of Q(a, x) / (x^a e^-x / Gamma(a)), by modified Lentz. */
function upperFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let fraction = d;
  for (let n = 1; n <= MAX_ITERATIONS; n += 1) {
    const an = -n * (n - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    fraction *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return fraction;
}

/** Lanczos approximation (g = 7, 9 terms), relative error about 1e-15 for a > 0. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Gamma(a) for a > 0. */
export function logGamma(a: number): number {
  if (a < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * a)) - logGamma(1 - a);
  const z = a - 1;
  let series = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i += 1) series += LANCZOS[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(series);
}
