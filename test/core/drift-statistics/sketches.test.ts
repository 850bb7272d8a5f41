import {
  addCategorical, addNumeric, binEdges, categoryHash, compareRank, emptyCategorical, emptyNumeric, formatSum, geometry,
  mergeCategorical, mergeNumeric, parseSum, quantile, representative, sketchCategorical, sketchNumeric, toUnits, unitsToNumber,
} from '../../../lambda/core/drift-statistics';

describe('exact sums', () => {
  test('every finite double converts to units and back unchanged', () => {
    // Prepare
    const values = [0, 1, -1, 0.1, -2.5e-300, Number.MIN_VALUE, -Number.MIN_VALUE, 2 ** -1022, Number.MAX_VALUE, -Number.MAX_VALUE, Math.PI, 123456.789];
    // Act / Assess
    for (const value of values) expect(unitsToNumber(parseSum(formatSum(toUnits(value))))).toBe(value);
  });

  test('sums without rounding, so the order of additions does not matter', () => {
    // Prepare: floating-point sums of these give 1 forwards and 0 backwards
    const values = [1e16, 1, -1e16, 1];
    // Act
    const forward = values.reduce((sum, x) => sum + toUnits(x), 0n);
    const backward = [...values].reverse().reduce((sum, x) => sum + toUnits(x), 0n);
    // Assess
    expect(forward).toBe(backward);
    expect(unitsToNumber(forward)).toBe(2);
  });

  test('rounds the exact sum to the nearest double, and overflows to Infinity past the largest', () => {
    expect(unitsToNumber(toUnits(1) + 1n)).toBe(1);
    expect(unitsToNumber(toUnits(Number.MAX_VALUE) * 2n)).toBe(Infinity);
    expect(unitsToNumber(-toUnits(Number.MAX_VALUE) * 2n)).toBe(-Infinity);
  });
});

describe('the numeric sketch', () => {
  test('tallies numbers, numeric text, missing cells and other values apart', () => {
    // Act
    const sketch = sketchNumeric([1, '2.5', ' -3 ', null, undefined, NaN, '', '  ', 'n/a', true, Infinity, { x: 1 }, 0, -0, 1e-12]);
    // Assess
    expect(sketch).toMatchObject({ count: 6, missing: 5, nonNumeric: 4, min: -3, max: 2.5, zero: 3 });
    expect(Object.is(sketch.min, -0)).toBe(false);
    expect(unitsToNumber(parseSum(sketch.sum))).toBe(0.5 + 1e-12);
    expect(unitsToNumber(parseSum(sketch.sumAbs))).toBe(6.5 + 1e-12);
  });

  test('every bucket holds values within alpha of its representative', () => {
    const g = geometry(0.005);
    const values = Array.from({ length: 2000 }, (_, i) => 1.0137 ** (i - 1000) * (i % 2 === 0 ? 1 : -1));
    const sketch = sketchNumeric(values);
    for (const x of values) {
      const index = Math.ceil(Math.log(Math.abs(x)) / g.lnGamma);
      expect(Math.abs(Math.abs(x) - representative(g, index))).toBeLessThanOrEqual(0.005 * Math.abs(x) * (1 + 1e-12));
    }
    expect(sketch.positive.length + sketch.negative.length).toBeLessThanOrEqual(2000);
  });

  test('clamps far magnitudes into the last bucket, so the store stays bounded', () => {
    const g = geometry(0.005);
    const sketch = sketchNumeric([1e300, 1e200, 1e20, 1e-5]);
    expect(sketch.positive).toEqual([[Math.ceil(Math.log(1e-5) / g.lnGamma), 1], [g.maxIndex, 3]]);
    expect(g.maxIndex - g.minIndex).toBeLessThan(5600);
  });

  test('counts each value in the bin edges[i-1] <= x < edges[i]', () => {
    const sketch = sketchNumeric([-5, 0, 0.999, 1, 1.5, 2, 9], { edges: [0, 1, 2] });
    expect(sketch.bins).toEqual([1, 2, 2, 2]);
  });

  test('quantiles are within alpha of the sample quantile at the same rank', () => {
    const values = Array.from({ length: 1001 }, (_, i) => (i - 300) / 7);
    const sketch = sketchNumeric(values);
    for (const q of [0.01, 0.1, 0.25, 0.5, 0.9, 0.99]) {
      const exact = values[Math.round(q * 1000)];
      expect(Math.abs((quantile(sketch, q) ?? NaN) - exact)).toBeLessThanOrEqual(0.005 * Math.abs(exact) + 1e-9);
    }
    expect(quantile(emptyNumeric(), 0.5)).toBeNull();
  });

  test('bin edges merge ties, so a feature of few values gets few bins', () => {
    // Prepare
    const values = [...Array(50).fill(1), ...Array(30).fill(2), ...Array(20).fill(7)];
    // Act
    const edges = binEdges(sketchNumeric(values));
    // Assess: each value starts its own bin, as with edges at the exact deciles 1, 2 and 7
    expect(edges).toHaveLength(3);
    expect(sketchNumeric(values, { edges }).bins).toEqual([0, 50, 30, 20]);
    expect(binEdges(sketchNumeric(Array(10).fill(4)))).toHaveLength(1);
    expect(binEdges(emptyNumeric())).toEqual([]);
    expect(() => binEdges(emptyNumeric(), 1)).toThrow('bins must be a whole number between 2 and 100, got 1');
  });

  test('adding one value equals sketching it with the others', () => {
    const values = [3, -1, 'x', null, 2.5, 1e-10];
    const added = values.reduce((sketch, value) => addNumeric(sketch, value), emptyNumeric({ edges: [0, 2] }));
    expect(added).toEqual(sketchNumeric(values, { edges: [0, 2] }));
  });

  test('refuses to merge sketches of another accuracy or other edges, naming the field', () => {
    expect(mergeNumeric(emptyNumeric({ alpha: 0.01 }), emptyNumeric())).toEqual({ ok: false, error: { field: 'alpha', problem: expect.stringContaining('0.01') } });
    expect(mergeNumeric(emptyNumeric({ edges: [1] }), emptyNumeric({ edges: [2] }))).toMatchObject({ ok: false, error: { field: 'edges' } });
  });

  test('rejects invalid options as a RangeError that names the option', () => {
    expect(() => emptyNumeric({ alpha: 0.5 })).toThrow('alpha must be between 0.001 and 0.1, got 0.5');
    expect(() => emptyNumeric({ edges: [1, 1] })).toThrow('edges must increase strictly, got 1 then 1 at edges[1]');
  });
});

describe('the categorical sketch', () => {
  test('counts categories as written, numbers among them, and missing cells apart', () => {
    const sketch = sketchCategorical(['a', 'b', 'a', 3, '3', null, '', true, [1], { k: 1 }]);
    expect(sketch).toEqual({
      cap: 1000, count: 8, missing: 2, numeric: 2,
      categories: [['3', 2], ['<array>', 1], ['<object>', 1], ['a', 2], ['b', 1], ['true', 1]], overflow: 0,
    });
  });

  test('past the cap, keeps the categories of lowest hash rank whatever the arrival order', () => {
    const names = Array.from({ length: 40 }, (_, i) => `category-${i}`);
    const values = names.flatMap((name, i) => Array(1 + (i % 3)).fill(name));
    const ranked = [...names].sort(compareRank).slice(0, 5).sort();
    const forward = sketchCategorical(values, { cap: 5 });
    const backward = sketchCategorical([...values].reverse(), { cap: 5 });
    expect(forward).toEqual(backward);
    expect(forward.categories.map(([name]) => name)).toEqual(ranked);
    expect(forward.overflow + forward.categories.reduce((sum, [, n]) => sum + n, 0)).toBe(values.length);
  });

  test('the hash is FNV-1a over UTF-16 code units', () => {
    expect(categoryHash('')).toBe(0x811c9dc5);
    expect(categoryHash('a')).toBe(0xe40c292c);
  });

  test('adds one value like sketching it with the others, and refuses to merge other caps', () => {
    const values = ['x', 'y', 'x', null, 4];
    expect(values.reduce((sketch, value) => addCategorical(sketch, value), emptyCategorical({ cap: 2 }))).toEqual(sketchCategorical(values, { cap: 2 }));
    expect(mergeCategorical(emptyCategorical({ cap: 2 }), emptyCategorical())).toMatchObject({ ok: false, error: { field: 'cap' } });
    expect(() => emptyCategorical({ cap: 0 })).toThrow('cap must be a whole number between 1 and 100000, got 0');
  });
});
