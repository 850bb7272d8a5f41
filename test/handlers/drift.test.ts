import { PutObjectCommand } from '@aws-sdk/client-s3';
import { captureStdout, emfDocuments, quietStdoutPerTest, running, SERVICES_TIMEOUT } from '../support/handler-harness';
import { alarmMessage, BUCKET, drift, DriftWorld, fixture, REVIEW, SCHEDULE_PREFIX, snsRecord, TEAM, violations } from '../support/handler-drift';

jest.setTimeout(SERVICES_TIMEOUT);

describe('drift evaluator against S3 (s3rver), SageMaker and SNS', () => {
  const world = running(new DriftWorld());
  quietStdoutPerTest();

  test('reads the report of the newest execution up to the alarm by the date layout, scores the fixture violations as medium and only logs without autoRetrain', async () => {
    await world.putReport('2023/12/31/23', violations([drift('tenure_months', 0.9)]));
    await world.putReport('2024/01/28/23', violations([drift('tenure_months', 0.9)]));
    await world.putReport('2024/01/29/12', fixture('model-monitor/data-quality-constraint_violations.json'));
    await world.putReport('2024/01/29/14', violations([drift('tenure_months', 0.9)])); // written after the alarm at 13:00
    await world.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${SCHEDULE_PREFIX}baseline/constraint_violations.json`, Body: '{}' }));
    const handler = await world.handlerWith();
    const startsBefore = world.sagemaker.executions.length;

    const result = await handler(snsRecord(JSON.stringify(alarmMessage())));

    expect(result.outcomes).toHaveLength(1);
    expect(result.outcomes[0]).toMatchObject({ status: 'assessed', assessment: { severity: 'medium', action: 'log' }, notified: [] });
    const drifted = (result.outcomes[0] as unknown as { assessment: { drifted: Array<{ feature: string; score: number }> } }).assessment.drifted;
    expect(drifted.map((d) => [d.feature, d.score])).toEqual([
      ['tenure_months', 0.2711598746081505],
      ['plan_type', 0.0842],
      // The data-type and completeness checks, as shortfalls: 100.0% - 97.5% and 100.0% - 99.2%.
      ['support_calls', expect.closeTo(0.025, 12)],
      ['monthly_charges', expect.closeTo(0.008, 12)],
    ]);
    expect(world.sagemaker.executions.length).toBe(startsBefore);
  });

  test('publishes EMF metrics: the drift score of every feature and the assessment by severity and action', async () => {
    const written = captureStdout();
    const handler = await world.handlerWith();

    await handler(snsRecord(JSON.stringify(alarmMessage())));

    const emf = emfDocuments(written);
    expect(emf.filter((line) => 'DriftScore' in line).map((line) => [line.Feature, line.DriftScore])).toEqual([
      ['tenure_months', 0.2711598746081505],
      ['plan_type', 0.0842],
      // The data-type and completeness checks, as shortfalls: 100.0% - 97.5% and 100.0% - 99.2%.
      ['support_calls', expect.closeTo(0.025, 12)],
      ['monthly_charges', expect.closeTo(0.008, 12)],
    ]);
    expect(emf.find((line) => 'DriftAssessments' in line)).toMatchObject({ Severity: 'medium', Action: 'log', service: 'DriftEvaluator', TriggerType: 'Drift' });
    expect(emf[0]._aws.CloudWatchMetrics[0].Namespace).toBe('MLTriggers');
  });

  test('with autoRetrain, medium drift retrains once per alarm transition, however often SNS delivers it', async () => {
    const handler = await world.handlerWith({ drift: { thresholds: { medium: 0.1, high: 0.3, critical: 0.5 }, featureThresholds: {}, autoRetrain: true } });
    const record = snsRecord(JSON.stringify(alarmMessage()));

    await handler(record);
    await handler(record);

    const runs = world.sagemaker.executions.filter((e) => e.parameters.TrainingMode === 'drift' && e.parameters.DriftSeverity === 'medium');
    expect(runs).toHaveLength(1);
    expect(runs[0].parameters).toMatchObject({ DriftSeverity: 'medium', DriftScore: '0.2712', DriftedFeatures: expect.stringContaining('tenure_months') });
    expect(runs[0].parameters.RequireApproval).toBeUndefined();
  });

  test('high drift starts nothing: the retraining waits for approval at the approval gate, and the team topic is told', async () => {
    // Prepare
    await world.putReport('2024/02/01/00', violations([drift('tenure_months', 0.35)]));
    const handler = await world.handlerWith();
    const before = world.sagemaker.executions.length;

    // Act
    const result = await handler(snsRecord(JSON.stringify({ ...alarmMessage(), StateChangeTime: '2024-02-01T00:30:00.000+0000' })));

    // Assess: no run; the gate was asked for an approval with the run's parameters.
    expect(result.outcomes[0]).toMatchObject({
      status: 'assessed',
      assessment: { severity: 'high', action: 'retrain-with-approval' },
      deferred: 'awaiting-approval',
      notified: [TEAM],
    });
    expect(world.sagemaker.executions.length).toBe(before);
    expect(world.gateRequests.at(-1)).toMatchObject({
      action: 'request',
      request: { triggerType: 'drift', requireApproval: true, parameters: expect.objectContaining({ RequireApproval: 'true', DriftScore: '0.3500', TrainingMode: 'drift' }) },
    });
    const notice = world.sns.messages.find((m) => m.topicArn === TEAM);
    expect(notice?.message).toContain('tenure_months: 0.3500 (high');
    expect(notice?.message).toContain('waits for approval');
  });

  test('critical drift blocks retraining and asks the human-review topic, naming the features and a recommendation', async () => {
    await world.putReport('2024/02/02/00', violations([drift('tenure_months', 0.62), drift('total_amount', 0.12)]));
    const handler = await world.handlerWith();
    const startsBefore = world.sagemaker.executions.length;

    const result = await handler(snsRecord(JSON.stringify({ ...alarmMessage(), StateChangeTime: '2024-02-02T00:30:00.000+0000' })));

    expect(result.outcomes[0]).toMatchObject({ status: 'assessed', assessment: { severity: 'critical', action: 'block-and-review' }, notified: [REVIEW] });
    expect(world.sagemaker.executions.length).toBe(startsBefore);
    const notice = world.sns.messages.filter((m) => m.topicArn === REVIEW).at(-1)!;
    expect(notice.subject).toContain('Critical drift');
    expect(notice.message).toContain('tenure_months: 0.6200 (critical');
    expect(notice.message).toContain('total_amount: 0.1200');
    expect(notice.message).toMatch(/Recommendation: .+/);
  });

  test('thresholds set for one feature apply to that feature', async () => {
    await world.putReport('2024/02/03/00', violations([drift('total_amount', 0.06)]));
    const handler = await world.handlerWith({
      drift: { thresholds: { medium: 0.1, high: 0.3, critical: 0.5 }, featureThresholds: { total_amount: { medium: 0.05, high: 0.2, critical: 0.4 } }, autoRetrain: false },
    });

    const result = await handler(snsRecord(JSON.stringify({ ...alarmMessage(), StateChangeTime: '2024-02-03T00:30:00.000+0000' })));

    expect(result.outcomes[0]).toMatchObject({ assessment: { severity: 'medium' } });
  });

  test.each(['OK', 'INSUFFICIENT_DATA'])('a transition to %s does nothing', async (state) => {
    const handler = await world.handlerWith();
    const startsBefore = world.sagemaker.executions.length;
    const messagesBefore = world.sns.messages.length;

    const result = await handler(snsRecord(JSON.stringify({ ...alarmMessage(), NewStateValue: state, OldStateValue: 'ALARM' })));

    expect(result.outcomes).toEqual([{ status: 'ignored', state }]);
    expect(world.sagemaker.executions.length).toBe(startsBefore);
    expect(world.sns.messages.length).toBe(messagesBefore);
  });

  test('a message about an alarm that is none of the trigger\'s sources is rejected naming the alarm: nothing is read, started or told', async () => {
    const handler = await world.handlerWith({ drift: { thresholds: { medium: 0.1, high: 0.3, critical: 0.5 }, featureThresholds: {}, autoRetrain: true } });
    const startsBefore = world.sagemaker.executions.length;
    const messagesBefore = world.sns.messages.length;
    const forged = { ...alarmMessage(), AlarmName: 'someone-elses-alarm', AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:someone-elses-alarm' };

    const result = await handler(snsRecord(JSON.stringify(forged)));

    expect(result.outcomes).toEqual([{ status: 'rejected', error: { field: 'Records[0].Sns.Message.AlarmArn', problem: expect.stringContaining('someone-elses-alarm') } }]);
    expect(world.sagemaker.executions.length).toBe(startsBefore);
    expect(world.sns.messages.length).toBe(messagesBefore);
  });

  test.each<[string, string, RegExp]>([
    ['a report that is not JSON', '{"violations": [', /not JSON|JSON/i],
    ['a report without a violations list', '{"findings": []}', /violations/],
    ['a drift check whose distance cannot be read', violations([{ feature_name: 'x', constraint_check_type: 'baseline_drift_check', description: 'Distance is large' }]), /violation 0/],
  ])('%s is reported to a human and never scored as 0', async (_what, body, problem) => {
    const prefix = `broken-${Math.random().toString(36).slice(2, 8)}/`;
    await world.putReport('2024/01/29/12', body, `${prefix}churn-prod/churn-data-quality/`);
    const handler = await world.handlerWith({}, prefix);
    const startsBefore = world.sagemaker.executions.length;

    const result = await handler(snsRecord(JSON.stringify(alarmMessage())));

    expect(result.outcomes[0]).toMatchObject({ status: 'unreadable', problem: expect.stringMatching(problem), source: expect.stringContaining(`${prefix}churn-prod/churn-data-quality/2024/01/29/12/constraint_violations.json`) });
    expect(world.sagemaker.executions.length).toBe(startsBefore);
    expect(world.sns.messages.at(-1)).toMatchObject({ topicArn: REVIEW, subject: expect.stringContaining('unreadable') });
  });

  test('a schedule with no report in the week up to the alarm is reported, not scored', async () => {
    const handler = await world.handlerWith({}, 'nothing-here/');

    const result = await handler(snsRecord(JSON.stringify(alarmMessage())));

    expect(result.outcomes[0]).toMatchObject({ status: 'unreadable', problem: 'no constraint_violations.json in the 7 days up to the alarm' });
  });

  test('an alarm on your own metric, arriving as an EventBridge state change, is scored by its breaching value', async () => {
    const event = JSON.parse(fixture('events/cloudwatch-alarm-state-change.json'));
    event.detail.configuration.metrics[0].metricStat.metric = { namespace: 'Custom/Drift', name: 'psi', dimensions: { Model: 'churn' } };
    const handler = await world.handlerWith();

    const result = await handler(snsRecord(JSON.stringify(event)));

    // The fixture's breaching datapoint is 0.31: high with the default thresholds (0.3 <= 0.31 < 0.5).
    expect(result.outcomes[0]).toMatchObject({ status: 'assessed', assessment: { severity: 'high', action: 'retrain-with-approval' } });
  });

  test.each<[string, unknown, string]>([
    ['no Records', {}, 'Records'],
    ['a message that is not JSON', snsRecord('not json'), 'Records[0].Sns.Message'],
  ])('%s is rejected with the field named', async (_what, event, field) => {
    const handler = await world.handlerWith();

    const result = await handler(event);

    expect(result.outcomes[0]).toMatchObject({ status: 'rejected', error: { field: expect.stringContaining(field) } });
  });
});
