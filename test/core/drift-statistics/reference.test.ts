import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  buildBaseline, categoryTable, chiSquareHomogeneity, chiSquareSurvival, compareWindow, sketchWindow,
  type Baseline, type CategoricalComparison, type NumericComparison, type WindowComparison,
} from '../../../lambda/core/drift-statistics';

// Figures by NumPy and SciPy on the same samples (test/fixtures/drift-statistics/reference.py writes them):
// PSI and Jensen-Shannon on the same bins, the exact two-sample KS and W1 (which the sketches must come within
// their stated bounds of), and chi-square tests of homogeneity.

type Cell = number | string | null;
interface NumericCase {
  name: string; baseline: Cell[]; window: Cell[];
  expected: {
    edges: number[]; baselineBins: number[]; windowBins: number[]; psi: number; jensenShannon: number;
    kolmogorovSmirnov: number; wasserstein: number; windowMissingRate: number; windowTypeShare: number;
  };
}
interface CategoricalCase {
  name: string; baseline: (string | null)[]; window: (string | null)[];
  expected: {
    categories: string[]; baselineCounts: number[]; windowCounts: number[]; psi: number; jensenShannon: number;
    chiSquare: { statistic: number; degreesOfFreedom: number; pValue: number };
  };
}
interface ChiSquareFixture {
  tables: { name: string; baseline: number[]; current: number[]; statistic: number; degreesOfFreedom: number; pValue: number }[];
  survival: [x: number, dof: number, p: number][];
}

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'drift-statistics');
const read = <T>(file: string): T => JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')) as T;
const numericCases = read<{ cases: NumericCase[] }>('numeric.json').cases;
const categoricalCases = read<{ cases: CategoricalCase[] }>('categorical.json').cases;
const chiSquare = read<ChiSquareFixture>('chi-square.json');

const rowsOf = (cells: readonly Cell[]) => cells.map((value) => ({ value }));

function compared(kind: 'numeric' | 'categorical', baselineCells: readonly Cell[], windowCells: readonly Cell[]) {
  const baseline: Baseline = buildBaseline(rowsOf(baselineCells), { kinds: { value: kind } });
  const window = sketchWindow(baseline, rowsOf(windowCells));
  const comparison = compareWindow(baseline, window);
  if (!comparison.ok) throw new Error(`${comparison.error.field} ${comparison.error.problem}`);
  return { baseline, window, comparison: comparison.value as WindowComparison };
}

describe.each(numericCases)('numeric reference case: $name', ({ baseline: baselineCells, window: windowCells, expected }) => {
  const { baseline, window, comparison } = compared('numeric', baselineCells, windowCells);
  const feature = comparison.features[0] as NumericComparison;

  test('places the bin edges where the sketch puts its quantiles, and counts the bins as numpy.searchsorted does', () => {
    const [baselineFeature] = baseline.features;
    const [windowFeature] = window.features;
    if (baselineFeature.kind !== 'numeric' || windowFeature.kind !== 'numeric') throw new Error('numeric features expected');
    expect(baselineFeature.sketch.edges).toHaveLength(expected.edges.length);
    baselineFeature.sketch.edges.forEach((edge, i) => expect(Math.abs(edge - expected.edges[i])).toBeLessThanOrEqual(1e-12 * Math.abs(expected.edges[i])));
    expect(baselineFeature.sketch.bins).toEqual(expected.baselineBins);
    expect(windowFeature.sketch.bins).toEqual(expected.windowBins);
  });

  test('PSI and Jensen-Shannon distance equal the reference within 1e-9', () => {
    expect(Math.abs((feature.psi ?? NaN) - expected.psi)).toBeLessThanOrEqual(1e-9);
    expect(Math.abs((feature.jensenShannon ?? NaN) - expected.jensenShannon)).toBeLessThanOrEqual(1e-9);
  });

  test('the exact KS statistic lies between the sketch statistic and that plus its error bound', () => {
    const ks = feature.kolmogorovSmirnov;
    if (ks === null) throw new Error('a KS estimate expected');
    expect(ks.statistic).toBeLessThanOrEqual(expected.kolmogorovSmirnov + 1e-12);
    expect(expected.kolmogorovSmirnov - ks.statistic).toBeLessThanOrEqual(ks.errorBound);
  });

  test('W1 from the sketches is within its error bound of the exact distance', () => {
    const w1 = feature.wasserstein;
    if (w1 === null) throw new Error('a W1 estimate expected');
    expect(Math.abs(w1.value - expected.wasserstein)).toBeLessThanOrEqual(w1.errorBound);
  });

  test('the missing-value rate and the share of numbers match the raw window', () => {
    expect(Math.abs((feature.missingRate.window ?? NaN) - expected.windowMissingRate)).toBeLessThanOrEqual(1e-15);
    expect(Math.abs((feature.typeShare.window ?? NaN) - expected.windowTypeShare)).toBeLessThanOrEqual(1e-15);
    expect(feature.missingRate.baseline).toBe(0);
  });
});

describe.each(categoricalCases)('categorical reference case: $name', ({ baseline: baselineCells, window: windowCells, expected }) => {
  const { baseline, window, comparison } = compared('categorical', baselineCells, windowCells);
  const feature = comparison.features[0] as CategoricalComparison;

  test('counts every category of either side, those the baseline never saw included', () => {
    const [baselineFeature] = baseline.features;
    const [windowFeature] = window.features;
    if (baselineFeature.kind !== 'categorical' || windowFeature.kind !== 'categorical') throw new Error('categorical features expected');
    expect(categoryTable(baselineFeature.sketch, windowFeature.sketch)).toEqual({
      categories: expected.categories, baseline: expected.baselineCounts, current: expected.windowCounts,
    });
  });

  test('PSI and Jensen-Shannon distance equal the reference within 1e-9', () => {
    expect(Math.abs((feature.psi ?? NaN) - expected.psi)).toBeLessThanOrEqual(1e-9);
    expect(Math.abs((feature.jensenShannon ?? NaN) - expected.jensenShannon)).toBeLessThanOrEqual(1e-9);
  });

  test('the chi-square test equals scipy.stats.chi2_contingency without correction', () => {
    const test = feature.chiSquare;
    if (test === null) throw new Error('a chi-square test expected');
    expect(Math.abs(test.statistic - expected.chiSquare.statistic)).toBeLessThanOrEqual(1e-9 * expected.chiSquare.statistic);
    expect(test.degreesOfFreedom).toBe(expected.chiSquare.degreesOfFreedom);
    expect(Math.abs(test.pValue - expected.chiSquare.pValue)).toBeLessThanOrEqual(1e-6);
  });
});

describe('chi-square against SciPy', () => {
  test.each(chiSquare.tables)('$name: SciPy\'s statistic, dof and p-value', ({ baseline, current, ...expected }) => {
    const result = chiSquareHomogeneity(baseline, current);
    if (result === null) throw new Error('a chi-square test expected');
    expect(Math.abs(result.statistic - expected.statistic)).toBeLessThanOrEqual(1e-9 * Math.max(1, expected.statistic));
    expect(result.degreesOfFreedom).toBe(expected.degreesOfFreedom);
    expect(Math.abs(result.pValue - expected.pValue)).toBeLessThanOrEqual(1e-6);
  });

  test('the survival function matches scipy.stats.chi2.sf within 1e-6 for dof 1 to 50, small and large statistics', () => {
    const off = chiSquare.survival
      .map(([x, dof, p]) => ({ x, dof, p, difference: Math.abs(chiSquareSurvival(x, dof) - p) }))
      .filter(({ difference }) => !(difference <= 1e-6));
    expect(chiSquare.survival.length).toBeGreaterThan(500);
    expect(off).toEqual([]);
  });

  test('the survival function keeps relative precision in the far tail, where SciPy gives figures above underflow', () => {
    const tail = chiSquare.survival.filter(([, , p]) => p > 1e-290 && p < 1e-6);
    expect(tail.length).toBeGreaterThan(20);
    for (const [x, dof, p] of tail) expect(Math.abs(chiSquareSurvival(x, dof) - p) / p).toBeLessThan(1e-9);
  });
});
