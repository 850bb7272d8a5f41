import fc from 'fast-check';
import { assessDrift, parseAlarmMessage, parseViolations, type ViolationReport } from '../../lambda/core/drift';
import { config, fixture, ok, violations } from './drift-support';

// Every expected number is read off a fixture or worked out in the comment beside it.

const report = (name: string): ViolationReport => ok(parseViolations(fixture(`model-monitor/${name}`)));

describe('every Model Monitor report type maps to a score where higher is worse', () => {
  test('data quality: drift distances, and the completeness and data-type shares as shortfalls', () => {
    // Act
    const { scores, unknown } = report('data-quality-constraint_violations.json');

    // Assess: 0.2711598746081505 and 0.0842 as written; monthly_charges 100.0% - 99.2% = 0.008; support_calls 100.0% - 97.5% = 0.025.
    expect(unknown).toEqual([]);
    expect(scores.map(({ feature, kind, score }) => [feature, kind, score])).toEqual([
      ['tenure_months', 'numerical-distance', 0.2711598746081505],
      ['plan_type', 'categorical-distance', 0.0842],
      ['monthly_charges', 'data-type', expect.closeTo(0.008, 12)],
      ['support_calls', 'completeness', expect.closeTo(0.025, 12)],
    ]);
  });

  test('feature attribution: the nDCG falls with drift, so its score is (threshold - nDCG) / threshold', () => {
    // Act
    const { scores, unknown } = report('feature-attribution-constraint_violations.json');

    // Assess: (0.9 - 0.7639720923277322) / 0.9 = 0.151142119635853...; (0.9 - 0.5) / 0.9 = 0.4444...
    expect(unknown).toEqual([]);
    expect(scores.map(({ feature, kind, score, threshold }) => [feature, kind, score, threshold])).toEqual([
      ['attribution:label0', 'attribution-drift', expect.closeTo(0.1511421196358531, 12), 0.9],
      ['attribution:label1', 'attribution-drift', expect.closeTo(4 / 9, 12), 0.9],
    ]);
  });

  test('a lower nDCG scores higher, never lower: the direction is not inverted', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 0.9, noNaN: true }), fc.double({ min: 0, max: 0.9, noNaN: true }), (a, b) => {
        // Prepare
        const [low, high] = a < b ? [a, b] : [b, a];
        const entry = (ndcg: number) => ({ label: 'l', metric_name: 'shap', constraint_check_type: 'feature_attribution_drift_check', description: `Feature attribution drift ${ndcg} exceeds threshold 0.9` });

        // Act
        const [lowScore, highScore] = ok(parseViolations(violations(entry(low), entry(high)))).scores.map((s) => s.score);

        // Assess
        expect(lowScore).toBeGreaterThanOrEqual(highScore);
      }),
    );
  });

  test('bias drift: |value| of the bias metric per facet, named by metric and facet', () => {
    // Act
    const { scores, unknown } = report('bias-drift-constraint_violations.json');

    // Assess: |0.0751544567666083| and |-0.33333333333333337|.
    expect(unknown).toEqual([]);
    expect(scores.map(({ feature, kind, score }) => [feature, kind, score])).toEqual([
      ['bias:CI(Age=40)', 'bias-drift', 0.0751544567666083],
      ['bias:DPPL(Age=40)', 'bias-drift', 0.33333333333333337],
    ]);
  });

  test('schema checks: a missing column is critical and blocks retraining; a categorical share is a shortfall', () => {
    // Act
    const parsed = report('data-quality-schema-constraint_violations.json');
    const assessment = assessDrift(config({ autoRetrain: true }), parsed.scores);

    // Assess: 100.0% - 91.0% = 0.09 for plan_type; the missing column is critical whatever its score.
    expect(parsed.unknown).toEqual([]);
    expect(parsed.scores.map(({ feature, kind }) => [feature, kind])).toEqual([
      ['region', 'schema-change'],
      ['plan_type', 'categorical-values'],
    ]);
    expect(parsed.scores[1].score).toBeCloseTo(0.09, 12);
    expect(assessment.severity).toBe('critical');
    expect(assessment.action).toBe('block-and-review');
    expect(assessment.parameters).toEqual({});
  });

  test('an extra column without a feature name is still a schema change', () => {
    // Act
    const { scores } = ok(parseViolations(violations({ constraint_check_type: 'extra_column_check', description: 'There are extra columns.' })));

    // Assess
    expect(scores).toEqual([{ feature: 'schema:extra_column_check', score: 1, kind: 'schema-change', detail: 'extra_column_check: There are extra columns.' }]);
  });

  test('model quality is read as before: accuracy 0.71 against 0.82 is a shortfall of 11/82', () => {
    // Act
    const { scores } = report('model-quality-constraint_violations.json');

    // Assess
    expect(scores).toEqual([expect.objectContaining({ feature: 'accuracy', kind: 'metric-degradation', score: expect.closeTo(11 / 82, 12) })]);
  });
});

describe('a violation the evaluator does not understand is never "no drift"', () => {
  test.each([
    ['an unknown check type', { feature_name: 'x', constraint_check_type: 'future_check', description: 'Something new.' }, /constraint_check_type 'future_check' is not a check type/],
    ['a completeness check without shares', { feature_name: 'x', constraint_check_type: 'completeness_check', description: 'Data completeness requirement is not met.' }, /completeness_check does not state an expected and an observed share/],
    ['an attribution check worded otherwise', { label: 'l', constraint_check_type: 'feature_attribution_drift_check', description: 'nDCG 0.5' }, /feature_attribution_drift_check does not state/],
    ['an attribution nDCG above 1', { label: 'l', constraint_check_type: 'feature_attribution_drift_check', description: 'Feature attribution drift 1.5 exceeds threshold 0.9' }, /does not state/],
    ['a bias check without a value', { metric_name: 'CI', constraint_check_type: 'bias_drift_check', description: 'Bias got worse.' }, /bias_drift_check does not state/],
    ['a bias check without a metric name', { constraint_check_type: 'bias_drift_check', description: 'Value 0.2 does not meet the constraint requirement' }, /metric_name/],
  ])('%s goes to review with the entry named', (_name, entry, problem) => {
    // Act
    const parsed = ok(parseViolations(violations({ feature_name: 'ok', constraint_check_type: 'baseline_drift_check', description: 'Numerical distance: 0.2 exceeds numerical threshold: 0.1' }, entry)));

    // Assess: the readable entry is scored, the other is listed by its index, and nothing reads it as 0.
    expect(parsed.scores).toHaveLength(1);
    expect(parsed.unknown).toEqual([{ index: 1, problem: expect.stringMatching(problem) }]);
    expect(parsed.unknown[0].problem).toContain('violations[1]');
  });

  test('a share description is read no further than its first 1,024 characters, so a long one costs no more', () => {
    // Prepare: the same shares, once within the first 1,024 characters and once after 20,000 of padding.
    const shares = 'Expected completeness: 100.0%. Observed completeness: 97.5%.';
    const entry = (description: string) => ({ feature_name: 'x', constraint_check_type: 'completeness_check', description });

    // Act
    const near = ok(parseViolations(violations(entry(shares))));
    const far = ok(parseViolations(violations(entry(`${'Expected '.repeat(2_300)}${shares}`))));

    // Assess
    expect(near.scores).toHaveLength(1);
    expect(far.scores).toEqual([]);
    expect(far.unknown).toHaveLength(1);
  });
});

describe('the alarm route reads which side of the threshold breaches', () => {
  const alarm = (trigger: Record<string, unknown>, reason: string): string =>
    JSON.stringify({
      AlarmName: 'attribution',
      AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:attribution',
      NewStateValue: 'ALARM',
      OldStateValue: 'OK',
      NewStateReason: reason,
      StateChangeTime: '2026-11-30T10:00:00.000+0000',
      Trigger: { MetricName: 'feature_attribution_ndcg', Namespace: 'Custom', Dimensions: [], ...trigger },
    });

  test('from the message: LessThanThreshold at 0.9 breaches lower', () => {
    // Act
    const transition = ok(parseAlarmMessage(alarm({ ComparisonOperator: 'LessThanThreshold', Threshold: 0.9 }, 'Threshold Crossed: 1 datapoint [0.76 (30/11/26 10:00:00)] was less than the threshold (0.9).')));

    // Assess
    expect(transition).toMatchObject({ breachingValue: 0.76, breachesWhen: 'lower', threshold: 0.9 });
  });

  test("from the reason's wording when the message has no operator (the EventBridge format)", () => {
    // Act
    const lower = ok(parseAlarmMessage(alarm({}, 'Threshold Crossed: 1 datapoint [0.5 (30/11/26 10:00:00)] was less than or equal to the threshold (0.9).')));
    const higher = ok(parseAlarmMessage(alarm({}, 'Threshold Crossed: 1 datapoint [0.31 (30/11/26 10:00:00)] was greater than the threshold (0.1).')));

    // Assess
    expect(lower).toMatchObject({ breachesWhen: 'lower', threshold: 0.9 });
    expect(higher).toMatchObject({ breachesWhen: 'higher', threshold: 0.1 });
  });

  test('an alarm that says neither leaves the direction unset', () => {
    // Act
    const transition = ok(parseAlarmMessage(alarm({}, 'Threshold Crossed: 1 datapoint [0.5 (30/11/26 10:00:00)].')));

    // Assess
    expect(transition.breachesWhen).toBeUndefined();
    expect(transition.threshold).toBeUndefined();
  });
});
