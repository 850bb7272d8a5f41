import fc from 'fast-check';
import { assessDrift, parseViolations, severityOf, type Severity } from '../../lambda/core/drift';
import { DEFAULT_DRIFT_THRESHOLDS, parseDriftConfig, parseThresholds } from '../../lambda/core/contracts/drift';
import { pipelineParameters } from '../../lambda/core/pipeline-parameters';
import { config, failure, fixture, ok, score } from './drift-support';

// Every expected number below is computed by hand in the comment beside it; none is taken from the code under test.

describe('severity', () => {
  test.each([
    [0, 'low'],
    [0.0999, 'low'],
    [0.1, 'medium'],
    [0.2999, 'medium'],
    [0.3, 'high'],
    [0.4999, 'high'],
    [0.5, 'critical'],
    [7, 'critical'],
    [Infinity, 'critical'],
    [NaN, 'critical'],
  ])('with the default thresholds 0.1 / 0.3 / 0.5, %p is %s', (value, severity) => {
    expect(severityOf(value, DEFAULT_DRIFT_THRESHOLDS)).toBe(severity);
  });

  test('is monotone in the score', () => {
    const rank: Record<Severity, number> = { none: 0, low: 1, medium: 2, high: 3, critical: 4 };
    const step = fc.double({ min: 0.001, max: 5, noNaN: true });
    const thresholds = fc.tuple(fc.double({ min: 0, max: 5, noNaN: true }), step, step).map(([medium, a, b]) => ({ medium, high: medium + a, critical: medium + a + b }));
    const value = fc.double({ noNaN: true });

    fc.assert(
      fc.property(thresholds, value, value, (t, x, y) => {
        const [low, high] = x <= y ? [x, y] : [y, x];
        return rank[severityOf(low, t)] <= rank[severityOf(high, t)];
      }),
      { seed: 42, numRuns: 1000 },
    );
  });

  test('parseThresholds accepts increasing, finite, non-negative thresholds', () => {
    expect(ok(parseThresholds({ medium: 0, high: 0.2, critical: 1 }))).toEqual({ medium: 0, high: 0.2, critical: 1 });
  });

  test.each<[string, unknown, string]>([
    ['not an object', 0.3, 'drift.thresholds'],
    ['not increasing', { medium: 0.3, high: 0.3, critical: 0.5 }, 'drift.thresholds'],
    ['decreasing', { medium: 0.5, high: 0.3, critical: 0.1 }, 'drift.thresholds'],
    ['negative', { medium: -0.1, high: 0.3, critical: 0.5 }, 'drift.thresholds.medium'],
    ['infinite', { medium: 0.1, high: 0.3, critical: Infinity }, 'drift.thresholds.critical'],
    ['incomplete', { medium: 0.1, critical: 0.5 }, 'drift.thresholds.high'],
  ])('parseThresholds rejects thresholds that are %s, naming the field', (_case, input, field) => {
    expect(failure(parseThresholds(input, 'drift.thresholds')).field).toBe(field);
  });

  test('parseDriftConfig defaults every field: 0.1 / 0.3 / 0.5, no feature thresholds, no automatic retraining', () => {
    const expected = { thresholds: { medium: 0.1, high: 0.3, critical: 0.5 }, featureThresholds: {}, autoRetrain: false };

    expect(ok(parseDriftConfig(undefined))).toEqual(expected);
    expect(ok(parseDriftConfig({}))).toEqual(expected);
  });

  test.each<[string, unknown, string]>([
    ['not an object', 'high', 'drift'],
    ['with bad feature thresholds', { featureThresholds: { tenure_months: { medium: 0.2, high: 0.1, critical: 0.5 } } }, 'featureThresholds.tenure_months'],
    ['with feature thresholds that are not a map', { featureThresholds: [] }, 'featureThresholds'],
    ['with autoRetrain not a boolean', { autoRetrain: 'yes' }, 'autoRetrain'],
  ])('parseDriftConfig rejects a config %s, naming the field', (_case, input, field) => {
    expect(failure(parseDriftConfig(input)).field).toBe(field);
  });
});

describe('assessDrift', () => {
  // One feature at a score inside each default band: low < 0.1 <= medium < 0.3 <= high < 0.5 <= critical.
  test.each<[number, Severity, boolean, string, number | undefined, Record<string, string>]>([
    [0.05, 'low', false, 'log', undefined, {}],
    [0.05, 'low', true, 'log', undefined, {}],
    [0.2, 'medium', false, 'log', undefined, {}],
    [0.2, 'medium', true, 'retrain', 3, { DriftSeverity: 'medium', DriftScore: '0.2000', DriftedFeatures: 'age' }],
    [0.4, 'high', false, 'retrain-with-approval', 2, { DriftSeverity: 'high', DriftScore: '0.4000', DriftedFeatures: 'age', RequireApproval: 'true' }],
    [0.4, 'high', true, 'retrain-with-approval', 2, { DriftSeverity: 'high', DriftScore: '0.4000', DriftedFeatures: 'age', RequireApproval: 'true' }],
    [0.7, 'critical', false, 'block-and-review', 1, {}],
    [0.7, 'critical', true, 'block-and-review', 1, {}],
  ])('a score of %p is %s; with autoRetrain %p the action is %s', (value, severity, autoRetrain, action, priority, parameters) => {
    const assessment = assessDrift(config({ autoRetrain }), [score('age', value)]);

    expect(assessment).toMatchObject({ severity, action, parameters });
    expect(assessment.priority).toBe(priority);
    expect(assessment.recommendation).toContain(`age ${value.toFixed(4)}`);
  });

  test('per-feature thresholds replace the global ones for their feature only', () => {
    const featureThresholds = { tenure_months: { medium: 0.3, high: 0.5, critical: 0.8 }, plan_type: { medium: 0.05, high: 0.08, critical: 0.2 } };
    // The fixture's two drift distances (its data-type and completeness shortfalls are left out here).
    const scores = ok(parseViolations(fixture('model-monitor/data-quality-constraint_violations.json'))).scores.filter((s) => s.kind.endsWith('-distance'));

    const assessment = assessDrift(config({ featureThresholds, autoRetrain: true }), [...scores, score('support_calls', 0.2)]);

    // tenure_months 0.2711... < its medium 0.3 is low; plan_type 0.08 <= 0.0842 < 0.2 is high; support_calls
    // keeps the defaults, 0.1 <= 0.2 < 0.3 is medium. DriftScore is the largest score, 0.2711598746081505 -> 0.2712.
    expect(assessment.drifted.map((d) => [d.feature, d.severity])).toEqual([['plan_type', 'high'], ['support_calls', 'medium'], ['tenure_months', 'low']]);
    expect(assessment).toMatchObject({ severity: 'high', action: 'retrain-with-approval', priority: 2 });
    expect(assessment.parameters).toEqual({ DriftSeverity: 'high', DriftScore: '0.2712', DriftedFeatures: 'plan_type,support_calls', RequireApproval: 'true' });
  });

  test('a feature named like an Object property uses the global thresholds', () => {
    expect(assessDrift(config(), [score('constructor', 0.2)]).severity).toBe('medium');
  });

  test('an unreadable score is critical, never passed as low', () => {
    const assessment = assessDrift(config({ autoRetrain: true }), [score('age', NaN), score('income', 0.01)]);

    expect(assessment).toMatchObject({ severity: 'critical', action: 'block-and-review', priority: 1 });
  });

  test('orders the drifted features by severity, then score, and names the top three in the recommendation', () => {
    const scores = [score('a', 0.12), score('b', 0.45), score('c', 0.31), score('d', 0.05), score('e', 0.2)];

    const assessment = assessDrift(config({ autoRetrain: true }), scores);

    // b 0.45 and c 0.31 are high, e 0.2 and a 0.12 medium, d 0.05 low.
    expect(assessment.drifted.map((d) => d.feature)).toEqual(['b', 'c', 'e', 'a', 'd']);
    expect(assessment.parameters.DriftedFeatures).toBe('b,c,e,a');
    expect(assessment.recommendation).toMatch(/^High drift: b 0\.4500 .*c 0\.3100 .*e 0\.2000 .* and 2 more\. .*approv/);
  });

  test('cuts DriftedFeatures to whole names within 1024 characters, highest first', () => {
    // 100 names of 20 characters, all high (0.49 down to 0.391): k names joined take 20k + (k - 1) characters,
    // 48 take 1007 and 49 would take 1028.
    const names = Array.from({ length: 100 }, (_, i) => `drifted_feature_${String(i).padStart(3, '0')}_`);
    const scores = names.map((name, i) => score(name, 0.49 - i * 0.001));

    const parameters = assessDrift(config(), scores).parameters;

    expect(parameters.DriftedFeatures).toBe(names.slice(0, 48).join(','));
    expect(parameters.DriftedFeatures).toHaveLength(1007);
    expect(pipelineParameters(parameters).ok).toBe(true);
  });

  test('cuts a single feature name longer than 1024 characters to 1024, and lists a feature once', () => {
    const long = 'f'.repeat(2000);

    expect(assessDrift(config(), [score(long, 0.4)]).parameters.DriftedFeatures).toBe('f'.repeat(1024));
    expect(assessDrift(config(), [score('age', 0.4), score('age', 0.35, 'alarm-value')]).parameters.DriftedFeatures).toBe('age');
  });
});
