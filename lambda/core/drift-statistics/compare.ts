/**
 * A window compared with its baseline: per baseline feature the distances of its kind, the missing-value rate
 * and the share of values of the baseline's type; and schema findings. Keys are in a fixed order and every
 * figure a side lacks the values for is null, so the result serialises the same way every time.
 */
import { accept, reject, type Parsed } from '../result';
import { categoricalChiSquare, categoricalJensenShannon, categoricalPsi } from './categorical';
import type { CategoricalSketch } from './categorical-sketch';
import type { ChiSquareTest } from './chi-square';
import {
  jensenShannonDistance, kolmogorovSmirnov, populationStabilityIndex, wasserstein,
  type KolmogorovSmirnovEstimate, type WassersteinEstimate,
} from './distances';
import type { Baseline, FeatureSketch, WindowSketch } from './baseline';
import type { NumericSketch } from './numeric-sketch';
import { sameNumbers } from './values';

export interface Sides {
  readonly baseline: number | null;
  readonly window: number | null;
}

interface Common {
  readonly feature: string;
  /** missing / (present + missing): the share of rows without a value. */
  readonly missingRate: Sides;
  /** Of the values present, the share of the baseline's type (numbers, or for categories text or numbers). */
  readonly typeShare: Sides;
  readonly psi: number | null;
  readonly jensenShannon: number | null;
}

export interface NumericComparison extends Common {
  readonly kind: 'numeric';
  readonly kolmogorovSmirnov: KolmogorovSmirnovEstimate | null;
  readonly wasserstein: WassersteinEstimate | null;
}

export interface CategoricalComparison extends Common {
  readonly kind: 'categorical';
  readonly chiSquare: ChiSquareTest | null;
}

export type FeatureComparison = NumericComparison | CategoricalComparison;

/** A baseline feature whose window values are mostly (more than half) of another type. */
export interface TypeChange {
  readonly feature: string;
  readonly expected: 'number' | 'text';
  /** The window's share of values of the expected type. */
  readonly share: number;
}

export interface SchemaFindings {
  /** Columns with values in the window that the baseline lacks, by name (those past the window's cap unnamed). */
  readonly newColumns: readonly string[];
  /** Baseline features without a single value in a window of at least one row. */
  readonly absentColumns: readonly string[];
  readonly typeChanges: readonly TypeChange[];
}

export interface WindowComparison {
  readonly rows: { readonly baseline: number; readonly window: number };
  readonly features: readonly FeatureComparison[];
  readonly schema: SchemaFindings;
}

const share = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

/** The baseline's type for a categorical feature: numbers when most of its values were numbers. */
const expectedType = (baseline: CategoricalSketch): 'number' | 'text' => (baseline.numeric * 2 > baseline.count ? 'number' : 'text');

function categoricalTypeShare(sketch: CategoricalSketch, expected: 'number' | 'text'): number | null {
  return share(expected === 'number' ? sketch.numeric : sketch.count - sketch.numeric, sketch.count);
}

function compareNumeric(feature: string, baseline: NumericSketch, window: NumericSketch): NumericComparison {
  const present = (s: NumericSketch) => s.count + s.nonNumeric;
  return {
    feature,
    kind: 'numeric',
    missingRate: { baseline: share(baseline.missing, present(baseline) + baseline.missing), window: share(window.missing, present(window) + window.missing) },
    typeShare: { baseline: share(baseline.count, present(baseline)), window: share(window.count, present(window)) },
    psi: populationStabilityIndex(baseline.bins, window.bins),
    jensenShannon: jensenShannonDistance(baseline.bins, window.bins),
    kolmogorovSmirnov: kolmogorovSmirnov(baseline, window),
    wasserstein: wasserstein(baseline, window),
  };
}

function compareCategorical(feature: string, baseline: CategoricalSketch, window: CategoricalSketch): CategoricalComparison {
  const expected = expectedType(baseline);
  return {
    feature,
    kind: 'categorical',
    missingRate: { baseline: share(baseline.missing, baseline.count + baseline.missing), window: share(window.missing, window.count + window.missing) },
    typeShare: { baseline: categoricalTypeShare(baseline, expected), window: categoricalTypeShare(window, expected) },
    psi: categoricalPsi(baseline, window),
    jensenShannon: categoricalJensenShannon(baseline, window),
    chiSquare: categoricalChiSquare(baseline, window),
  };
}

/** The problem with comparing a window feature to a baseline feature: name, kind and sketch options must match. */
function mismatch(baseline: FeatureSketch, window: FeatureSketch): string | undefined {
  if (baseline.name !== window.name) return `is '${window.name}', the baseline's feature there is '${baseline.name}'`;
  if (baseline.kind === 'numeric' && window.kind === 'numeric') {
    if (baseline.sketch.alpha !== window.sketch.alpha) return `has alpha ${window.sketch.alpha}, the baseline's is ${baseline.sketch.alpha}`;
    return sameNumbers(baseline.sketch.edges, window.sketch.edges) ? undefined : "has other edges than the baseline's: sketch the window against this baseline";
  }
  if (baseline.kind === 'categorical' && window.kind === 'categorical') {
    return baseline.sketch.cap === window.sketch.cap ? undefined : `has cap ${window.sketch.cap}, the baseline's is ${baseline.sketch.cap}`;
  }
  return `is ${window.kind}, the baseline's feature is ${baseline.kind}`;
}

/** Compares a window with the baseline it was sketched against; a window of another baseline is rejected. */
export function compareWindow(baseline: Baseline, window: WindowSketch): Parsed<WindowComparison> {
  if (baseline.features.length !== window.features.length) {
    return reject('features', `the window has ${window.features.length} features, the baseline ${baseline.features.length}: sketch the window against this baseline`);
  }
  const features: FeatureComparison[] = [];
  const absentColumns: string[] = [];
  const typeChanges: TypeChange[] = [];
  for (let i = 0; i < baseline.features.length; i += 1) {
    const base = baseline.features[i];
    const current = window.features[i];
    const problem = mismatch(base, current);
    if (problem !== undefined) return reject(`features[${i}]`, problem);
    const comparison = base.kind === 'numeric' && current.kind === 'numeric'
      ? compareNumeric(base.name, base.sketch, current.sketch)
      : compareCategorical(base.name, base.sketch as CategoricalSketch, current.sketch as CategoricalSketch);
    features.push(comparison);
    const present = current.kind === 'numeric' ? current.sketch.count + current.sketch.nonNumeric : current.sketch.count;
    if (present === 0 && window.rows > 0) absentColumns.push(base.name);
    const windowShare = comparison.typeShare.window;
    if (windowShare !== null && windowShare < 0.5) {
      const expected = base.kind === 'numeric' ? 'number' : expectedType(base.sketch);
      typeChanges.push({ feature: base.name, expected, share: windowShare });
    }
  }
  return accept({
    rows: { baseline: baseline.rows, window: window.rows },
    features,
    schema: { newColumns: window.otherColumns.categories.map(([name]) => name), absentColumns, typeChanges },
  });
}
