/**
 * Baselines and windows as sketches per feature.
 *
 * A baseline takes two passes over the training sample: the first profiles every column (as numbers and as
 * categories) to choose each feature's kind and, for a number, its bin edges at the sample's quantiles; the
 * second sketches the sample against that plan, so the baseline's bin counts are exact. A window is sketched
 * against the baseline the same way, so both share bins, accuracy and cap. Each pass may run over parts of the
 * data on different functions; their sketches merge exactly.
 */
import { accept, isRecord, reject, type Parsed } from '../result';
import { categoricalAccumulator, mergeCategorical, type CategoricalSketch, type CategoricalSketchOptions } from './categorical-sketch';
import {
  emptyNumeric, mergeNumeric, numericAccumulator, quantileBucket, sketchAll, type Accumulator, type NumericSketch, type NumericSketchOptions,
} from './numeric-sketch';
import { isMissing } from './values';

export type FeatureKind = 'numeric' | 'categorical';

export type FeatureSketch =
  | { readonly name: string; readonly kind: 'numeric'; readonly sketch: NumericSketch }
  | { readonly name: string; readonly kind: 'categorical'; readonly sketch: CategoricalSketch };

/** The training sample's features, sorted by name; a baseline with rows 0 is a plan for the second pass. */
export interface Baseline {
  readonly rows: number;
  readonly features: readonly FeatureSketch[];
}

/** A window against a baseline: its features in the baseline's order, and the columns the baseline lacks. */
export interface WindowSketch {
  readonly rows: number;
  readonly features: readonly FeatureSketch[];
  /** Per column the baseline lacks, how many rows have a value there (capped like any category). */
  readonly otherColumns: CategoricalSketch;
}

/** Every column of a sample, sketched both ways: the first pass of a baseline. */
export interface Profile {
  readonly rows: number;
  /** Sorted by name. */
  readonly columns: readonly { readonly name: string; readonly numeric: NumericSketch; readonly categorical: CategoricalSketch }[];
}

export type Row = Readonly<Record<string, unknown>>;

export const DEFAULT_BINS = 10;
export const BINS_RANGE = Object.freeze({ min: 2, max: 100 });

export interface BaselineOptions extends NumericSketchOptions, CategoricalSketchOptions {
  /** Bins per numeric feature before ties merge them. @default 10 (deciles) */
  readonly bins?: number;
  /** Kinds for the columns named; any other column is numeric when most of its values are numbers. @default {} */
  readonly kinds?: Readonly<Record<string, FeatureKind>>;
}

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The first pass: every column sketched as numbers (unbinned) and as categories. */
export function profileAccumulator(options: BaselineOptions = {}): Accumulator<Profile> {
  const columns = new Map<string, { firstRow: number; numeric: Accumulator<NumericSketch>; categorical: Accumulator<CategoricalSketch> }>();
  let rows = 0;
  return {
    add(value: unknown): void {
      const row: Row = isRecord(value) ? value : {};
      for (const name of Object.keys(row)) {
        if (!columns.has(name) && !isMissing(row[name])) {
          columns.set(name, { firstRow: rows, numeric: numericAccumulator({ alpha: options.alpha }), categorical: categoricalAccumulator(options) });
        }
      }
      for (const [name, column] of columns) {
        const cell = Object.hasOwn(row, name) ? row[name] : undefined;
        column.numeric.add(cell);
        column.categorical.add(cell);
      }
      rows += 1;
    },
    sketch(): Profile {
      // A column first seen at row r was missing from the r rows before it.
      const backfilled = [...columns].map(([name, column]) => {
        const numeric = column.numeric.sketch();
        const categorical = column.categorical.sketch();
        return {
          name,
          numeric: { ...numeric, missing: numeric.missing + column.firstRow },
          categorical: { ...categorical, missing: categorical.missing + column.firstRow },
        };
      });
      return { rows, columns: backfilled.sort(byName) };
    },
  };
}

/** Two profiles of parts of one sample as the profile of the whole. */
export function mergeProfiles(a: Profile, b: Profile): Parsed<Profile> {
  const left = new Map(a.columns.map((column) => [column.name, column]));
  const right = new Map(b.columns.map((column) => [column.name, column]));
  const names = [...new Set([...left.keys(), ...right.keys()])].sort();
  const columns: Profile['columns'][number][] = [];
  for (const name of names) {
    const inA = left.get(name) ?? absent(a.rows, right.get(name));
    const inB = right.get(name) ?? absent(b.rows, inA);
    const numeric = mergeNumeric(inA.numeric, inB.numeric);
    if (!numeric.ok) return reject(`columns.${name}.numeric.${numeric.error.field}`, numeric.error.problem);
    const categorical = mergeCategorical(inA.categorical, inB.categorical);
    if (!categorical.ok) return reject(`columns.${name}.categorical.${categorical.error.field}`, categorical.error.problem);
    columns.push({ name, numeric: numeric.value, categorical: categorical.value });
  }
  return accept({ rows: a.rows + b.rows, columns });
}

/** A column a part never saw: all its rows missing, sketched with the other part's options. */
function absent(rows: number, like: Profile['columns'][number] | undefined): Profile['columns'][number] {
  if (like === undefined) throw new RangeError('a merged column comes from one of the profiles');
  return {
    name: like.name,
    numeric: { ...emptyNumeric({ alpha: like.numeric.alpha }), missing: rows },
    categorical: { cap: like.categorical.cap, count: 0, missing: rows, numeric: 0, categories: [], overflow: 0 },
  };
}

/**
 * Bin edges at the sketch's quantiles 1/bins, 2/bins, ..., (bins - 1)/bins, ties merged, so a discrete feature
 * gets fewer bins; none for an empty sketch. Each edge is the floor of the bucket holding its quantile (within
 * 2 * alpha of it), so the quantile's value and its ties start the bin, as with edges at exact quantiles.
 */
export function binEdges(sketch: NumericSketch, bins: number = DEFAULT_BINS): number[] {
  if (!Number.isInteger(bins) || bins < BINS_RANGE.min || bins > BINS_RANGE.max) {
    throw new RangeError(`bins must be a whole number between ${BINS_RANGE.min} and ${BINS_RANGE.max}, got ${bins}`);
  }
  const edges: number[] = [];
  for (let k = 1; k < bins; k += 1) {
    const edge = quantileBucket(sketch, k / bins)?.floor ?? null;
    if (edge !== null && (edges.length === 0 || edge > edges[edges.length - 1])) edges.push(edge);
  }
  return edges;
}

/** The plan for the second pass: each column's kind and, for a numeric one, its edges; no rows yet. */
export function planBaseline(profile: Profile, options: BaselineOptions = {}): Baseline {
  const features = profile.columns.map(({ name, numeric, categorical }): FeatureSketch => {
    const kind = Object.hasOwn(options.kinds ?? {}, name) ? (options.kinds ?? {})[name] : numeric.count > numeric.nonNumeric ? 'numeric' : 'categorical';
    return kind === 'numeric'
      ? { name, kind, sketch: emptyNumeric({ alpha: numeric.alpha, edges: binEdges(numeric, options.bins) }) }
      : { name, kind, sketch: { cap: categorical.cap, count: 0, missing: 0, numeric: 0, categories: [], overflow: 0 } };
  });
  return { rows: 0, features };
}

/** Sketches rows against a baseline (or a plan): its features with its options, and the columns it lacks. */
export function windowAccumulator(baseline: Baseline, options: CategoricalSketchOptions = {}): Accumulator<WindowSketch> {
  const known = new Set(baseline.features.map(({ name }) => name));
  const features = baseline.features.map((feature) => ({
    name: feature.name,
    accumulator: feature.kind === 'numeric'
      ? { kind: 'numeric' as const, sketch: numericAccumulator({ alpha: feature.sketch.alpha, edges: feature.sketch.edges }) }
      : { kind: 'categorical' as const, sketch: categoricalAccumulator({ cap: feature.sketch.cap }) },
  }));
  const otherColumns = categoricalAccumulator(options);
  let rows = 0;
  return {
    add(value: unknown): void {
      const row: Row = isRecord(value) ? value : {};
      for (const { name, accumulator } of features) accumulator.sketch.add(Object.hasOwn(row, name) ? row[name] : undefined);
      for (const name of Object.keys(row)) if (!known.has(name) && !isMissing(row[name])) otherColumns.add(name);
      rows += 1;
    },
    sketch(): WindowSketch {
      return {
        rows,
        features: features.map(({ name, accumulator }): FeatureSketch =>
          accumulator.kind === 'numeric'
            ? { name, kind: 'numeric', sketch: accumulator.sketch.sketch() }
            : { name, kind: 'categorical', sketch: accumulator.sketch.sketch() }),
        otherColumns: otherColumns.sketch(),
      };
    },
  };
}

export function sketchWindow(baseline: Baseline, rows: Iterable<Row>, options: CategoricalSketchOptions = {}): WindowSketch {
  return sketchAll(windowAccumulator(baseline, options), rows);
}

/** Two windows' sketches against one baseline as one; windows sketched against different baselines do not merge. */
export function mergeWindows(a: WindowSketch, b: WindowSketch): Parsed<WindowSketch> {
  if (a.features.length !== b.features.length) return reject('features', `windows of different baselines do not merge: ${a.features.length} and ${b.features.length} features`);
  const features: FeatureSketch[] = [];
  for (let i = 0; i < a.features.length; i += 1) {
    const merged = mergeFeature(a.features[i], b.features[i]);
    if (!merged.ok) return reject(`features[${i}].${merged.error.field}`, merged.error.problem);
    features.push(merged.value);
  }
  const otherColumns = mergeCategorical(a.otherColumns, b.otherColumns);
  if (!otherColumns.ok) return reject(`otherColumns.${otherColumns.error.field}`, otherColumns.error.problem);
  return accept({ rows: a.rows + b.rows, features, otherColumns: otherColumns.value });
}

/** One feature's sketches from two parts as one. */
export function mergeFeature(a: FeatureSketch, b: FeatureSketch): Parsed<FeatureSketch> {
  if (a.name !== b.name) return reject('name', `features of different names do not merge: '${a.name}' and '${b.name}'`);
  if (a.kind === 'numeric' && b.kind === 'numeric') {
    const sketch = mergeNumeric(a.sketch, b.sketch);
    return sketch.ok ? accept({ name: a.name, kind: 'numeric', sketch: sketch.value }) : reject(`sketch.${sketch.error.field}`, sketch.error.problem);
  }
  if (a.kind === 'categorical' && b.kind === 'categorical') {
    const sketch = mergeCategorical(a.sketch, b.sketch);
    return sketch.ok ? accept({ name: a.name, kind: 'categorical', sketch: sketch.value }) : reject(`sketch.${sketch.error.field}`, sketch.error.problem);
  }
  return reject('kind', `features of different kinds do not merge: ${a.kind} and ${b.kind}`);
}

/** A sample sketched against its own plan is its baseline. */
export function toBaseline(window: WindowSketch): Baseline {
  return { rows: window.rows, features: window.features };
}

/**
 * The baseline of a training sample, reading `rows` twice (first to profile it, then to count it against the
 * plan), so `rows` must be re-iterable, as an array is; a second pass of another length is a RangeError.
 */
export function buildBaseline(rows: Iterable<Row>, options: BaselineOptions = {}): Baseline {
  const profile = profileAccumulator(options);
  for (const row of rows) profile.add(row);
  const first = profile.sketch();
  const window = sketchWindow(planBaseline(first, options), rows);
  if (window.rows !== first.rows) throw new RangeError(`rows gave ${first.rows} rows, then ${window.rows}: pass rows that can be read twice, such as an array`);
  return toBaseline(window);
}
