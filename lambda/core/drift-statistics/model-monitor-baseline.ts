/**
 * A baseline from SageMaker Model Monitor's statistics.json (its baselining job's output), for teams moving off
 * Model Monitor.
 *
 * A numerical feature's KLL histogram becomes its bins: the edges are the buckets' interior lower bounds (zero-width
 * buckets sharing a bound merged), each bucket's count goes to the bin holding its lower bound, so a window binned
 * against these edges (edges[i-1] <= x < edges[i]) is counted the way the histogram was. The quantile store cannot
 * be recovered from ten buckets: each bucket's count is placed at its midpoint, so KS and Wasserstein against such a
 * feature carry the KLL bucket width as extra error, and the feature is named in `approximate`.
 *
 * A string feature's categorical buckets become its category counts, with the cap rule of categorical-sketch.ts.
 */
import { accept, describe, isRecord, parseJson, reject, type Parsed } from '../result';
import type { Baseline, FeatureSketch } from './baseline';
import { DEFAULT_CATEGORY_CAP, capProblem, compareRank, type CategoricalSketch, type CategoryCount } from './categorical-sketch';
import { formatSum, toUnits } from './exact-sum';
import { DEFAULT_ALPHA, MAX_EDGES, ZERO_THRESHOLD, bucketIndex, geometry, optionsProblem, type Bucket, type NumericSketch } from './numeric-sketch';
import { asNumber } from './values';

export interface ModelMonitorBaselineOptions {
  /** Relative accuracy of the numeric features' quantile store; windows are sketched with the same. @default 0.005 */
  readonly alpha?: number;
  /** Categories that keep their own count per string feature. @default 1000 */
  readonly cap?: number;
}

export interface ModelMonitorBaseline {
  readonly baseline: Baseline;
  /** Numeric features with values, whose quantile store was rebuilt from KLL buckets: KS and Wasserstein are approximate. */
  readonly approximate: readonly string[];
}

type Fields = Record<string, unknown>;

interface KllBucket {
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
}

const DOCUMENT = 'statistics.json';

function objectAt(value: unknown, path: string): Parsed<Fields> {
  if (value === undefined) return reject(path, 'is missing');
  return isRecord(value) ? accept(value) : reject(path, `must be an object, got ${describe(value)}`);
}

function wholeAt(value: unknown, path: string): Parsed<number> {
  if (value === undefined) return reject(path, 'is missing');
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) return reject(path, `must be a whole number >= 0, got ${describe(value)}`);
  return accept(value);
}

/** A finite number, -0 read as 0 (JSON cannot send -0 back, and edges are compared with Object.is). */
function finiteAt(value: unknown, path: string): Parsed<number> {
  if (value === undefined) return reject(path, 'is missing');
  if (typeof value !== 'number' || !Number.isFinite(value)) return reject(path, `must be a finite number, got ${describe(value)}`);
  return accept(value + 0);
}

function arrayAt(value: unknown, path: string): Parsed<readonly unknown[]> {
  if (value === undefined) return reject(path, 'is missing');
  return Array.isArray(value) ? accept(value) : reject(path, `must be an array, got ${describe(value)}`);
}

/** num_present and num_missing, which must account for every row. */
function common(stats: Fields, path: string, rows: number): Parsed<{ present: number; missing: number }> {
  const record = objectAt(stats.common, `${path}.common`);
  if (!record.ok) return record;
  const present = wholeAt(record.value.num_present, `${path}.common.num_present`);
  if (!present.ok) return present;
  const missing = wholeAt(record.value.num_missing, `${path}.common.num_missing`);
  if (!missing.ok) return missing;
  const accounted = present.value + missing.value;
  if (accounted !== rows) return reject(`${path}.common`, `num_present + num_missing must equal dataset.item_count ${rows}, got ${accounted}`);
  return accept({ present: present.value, missing: missing.value });
}

/** KLL buckets in value order, each starting at or after the end of the one before. */
function kllBuckets(value: unknown, path: string): Parsed<KllBucket[]> {
  const list = arrayAt(value, path);
  if (!list.ok) return list;
  if (list.value.length > MAX_EDGES + 1) return reject(path, `must have at most ${MAX_EDGES + 1} buckets, got ${list.value.length}`);
  const read: KllBucket[] = [];
  for (let i = 0; i < list.value.length; i += 1) {
    const at = `${path}[${i}]`;
    const entry = objectAt(list.value[i], at);
    if (!entry.ok) return entry;
    const lower = finiteAt(entry.value.lower_bound, `${at}.lower_bound`);
    if (!lower.ok) return lower;
    const upper = finiteAt(entry.value.upper_bound, `${at}.upper_bound`);
    if (!upper.ok) return upper;
    const count = wholeAt(entry.value.count, `${at}.count`);
    if (!count.ok) return count;
    if (upper.value < lower.value) return reject(`${at}.upper_bound`, `must not be below lower_bound ${lower.value}, got ${upper.value}`);
    const previous = read[i - 1];
    if (previous !== undefined && lower.value < previous.upper) {
      return reject(`${at}.lower_bound`, `must not be below the upper_bound before it (${previous.upper}), got ${lower.value}`);
    }
    read.push({ lower: lower.value, upper: upper.value, count: count.value });
  }
  return accept(read);
}

/** Edges at the interior lower bounds, ties merged; each bucket counted in the bin holding its lower bound. */
function kllBins(buckets: readonly KllBucket[]): { edges: number[]; bins: number[] } {
  const edges: number[] = [];
  for (let i = 1; i < buckets.length; i += 1) {
    if (edges.length === 0 || buckets[i].lower > edges[edges.length - 1]) edges.push(buckets[i].lower);
  }
  const bins = new Array<number>(edges.length + 1).fill(0);
  let bin = 0;
  for (const { lower, count } of buckets) {
    while (bin < edges.length && edges[bin] <= lower) bin += 1;
    bins[bin] += count;
  }
  return { edges, bins };
}

/** The quantile store with every bucket's count at its midpoint; midpoints rise, so equal indices are adjacent. */
function midpointStores(buckets: readonly KllBucket[], alpha: number): { zero: number; negative: Bucket[]; positive: Bucket[] } {
  const g = geometry(alpha);
  const negative: [number, number][] = [];
  const positive: [number, number][] = [];
  let zero = 0;
  for (const { lower, upper, count } of buckets) {
    if (count === 0) continue;
    const middle = lower / 2 + upper / 2;
    if (Math.abs(middle) < ZERO_THRESHOLD) { zero += count; continue; }
    const store = middle > 0 ? positive : negative;
    const index = bucketIndex(g, Math.abs(middle));
    const last = store[store.length - 1];
    if (last !== undefined && last[0] === index) last[1] += count;
    else store.push([index, count]);
  }
  // Rising negative values have falling magnitudes, so their indices came in descending.
  return { zero, negative: negative.reverse(), positive };
}

/**
 * The sum of |x|: |sum| exactly when min >= 0 or max <= 0. Otherwise sum + 2 * (the negative values' magnitude),
 * that magnitude estimated from the buckets with values spread evenly within each, and never below |sum|. It only
 * scales Wasserstein's error bound, which for these features is approximate anyway.
 */
function sumOfMagnitudes(sum: number, min: number, max: number, buckets: readonly KllBucket[]): number {
  if (min >= 0 || max <= 0) return Math.abs(sum);
  let negativeMass = 0;
  for (const { lower, upper, count } of buckets) {
    if (upper <= 0) negativeMass -= count * (lower / 2 + upper / 2);
    else if (lower < 0) negativeMass += (count * lower * lower) / (2 * (upper - lower));
  }
  const estimate = Math.max(Math.abs(sum), sum + 2 * negativeMass);
  return Number.isFinite(estimate) ? estimate : Number.MAX_VALUE;
}

function numericFeature(stats: Fields, path: string, rows: number, alpha: number): Parsed<NumericSketch> {
  const tallies = common(stats, path, rows);
  if (!tallies.ok) return tallies;
  const { present, missing } = tallies.value;
  const none = { zero: 0, negative: [], positive: [], edges: [], bins: [0] };
  // A feature without values has nothing to bin; its distribution, if any, is not read.
  if (present === 0) return accept({ alpha, count: 0, missing, nonNumeric: 0, sum: '0x0', sumAbs: '0x0', min: null, max: null, ...none });
  const min = finiteAt(stats.min, `${path}.min`);
  if (!min.ok) return min;
  const max = finiteAt(stats.max, `${path}.max`);
  if (!max.ok) return max;
  if (min.value > max.value) return reject(`${path}.min`, `must not exceed max ${max.value}, got ${min.value}`);
  const sum = finiteAt(stats.sum, `${path}.sum`);
  if (!sum.ok) return sum;
  const distribution = objectAt(stats.distribution, `${path}.distribution`);
  if (!distribution.ok) return distribution;
  const kll = objectAt(distribution.value.kll, `${path}.distribution.kll`);
  if (!kll.ok) return kll;
  const buckets = kllBuckets(kll.value.buckets, `${path}.distribution.kll.buckets`);
  if (!buckets.ok) return buckets;
  const counted = buckets.value.reduce((total, { count }) => total + count, 0);
  if (counted !== present) return reject(`${path}.distribution.kll.buckets`, `counts must add up to num_present ${present}, got ${counted}`);
  const { edges, bins } = kllBins(buckets.value);
  const { zero, negative, positive } = midpointStores(buckets.value, alpha);
  return accept({
    alpha, count: present, missing, nonNumeric: 0,
    sum: formatSum(toUnits(sum.value)), sumAbs: formatSum(toUnits(sumOfMagnitudes(sum.value, min.value, max.value, buckets.value))),
    min: min.value, max: max.value, zero, negative, positive, edges, bins,
  });
}

/**
 * Category counts under the cap rule: the `cap` categories of lowest rank keep their count, the others go to
 * overflow, as do values the buckets do not list (num_present beyond their sum), whose type is unknown and so
 * not counted as numbers.
 */
function categoricalFeature(stats: Fields, path: string, rows: number, cap: number): Parsed<CategoricalSketch> {
  const tallies = common(stats, path, rows);
  if (!tallies.ok) return tallies;
  const { present, missing } = tallies.value;
  if (present === 0) return accept({ cap, count: 0, missing, numeric: 0, categories: [], overflow: 0 });
  const distribution = objectAt(stats.distribution, `${path}.distribution`);
  if (!distribution.ok) return distribution;
  const categorical = objectAt(distribution.value.categorical, `${path}.distribution.categorical`);
  if (!categorical.ok) return categorical;
  const bucketsPath = `${path}.distribution.categorical.buckets`;
  const list = arrayAt(categorical.value.buckets, bucketsPath);
  if (!list.ok) return list;
  const seen = new Map<string, number>();
  const counts: CategoryCount[] = [];
  let listed = 0, numeric = 0;
  for (let i = 0; i < list.value.length; i += 1) {
    const at = `${bucketsPath}[${i}]`;
    const entry = objectAt(list.value[i], at);
    if (!entry.ok) return entry;
    const value = entry.value.value;
    if (typeof value !== 'string') return reject(`${at}.value`, `must be a string, got ${describe(value)}`);
    const first = seen.get(value);
    if (first !== undefined) return reject(`${at}.value`, `repeats the value of ${bucketsPath}[${first}]`);
    seen.set(value, i);
    const count = wholeAt(entry.value.count, `${at}.count`);
    if (!count.ok) return count;
    if (count.value === 0) continue;
    counts.push([value, count.value]);
    listed += count.value;
    if (asNumber(value) !== undefined) numeric += count.value;
  }
  if (listed > present) return reject(bucketsPath, `counts must not add up to more than num_present ${present}, got ${listed}`);
  let overflow = present - listed;
  let kept = counts;
  if (counts.length > cap) {
    const ranked = [...counts].sort(([x], [y]) => compareRank(x, y));
    for (const [, n] of ranked.slice(cap)) overflow += n;
    kept = ranked.slice(0, cap);
  }
  const categories = [...kept].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return accept({ cap, count: present, missing, numeric, categories, overflow });
}

function feature(input: unknown, path: string, rows: number, options: Required<ModelMonitorBaselineOptions>): Parsed<FeatureSketch> {
  const record = objectAt(input, path);
  if (!record.ok) return record;
  const name = record.value.name;
  if (typeof name !== 'string' || name.length === 0) return reject(`${path}.name`, `must be a non-empty string, got ${describe(name)}`);
  const { numerical_statistics: numerical, string_statistics: text } = record.value;
  if (numerical !== undefined) {
    const stats = objectAt(numerical, `${path}.numerical_statistics`);
    if (!stats.ok) return stats;
    const sketch = numericFeature(stats.value, `${path}.numerical_statistics`, rows, options.alpha);
    return sketch.ok ? accept({ name, kind: 'numeric', sketch: sketch.value }) : sketch;
  }
  if (text !== undefined) {
    const stats = objectAt(text, `${path}.string_statistics`);
    if (!stats.ok) return stats;
    const sketch = categoricalFeature(stats.value, `${path}.string_statistics`, rows, options.cap);
    return sketch.ok ? accept({ name, kind: 'categorical', sketch: sketch.value }) : sketch;
  }
  return reject(path, 'must have numerical_statistics or string_statistics');
}

/**
 * The baseline a Model Monitor statistics.json describes, features sorted by name, and the numeric features whose
 * KS and Wasserstein are approximate. Unreadable input is a rejection naming the field (such as
 * `features[2].numerical_statistics.distribution.kll.buckets[3].count`); invalid options, a programming error,
 * are a RangeError, as for the sketches' accumulators. Linear in the input, apart from sorting features and categories.
 */
export function baselineFromModelMonitorStatistics(text: string, options: ModelMonitorBaselineOptions = {}): Parsed<ModelMonitorBaseline> {
  const settings = { alpha: options.alpha ?? DEFAULT_ALPHA, cap: options.cap ?? DEFAULT_CATEGORY_CAP };
  const problem = optionsProblem(settings.alpha, []) ?? capProblem(settings.cap);
  if (problem !== undefined) throw new RangeError(problem);
  const json = parseJson(text, DOCUMENT);
  if (!json.ok) return json;
  const document = objectAt(json.value, DOCUMENT);
  if (!document.ok) return document;
  const dataset = objectAt(document.value.dataset, 'dataset');
  if (!dataset.ok) return dataset;
  const rows = wholeAt(dataset.value.item_count, 'dataset.item_count');
  if (!rows.ok) return rows;
  const list = arrayAt(document.value.features, 'features');
  if (!list.ok) return list;
  const features: FeatureSketch[] = [];
  const indexOf = new Map<string, number>();
  for (let i = 0; i < list.value.length; i += 1) {
    const read = feature(list.value[i], `features[${i}]`, rows.value, settings);
    if (!read.ok) return read;
    const first = indexOf.get(read.value.name);
    if (first !== undefined) return reject(`features[${i}].name`, `repeats the name of features[${first}]`);
    indexOf.set(read.value.name, i);
    features.push(read.value);
  }
  features.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const approximate = features.filter(({ kind, sketch }) => kind === 'numeric' && sketch.count > 0).map(({ name }) => name);
  return accept({ baseline: { rows: rows.value, features }, approximate });
}
