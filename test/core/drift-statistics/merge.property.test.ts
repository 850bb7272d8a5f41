import fc from 'fast-check';
import {
  compareWindow, mergeCategorical, mergeNumeric, mergeProfiles, mergeWindows, planBaseline, profileAccumulator,
  sketchCategorical, sketchNumeric, sketchWindow, toBaseline,
  type Profile, type Row, type WindowSketch,
} from '../../../lambda/core/drift-statistics';
import type { Parsed } from '../../../lambda/core/result';

// A sample is cut at random points into parts, each part sketched alone, and the parts' sketches merged in a
// random order (any two at a time, as partial results arrive); the result must deep-equal the one-pass sketch,
// and every statistic computed from it must equal the one-pass figure exactly.

const RUNS = { seed: 20240601, numRuns: 300 };

const cellArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 4, arbitrary: fc.double({ min: -1000, max: 1000, noNaN: true }) },
  { weight: 3, arbitrary: fc.integer({ min: -5, max: 5 }) },
  { weight: 1, arbitrary: fc.double({ min: -1e-8, max: 1e-8, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined, NaN, '', 'n/a', '12.5', '-3', true, 0, -0, 1e300, -1e18, Infinity) },
);
const categoryArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', '1', '2') },
  { weight: 2, arbitrary: fc.string({ maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, 3, true, '') },
);

interface Plan { readonly cuts: number[]; readonly order: number[] }
const planArb: fc.Arbitrary<Plan> = fc.record({ cuts: fc.array(fc.nat(), { maxLength: 8 }), order: fc.array(fc.nat(), { maxLength: 16 }) });

/** The sample cut into parts at the planned points (some parts empty). */
function partsOf<T>(values: readonly T[], cuts: readonly number[]): T[][] {
  const points = cuts.map((cut) => cut % (values.length + 1)).sort((a, b) => a - b);
  return [...points, values.length].map((end, i) => values.slice(i === 0 ? 0 : points[i - 1], end));
}

/** Merges sketches two at a time, picking the pair from the plan, until one is left. */
function mergeAll<S>(sketches: S[], order: readonly number[], merge: (a: S, b: S) => Parsed<S>): S {
  const pending = [...sketches];
  let step = 0;
  while (pending.length > 1) {
    const pick = order.length === 0 ? 0 : order[step % order.length];
    step += 1;
    const i = pick % pending.length;
    const j = (i + 1 + (Math.floor(pick / pending.length) % (pending.length - 1))) % pending.length;
    const merged = merge(pending[i], pending[j]);
    if (!merged.ok) throw new Error(`${merged.error.field}: ${merged.error.problem}`);
    pending.splice(Math.max(i, j), 1);
    pending.splice(Math.min(i, j), 1, merged.value);
  }
  return pending[0];
}

describe('merging sketches of any partition, in any order, equals sketching the whole at once', () => {
  test('numeric sketches, with and without bins', () => {
    fc.assert(fc.property(fc.array(cellArb, { maxLength: 120 }), planArb, fc.boolean(), (values, { cuts, order }, binned) => {
      const options = binned ? { edges: [-10, -0.5, 0, 1e-9, 3, 1e6] } : { alpha: 0.01 };
      const parts = partsOf(values, cuts).map((part) => sketchNumeric(part, options));
      expect(mergeAll(parts, order, mergeNumeric)).toEqual(sketchNumeric(values, options));
    }), RUNS);
  });

  test('categorical sketches, the cap reached and not', () => {
    fc.assert(fc.property(fc.array(categoryArb, { maxLength: 120 }), planArb, fc.integer({ min: 1, max: 12 }), (values, { cuts, order }, cap) => {
      const parts = partsOf(values, cuts).map((part) => sketchCategorical(part, { cap }));
      expect(mergeAll(parts, order, mergeCategorical)).toEqual(sketchCategorical(values, { cap }));
    }), RUNS);
  });

  const rowArb: fc.Arbitrary<Row> = fc.record(
    { price: cellArb, colour: categoryArb, count: fc.integer({ min: 0, max: 9 }), extra: categoryArb, other: fc.constant('x') },
    { requiredKeys: ['price'] },
  );

  test('profiles of rows, whose columns appear part-way through', () => {
    fc.assert(fc.property(fc.array(rowArb, { maxLength: 60 }), planArb, (rows, { cuts, order }) => {
      const profile = (part: readonly Row[]): Profile => {
        const accumulator = profileAccumulator({ cap: 4 });
        part.forEach((row) => accumulator.add(row));
        return accumulator.sketch();
      };
      expect(mergeAll(partsOf(rows, cuts).map(profile), order, mergeProfiles)).toEqual(profile(rows));
    }), RUNS);
  });

  test('windows against a baseline, and every statistic of the comparison, exactly', () => {
    fc.assert(fc.property(fc.array(rowArb, { minLength: 1, maxLength: 60 }), fc.array(rowArb, { maxLength: 80 }), planArb, (training, rows, { cuts, order }) => {
      // Prepare: a baseline without the columns `extra` and `other`
      const first = profileAccumulator({ cap: 4, kinds: { count: 'categorical' } });
      training.forEach(({ extra: _extra, other: _other, ...row }) => first.add(row));
      const plan = planBaseline(first.sketch(), { kinds: { count: 'categorical' }, bins: 4 });
      const baseline = toBaseline(sketchWindow(plan, training));
      // Act
      const merged: WindowSketch = mergeAll(partsOf(rows, cuts).map((part) => sketchWindow(baseline, part, { cap: 1 })), order, mergeWindows);
      const whole = sketchWindow(baseline, rows, { cap: 1 });
      // Assess
      expect(merged).toEqual(whole);
      expect(compareWindow(baseline, merged)).toEqual(compareWindow(baseline, whole));
    }), { ...RUNS, numRuns: 150 });
  });
});
