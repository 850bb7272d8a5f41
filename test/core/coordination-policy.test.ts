import { estimateCost } from '../../lambda/core/coordination';
import { DEFAULT_COST_MODEL, parsePolicy } from '../../lambda/core/contracts/coordinator';

// Defaults (6 h = 21,600,000 ms, 4 runs, budget 1000, cost 150 per run + 100 % per 100 GB) are the coordinator's specification.

describe('parsePolicy', () => {
  it('gives the documented defaults for an absent policy', () => {
    // Act
    const parsed = parsePolicy(undefined);

    // Assess
    expect(parsed).toEqual({
      ok: true,
      value: { minIntervalMs: 21_600_000, maxDailyRuns: 4, dailyBudget: 1000, costModel: { baseCost: 150, gbPerIncrement: 100 }, timeZone: 'UTC' },
    });
  });

  it('fills the fields a partial policy leaves out from the defaults', () => {
    // Act
    const parsed = parsePolicy({ maxDailyRuns: 0, costModel: { baseCost: 80 }, timeZone: 'Europe/Berlin' });

    // Assess
    expect(parsed).toEqual({
      ok: true,
      value: { minIntervalMs: 21_600_000, maxDailyRuns: 0, dailyBudget: 1000, costModel: { baseCost: 80, gbPerIncrement: 100 }, timeZone: 'Europe/Berlin' },
    });
  });

  it.each<[string, unknown]>([
    ['policy', 'strict'],
    ['minIntervalMs', { minIntervalMs: -1 }],
    ['minIntervalMs', { minIntervalMs: 'six hours' }],
    ['maxDailyRuns', { maxDailyRuns: 1.5 }],
    ['maxDailyRuns', { maxDailyRuns: -1 }],
    ['dailyBudget', { dailyBudget: Number.NaN }],
    ['costModel', { costModel: 'cheap' }],
    ['costModel.baseCost', { costModel: { baseCost: -5 } }],
    ['costModel.gbPerIncrement', { costModel: { gbPerIncrement: 0 } }],
    ['timeZone', { timeZone: 'Mars/Olympus_Mons' }],
    ['timeZone', { timeZone: 5 }],
  ])('rejects a bad %s and names the field', (field, input) => {
    // Act
    const parsed = parsePolicy(input);

    // Assess
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.field).toBe(field);
  });
});

describe('estimateCost', () => {
  it.each<[number | undefined, number]>([
    [undefined, 150], // 150 * (1 + 0 / 100)
    [0, 150],
    [50, 225], // 150 * (1 + 50 / 100) = 150 * 1.5
    [250, 525], // 150 * 3.5
  ])('prices %s GB at %s with the default model', (size, expected) => {
    // Act
    const cost = estimateCost(DEFAULT_COST_MODEL, size);

    // Assess
    expect(cost).toBe(expected);
  });

  it('never answers Infinity: a cost model and size that multiply past the largest estimate are charged that estimate', () => {
    expect(estimateCost({ baseCost: 1e308, gbPerIncrement: 1e-300 }, 1e9)).toBe(1e15);
    expect(estimateCost(DEFAULT_COST_MODEL, 1e9)).toBe(1_500_000_150);
  });

  it('rounds to cents', () => {
    // Act: 10 * (1 + 1 / 3) = 13.333...
    const cost = estimateCost({ baseCost: 10, gbPerIncrement: 3 }, 1);

    // Assess
    expect(cost).toBe(13.33);
  });
});
