/**
 * A mergeable summary of one categorical column: tallies and a count per category, with a cap on how many
 * categories keep their own count.
 *
 * The cap keeps merging exact. Categories are ranked by a hash of their name (FNV-1a over UTF-16 code units,
 * ties broken by the name itself), and the `cap` categories of lowest rank among all categories seen keep their
 * own count; every other value counts in `overflow`. Which categories keep their count thus depends only on the
 * set of categories, never on the order values arrive in: a category kept in the union is kept in every part
 * it occurs in (its rank there can only be lower), so merging adds the parts' counts for it and moves any other
 * kept category to `overflow`, and merge(sketch(A), sketch(B)) equals sketch(A and B) exactly. The price: past
 * the cap, the categories that keep a count are an arbitrary (hash-chosen) subset, not the most frequent; the
 * overflow share says how much that matters.
 */
import { accept, reject, type Parsed } from '../result';
import { sketchAll, type Accumulator } from './numeric-sketch';
import { asNumber, categoryOf, isMissing } from './values';

export const DEFAULT_CATEGORY_CAP = 1000;
export const CATEGORY_CAP_RANGE = Object.freeze({ min: 1, max: 100_000 });

/** A category and how many values it holds. */
export type CategoryCount = readonly [category: string, count: number];

/** Keys in this order; categories sorted by name (code-unit order), so equal contents are deep-equal sketches. */
export interface CategoricalSketch {
  readonly cap: number;
  /** Values present: count = sum of the categories' counts + overflow. */
  readonly count: number;
  readonly missing: number;
  /** Present values that are numbers or the text of one. */
  readonly numeric: number;
  readonly categories: readonly CategoryCount[];
  /** Values of categories past the cap. */
  readonly overflow: number;
}

export interface CategoricalSketchOptions {
  /** @default 1000 */
  readonly cap?: number;
}

/** FNV-1a, 32 bits, over the name's UTF-16 code units. */
export function categoryHash(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i += 1) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** The order that decides which categories keep a count: lower first. */
export function compareRank(a: string, b: string): number {
  const byHash = categoryHash(a) - categoryHash(b);
  return byHash !== 0 ? byHash : a < b ? -1 : a > b ? 1 : 0;
}

export function capProblem(cap: number): string | undefined {
  return Number.isInteger(cap) && cap >= CATEGORY_CAP_RANGE.min && cap <= CATEGORY_CAP_RANGE.max
    ? undefined
    : `cap must be a whole number between ${CATEGORY_CAP_RANGE.min} and ${CATEGORY_CAP_RANGE.max}, got ${cap}`;
}

/** An accumulator for one categorical column; throws a RangeError on an invalid cap (a programming error). */
export function categoricalAccumulator(options: CategoricalSketchOptions = {}): Accumulator<CategoricalSketch> {
  const cap = options.cap ?? DEFAULT_CATEGORY_CAP;
  const problem = capProblem(cap);
  if (problem !== undefined) throw new RangeError(problem);
  const kept = new Map<string, number>();
  let count = 0, missing = 0, numeric = 0, overflow = 0;
  // The kept category of highest rank, found again only when it is evicted.
  let highest: string | undefined;
  const findHighest = (): string | undefined => {
    let found: string | undefined;
    for (const name of kept.keys()) if (found === undefined || compareRank(name, found) > 0) found = name;
    return found;
  };
  return {
    add(value: unknown): void {
      if (isMissing(value)) { missing += 1; return; }
      count += 1;
      if (asNumber(value) !== undefined) numeric += 1;
      const name = categoryOf(value);
      const current = kept.get(name);
      if (current !== undefined) { kept.set(name, current + 1); return; }
      if (kept.size < cap) {
        kept.set(name, 1);
        if (highest === undefined || compareRank(name, highest) > 0) highest = name;
        return;
      }
      if (highest === undefined || compareRank(name, highest) > 0) { overflow += 1; return; }
      overflow += kept.get(highest) ?? 0;
      kept.delete(highest);
      kept.set(name, 1);
      highest = findHighest();
    },
    sketch(): CategoricalSketch {
      return { cap, count, missing, numeric, categories: sortedCategories(kept.entries()), overflow };
    },
  };
}

export function sketchCategorical(values: Iterable<unknown>, options: CategoricalSketchOptions = {}): CategoricalSketch {
  return sketchAll(categoricalAccumulator(options), values);
}

export function emptyCategorical(options: CategoricalSketchOptions = {}): CategoricalSketch {
  return categoricalAccumulator(options).sketch();
}

/** `sketch` with one more value, as a new sketch (an accumulator is cheaper for many values). */
export function addCategorical(sketch: CategoricalSketch, value: unknown): CategoricalSketch {
  return combineCategorical(sketch, sketchCategorical([value], { cap: sketch.cap }));
}

/** The sketch of both sketches' values; sketches of different caps do not merge. */
export function mergeCategorical(a: CategoricalSketch, b: CategoricalSketch): Parsed<CategoricalSketch> {
  if (a.cap !== b.cap) return reject('cap', `sketches of different caps do not merge: ${a.cap} and ${b.cap}`);
  return accept(combineCategorical(a, b));
}

function combineCategorical(a: CategoricalSketch, b: CategoricalSketch): CategoricalSketch {
  const union = mergeCategories(a.categories, b.categories);
  let overflow = a.overflow + b.overflow;
  let categories = union;
  if (union.length > a.cap) {
    const ranked = [...union].sort(([x], [y]) => compareRank(x, y));
    for (const [, n] of ranked.slice(a.cap)) overflow += n;
    const keep = new Set(ranked.slice(0, a.cap).map(([name]) => name));
    categories = union.filter(([name]) => keep.has(name));
  }
  return { cap: a.cap, count: a.count + b.count, missing: a.missing + b.missing, numeric: a.numeric + b.numeric, categories, overflow };
}

function sortedCategories(entries: Iterable<[string, number]>): CategoryCount[] {
  return [...entries].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
}

/** Two name-sorted category lists as one, adding the counts of names in both, in linear time. */
function mergeCategories(a: readonly CategoryCount[], b: readonly CategoryCount[]): CategoryCount[] {
  const merged: CategoryCount[] = [];
  let i = 0, j = 0;
  while (i < a.length || j < b.length) {
    if (j === b.length || (i < a.length && a[i][0] < b[j][0])) merged.push([a[i][0], a[i++][1]]);
    else if (i === a.length || b[j][0] < a[i][0]) merged.push([b[j][0], b[j++][1]]);
    else merged.push([a[i][0], a[i++][1] + b[j++][1]]);
  }
  return merged;
}
