import {
  buildBaseline, parseBaseline, parseCategoricalSketch, parseNumericSketch, parseWindowSketch, sketchCategorical, sketchNumeric, sketchWindow,
} from '../../../lambda/core/drift-statistics';

const roundTrip = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

const numeric = sketchNumeric([-2, 0, 1.5, 3, 'x', null, 1e-12], { edges: [0, 2] });
const categorical = sketchCategorical(['a', 'b', 'a', 7, null], { cap: 2 });
const rows = [{ price: 1, colour: 'red' }, { price: 2.5, colour: 'blue' }, { price: 4, colour: 'red' }, { price: 8, colour: null }];
const baseline = buildBaseline(rows);
const window = sketchWindow(baseline, [{ price: 3, colour: 'green', coupon: 'X1' }]);

describe('parsing sketches received as JSON', () => {
  test('reads back every sketch it was sent, deep-equal', () => {
    expect(parseNumericSketch(roundTrip(numeric))).toEqual({ ok: true, value: numeric });
    expect(parseNumericSketch(roundTrip(sketchNumeric([])))).toEqual({ ok: true, value: sketchNumeric([]) });
    expect(parseCategoricalSketch(roundTrip(categorical))).toEqual({ ok: true, value: categorical });
    expect(parseBaseline(roundTrip(baseline))).toEqual({ ok: true, value: baseline });
    expect(parseWindowSketch(roundTrip(window))).toEqual({ ok: true, value: window });
  });

  test.each([
    ['not an object', [], 'sketch', 'must be an object, got an array'],
    ['an alpha out of range', { ...numeric, alpha: 0.5 }, 'sketch.alpha', 'must be a number between 0.001 and 0.1, got number 0.5'],
    ['a fractional count', { ...numeric, count: 1.5 }, 'sketch.count', 'must be a whole number >= 0, got number 1.5'],
    ['a float where the exact sum belongs', { ...numeric, sum: 2.5 }, 'sketch.sum', "must be an exact sum such as '0x1f' or '-0x3', got number 2.5"],
    ['a negative sum of |x|', { ...numeric, sumAbs: '-0x1' }, 'sketch.sumAbs', "must not be negative, got '-0x1'"],
    ['a min for an empty sketch', { ...sketchNumeric([]), min: 0 }, 'sketch.min', 'must be null while count is 0, got number 0'],
    ['min above max', { ...numeric, min: 9 }, 'sketch.min', 'must not exceed max 3, got 9'],
    ['unsorted buckets', { ...numeric, positive: [...numeric.positive].reverse() }, 'sketch.positive[1][0]', expect.stringContaining('must be above the index before it')],
    ['a bucket index out of range', { ...numeric, positive: [[99999, 1], [99999, 1]] }, 'sketch.positive[0][0]', expect.stringContaining('must be a whole number between')],
    ['buckets that do not add up to count', { ...numeric, zero: 0 }, 'sketch.count', expect.stringContaining('must equal zero plus the buckets')],
    ['edges out of order', { ...numeric, edges: [2, 0] }, 'sketch.edges', 'edges must increase strictly, got 2 then 0 at edges[1]'],
    ['one bin too few', { ...numeric, bins: [1, 4] }, 'sketch.bins', 'must have 3 entries (one more than edges), got 2'],
    ['bins that do not add up to count', { ...numeric, bins: [1, 1, 1] }, 'sketch.bins', 'must add up to count 5, got 3'],
  ])('rejects %s, naming the field', (_, input, field, problem) => {
    expect(parseNumericSketch(input)).toEqual({ ok: false, error: { field, problem } });
  });

  test.each([
    ['a cap of 0', { ...categorical, cap: 0 }, 'sketch.cap', 'must be between 1 and 100000, got 0'],
    ['more categories than the cap', { ...categorical, categories: [['a', 1], ['b', 1], ['c', 1]] }, 'sketch.categories', 'must have at most cap (2) entries, got 3'],
    ['a category that is not text', { ...categorical, categories: [[7, 2]] }, 'sketch.categories[0][0]', 'must be a string, got number 7'],
    ['categories out of order', { ...categorical, categories: [['b', 1], ['a', 2]] }, 'sketch.categories[1][0]', expect.stringContaining('must sort after')],
    ['counts that do not add up', { ...categorical, overflow: 5 }, 'sketch.count', 'must equal the categories\' counts plus overflow (8), got 4'],
    ['more numbers than values', { ...categorical, numeric: 9 }, 'sketch.numeric', 'must not exceed count 4, got 9'],
  ])('rejects a categorical sketch with %s, naming the field', (_, input, field, problem) => {
    expect(parseCategoricalSketch(input)).toEqual({ ok: false, error: { field, problem } });
  });

  test('rejects baselines and windows whose features are malformed, naming the feature', () => {
    const json = roundTrip(baseline) as { rows: number; features: { name: string; kind: string }[] };
    expect(parseBaseline({ ...json, rows: 5 })).toMatchObject({ ok: false, error: { field: 'baseline.features[0].sketch', problem: 'must account for all 5 rows, got 4' } });
    expect(parseBaseline({ ...json, features: [json.features[1], json.features[0]] })).toMatchObject({ ok: false, error: { field: 'baseline.features[1].name' } });
    expect(parseBaseline({ ...json, features: [{ ...json.features[0], kind: 'text' }] })).toMatchObject({ ok: false, error: { field: 'baseline.features[0].kind' } });
    expect(parseWindowSketch({ ...(roundTrip(window) as object), otherColumns: null })).toMatchObject({ ok: false, error: { field: 'window.otherColumns' } });
  });

  test('never throws, whatever arrives', () => {
    const inputs: unknown[] = [undefined, null, 0, 'sketch', [[1, 2]], { positive: 'x' }, { ...numeric, negative: [null] }, { ...numeric, edges: null }];
    for (const input of inputs) {
      expect(() => [parseNumericSketch(input), parseCategoricalSketch(input), parseBaseline(input), parseWindowSketch(input)]).not.toThrow();
    }
  });

  test('takes time linear in the size of what arrives', () => {
    // Prepare: the same kind of sketch, 10 and 100 times larger
    const sized = (n: number) => roundTrip(sketchNumeric(Array.from({ length: n }, (_, i) => 1.02 ** (i % 3000) * (i % 2 ? 1 : -1))));
    const categories = (n: number) => roundTrip(sketchCategorical(Array.from({ length: n }, (_, i) => `c${i}`), { cap: 100_000 }));
    const time = (input: unknown, parse: (input: unknown) => unknown): number => {
      const start = process.hrtime.bigint();
      for (let i = 0; i < 5; i += 1) parse(input);
      return Number(process.hrtime.bigint() - start);
    };
    // Act / Assess: a quadratic parser would take ~100 times longer for 10 times the input
    const small = sized(600), large = sized(6000);
    time(large, parseNumericSketch);
    expect(time(large, parseNumericSketch) / time(small, parseNumericSketch)).toBeLessThan(40);
    const few = categories(5000), many = categories(50_000);
    time(many, parseCategoricalSketch);
    expect(time(many, parseCategoricalSketch) / time(few, parseCategoricalSketch)).toBeLessThan(40);
  });
});
