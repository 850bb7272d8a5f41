import {
  buildBaseline, compareWindow, jensenShannonDistance, kolmogorovSmirnov, populationStabilityIndex, sketchNumeric, sketchWindow, wasserstein,
  type Row,
} from '../../../lambda/core/drift-statistics';

const training: Row[] = Array.from({ length: 200 }, (_, i) => ({
  amount: (i % 50) + 0.5,
  channel: ['web', 'store', 'phone'][i % 3],
  zip: String(10000 + (i % 7)),
}));

describe('comparing a window with its baseline', () => {
  test('reports every baseline feature with its statistics, keys in a fixed order', () => {
    // Prepare
    const baseline = buildBaseline(training, { kinds: { zip: 'categorical' } });
    // Act
    const result = compareWindow(baseline, sketchWindow(baseline, training));
    // Assess
    if (!result.ok) throw new Error(result.error.problem);
    expect(Object.keys(result.value)).toEqual(['rows', 'features', 'schema']);
    const [amount, channel, zip] = result.value.features;
    expect(Object.keys(amount)).toEqual(['feature', 'kind', 'missingRate', 'typeShare', 'psi', 'jensenShannon', 'kolmogorovSmirnov', 'wasserstein']);
    expect(Object.keys(channel)).toEqual(['feature', 'kind', 'missingRate', 'typeShare', 'psi', 'jensenShannon', 'chiSquare']);
    expect(amount).toMatchObject({ feature: 'amount', kind: 'numeric', psi: 0, jensenShannon: 0, kolmogorovSmirnov: { statistic: 0 }, wasserstein: { value: 0 } });
    expect(channel).toMatchObject({ feature: 'channel', kind: 'categorical', psi: 0, jensenShannon: 0, chiSquare: { statistic: 0, degreesOfFreedom: 2, pValue: 1 } });
    expect(zip).toMatchObject({ feature: 'zip', typeShare: { baseline: 1, window: 1 } });
    expect(result.value.schema).toEqual({ newColumns: [], absentColumns: [], typeChanges: [] });
  });

  test('finds new columns, absent columns and columns of another type', () => {
    // Prepare
    const baseline = buildBaseline(training);
    const window: Row[] = Array.from({ length: 10 }, (_, i) => ({ amount: i < 7 ? 'unknown' : i, channel: i, coupon: 'SAVE5', empty: null }));
    // Act
    const result = compareWindow(baseline, sketchWindow(baseline, window));
    // Assess
    if (!result.ok) throw new Error(result.error.problem);
    expect(result.value.schema).toEqual({
      newColumns: ['coupon'],
      absentColumns: ['zip'],
      typeChanges: [{ feature: 'amount', expected: 'number', share: 0.3 }, { feature: 'channel', expected: 'text', share: 0 }],
    });
    expect(result.value.features[2]).toMatchObject({ feature: 'zip', missingRate: { baseline: 0, window: 1 }, psi: null, jensenShannon: null, kolmogorovSmirnov: null });
  });

  test('rejects a window sketched against another baseline, naming the feature', () => {
    const baseline = buildBaseline(training);
    const other = buildBaseline(training.map((row) => ({ ...row, amount: Number(row.amount) * 2 })));
    expect(compareWindow(baseline, sketchWindow(other, training))).toMatchObject({ ok: false, error: { field: 'features[0]', problem: expect.stringContaining('other edges') } });
    expect(compareWindow(baseline, sketchWindow(buildBaseline([{ a: 1 }]), training))).toMatchObject({ ok: false, error: { field: 'features' } });
  });
});

describe('the distances on their own', () => {
  test('PSI replaces empty shares by 1e-4, and JS is 1 for disjoint bins', () => {
    const psi = populationStabilityIndex([10, 0], [0, 10]);
    expect(psi).toBeCloseTo(2 * (1 - 1e-4) * Math.log(1 / 1e-4), 12);
    expect(jensenShannonDistance([10, 0], [0, 10])).toBe(1);
    expect(populationStabilityIndex([0, 0], [1, 1])).toBeNull();
  });

  test('KS and W1 from sketches bracket the exact figures of two small samples', () => {
    // Prepare: exact KS = 0.25 and W1 = 1 for these
    const a = sketchNumeric([1, 2, 3, 4]);
    const b = sketchNumeric([2, 3, 4, 5]);
    // Act
    const ks = kolmogorovSmirnov(a, b);
    const w1 = wasserstein(a, b);
    // Assess
    expect(ks).not.toBeNull();
    expect(ks?.statistic).toBeLessThanOrEqual(0.25);
    expect(0.25 - (ks?.statistic ?? NaN)).toBeLessThanOrEqual(ks?.errorBound ?? NaN);
    expect(Math.abs((w1?.value ?? NaN) - 1)).toBeLessThanOrEqual(w1?.errorBound ?? NaN);
    expect(kolmogorovSmirnov(a, sketchNumeric([]))).toBeNull();
  });
});
