import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  assessDrift,
  modelMonitorSource,
  parseAlarmMessage,
  parseViolations,
  severityOf,
  type AlarmTransition,
  type FeatureScore,
  type Severity,
} from '../../lambda/core/drift';
import { DEFAULT_DRIFT_THRESHOLDS, parseDriftConfig, parseThresholds, type DriftConfig } from '../../lambda/core/contracts/drift';
import { pipelineParameters } from '../../lambda/core/pipeline-parameters';
import type { FieldError, Parsed } from '../../lambda/core/result';

// Every expected number below is read off a fixture file or computed by hand in the comment beside it;
// none is taken from the code under test.

const FIXTURES = path.resolve(__dirname, '../fixtures');
const fixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const snsMessage = (): string => JSON.parse(fixture('events/sns-cloudwatch-alarm-record.json')).Records[0].Sns.Message;
const alarmJson = (): Record<string, unknown> => JSON.parse(snsMessage());
/** The parts of the EventBridge fixture the tests vary. */
interface StateChangeEvent {
  [key: string]: unknown;
  detail: { state: Record<string, unknown>; previousState: Record<string, unknown>; configuration: { metrics: unknown[] } };
}
const stateChangeEvent = (): StateChangeEvent => JSON.parse(fixture('events/cloudwatch-alarm-state-change.json'));

function ok<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw new Error(`expected success, got ${parsed.error.field} ${parsed.error.problem}`);
  return parsed.value;
}
function failure<T>(parsed: Parsed<T>): FieldError {
  if (parsed.ok) throw new Error(`expected a rejection, got ${JSON.stringify(parsed.value)}`);
  return parsed.error;
}
const violations = (...entries: unknown[]): string => JSON.stringify({ violations: entries });
const score = (feature: string, value: number, kind: FeatureScore['kind'] = 'numerical-distance'): FeatureScore => ({ feature, score: value, kind, detail: 'test' });
const config = (overrides: Partial<DriftConfig> = {}): DriftConfig => ({ ...ok(parseDriftConfig(undefined)), ...overrides });

// The transition both fixtures describe, as read off them: names, ARN (AlarmArn / resources[0]), states,
// StateChangeTime / detail.state.timestamp "2024-01-29T13:00:41.232+0000" in UTC, the metric and its
// dimensions, and the datapoint "[0.31 (29/01/24 12:00:00)]" in the reason.
const FIXTURE_TRANSITION: AlarmTransition = {
  alarmName: 'model-drift-detected',
  alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:model-drift-detected',
  state: 'ALARM',
  previousState: 'OK',
  changedAt: '2024-01-29T13:00:41.232Z',
  metricName: 'feature_baseline_drift_total_amount',
  namespace: 'aws/sagemaker/Endpoints/data-metrics',
  dimensions: { Endpoint: 'churn-prod', MonitoringSchedule: 'churn-data-quality' },
  breachingValue: 0.31,
};

describe('parseViolations', () => {
  test('reads the data-quality fixture: drift distances from the descriptions, the other checks listed unscored', () => {
    const report = ok(parseViolations(fixture('model-monitor/data-quality-constraint_violations.json')));

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
    expect(report.otherViolations).toEqual([
      {
        feature: 'monthly_charges',
        checkType: 'data_type_check',
        description: 'Data type match requirement is not met. Expected data type: Fractional, Expected match: 100.0%. Observed: Only 99.2% of data is Fractional.',
      },
      {
        feature: 'support_calls',
        checkType: 'completeness_check',
        description: 'Data completeness requirement is not met. Expected completeness: 100.0%. Observed completeness: 97.5%.',
      },
    ]);
    expect(report.unknown).toEqual([]);
  });

  test('scores the data-quality fixture with the default thresholds: tenure_months medium, plan_type low', () => {
    const report = ok(parseViolations(fixture('model-monitor/data-quality-constraint_violations.json')));

    const assessment = assessDrift(config(), report.scores);

    // 0.1 <= 0.2711598746081505 < 0.3 is medium; 0.0842 < 0.1 is low. autoRetrain defaults to false.
    expect(assessment.drifted.map((d) => [d.feature, d.severity])).toEqual([['tenure_months', 'medium'], ['plan_type', 'low']]);
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
    expect(report.otherViolations).toEqual([]);
    expect(report.unknown).toEqual([]);
    // 0.1 <= 0.134... < 0.3 is medium.
    expect(assessDrift(config(), report.scores).severity).toBe('medium');
  });

  test('reads the no-violations fixture as nothing to score: severity none, action log', () => {
    const report = ok(parseViolations(fixture('model-monitor/no-violations.json')));

    const assessment = assessDrift(config({ autoRetrain: true }), report.scores);

    expect(report).toEqual({ scores: [], otherViolations: [], unknown: [] });
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
      { index: 0, problem: expect.stringContaining('violations[0].description does not state a numerical or categorical distance') },
      { index: 1, problem: "violations[1] must be an object, got the string 'baseline_drift_check'" },
      { index: 2, problem: 'violations[2] must be an object, got null' },
      { index: 3, problem: 'violations[3].description is missing' },
      { index: 4, problem: 'violations[4].feature_name is missing' },
      { index: 5, problem: expect.stringContaining('violations[5].description does not state') },
      { index: 6, problem: expect.stringContaining('non-zero threshold') },
    ]);
    expect(report.scores).toEqual([expect.objectContaining({ feature: 'age', score: 0.31 })]);
    expect(report.otherViolations).toEqual([]);
  });

  test('lists a check type it does not score, when it carries a description, as another violation', () => {
    const body = violations({ feature_name: 'region', constraint_check_type: 'missing_column_check', description: 'Column region is missing.' });

    expect(ok(parseViolations(body))).toEqual({
      scores: [],
      otherViolations: [{ feature: 'region', checkType: 'missing_column_check', description: 'Column region is missing.' }],
      unknown: [],
    });
  });
});

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
    const scores = ok(parseViolations(fixture('model-monitor/data-quality-constraint_violations.json'))).scores;

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

function without<T extends object>(value: T, key: keyof T): T {
  const copy = { ...value };
  delete copy[key];
  return copy;
}
function withDetail(detail: Record<string, unknown>): Record<string, unknown> {
  const event = stateChangeEvent();
  return { ...event, detail: { ...event.detail, ...detail } };
}
function withState(state: Record<string, unknown>): Record<string, unknown> {
  const event = stateChangeEvent();
  return withDetail({ state: { ...event.detail.state, ...state } });
}
