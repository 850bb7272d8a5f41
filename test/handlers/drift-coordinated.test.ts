import { quietStdoutPerTest, running, SERVICES_TIMEOUT } from '../support/handler-harness';
import { alarmMessage, drift, DriftWorld, featureAlarm, snsRecord, violations } from '../support/handler-drift';

jest.setTimeout(SERVICES_TIMEOUT);

describe('drift evaluator: one run per monitoring execution, and retraining through a coordinator (s3rver, SageMaker, SNS)', () => {
  const world = running(new DriftWorld());
  quietStdoutPerTest();

  test('with a coordinator, a high-drift retrain is requested from it at priority 2', async () => {
    await world.putReport('2024/02/05/00', violations([drift('tenure_months', 0.4)]));
    const handler = await world.handlerWith({ coordinatorFunction: 'coordinator-fn' });

    const result = await handler(snsRecord(JSON.stringify({ ...alarmMessage(), StateChangeTime: '2024-02-05T00:30:00.000+0000' })));

    expect(result.outcomes[0]).toMatchObject({ status: 'assessed', started: 'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/churn/execution/coord1' });
    expect(world.coordinatorRequests.at(-1)).toMatchObject({
      action: 'request',
      request: {
        triggerType: 'drift',
        priority: 2,
        requireApproval: true,
        requestId: expect.stringMatching(/^drift#[0-9a-f]{40}$/),
        parameters: expect.objectContaining({ RequireApproval: 'true' }),
      },
    });
  });

  test('two feature alarms raised by one monitoring execution start one run, not one per alarm', async () => {
    // Prepare: one execution's report with two drifted features, and a trigger that retrains on medium drift.
    await world.putReport('2024/02/06/00', violations([drift('tenure_months', 0.2), drift('total_amount', 0.25)]));
    const handler = await world.handlerWith({ drift: { thresholds: { medium: 0.1, high: 0.3, critical: 0.5 }, featureThresholds: {}, autoRetrain: true } });
    const before = world.sagemaker.executions.length;

    // Act: each feature's alarm fires, a few seconds apart, and SNS delivers the second one twice.
    const first = await handler(featureAlarm('tenure_months', '2024-02-06T00:30:00.000+0000'));
    const second = await handler(featureAlarm('total_amount', '2024-02-06T00:30:07.000+0000'));
    await handler(featureAlarm('total_amount', '2024-02-06T00:30:07.000+0000'));

    // Assess: both alarms were assessed from the same report, and one run started.
    expect(first.outcomes[0]).toMatchObject({ status: 'assessed', assessment: { severity: 'medium', action: 'retrain' } });
    expect(second.outcomes[0]).toMatchObject({ status: 'assessed', assessment: { severity: 'medium', action: 'retrain' } });
    expect(world.sagemaker.executions.length - before).toBe(1);
  });

  test('with a coordinator, the feature alarms of one monitoring execution send one request id, which the coordinator answers once', async () => {
    // Prepare
    await world.putReport('2024/02/07/00', violations([drift('tenure_months', 0.4), drift('total_amount', 0.45)]));
    const handler = await world.handlerWith({ coordinatorFunction: 'coordinator-fn' });
    const before = world.coordinatorRequests.length;

    // Act
    await handler(featureAlarm('tenure_months', '2024-02-07T00:30:00.000+0000'));
    await handler(featureAlarm('total_amount', '2024-02-07T00:30:05.000+0000'));

    // Assess: one request id for both, so the coordinator's ledger starts at most one run.
    const ids = world.coordinatorRequests.slice(before).map((payload) => (payload as { request: { requestId: string } }).request.requestId);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(1);
  });
});
