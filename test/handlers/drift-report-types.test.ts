import { quietStdoutPerTest, running, SERVICES_TIMEOUT } from '../support/handler-harness';
import { alarmMessage, DriftWorld, fixture, REVIEW, snsRecord, TEAM, violations } from '../support/handler-drift';

jest.setTimeout(SERVICES_TIMEOUT);

/** The fixture alarm at an hour of its own, so each test reads the report it wrote for that hour. */
const alarmAt = (changedAt: string) => snsRecord(JSON.stringify({ ...alarmMessage(), StateChangeTime: changedAt }));

describe('the drift evaluator reads every Model Monitor report type, end to end', () => {
  const world = running(new DriftWorld());
  quietStdoutPerTest();

  test('feature attribution drift: a falling nDCG is drift, here high, so retraining waits for approval', async () => {
    // Prepare: label1's nDCG 0.5 against 0.9 scores (0.9 - 0.5) / 0.9 = 0.444..., high.
    await world.putReport('2024/03/01/10', fixture('model-monitor/feature-attribution-constraint_violations.json'));
    const handler = await world.handlerWith();
    const before = world.sagemaker.executions.length;

    // Act
    const result = await handler(alarmAt('2024-03-01T10:30:00.000+0000'));

    // Assess
    expect(result.outcomes[0]).toMatchObject({ status: 'assessed', assessment: { severity: 'high', action: 'retrain-with-approval' }, deferred: 'awaiting-approval', notified: [TEAM] });
    expect(world.sagemaker.executions.length).toBe(before);
  });

  test('bias drift: |DPPL| 0.333 is high, |CI| 0.075 low', async () => {
    // Prepare
    await world.putReport('2024/03/02/10', fixture('model-monitor/bias-drift-constraint_violations.json'));
    const handler = await world.handlerWith();

    // Act
    const result = await handler(alarmAt('2024-03-02T10:30:00.000+0000'));

    // Assess
    const outcome = result.outcomes[0] as unknown as { assessment: { drifted: Array<{ feature: string; severity: string }> } };
    expect(outcome.assessment.drifted.map((d) => [d.feature, d.severity])).toEqual([
      ['bias:DPPL(Age=40)', 'high'],
      ['bias:CI(Age=40)', 'low'],
    ]);
  });

  test('a missing column blocks retraining and asks a human, whatever the other scores', async () => {
    // Prepare
    await world.putReport('2024/03/03/10', fixture('model-monitor/data-quality-schema-constraint_violations.json'));
    const handler = await world.handlerWith({ drift: { thresholds: { medium: 0.1, high: 0.3, critical: 0.5 }, featureThresholds: {}, autoRetrain: true } });
    const before = world.sagemaker.executions.length;

    // Act
    const result = await handler(alarmAt('2024-03-03T10:30:00.000+0000'));

    // Assess
    expect(result.outcomes[0]).toMatchObject({ status: 'assessed', assessment: { severity: 'critical', action: 'block-and-review' }, notified: [REVIEW] });
    expect(world.sagemaker.executions.length).toBe(before);
  });

  test('a check type the evaluator does not know is never read as no drift: a human hears of it, with the check named, and nothing starts', async () => {
    // Prepare: one readable drift distance beside a check of a kind the evaluator does not know.
    const body = violations([
      { feature_name: 'age', constraint_check_type: 'baseline_drift_check', description: 'Numerical distance: 0.2 exceeds numerical threshold: 0.1' },
      { feature_name: 'age', constraint_check_type: 'distribution_shape_check', description: 'The shape changed.' },
    ]);
    await world.putReport('2024/03/04/10', body);
    const handler = await world.handlerWith({ drift: { thresholds: { medium: 0.1, high: 0.3, critical: 0.5 }, featureThresholds: {}, autoRetrain: true } });
    const before = world.sagemaker.executions.length;

    // Act
    const result = await handler(alarmAt('2024-03-04T10:30:00.000+0000'));

    // Assess
    expect(result.outcomes[0]).toMatchObject({ status: 'unreadable', problem: expect.stringContaining("constraint_check_type 'distribution_shape_check'") });
    expect(world.sagemaker.executions.length).toBe(before);
    expect(world.sns.messages.at(-1)).toMatchObject({ topicArn: REVIEW, subject: expect.stringContaining('unreadable') });
    expect(world.sns.messages.at(-1)!.message).toContain('2024/03/04/10/constraint_violations.json');
  });

  test('an alarm that breaches below its threshold is scored by its shortfall, not read as a small distance', async () => {
    // Prepare: an attribution-style metric of your own, 0.5 against LessThanThreshold 0.9: (0.9 - 0.5) / 0.9 = 0.444..., high.
    // Read as a distance, 0.5 would have been critical: the direction decides the severity.
    const handler = await world.handlerWith({ monitoringOutput: undefined, alarms: { arns: [], names: ['attribution-ndcg'], namePrefixes: [] } });
    const message = {
      ...alarmMessage(),
      AlarmName: 'attribution-ndcg',
      AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:attribution-ndcg',
      NewStateReason: 'Threshold Crossed: 1 out of the last 1 datapoints [0.5 (01/03/24 10:00:00)] was less than the threshold (0.9).',
      Trigger: { MetricName: 'attribution_ndcg', Namespace: 'Custom/Models', Dimensions: [], ComparisonOperator: 'LessThanThreshold', Threshold: 0.9 },
    };

    // Act
    const result = await handler(snsRecord(JSON.stringify(message)));

    // Assess
    const outcome = result.outcomes[0] as unknown as { assessment: { severity: string; drifted: Array<{ kind: string; score: number }> } };
    expect(outcome.assessment.severity).toBe('high');
    expect(outcome.assessment.drifted[0].kind).toBe('alarm-shortfall');
    expect(outcome.assessment.drifted[0].score).toBeCloseTo(0.4 / 0.9, 12);
  });
});
