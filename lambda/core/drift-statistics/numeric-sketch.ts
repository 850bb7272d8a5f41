/**
 * A mergeable summary of one numeric column: tallies, an exact sum, a quantile sketch and counts per bin.
 *
 * The quantile sketch follows DDSketch: with relative accuracy alpha, gamma = (1 + alpha) / (1 - alpha), and a
 * value x with |x| >= 1e-9 falls in bucket i = ceil(log_gamma(|x|)), which holds gamma^(i-1) < |x| <= gamma^i,
 * in a store per sign; smaller |x| count as zero. Bucket i stands for 2 * gamma^i / (gamma + 1), within
 * alpha * |x| of every value it holds. Indices are clamped to those of 1e-9 and 1e15, so a store never has more
 * than log_gamma(1e24) buckets (about 5,500 at the default alpha). Buckets are never collapsed: merging adds
 * counts, so merge(sketch(A), sketch(B)) equals sketch(A and B) exactly, for any split and any order.
 *
 * Bins come from a baseline's edges e[0] < ... < e[m-1]: bin i holds e[i-1] <= x < e[i], bin 0 everything below
 * e[0] and bin m everything from e[m-1] up. Without edges there is one bin.
 */
import { accept, reject, type Parsed } from '../result';
import { formatSum, parseSum, toUnits, type ExactSum } from './exact-sum';
import { asNumber, isMissing, sameNumbers } from './values';

export const DEFAULT_ALPHA = 0.005;
export const ALPHA_RANGE = Object.freeze({ min: 0.001, max: 0.1 });
/** Values closer to 0 than this count as zero. */
export const ZERO_THRESHOLD = 1e-9;
/** Values beyond this magnitude share the last bucket of their sign. */
export const LARGEST_BUCKETED = 1e15;
export const MAX_EDGES = 1000;

/** A bucket of the quantile sketch: its index and how many values it holds. */
export type Bucket = readonly [index: number, count: number];

/** Keys in this order; buckets sorted by index, so equal contents are deep-equal sketches. */
export interface NumericSketch {
  readonly alpha: number;
  /** Values that are numbers. */
  readonly count: number;
  readonly missing: number;
  /** Values present but not numbers. */
  readonly nonNumeric: number;
  readonly sum: ExactSum;
  /** The exact sum of |x|. */
  readonly sumAbs: ExactSum;
  /** null while count is 0. */
  readonly min: number | null;
  readonly max: number | null;
  /** Values with |x| < 1e-9. */
  readonly zero: number;
  readonly negative: readonly Bucket[];
  readonly positive: readonly Bucket[];
  readonly edges: readonly number[];
  /** edges.length + 1 counts, summing to count. */
  readonly bins: readonly number[];
}

export interface NumericSketchOptions {
  /** @default 0.005 */
  readonly alpha?: number;
  /** @default [] (one bin) */
  readonly edges?: readonly number[];
}

/** What bucket indices mean for one alpha. */
export interface Geometry {
  readonly alpha: number;
  readonly gamma: number;
  readonly lnGamma: number;
  readonly minIndex: number;
  readonly maxIndex: number;
}

export function geometry(alpha: number): Geometry {
  const gamma = (1 + alpha) / (1 - alpha);
  const lnGamma = Math.log(gamma);
  return {
    alpha, gamma, lnGamma,
    minIndex: Math.ceil(Math.log(ZERO_THRESHOLD) / lnGamma),
    maxIndex: Math.ceil(Math.log(LARGEST_BUCKETED) / lnGamma),
  };
}

/** The bucket of |x| >= ZERO_THRESHOLD. */
export function bucketIndex(g: Geometry, magnitude: number): number {
  const index = Math.ceil(Math.log(magnitude) / g.lnGamma);
  return Math.min(g.maxIndex, Math.max(g.minIndex, index));
}

/** The value bucket `index` stands for: 2 * gamma^index / (gamma + 1). */
export function representative(g: Geometry, index: number): number {
  return (2 * g.gamma ** index) / (g.gamma + 1);
}

/** The bin of `x`: how many edges are <= x. */
export function binOf(edges: readonly number[], x: number): number {
  let low = 0;
  let high = edges.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (edges[middle] <= x) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The problem with sketch options, naming the option; undefined when they hold. */
export function optionsProblem(alpha: number, edges: readonly number[]): string | undefined {
  if (!(alpha >= ALPHA_RANGE.min && alpha <= ALPHA_RANGE.max)) {
    return `alpha must be between ${ALPHA_RANGE.min} and ${ALPHA_RANGE.max}, got ${alpha}`;
  }
  if (edges.length > MAX_EDGES) return `edges must have at most ${MAX_EDGES} entries, got ${edges.length}`;
  for (let i = 0; i < edges.length; i += 1) {
    if (!Number.isFinite(edges[i])) return `edges[${i}] must be a finite number, got ${edges[i]}`;
    if (i > 0 && !(edges[i] > edges[i - 1])) return `edges must increase strictly, got ${edges[i - 1]} then ${edges[i]} at edges[${i}]`;
  }
  return undefined;
}

/** Collects values one by one; `sketch()` gives the summary so far. */
export interface Accumulator<S> {
  add(value: unknown): void;
  sketch(): S;
}

/** An accumulator for one numeric column; throws a RangeError on invalid options (a programming error). */
export function numericAccumulator(options: NumericSketchOptions = {}): Accumulator<NumericSketch> {
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const edges = [...(options.edges ?? [])].map((edge) => edge + 0);
  const problem = optionsProblem(alpha, edges);
  if (problem !== undefined) throw new RangeError(problem);
  const g = geometry(alpha);
  const positive = new Map<number, number>();
  const negative = new Map<number, number>();
  const bins = new Array<number>(edges.length + 1).fill(0);
  let count = 0, missing = 0, nonNumeric = 0, zero = 0, sum = 0n, sumAbs = 0n, min = Infinity, max = -Infinity;
  return {
    add(value: unknown): void {
      if (isMissing(value)) { missing += 1; return; }
      const x = asNumber(value);
      if (x === undefined) { nonNumeric += 1; return; }
      count += 1;
      const units = toUnits(x);
      sum += units;
      sumAbs += units < 0n ? -units : units;
      min = Math.min(min, x);
      max = Math.max(max, x);
      bins[binOf(edges, x)] += 1;
      const magnitude = Math.abs(x);
      if (magnitude < ZERO_THRESHOLD) { zero += 1; return; }
      const store = x > 0 ? positive : negative;
      const index = bucketIndex(g, magnitude);
      store.set(index, (store.get(index) ?? 0) + 1);
    },
    sketch(): NumericSketch {
      return {
        alpha, count, missing, nonNumeric, sum: formatSum(sum), sumAbs: formatSum(sumAbs),
        min: count === 0 ? null : min, max: count === 0 ? null : max, zero,
        negative: sortedBuckets(negative), positive: sortedBuckets(positive), edges: [...edges], bins: [...bins],
      };
    },
  };
}

/** Every value added to `accumulator`, then its sketch: one pass, for any kind of sketch. */
export function sketchAll<S>(accumulator: Accumulator<S>, values: Iterable<unknown>): S {
  for (const value of values) accumulator.add(value);
  return accumulator.sketch();
}

/** The sketch of `values`, in one pass. */
export function sketchNumeric(values: Iterable<unknown>, options: NumericSketchOptions = {}): NumericSketch {
  return sketchAll(numericAccumulator(options), values);
}

/** The sketch of no values. */
export function emptyNumeric(options: NumericSketchOptions = {}): NumericSketch {
  return numericAccumulator(options).sketch();
}

/** `sketch` with one more value, as a new sketch (an accumulator is cheaper for many values). */
export function addNumeric(sketch: NumericSketch, value: unknown): NumericSketch {
  return combineNumeric(sketch, sketchNumeric([value], { alpha: sketch.alpha, edges: sketch.edges }));
}

/** The sketch of both sketches' values; sketches of another alpha or other edges do not merge. */
export function mergeNumeric(a: NumericSketch, b: NumericSketch): Parsed<NumericSketch> {
  if (a.alpha !== b.alpha) return reject('alpha', `sketches of different accuracy do not merge: ${a.alpha} and ${b.alpha}`);
  if (!sameNumbers(a.edges, b.edges)) return reject('edges', 'sketches binned by different edges do not merge');
  return accept(combineNumeric(a, b));
}

function combineNumeric(a: NumericSketch, b: NumericSketch): NumericSketch {
  const extreme = (x: number | null, y: number | null, pick: (p: number, q: number) => number): number | null =>
    x === null ? y : y === null ? x : pick(x, y);
  return {
    alpha: a.alpha,
    count: a.count + b.count,
    missing: a.missing + b.missing,
    nonNumeric: a.nonNumeric + b.nonNumeric,
    sum: formatSum(parseSum(a.sum) + parseSum(b.sum)),
    sumAbs: formatSum(parseSum(a.sumAbs) + parseSum(b.sumAbs)),
    min: extreme(a.min, b.min, Math.min),
    max: extreme(a.max, b.max, Math.max),
    zero: a.zero + b.zero,
    negative: mergeBuckets(a.negative, b.negative),
    positive: mergeBuckets(a.positive, b.positive),
    edges: [...a.edges],
    bins: a.bins.map((n, i) => n + b.bins[i]),
  };
}

function sortedBuckets(store: ReadonlyMap<number, number>): Bucket[] {
  return [...store.entries()].sort(([i], [j]) => i - j);
}

/** Two index-sorted bucket lists as one, in linear time. */
export function mergeBuckets(a: readonly Bucket[], b: readonly Bucket[]): Bucket[] {
  const merged: Bucket[] = [];
  let i = 0, j = 0;
  while (i < a.length || j < b.length) {
    if (j === b.length || (i < a.length && a[i][0] < b[j][0])) merged.push([a[i][0], a[i++][1]]);
    else if (i === a.length || b[j][0] < a[i][0]) merged.push([b[j][0], b[j++][1]]);
    else merged.push([a[i][0], a[i++][1] + b[j++][1]]);
  }
  return merged;
}

/** A bucket in value order: `position` orders buckets of both signs (0 is the zero bucket). */
export interface PlacedBucket {
  readonly position: number;
  /** The representative. */
  readonly value: number;
  /** The lowest value the bucket can hold: every value in it is >= floor, every value of a lower bucket below. */
  readonly floor: number;
  readonly count: number;
}

/**
 * The sketch's buckets from the lowest value to the highest, each at its representative. Positions are
 * comparable across sketches of one alpha: negative buckets below 0 (a larger index lower), positive above.
 */
export function placedBuckets(sketch: NumericSketch): PlacedBucket[] {
  const g = geometry(sketch.alpha);
  const offset = 1 - g.minIndex;
  const placed: PlacedBucket[] = [];
  for (let k = sketch.negative.length - 1; k >= 0; k -= 1) {
    const [index, count] = sketch.negative[k];
    placed.push({ position: -(index + offset), value: -representative(g, index), floor: -(g.gamma ** index), count });
  }
  if (sketch.zero > 0) placed.push({ position: 0, value: 0, floor: -ZERO_THRESHOLD, count: sketch.zero });
  for (const [index, count] of sketch.positive) {
    const floor = index === g.minIndex ? ZERO_THRESHOLD : g.gamma ** (index - 1);
    placed.push({ position: index + offset, value: representative(g, index), floor, count });
  }
  return placed;
}

/** The bucket holding the q-quantile: the first, in value order, whose cumulative count exceeds q * (count - 1). */
export function quantileBucket(sketch: NumericSketch, q: number): PlacedBucket | null {
  if (sketch.count === 0) return null;
  const rank = q * (sketch.count - 1);
  let cumulative = 0;
  const buckets = placedBuckets(sketch);
  for (const bucket of buckets) {
    cumulative += bucket.count;
    if (cumulative > rank) return bucket;
  }
  return buckets[buckets.length - 1];
}

/**
 * The q-quantile (0 <= q <= 1) as the sketch knows it: the representative of quantileBucket, within alpha of the
 * sample's value at rank q * (count - 1). null for an empty sketch.
 */
export function quantile(sketch: NumericSketch, q: number): number | null {
  return quantileBucket(sketch, q)?.value ?? null;
}
