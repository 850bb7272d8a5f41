import { assessDrift, modelMonitorSource, parseAlarmMessage } from '../../lambda/core/drift';
import { FIXTURE_TRANSITION, alarmJson, config, failure, ok, snsMessage, stateChangeEvent, without, withDetail, withState, fixture } from './drift-support';

describe('parseAlarmMessage', () => {
  test('reads the CloudWatch alarm message SNS delivers', () => {
    expect(ok(parseAlarmMessage(snsMessage()))).toStrictEqual(FIXTURE_TRANSITION);
  });

  test('reads the EventBridge alarm state change forwarded to SNS into the same transition', () => {
    expect(ok(parseAlarmMessage(fixture('events/cloudwatch-alarm-state-change.json')))).toStrictEqual(ok(parseAlarmMessage(snsMessage())));
  });

  test('finds the Model Monitor endpoint, schedule and feature of both fixtures', () => {
    const expected = { endpointName: 'churn-prod', monitoringScheduleName: 'churn-data-quality', feature: 'total_amount' };

    expect(modelMonitorSource(ok(parseAlarmMessage(snsMessage())))).toEqual(expected);
    expect(modelMonitorSource(ok(parseAlarmMessage(fixture('events/cloudwatch-alarm-state-change.json'))))).toEqual(expected);
  });

  test('scores the fixture alarm value as high drift with the default thresholds', () => {
    const transition = ok(parseAlarmMessage(snsMessage()));

    const assessment = assessDrift(config(), [{ feature: 'total_amount', score: transition.breachingValue!, kind: 'alarm-value', detail: 'alarm' }]);

    // 0.3 <= 0.31 < 0.5 is high.
    expect(assessment).toMatchObject({ severity: 'high', action: 'retrain-with-approval', priority: 2 });
  });

  test.each([
    ['OK', 'ALARM', 'Threshold Crossed: 1 out of the last 1 datapoints [0.02 (29/01/24 13:00:00)] was not greater than the threshold (0.0).'],
    ['INSUFFICIENT_DATA', 'OK', 'Insufficient Data: 1 datapoint was unknown.'],
  ] as const)('reads an alarm message going to %s, with no breaching value', (state, previous, reason) => {
    const message = { ...alarmJson(), NewStateValue: state, OldStateValue: previous, NewStateReason: reason };

    expect(ok(parseAlarmMessage(JSON.stringify(message)))).toStrictEqual({ ...without(FIXTURE_TRANSITION, 'breachingValue'), state, previousState: previous });
  });

  test.each([
    ['OK', 'ALARM'],
    ['INSUFFICIENT_DATA', 'OK'],
  ] as const)('reads a state change event going to %s, with no breaching value', (state, previous) => {
    const event = stateChangeEvent();
    event.detail.state.value = state;
    event.detail.previousState.value = previous;

    expect(ok(parseAlarmMessage(JSON.stringify(event)))).toStrictEqual({ ...without(FIXTURE_TRANSITION, 'breachingValue'), state, previousState: previous });
  });

  test('takes the breaching value from reasonData when the reason lists no datapoint', () => {
    const event = stateChangeEvent();
    event.detail.state.reason = 'Threshold Crossed';

    // reasonData's recentDatapoints is [0.31].
    expect(ok(parseAlarmMessage(JSON.stringify(event))).breachingValue).toBe(0.31);
  });

  test('reads a breaching value in scientific notation', () => {
    const reason = 'Threshold Crossed: 1 out of the last 1 datapoints [1.5E-4 (29/01/24 12:00:00)] was greater than the threshold (0.0).';

    // 1.5E-4 = 0.00015.
    expect(ok(parseAlarmMessage(JSON.stringify({ ...alarmJson(), NewStateReason: reason }))).breachingValue).toBe(0.00015);
  });

  test('reads the single metric of a metric-math alarm message, and none when several metrics make it ambiguous', () => {
    const metric = { MetricName: 'feature_baseline_drift_age', Namespace: 'aws/sagemaker/Endpoints/data-metrics', Dimensions: [{ name: 'Endpoint', value: 'e' }] };
    const trigger = { Metrics: [{ Id: 'e1', Expression: 'm1 * 2' }, { Id: 'm1', MetricStat: { Metric: metric, Period: 3600, Stat: 'Maximum' } }] };
    const event = stateChangeEvent();
    event.detail.configuration.metrics.push({ id: 'm2', metricStat: { metric: { namespace: 'AWS/EC2', name: 'CPUUtilization', dimensions: {} } } });

    expect(ok(parseAlarmMessage(JSON.stringify({ ...alarmJson(), Trigger: trigger })))).toMatchObject({
      metricName: 'feature_baseline_drift_age',
      namespace: 'aws/sagemaker/Endpoints/data-metrics',
      dimensions: { Endpoint: 'e' },
    });
    const ambiguous = ok(parseAlarmMessage(JSON.stringify(event)));
    expect([ambiguous.metricName, ambiguous.namespace, ambiguous.dimensions]).toEqual([undefined, undefined, {}]);
  });

  test.each<[string, () => unknown, string]>([
    ['a body that is not JSON', () => 'ALARM: model-drift-detected', 'message'],
    ['a JSON array', () => [], 'message'],
    ['neither format', () => ({ Type: 'Notification' }), 'message'],
    ['an unknown state', () => ({ ...alarmJson(), NewStateValue: 'FIRING' }), 'NewStateValue'],
    ['no alarm ARN', () => without(alarmJson(), 'AlarmArn'), 'AlarmArn'],
    ['a state change time that is not a time', () => ({ ...alarmJson(), StateChangeTime: 'yesterday' }), 'StateChangeTime'],
    [
      'a dimension without a string value',
      () => ({ ...alarmJson(), Trigger: { MetricName: 'm', Dimensions: [{ name: 'Endpoint', value: 'e' }, { name: 'X', value: 3 }] } }),
      'Trigger.Dimensions[1]',
    ],
    ['another EventBridge event', () => ({ ...stateChangeEvent(), 'detail-type': 'EC2 Instance State-change Notification' }), 'detail-type'],
    ['an event without resources', () => without(stateChangeEvent(), 'resources'), 'resources[0]'],
    ['an event without a state', () => ({ ...stateChangeEvent(), detail: { alarmName: 'a' } }), 'detail.state.value'],
    ['an event whose metrics are not a list', () => withDetail({ configuration: { metrics: {} } }), 'detail.configuration.metrics'],
    ['an event whose reasonData is not JSON', () => withState({ reason: 'Threshold Crossed', reasonData: '{recent' }), 'detail.state.reasonData'],
  ])('rejects %s, naming the field', (_case, input, field) => {
    const message = typeof input() === 'string' ? (input() as string) : JSON.stringify(input());

    expect(failure(parseAlarmMessage(message)).field).toBe(field);
  });
});

describe('modelMonitorSource', () => {
  test('is undefined for an alarm on another namespace, or without the monitoring schedule dimension', () => {
    expect(modelMonitorSource({ ...FIXTURE_TRANSITION, namespace: 'AWS/SageMaker' })).toBeUndefined();
    expect(modelMonitorSource({ ...FIXTURE_TRANSITION, dimensions: { Endpoint: 'churn-prod' } })).toBeUndefined();
  });

  test('names no feature for a data metric that is not a baseline drift metric', () => {
    const source = modelMonitorSource({ ...FIXTURE_TRANSITION, metricName: 'feature_non_null_total_amount' });

    expect(source).toEqual({ endpointName: 'churn-prod', monitoringScheduleName: 'churn-data-quality' });
  });
});
