import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_AWS_ENV, setEnv, startFakeSageMaker, startS3, type FakeSageMaker, type LocalService } from '../support/local-services';
import { startFakeLambda, startFakeSns } from '../support/fake-aws-endpoints';

type Handler = typeof import('../../lambda/aws/drift').handler;
const FIXTURES = path.resolve(__dirname, '../fixtures');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const BUCKET = 'churn-model-monitor';
const TEAM = 'arn:aws:sns:eu-west-1:123456789012:drift-team';
const REVIEW = 'arn:aws:sns:eu-west-1:123456789012:drift-review';
/** The fixture alarm watches feature_baseline_drift_total_amount of churn-prod / churn-data-quality. */
const SCHEDULE_PREFIX = 'model-monitor/churn-prod/churn-data-quality/';

function snsRecord(message: string) {
  const event = JSON.parse(fixture('events/sns-cloudwatch-alarm-record.json'));
  event.Records[0].Sns.Message = message;
  return event;
}
const alarmMessage = () => JSON.parse(JSON.parse(fixture('events/sns-cloudwatch-alarm-record.json')).Records[0].Sns.Message);
const violations = (entries: Array<Record<string, string>>) => JSON.stringify({ violations: entries });
const drift = (feature: string, distance: number) => ({
  feature_name: feature,
  constraint_check_type: 'baseline_drift_check',
  description: `Numerical distance: ${distance} exceeds numerical threshold: 0.1`,
});

describe('drift evaluator against S3 (s3rver), SageMaker and SNS', () => {
  let s3: LocalService;
  let sagemaker: FakeSageMaker;
  let sns: Awaited<ReturnType<typeof startFakeSns>>;
  let lambda: Awaited<ReturnType<typeof startFakeLambda>>;
  let restore: () => void;
  let client: S3Client;
  const coordinatorRequests: unknown[] = [];
  const gateRequests: unknown[] = [];

  beforeAll(async () => {
    [s3, sagemaker, sns] = await Promise.all([startS3(), startFakeSageMaker(), startFakeSns()]);
    // Stands in for the coordinator's answer; the coordinator itself is tested on its own.
    lambda = await startFakeLambda({
      'coordinator-fn': async (payload) => {
        coordinatorRequests.push(payload);
        return { requestId: 'r', start: true, reason: 'started', executionArn: 'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/churn/execution/coord1' };
      },
      // The trigger's approval gate, which parks what needs approval.
      'gate-fn': async (payload) => {
        gateRequests.push(payload);
        return { requestId: 'r', start: false, reason: 'awaiting-approval' };
      },
    });
    restore = setEnv({
      ...LOCAL_AWS_ENV,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_SAGEMAKER: sagemaker.endpoint,
      AWS_ENDPOINT_URL_SNS: sns.endpoint,
      AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_NAMESPACE: 'MLTriggers',
      AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1',
    });
    client = new S3Client({});
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });
  afterAll(async () => {
    client.destroy();
    await Promise.all([s3.close(), sagemaker.close(), sns.close(), lambda.close()]);
    restore();
  });
  beforeEach(() => jest.spyOn(process.stdout, 'write').mockImplementation(() => true));
  afterEach(() => jest.restoreAllMocks());

  /** The handler as deployed for one trigger: its settings are read once, when the module loads. */
  async function handlerWith(overrides: Record<string, unknown> = {}, prefix = 'model-monitor/'): Promise<Handler> {
    const settings = {
      triggerId: 'Stack/Drift',
      pipelineName: `churn-${Object.keys(overrides).join('-') || 'default'}-${Math.random().toString(36).slice(2, 8)}`,
      drift: { thresholds: { medium: 0.1, high: 0.3, critical: 0.5 }, featureThresholds: {}, autoRetrain: false },
      // The fixture's alarm by ARN, and the per-feature alarms the tests make by prefix.
      alarms: { arns: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:model-drift-detected'], names: [], namePrefixes: ['churn-drift-'] },
      monitoringOutput: { bucket: BUCKET, prefix },
      parameters: { TrainingMode: 'drift' },
      teamTopicArn: TEAM,
      humanReviewTopicArn: REVIEW,
      approvalFunction: 'gate-fn',
      ...overrides,
    };
    const restoreSettings = setEnv({ DRIFT_SETTINGS: JSON.stringify(settings) });
    let loaded: Handler | undefined;
    await jest.isolateModulesAsync(async () => {
      loaded = (await import('../../lambda/aws/drift')).handler;
    });
    restoreSettings();
    return loaded!;
  }

  async function putReport(hourPath: string, body: string, prefix = `model-monitor/churn-prod/churn-data-quality/`) {
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}${hourPath}/constraint_violations.json`, Body: body }));
  }

  test('reads the report of the newest execution up to the alarm by the date layout, scores the fixture violations as medium and only logs without autoRetrain', async () => {
    await putReport('2023/12/31/23', violations([drift('tenure_months', 0.9)]));
    await putReport('2024/01/28/23', violations([drift('tenure_months', 0.9)]));
    await putReport('2024/01/29/12', fixture('model-monitor/data-quality-constraint_violations.json'));
    await putReport('2024/01/29/14', violations([drift('tenure_months', 0.9)])); // written after the alarm at 13:00
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${SCHEDULE_PREFIX}baseline/constraint_violations.json`, Body: '{}' }));
    const handler = await handlerWith();
    const startsBefore = sagemaker.executions.length;

    const result = await handler(snsRecord(JSON.stringify(alarmMessage())));

    expect(result.outcomes).toHaveLength(1);
    expect(result.outcomes[0]).toMatchObject({ status: 'assessed', assessment: { severity: 'medium', action: 'log' }, notified: [] });
    const drifted = (result.outcomes[0] as unknown as { assessment: { drifted: Array<{ feature: string; score: number }> } }).assessment.drifted;
    expect(drifted.map((d) => [d.feature, d.score])).toEqual([
      ['tenure_months', 0.2711598746081505],
      ['plan_type', 0.0842],
    ]);
    expect(sagemaker.executions.length).toBe(startsBefore);
  });

  test('publishes EMF metrics: the drift score of every feature and the assessment by severity and action', async () => {
    const written: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const handler = await handlerWith();

    await handler(snsRecord(JSON.stringify(alarmMessage())));

    const emf = written.flatMap((chunk) => chunk.split('\n')).filter((line) => line.includes('CloudWatchMetrics')).map((line) => JSON.parse(line));
    expect(emf.filter((line) => 'DriftScore' in line).map((line) => [line.Feature, line.DriftScore])).toEqual([
      ['tenure_months', 0.2711598746081505],
      ['plan_type', 0.0842],
    ]);
    expect(emf.find((line) => 'DriftAssessments' in line)).toMatchObject({ Severity: 'medium', Action: 'log', service: 'DriftEvaluator', TriggerType: 'Drift' });
    expect(emf[0]._aws.CloudWatchMetrics[0].Namespace).toBe('MLTriggers');
  });

  test('with autoRetrain, medium drift retrains once per alarm transition, however often SNS delivers it', async () => {
    const handler = await handlerWith({ drift: { thresholds: { medium: 0.1, high: 0.3, critical: 0.5 }, featureThresholds: {}, autoRetrain: true } });
    const record = snsRecord(JSON.stringify(alarmMessage()));

    await handler(record);
    await handler(record);

    const runs = sagemaker.executions.filter((e) => e.parameters.TrainingMode === 'drift' && e.parameters.DriftSeverity === 'medium');
    expect(runs).toHaveLength(1);
    expect(runs[0].parameters).toMatchObject({ DriftSeverity: 'medium', DriftScore: '0.2712', DriftedFeatures: expect.stringContaining('tenure_months') });
    expect(runs[0].parameters.RequireApproval).toBeUndefined();
  });

  test('high drift starts nothing: the retraining waits for approval at the approval gate, and the team topic is told', async () => {
    // Prepare
    await putReport('2024/02/01/00', violations([drift('tenure_months', 0.35)]));
    const handler = await handlerWith();
    const before = sagemaker.executions.length;

    // Act
    const result = await handler(snsRecord(JSON.stringify({ ...alarmMessage(), StateChangeTime: '2024-02-01T00:30:00.000+0000' })));

    // Assess: no run; the gate was asked for an approval with the run's parameters.
    expect(result.outcomes[0]).toMatchObject({
      status: 'assessed',
      assessment: { severity: 'high', action: 'retrain-with-approval' },
      deferred: 'awaiting-approval',
      notified: [TEAM],
    });
    expect(sagemaker.executions.length).toBe(before);
    expect(gateRequests.at(-1)).toMatchObject({
      action: 'request',
      request: { triggerType: 'drift', requireApproval: true, parameters: expect.objectContaining({ RequireApproval: 'true', DriftScore: '0.3500', TrainingMode: 'drift' }) },
    });
    const notice = sns.messages.find((m) => m.topicArn === TEAM);
    expect(notice?.message).toContain('tenure_months: 0.3500 (high');
    expect(notice?.message).toContain('waits for approval');
  });

  test('critical drift blocks retraining and asks the human-review topic, naming the features and a recommendation', async () => {
    await putReport('2024/02/02/00', violations([drift('tenure_months', 0.62), drift('total_amount', 0.12)]));
    const handler = await handlerWith();
    const startsBefore = sagemaker.executions.length;

    const result = await handler(snsRecord(JSON.stringify({ ...alarmMessage(), StateChangeTime: '2024-02-02T00:30:00.000+0000' })));

    expect(result.outcomes[0]).toMatchObject({ status: 'assessed', assessment: { severity: 'critical', action: 'block-and-review' }, notified: [REVIEW] });
    expect(sagemaker.executions.length).toBe(startsBefore);
    const notice = sns.messages.filter((m) => m.topicArn === REVIEW).at(-1)!;
    expect(notice.subject).toContain('Critical drift');
    expect(notice.message).toContain('tenure_months: 0.6200 (critical');
    expect(notice.message).toContain('total_amount: 0.1200');
    expect(notice.message).toMatch(/Recommendation: .+/);
  });

  test('thresholds set for one feature apply to that feature', async () => {
    await putReport('2024/02/03/00', violations([drift('total_amount', 0.06)]));
    const handler = await handlerWith({
      drift: { thresholds: { medium: 0.1, high: 0.3, critical: 0.5 }, featureThresholds: { total_amount: { medium: 0.05, high: 0.2, critical: 0.4 } }, autoRetrain: false },
    });

    const result = await handler(snsRecord(JSON.stringify({ ...alarmMessage(), StateChangeTime: '2024-02-03T00:30:00.000+0000' })));

    expect(result.outcomes[0]).toMatchObject({ assessment: { severity: 'medium' } });
  });

  test.each(['OK', 'INSUFFICIENT_DATA'])('a transition to %s does nothing', async (state) => {
    const handler = await handlerWith();
    const startsBefore = sagemaker.executions.length;
    const messagesBefore = sns.messages.length;

    const result = await handler(snsRecord(JSON.stringify({ ...alarmMessage(), NewStateValue: state, OldStateValue: 'ALARM' })));

    expect(result.outcomes).toEqual([{ status: 'ignored', state }]);
    expect(sagemaker.executions.length).toBe(startsBefore);
    expect(sns.messages.length).toBe(messagesBefore);
  });

  test('a message about an alarm that is none of the trigger\'s sources is rejected naming the alarm: nothing is read, started or told', async () => {
    const handler = await handlerWith({ drift: { thresholds: { medium: 0.1, high: 0.3, critical: 0.5 }, featureThresholds: {}, autoRetrain: true } });
    const startsBefore = sagemaker.executions.length;
    const messagesBefore = sns.messages.length;
    const forged = { ...alarmMessage(), AlarmName: 'someone-elses-alarm', AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:someone-elses-alarm' };

    const result = await handler(snsRecord(JSON.stringify(forged)));

    expect(result.outcomes).toEqual([{ status: 'rejected', error: { field: 'Records[0].Sns.Message.AlarmArn', problem: expect.stringContaining('someone-elses-alarm') } }]);
    expect(sagemaker.executions.length).toBe(startsBefore);
    expect(sns.messages.length).toBe(messagesBefore);
  });

  test.each<[string, string, RegExp]>([
    ['a report that is not JSON', '{"violations": [', /not JSON|JSON/i],
    ['a report without a violations list', '{"findings": []}', /violations/],
    ['a drift check whose distance cannot be read', violations([{ feature_name: 'x', constraint_check_type: 'baseline_drift_check', description: 'Distance is large' }]), /violation 0/],
  ])('%s is reported to a human and never scored as 0', async (_what, body, problem) => {
    const prefix = `broken-${Math.random().toString(36).slice(2, 8)}/`;
    await putReport('2024/01/29/12', body, `${prefix}churn-prod/churn-data-quality/`);
    const handler = await handlerWith({}, prefix);
    const startsBefore = sagemaker.executions.length;

    const result = await handler(snsRecord(JSON.stringify(alarmMessage())));

    expect(result.outcomes[0]).toMatchObject({ status: 'unreadable', problem: expect.stringMatching(problem), source: expect.stringContaining(`${prefix}churn-prod/churn-data-quality/2024/01/29/12/constraint_violations.json`) });
    expect(sagemaker.executions.length).toBe(startsBefore);
    expect(sns.messages.at(-1)).toMatchObject({ topicArn: REVIEW, subject: expect.stringContaining('unreadable') });
  });

  test('a schedule with no report in the week up to the alarm is reported, not scored', async () => {
    const handler = await handlerWith({}, 'nothing-here/');

    const result = await handler(snsRecord(JSON.stringify(alarmMessage())));

    expect(result.outcomes[0]).toMatchObject({ status: 'unreadable', problem: 'no constraint_violations.json in the 7 days up to the alarm' });
  });

  test('an alarm on your own metric, arriving as an EventBridge state change, is scored by its breaching value', async () => {
    const event = JSON.parse(fixture('events/cloudwatch-alarm-state-change.json'));
    event.detail.configuration.metrics[0].metricStat.metric = { namespace: 'Custom/Drift', name: 'psi', dimensions: { Model: 'churn' } };
    const handler = await handlerWith();

    const result = await handler(snsRecord(JSON.stringify(event)));

    // The fixture's breaching datapoint is 0.31: high with the default thresholds (0.3 <= 0.31 < 0.5).
    expect(result.outcomes[0]).toMatchObject({ status: 'assessed', assessment: { severity: 'high', action: 'retrain-with-approval' } });
  });

  test('with a coordinator, a high-drift retrain is requested from it at priority 2', async () => {
    await putReport('2024/02/05/00', violations([drift('tenure_months', 0.4)]));
    const handler = await handlerWith({ coordinatorFunction: 'coordinator-fn' });

    const result = await handler(snsRecord(JSON.stringify({ ...alarmMessage(), StateChangeTime: '2024-02-05T00:30:00.000+0000' })));

    expect(result.outcomes[0]).toMatchObject({ status: 'assessed', started: 'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/churn/execution/coord1' });
    expect(coordinatorRequests.at(-1)).toMatchObject({
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

  /** The alarm of one feature of the fixture's monitoring schedule, going into ALARM at `changedAt`. */
  const featureAlarm = (feature: string, changedAt: string) => {
    const message = alarmMessage();
    return snsRecord(
      JSON.stringify({
        ...message,
        AlarmName: `churn-drift-${feature}`,
        AlarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:churn-drift-${feature}`,
        StateChangeTime: changedAt,
        Trigger: { ...message.Trigger, MetricName: `feature_baseline_drift_${feature}` },
      }),
    );
  };

  test('two feature alarms raised by one monitoring execution start one run, not one per alarm', async () => {
    // Prepare: one execution's report with two drifted features, and a trigger that retrains on medium drift.
    await putReport('2024/02/06/00', violations([drift('tenure_months', 0.2), drift('total_amount', 0.25)]));
    const handler = await handlerWith({ drift: { thresholds: { medium: 0.1, high: 0.3, critical: 0.5 }, featureThresholds: {}, autoRetrain: true } });
    const before = sagemaker.executions.length;

    // Act: each feature's alarm fires, a few seconds apart, and SNS delivers the second one twice.
    const first = await handler(featureAlarm('tenure_months', '2024-02-06T00:30:00.000+0000'));
    const second = await handler(featureAlarm('total_amount', '2024-02-06T00:30:07.000+0000'));
    await handler(featureAlarm('total_amount', '2024-02-06T00:30:07.000+0000'));

    // Assess: both alarms were assessed from the same report, and one run started.
    expect(first.outcomes[0]).toMatchObject({ status: 'assessed', assessment: { severity: 'medium', action: 'retrain' } });
    expect(second.outcomes[0]).toMatchObject({ status: 'assessed', assessment: { severity: 'medium', action: 'retrain' } });
    expect(sagemaker.executions.length - before).toBe(1);
  });

  test('with a coordinator, the feature alarms of one monitoring execution send one request id, which the coordinator answers once', async () => {
    // Prepare
    await putReport('2024/02/07/00', violations([drift('tenure_months', 0.4), drift('total_amount', 0.45)]));
    const handler = await handlerWith({ coordinatorFunction: 'coordinator-fn' });
    const before = coordinatorRequests.length;

    // Act
    await handler(featureAlarm('tenure_months', '2024-02-07T00:30:00.000+0000'));
    await handler(featureAlarm('total_amount', '2024-02-07T00:30:05.000+0000'));

    // Assess: one request id for both, so the coordinator's ledger starts at most one run.
    const ids = coordinatorRequests.slice(before).map((payload) => (payload as { request: { requestId: string } }).request.requestId);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(1);
  });

  test.each<[string, unknown, string]>([
    ['no Records', {}, 'Records'],
    ['a message that is not JSON', snsRecord('not json'), 'Records[0].Sns.Message'],
  ])('%s is rejected with the field named', async (_what, event, field) => {
    const handler = await handlerWith();

    const result = await handler(event);

    expect(result.outcomes[0]).toMatchObject({ status: 'rejected', error: { field: expect.stringContaining(field) } });
  });
});
