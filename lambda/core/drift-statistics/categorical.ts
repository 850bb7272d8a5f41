/**
 * Distances between a baseline's categories and a window's, over the union of both: a category the baseline
 * never saw counts in the window and has a baseline share of 0 (PSI_EPSILON for PSI). Values past either
 * sketch's cap count as one more category, "past the cap".
 */
import type { CategoricalSketch } from './categorical-sketch';
import { chiSquareHomogeneity, type ChiSquareTest } from './chi-square';
import { jensenShannonDistance, populationStabilityIndex } from './distances';

/**
 * Counts of both sketches over the union of their categories, in name order; when either sketch has values past
 * its cap, the counts have one more entry, last, for them (it has no name, so it cannot clash with a category).
 */
export interface CategoryTable {
  readonly categories: readonly string[];
  readonly baseline: readonly number[];
  readonly current: readonly number[];
}

export function categoryTable(baseline: CategoricalSketch, current: CategoricalSketch): CategoryTable {
  const categories: string[] = [];
  const baselineCounts: number[] = [];
  const currentCounts: number[] = [];
  const a = baseline.categories;
  const b = current.categories;
  let i = 0, j = 0;
  while (i < a.length || j < b.length) {
    if (j === b.length || (i < a.length && a[i][0] < b[j][0])) { categories.push(a[i][0]); baselineCounts.push(a[i][1]); currentCounts.push(0); i += 1; }
    else if (i === a.length || b[j][0] < a[i][0]) { categories.push(b[j][0]); baselineCounts.push(0); currentCounts.push(b[j][1]); j += 1; }
    else { categories.push(a[i][0]); baselineCounts.push(a[i][1]); currentCounts.push(b[j][1]); i += 1; j += 1; }
  }
  if (baseline.overflow > 0 || current.overflow > 0) {
    baselineCounts.push(baseline.overflow);
    currentCounts.push(current.overflow);
  }
  return { categories, baseline: baselineCounts, current: currentCounts };
}

/** PSI over the union of categories (see populationStabilityIndex). */
export function categoricalPsi(baseline: CategoricalSketch, current: CategoricalSketch): number | null {
  const table = categoryTable(baseline, current);
  return populationStabilityIndex(table.baseline, table.current);
}

/** Jensen-Shannon distance, base 2, over the union of categories (see jensenShannonDistance). */
export function categoricalJensenShannon(baseline: CategoricalSketch, current: CategoricalSketch): number | null {
  const table = categoryTable(baseline, current);
  return jensenShannonDistance(table.baseline, table.current);
}

/** Chi-square test of homogeneity on the 2 x k table of baseline and window counts (see chiSquareHomogeneity). */
export function categoricalChiSquare(baseline: CategoricalSketch, current: CategoricalSketch): ChiSquareTest | null {
  const table = categoryTable(baseline, current);
  return chiSquareHomogeneity(table.baseline, table.current);
}
