/**
 * Parsers for sketches that arrive as JSON from another function. Each checks shape and invariants in one pass
 * (linear in the input's size), names the first wrong field, never throws, and returns a fresh object with
 * keys in the canonical order, so a parsed sketch deep-equals the one that was sent.
 */
import { accept, describe, isRecord, reject, type Parsed } from '../result';
import type { Baseline, FeatureSketch, WindowSketch } from './baseline';
import { CATEGORY_CAP_RANGE, type CategoricalSketch, type CategoryCount } from './categorical-sketch';
import { isExactSum } from './exact-sum';
import { ALPHA_RANGE, MAX_EDGES, geometry, optionsProblem, type Bucket, type NumericSketch } from './numeric-sketch';

type Fields = Record<string, unknown>;

function count(record: Fields, name: string, path: string): Parsed<number> {
  const value = record[name];
  if (value === undefined) return reject(`${path}.${name}`, 'is missing');
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) return reject(`${path}.${name}`, `must be a whole number >= 0, got ${describe(value)}`);
  return accept(value);
}

/** Reads every named count, or the first problem. */
function counts<K extends string>(record: Fields, names: readonly K[], path: string): Parsed<Record<K, number>> {
  const read: Partial<Record<K, number>> = {};
  for (const name of names) {
    const value = count(record, name, path);
    if (!value.ok) return value;
    read[name] = value.value;
  }
  return accept(read as Record<K, number>);
}

function exactSum(record: Fields, name: string, path: string): Parsed<string> {
  const value = record[name];
  if (typeof value !== 'string' || !isExactSum(value)) return reject(`${path}.${name}`, `must be an exact sum such as '0x1f' or '-0x3', got ${describe(value)}`);
  return accept(value);
}

function numbers(value: unknown, path: string, longest: number): Parsed<number[]> {
  if (!Array.isArray(value)) return reject(path, `must be an array, got ${describe(value)}`);
  if (value.length > longest) return reject(path, `must have at most ${longest} entries, got ${value.length}`);
  for (let i = 0; i < value.length; i += 1) {
    if (typeof value[i] !== 'number' || !Number.isFinite(value[i])) return reject(`${path}[${i}]`, `must be a finite number, got ${describe(value[i])}`);
  }
  return accept([...(value as number[])]);
}

function buckets(value: unknown, path: string, minIndex: number, maxIndex: number): Parsed<Bucket[]> {
  if (!Array.isArray(value)) return reject(path, `must be an array of [index, count] pairs, got ${describe(value)}`);
  const read: Bucket[] = [];
  for (let i = 0; i < value.length; i += 1) {
    const pair: unknown = value[i];
    if (!Array.isArray(pair) || pair.length !== 2) return reject(`${path}[${i}]`, `must be an [index, count] pair, got ${describe(pair)}`);
    const [index, n]: unknown[] = pair;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < minIndex || index > maxIndex) {
      return reject(`${path}[${i}][0]`, `must be a whole number between ${minIndex} and ${maxIndex}, got ${describe(index)}`);
    }
    if (i > 0 && index <= read[i - 1][0]) return reject(`${path}[${i}][0]`, `must be above the index before it (${read[i - 1][0]}), got ${index}`);
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) return reject(`${path}[${i}][1]`, `must be a whole number >= 1, got ${describe(n)}`);
    read.push([index, n]);
  }
  return accept(read);
}

const total = (values: readonly number[]): number => values.reduce((sum, n) => sum + n, 0);

/** Reads a NumericSketch. */
export function parseNumericSketch(input: unknown, path = 'sketch'): Parsed<NumericSketch> {
  if (!isRecord(input)) return reject(path, `must be an object, got ${describe(input)}`);
  const alpha = input.alpha;
  if (typeof alpha !== 'number' || !(alpha >= ALPHA_RANGE.min && alpha <= ALPHA_RANGE.max)) {
    return reject(`${path}.alpha`, `must be a number between ${ALPHA_RANGE.min} and ${ALPHA_RANGE.max}, got ${describe(alpha)}`);
  }
  const tallies = counts(input, ['count', 'missing', 'nonNumeric', 'zero'] as const, path);
  if (!tallies.ok) return tallies;
  const sum = exactSum(input, 'sum', path);
  if (!sum.ok) return sum;
  const sumAbs = exactSum(input, 'sumAbs', path);
  if (!sumAbs.ok) return sumAbs;
  if (sumAbs.value.startsWith('-')) return reject(`${path}.sumAbs`, `must not be negative, got '${sumAbs.value}'`);
  const { min, max } = input;
  const empty = tallies.value.count === 0;
  for (const [name, value] of [['min', min], ['max', max]] as const) {
    if (empty ? value !== null : typeof value !== 'number' || !Number.isFinite(value)) {
      return reject(`${path}.${name}`, `must be ${empty ? 'null while count is 0' : 'a finite number'}, got ${describe(value)}`);
    }
  }
  if (!empty && (min as number) > (max as number)) return reject(`${path}.min`, `must not exceed max ${String(max)}, got ${String(min)}`);
  const g = geometry(alpha);
  const negative = buckets(input.negative, `${path}.negative`, g.minIndex, g.maxIndex);
  if (!negative.ok) return negative;
  const positive = buckets(input.positive, `${path}.positive`, g.minIndex, g.maxIndex);
  if (!positive.ok) return positive;
  const bucketed = tallies.value.zero + total(negative.value.map(([, n]) => n)) + total(positive.value.map(([, n]) => n));
  if (bucketed !== tallies.value.count) return reject(`${path}.count`, `must equal zero plus the buckets' counts (${bucketed}), got ${tallies.value.count}`);
  const edges = numbers(input.edges, `${path}.edges`, MAX_EDGES);
  if (!edges.ok) return edges;
  const problem = optionsProblem(alpha, edges.value);
  if (problem !== undefined) return reject(`${path}.edges`, problem);
  const bins = numbers(input.bins, `${path}.bins`, MAX_EDGES + 1);
  if (!bins.ok) return bins;
  if (bins.value.length !== edges.value.length + 1) return reject(`${path}.bins`, `must have ${edges.value.length + 1} entries (one more than edges), got ${bins.value.length}`);
  const badBin = bins.value.findIndex((n) => !Number.isSafeInteger(n) || n < 0);
  if (badBin >= 0) return reject(`${path}.bins[${badBin}]`, `must be a whole number >= 0, got ${bins.value[badBin]}`);
  if (total(bins.value) !== tallies.value.count) return reject(`${path}.bins`, `must add up to count ${tallies.value.count}, got ${total(bins.value)}`);
  const { count: n, missing, nonNumeric, zero } = tallies.value;
  return accept({
    alpha, count: n, missing, nonNumeric, sum: sum.value, sumAbs: sumAbs.value, min: empty ? null : (min as number), max: empty ? null : (max as number),
    zero, negative: negative.value, positive: positive.value, edges: edges.value, bins: bins.value,
  });
}

/** Reads a CategoricalSketch. */
export function parseCategoricalSketch(input: unknown, path = 'sketch'): Parsed<CategoricalSketch> {
  if (!isRecord(input)) return reject(path, `must be an object, got ${describe(input)}`);
  const tallies = counts(input, ['cap', 'count', 'missing', 'numeric', 'overflow'] as const, path);
  if (!tallies.ok) return tallies;
  const { cap, count: n, missing, numeric, overflow } = tallies.value;
  if (cap < CATEGORY_CAP_RANGE.min || cap > CATEGORY_CAP_RANGE.max) return reject(`${path}.cap`, `must be between ${CATEGORY_CAP_RANGE.min} and ${CATEGORY_CAP_RANGE.max}, got ${cap}`);
  if (numeric > n) return reject(`${path}.numeric`, `must not exceed count ${n}, got ${numeric}`);
  const entries = input.categories;
  if (!Array.isArray(entries)) return reject(`${path}.categories`, `must be an array of [category, count] pairs, got ${describe(entries)}`);
  if (entries.length > cap) return reject(`${path}.categories`, `must have at most cap (${cap}) entries, got ${entries.length}`);
  const categories: CategoryCount[] = [];
  let counted = overflow;
  for (let i = 0; i < entries.length; i += 1) {
    const pair: unknown = entries[i];
    const at = `${path}.categories[${i}]`;
    if (!Array.isArray(pair) || pair.length !== 2) return reject(at, `must be a [category, count] pair, got ${describe(pair)}`);
    const [name, k]: unknown[] = pair;
    if (typeof name !== 'string') return reject(`${at}[0]`, `must be a string, got ${describe(name)}`);
    if (i > 0 && name <= categories[i - 1][0]) return reject(`${at}[0]`, 'must sort after the category before it (names sorted, each once)');
    if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 1) return reject(`${at}[1]`, `must be a whole number >= 1, got ${describe(k)}`);
    categories.push([name, k]);
    counted += k;
  }
  if (counted !== n) return reject(`${path}.count`, `must equal the categories' counts plus overflow (${counted}), got ${n}`);
  return accept({ cap, count: n, missing, numeric, categories, overflow });
}

/** Reads one feature's sketch: `{ name, kind, sketch }`. */
export function parseFeatureSketch(input: unknown, path = 'feature'): Parsed<FeatureSketch> {
  if (!isRecord(input)) return reject(path, `must be an object, got ${describe(input)}`);
  const { name, kind } = input;
  if (typeof name !== 'string' || name.length === 0) return reject(`${path}.name`, `must be a non-empty string, got ${describe(name)}`);
  if (kind === 'numeric') {
    const sketch = parseNumericSketch(input.sketch, `${path}.sketch`);
    return sketch.ok ? accept({ name, kind, sketch: sketch.value }) : sketch;
  }
  if (kind === 'categorical') {
    const sketch = parseCategoricalSketch(input.sketch, `${path}.sketch`);
    return sketch.ok ? accept({ name, kind, sketch: sketch.value }) : sketch;
  }
  return reject(`${path}.kind`, `must be 'numeric' or 'categorical', got ${describe(kind)}`);
}

/** Features sorted by name, each once, each accounting for every row (values, non-values and missing). */
function features(input: Fields, path: string, rows: number): Parsed<FeatureSketch[]> {
  const list = input.features;
  if (!Array.isArray(list)) return reject(`${path}.features`, `must be an array, got ${describe(list)}`);
  const read: FeatureSketch[] = [];
  for (let i = 0; i < list.length; i += 1) {
    const feature = parseFeatureSketch(list[i], `${path}.features[${i}]`);
    if (!feature.ok) return feature;
    const { name } = feature.value;
    if (i > 0 && name <= read[i - 1].name) return reject(`${path}.features[${i}].name`, 'must sort after the feature before it (names sorted, each once)');
    const sketch = feature.value.sketch;
    const accounted = 'nonNumeric' in sketch ? sketch.count + sketch.nonNumeric + sketch.missing : sketch.count + sketch.missing;
    if (accounted !== rows) return reject(`${path}.features[${i}].sketch`, `must account for all ${rows} rows, got ${accounted}`);
    read.push(feature.value);
  }
  return accept(read);
}

/** Reads a Baseline. */
export function parseBaseline(input: unknown, path = 'baseline'): Parsed<Baseline> {
  if (!isRecord(input)) return reject(path, `must be an object, got ${describe(input)}`);
  const rows = count(input, 'rows', path);
  if (!rows.ok) return rows;
  const read = features(input, path, rows.value);
  return read.ok ? accept({ rows: rows.value, features: read.value }) : read;
}

/** Reads a WindowSketch. */
export function parseWindowSketch(input: unknown, path = 'window'): Parsed<WindowSketch> {
  if (!isRecord(input)) return reject(path, `must be an object, got ${describe(input)}`);
  const rows = count(input, 'rows', path);
  if (!rows.ok) return rows;
  const read = features(input, path, rows.value);
  if (!read.ok) return read;
  const otherColumns = parseCategoricalSketch(input.otherColumns, `${path}.otherColumns`);
  return otherColumns.ok ? accept({ rows: rows.value, features: read.value, otherColumns: otherColumns.value }) : otherColumns;
}
