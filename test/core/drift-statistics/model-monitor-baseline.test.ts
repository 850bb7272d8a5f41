import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  baselineFromModelMonitorStatistics, compareWindow, mergeFeature, parseBaseline, parseSum, quantile, sketchCategorical, sketchWindow, unitsToNumber,
  type ModelMonitorBaseline, type Row,
} from '../../../lambda/core/drift-statistics';

// Every expected number is read off the fixture or worked out in the comment beside it.

const FIXTURE = fs.readFileSync(path.resolve(__dirname, '../../fixtures/model-monitor/statistics.json'), 'utf8');

type Json = Record<string, unknown>;

/** The fixture as an object to vary: a fresh copy each time. */
const statistics = (): { dataset: Json; features: Json[] } => JSON.parse(FIXTURE);

const ok = (text: string, options = {}): ModelMonitorBaseline => {
  const result = baselineFromModelMonitorStatistics(text, options);
  if (!result.ok) throw new Error(`${result.error.field} ${result.error.problem}`);
  return result.value;
};

/** A one-feature statistics.json of 100 rows, numerical with these KLL buckets. */
const numericDocument = (min: number, max: number, sum: number, buckets: [number, number, number][]): string => JSON.stringify({
  version: 0,
  dataset: { item_count: 100 },
  features: [{
    name: 'x',
    inferred_type: 'Fractional',
    numerical_statistics: {
      common: { num_present: 100, num_missing: 0 }, sum, min, max,
      distribution: { kll: { buckets: buckets.map(([lower_bound, upper_bound, count]) => ({ lower_bound, upper_bound, count })) } },
    },
  }],
});

const FIXTURE_EDGES = [7.2, 14.4, 21.6, 28.8, 36, 43.2, 50.4, 57.6, 64.8];
const FIXTURE_BINS = [760, 420, 380, 330, 310, 290, 300, 320, 390, 500];

describe('a baseline from Model Monitor statistics.json', () => {
  test('turns the fixture into features sorted by name: KLL buckets as bins, categorical buckets as categories', () => {
    // Act
    const { baseline, approximate } = ok(FIXTURE);

    // Assess
    expect(baseline.rows).toBe(4000);
    expect(baseline.features.map(({ name, kind }) => [name, kind])).toEqual([['plan_type', 'categorical'], ['tenure_months', 'numeric']]);
    expect(approximate).toEqual(['tenure_months']);
    const [plan, tenure] = baseline.features;
    expect(plan.sketch).toEqual({ cap: 1000, count: 4000, missing: 0, numeric: 0, categories: [['annual', 1300], ['monthly', 2200], ['two_year', 500]], overflow: 0 });
    if (tenure.kind !== 'numeric') throw new Error('tenure_months is numeric');
    expect(tenure.sketch).toMatchObject({ alpha: 0.005, count: 4000, missing: 0, nonNumeric: 0, min: 0, max: 72, zero: 0, negative: [], edges: FIXTURE_EDGES, bins: FIXTURE_BINS });
    // Model Monitor's sum, 127200, and all values >= 0, so sum |x| is the sum.
    expect(unitsToNumber(parseSum(tenure.sketch.sum))).toBe(127200);
    expect(tenure.sketch.sumAbs).toBe(tenure.sketch.sum);
    // The quantile store: each bucket's count at its midpoint (3.6, 10.8, ..., 68.4), each in a bucket of its own.
    expect(tenure.sketch.positive.map(([, n]) => n)).toEqual(FIXTURE_BINS);
    expect(quantile(tenure.sketch, 0)).toBeCloseTo(3.6, 1);
    expect(Math.abs((quantile(tenure.sketch, 1) ?? 0) - 68.4)).toBeLessThanOrEqual(0.005 * 68.4);
  });

  test('keeps the categories a sketch of the same values would keep, under any cap', () => {
    // Prepare: the values the fixture's plan_type buckets count.
    const values = [...Array(2200).fill('monthly'), ...Array(1300).fill('annual'), ...Array(500).fill('two_year')];
    for (const cap of [1, 2, 3, 1000]) {
      // Act
      const plan = ok(FIXTURE, { cap }).baseline.features[0];
      // Assess
      expect(plan.sketch).toEqual(sketchCategorical(values, { cap }));
    }
  });

  test('a window sketched against it compares, with PSI and JS on the KLL bins', () => {
    // Prepare: window counts per KLL bin [0, 12, 10, 8, 10, 10, 10, 10, 10, 20], each value at its bin's middle.
    const { baseline } = ok(FIXTURE);
    const perBin = [0, 12, 10, 8, 10, 10, 10, 10, 10, 20];
    const rows: Row[] = perBin.flatMap((n, bin) => Array.from({ length: n }, (_, i) => ({ tenure_months: 3.6 + 7.2 * bin, plan_type: ['monthly', 'annual'][i % 2] })));

    // Act
    const window = sketchWindow(baseline, rows);
    const result = compareWindow(baseline, window);

    // Assess
    if (!result.ok) throw new Error(result.error.problem);
    expect(window.features[1].sketch).toMatchObject({ edges: FIXTURE_EDGES, bins: perBin });
    expect(mergeFeature(baseline.features[1], window.features[1]).ok).toBe(true);
    const tenure = result.value.features[1];
    // By hand (Python): b = FIXTURE_BINS / 4000, c = perBin / 100 with 0 -> 1e-4; PSI = sum (c - b) ln(c / b);
    // JS = sqrt((sum p log2(p / m) + sum q log2(q / m)) / 2), m = (p + q) / 2.
    expect(tenure.psi).toBeCloseTo(1.497554261801941, 12);
    expect(tenure.jensenShannon).toBeCloseTo(0.3262616344636057, 12);
    expect(tenure).toMatchObject({ kind: 'numeric', kolmogorovSmirnov: { statistic: expect.any(Number) }, wasserstein: { value: expect.any(Number) } });
    expect(result.value.features[0]).toMatchObject({ feature: 'plan_type', kind: 'categorical', chiSquare: { degreesOfFreedom: 2 } });
  });

  test('sketches windows with the alpha it was given', () => {
    const { baseline } = ok(FIXTURE, { alpha: 0.01 });
    const result = compareWindow(baseline, sketchWindow(baseline, [{ tenure_months: 12, plan_type: 'annual' }]));
    expect(result.ok).toBe(true);
    expect(baseline.features[1].sketch).toMatchObject({ alpha: 0.01 });
  });

  test('survives a JSON round trip through parseBaseline', () => {
    const { baseline } = ok(FIXTURE);
    expect(parseBaseline(JSON.parse(JSON.stringify(baseline)))).toEqual({ ok: true, value: baseline });
  });

  test('estimates sum |x| from the buckets when the values straddle 0', () => {
    // Act: 50 values evenly in [-10, 0) and 50 in [0, 10], summing to 0.
    const { baseline } = ok(numericDocument(-10, 10, 0, [[-10, 0, 50], [0, 10, 50]]));
    // Assess: the negative values' magnitude is 50 * 5 = 250, so sum |x| = 0 + 2 * 250 = 500; midpoints -5 and 5.
    const [x] = baseline.features;
    if (x.kind !== 'numeric') throw new Error('x is numeric');
    expect(unitsToNumber(parseSum(x.sketch.sumAbs))).toBe(500);
    expect(x.sketch).toMatchObject({ edges: [0], bins: [50, 50], negative: [[expect.any(Number), 50]], positive: [[expect.any(Number), 50]] });
  });

  test('merges zero-width buckets into the bin their value falls in', () => {
    // Act: a constant feature, every bucket [5, 5], all 100 values in the last.
    const { baseline } = ok(numericDocument(5, 5, 500, [[5, 5, 0], [5, 5, 0], [5, 5, 100]]));
    // Assess: one edge at 5, and 5 counts from it up, as a window's 5 would.
    expect(baseline.features[0].sketch).toMatchObject({ edges: [5], bins: [0, 100] });
    const window = sketchWindow(baseline, [{ x: 5 }]);
    expect(compareWindow(baseline, window)).toMatchObject({ ok: true, value: { features: [{ psi: 0, jensenShannon: 0 }] } });
  });

  test('reads features without values, and counts unlisted values of a string feature as overflow', () => {
    // Prepare
    const document = statistics();
    document.features[0].numerical_statistics = { common: { num_present: 0, num_missing: 4000 } };
    const plan = document.features[1].string_statistics as { distribution: { categorical: { buckets: Json[] } } };
    plan.distribution.categorical.buckets = [{ value: '12', count: 2200 }, { value: 'annual', count: 1300 }];
    // Act
    const { baseline, approximate } = ok(JSON.stringify(document));
    // Assess: 4000 - 3500 = 500 unlisted; '12' is a number as a cell's text.
    expect(approximate).toEqual([]);
    expect(baseline.features[0].sketch).toEqual({ cap: 1000, count: 4000, missing: 0, numeric: 2200, categories: [['12', 2200], ['annual', 1300]], overflow: 500 });
    expect(baseline.features[1].sketch).toMatchObject({ count: 0, missing: 4000, min: null, max: null, edges: [], bins: [0] });
  });
});

describe('rejecting a statistics.json it cannot read', () => {
  const KLL = 'features[0].numerical_statistics.distribution.kll.buckets';
  const STRINGS = 'features[1].string_statistics.distribution.categorical.buckets';
  type Variant = (document: { dataset: Json; features: Json[] }) => void;
  const kll = (document: { features: Json[] }): Json[] =>
    (document.features[0].numerical_statistics as { distribution: { kll: { buckets: Json[] } } }).distribution.kll.buckets;
  const categories = (document: { features: Json[] }): Json[] =>
    (document.features[1].string_statistics as { distribution: { categorical: { buckets: Json[] } } }).distribution.categorical.buckets;

  test.each<[string, Variant, string, string]>([
    ['a count that is not whole', (d) => { kll(d)[3].count = 1.5; }, `${KLL}[3].count`, 'must be a whole number >= 0, got number 1.5'],
    ['a bucket overlapping the one before', (d) => { kll(d)[2].lower_bound = 14; }, `${KLL}[2].lower_bound`, 'must not be below the upper_bound before it (14.4), got 14'],
    ['a bucket ending before it starts', (d) => { kll(d)[9].upper_bound = 60; }, `${KLL}[9].upper_bound`, 'must not be below lower_bound 64.8, got 60'],
    ['a bound that is not a number', (d) => { kll(d)[0].lower_bound = 'zero'; }, `${KLL}[0].lower_bound`, "must be a finite number, got the string 'zero'"],
    ['bucket counts short of num_present', (d) => { kll(d)[0].count = 759; }, KLL, 'counts must add up to num_present 4000, got 3999'],
    ['counts that miss rows', (d) => { d.dataset.item_count = 4001; }, 'features[0].numerical_statistics.common', 'num_present + num_missing must equal dataset.item_count 4001, got 4000'],
    ['no item count', (d) => { delete d.dataset.item_count; }, 'dataset.item_count', 'is missing'],
    ['no sum', (d) => { delete (d.features[0].numerical_statistics as Json).sum; }, 'features[0].numerical_statistics.sum', 'is missing'],
    ['min above max', (d) => { (d.features[0].numerical_statistics as Json).min = 80; }, 'features[0].numerical_statistics.min', 'must not exceed max 72, got 80'],
    ['a category that is not a string', (d) => { categories(d)[0].value = 7; }, `${STRINGS}[0].value`, 'must be a string, got number 7'],
    ['a category listed twice', (d) => { categories(d)[2].value = 'monthly'; }, `${STRINGS}[2].value`, `repeats the value of ${STRINGS}[0]`],
    ['categories beyond num_present', (d) => { categories(d)[2].count = 501; }, STRINGS, 'counts must not add up to more than num_present 4000, got 4001'],
    ['a feature of neither kind', (d) => { delete d.features[1].string_statistics; }, 'features[1]', 'must have numerical_statistics or string_statistics'],
    ['a feature named twice', (d) => { d.features[1].name = 'tenure_months'; }, 'features[1].name', 'repeats the name of features[0]'],
    ['features that are not a list', (d) => { d.features = {} as Json[]; }, 'features', 'must be an array, got an object'],
  ])('rejects %s, naming the field', (_, vary, field, problem) => {
    // Prepare
    const document = statistics();
    vary(document);
    // Act
    const result = baselineFromModelMonitorStatistics(JSON.stringify(document));
    // Assess
    expect(result).toEqual({ ok: false, error: { field, problem } });
  });

  test('rejects text that is not a JSON object', () => {
    expect(baselineFromModelMonitorStatistics('{"version": 0,')).toMatchObject({ ok: false, error: { field: 'statistics.json', problem: expect.stringContaining('is not JSON') } });
    expect(baselineFromModelMonitorStatistics('[]')).toEqual({ ok: false, error: { field: 'statistics.json', problem: 'must be an object, got an array' } });
  });

  test('treats invalid options as a programming error', () => {
    expect(() => baselineFromModelMonitorStatistics(FIXTURE, { alpha: 0.5 })).toThrow(RangeError);
    expect(() => baselineFromModelMonitorStatistics(FIXTURE, { cap: 0 })).toThrow(RangeError);
  });
});
