import { assessDrift, parseViolations } from '../../lambda/core/drift';
import { config, failure, fixture, ok, violations } from './drift-support';

describe('parseViolations', () => {
  test('reads the data-quality fixture: drift distances from the descriptions, data-type and completeness shares as shortfalls', () => {
    const parsed = ok(parseViolations(fixture('model-monitor/data-quality-constraint_violations.json')));
    const report = { ...parsed, scores: parsed.scores.slice(0, 2), otherScores: parsed.scores.slice(2) };

    // Distances and thresholds as the fixture's descriptions print them.
    expect(report.scores).toEqual([
      {
        feature: 'tenure_months', score: 0.2711598746081505, kind: 'numerical-distance', threshold: 0.1,
        detail: 'Numerical distance: 0.2711598746081505 exceeds numerical threshold: 0.1',
      },
      {
        feature: 'plan_type', score: 0.0842, kind: 'categorical-distance', threshold: 0.05,
        detail: 'Categorical distance: 0.0842 exceeds categorical threshold: 0.05',
      },
    ]);
    // 100.0% - 99.2% = 0.008 and 100.0% - 97.5% = 0.025, as fractions.
    expect(report.otherScores.map(({ feature, kind, score }) => [feature, kind, score])).toEqual([
      ['monthly_charges', 'data-type', expect.closeTo(0.008, 12)],
      ['support_calls', 'completeness', expect.closeTo(0.025, 12)],
    ]);
    expect(report.unknown).toEqual([]);
  });

  test('scores the data-quality fixture with the default thresholds: tenure_months medium, the rest low', () => {
    const report = ok(parseViolations(fixture('model-monitor/data-quality-constraint_violations.json')));

    const assessment = assessDrift(config(), report.scores);

    // 0.1 <= 0.2711598746081505 < 0.3 is medium; 0.0842, 0.025 and 0.008 are below 0.1, low. autoRetrain defaults to false.
    expect(assessment.drifted.map((d) => [d.feature, d.severity])).toEqual([
      ['tenure_months', 'medium'],
      ['plan_type', 'low'],
      ['support_calls', 'low'],
      ['monthly_charges', 'low'],
    ]);
    expect(assessment).toMatchObject({ severity: 'medium', action: 'log', parameters: {} });
    expect(assessment.priority).toBeUndefined();
    expect(assessment.recommendation).toContain('tenure_months 0.2712');
  });

  test('reads the model-quality fixture: metric_name as the feature, relative shortfall as the score', () => {
    const report = ok(parseViolations(fixture('model-monitor/model-quality-constraint_violations.json')));

    // (0.82 - 0.71) / 0.82 = 11/82 = 0.134146341463414634..., whose nearest double prints as 0.13414634146341464.
    expect(report.scores).toEqual([
      {
        feature: 'accuracy', score: 0.13414634146341464, kind: 'metric-degradation', threshold: 0.82,
        detail: 'Metric accuracy with 0.71 +/- 0.0041 was LessThanThreshold 0.82',
      },
    ]);
    expect(report.unknown).toEqual([]);
    // 0.1 <= 0.134... < 0.3 is medium.
    expect(assessDrift(config(), report.scores).severity).toBe('medium');
  });

  test('reads the no-violations fixture as nothing to score: severity none, action log', () => {
    const report = ok(parseViolations(fixture('model-monitor/no-violations.json')));

    const assessment = assessDrift(config({ autoRetrain: true }), report.scores);

    expect(report).toEqual({ scores: [], unknown: [] });
    expect(assessment).toEqual({ severity: 'none', action: 'log', drifted: [], parameters: {}, recommendation: 'No drift was scored: nothing to act on.' });
  });

  test('scores an error metric that rose above its threshold as (value - threshold) / threshold', () => {
    const description = 'Metric mse with 2.5 +/- 0.1 was GreaterThanThreshold 2.0';
    const body = violations({ constraint_check_type: 'GreaterThanThreshold', description, metric_name: 'mse' });

    // (2.5 - 2.0) / 2.0 = 0.25, exact in binary.
    expect(ok(parseViolations(body)).scores).toEqual([{ feature: 'mse', score: 0.25, kind: 'metric-degradation', threshold: 2, detail: description }]);
  });

  test('clamps a degradation that points the wrong way at 0', () => {
    const body = violations({ constraint_check_type: 'LessThanThreshold', description: 'Metric accuracy with 0.9 was LessThanThreshold 0.82', metric_name: 'accuracy' });

    // (0.82 - 0.9) / 0.82 < 0, clamped.
    expect(ok(parseViolations(body)).scores[0].score).toBe(0);
  });

  test('reads distances written in scientific notation', () => {
    const description = 'Numerical distance: 2.5e-1 exceeds numerical threshold: 1E-1';
    const body = violations({ feature_name: 'age', constraint_check_type: 'baseline_drift_check', description });

    // 2.5e-1 = 0.25, 1E-1 = 0.1.
    expect(ok(parseViolations(body)).scores).toMatchObject([{ feature: 'age', score: 0.25, threshold: 0.1 }]);
  });

  test.each([
    ['not JSON', 'violations: none', 'body'],
    ['a JSON array', '[]', 'body'],
    ['without violations', '{"monitoring": "done"}', 'violations'],
    ['with violations not an array', '{"violations": {"feature_name": "age"}}', 'violations'],
  ])('rejects a body %s, naming the field', (_case, body, field) => {
    expect(failure(parseViolations(body)).field).toBe(field);
  });

  test('reports entries it cannot read, with the problem, and never scores them', () => {
    const body = violations(
      { feature_name: 'age', constraint_check_type: 'baseline_drift_check', description: 'Baseline drift detected' },
      'baseline_drift_check',
      null,
      { feature_name: 'age', constraint_check_type: 'mystery_check' },
      { constraint_check_type: 'baseline_drift_check', description: 'Numerical distance: 0.4 exceeds numerical threshold: 0.1' },
      { constraint_check_type: 'LessThanThreshold', description: 'Metric auc with NaN +/- 0.0 was LessThanThreshold 0.8', metric_name: 'auc' },
      { constraint_check_type: 'LessThanThreshold', description: 'Metric auc with 0.5 was LessThanThreshold 0', metric_name: 'auc' },
      { feature_name: 'age', constraint_check_type: 'baseline_drift_check', description: 'Numerical distance: 0.31 exceeds numerical threshold: 0.1' },
    );

    const report = ok(parseViolations(body));

    expect(report.unknown).toEqual([
      { index: 0, problem: expect.stringContaining('violations[0].description of a baseline_drift_check does not state a numerical or categorical distance') },
      { index: 1, problem: "violations[1] must be an object, got the string 'baseline_drift_check'" },
      { index: 2, problem: 'violations[2] must be an object, got null' },
      { index: 3, problem: 'violations[3].description is missing' },
      { index: 4, problem: 'violations[4].feature_name is missing' },
      { index: 5, problem: expect.stringContaining('violations[5].description of a LessThanThreshold does not state') },
      { index: 6, problem: expect.stringContaining('non-zero threshold') },
    ]);
    expect(report.scores).toEqual([expect.objectContaining({ feature: 'age', score: 0.31 })]);
  });

  test('reads a missing column as a schema change, scored whatever its wording', () => {
    const body = violations({ feature_name: 'region', constraint_check_type: 'missing_column_check', description: 'Column region is missing.' });

    expect(ok(parseViolations(body))).toEqual({
      scores: [{ feature: 'region', score: 1, kind: 'schema-change', detail: 'missing_column_check: Column region is missing.' }],
      unknown: [],
    });
  });
});
