import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DriftSource, DriftTrigger, RetrainingCoordinator, TrainingPipeline } from '../../lib';
import { simulateApp } from '../../lib/testing';

const TIMEOUT = 300_000;
/** Model Monitor's violations: tenure_months drifts past the default high threshold, 0.3. */
const HIGH_DRIFT = {
  violations: [{ feature_name: 'tenure_months', constraint_check_type: 'baseline_drift_check', description: 'Numerical distance: 0.3142 exceeds numerical threshold: 0.1' }],
};

describe('simulating a drift trigger behind a coordinator with approvals', () => {
  let outdir: string;
  let reports: string;
  let app: App;
  let alarmId: string;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-approvals-'));
    reports = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-approval-reports-'));
    fs.writeFileSync(path.join(reports, 'violations.json'), JSON.stringify(HIGH_DRIFT));
    app = new App({ outdir });
    const stack = new Stack(app, 'Drifting');
    const coordinator = new RetrainingCoordinator(stack, 'Coordinator', { approvalTopic: new sns.Topic(stack, 'Approvals') });
    const drift = new DriftTrigger(stack, 'Drift', {
      pipeline: TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training'),
      sources: [DriftSource.modelMonitor({ endpointName: 'churn-prod', monitoringScheduleName: 'churn-data-quality', features: ['tenure_months'] })],
      monitoringOutputBucket: s3.Bucket.fromBucketName(stack, 'Monitoring', 'churn-monitoring'),
      teamTopic: new sns.Topic(stack, 'Team'),
      coordinator,
      parameters: { TrainingMode: 'drift' },
    });
    // An app built outside the CDK command line carries no construct paths: the alarm goes by its logical id.
    const alarm = drift.node.children.find((child): child is cloudwatch.Alarm => child instanceof cloudwatch.Alarm)!;
    alarmId = stack.resolve((alarm.node.defaultChild as cloudwatch.CfnAlarm).logicalId) as string;
  });

  afterAll(() => {
    fs.rmSync(outdir, { recursive: true, force: true });
    fs.rmSync(reports, { recursive: true, force: true });
  });

  const driftAlarm = (at: string) => ({ at, alarm: { name: alarmId, state: 'ALARM' }, report: 'violations.json' });

  test('reports a rejection of a request no run waits under, naming the request', async () => {
    // Prepare
    const events = [{ at: '2024-01-29T09:00:00Z', reject: { pipeline: 'churn-training', request: 'no-such-request' } }];

    // Act
    const timeline = await simulateApp(app, events, { until: '2024-01-29T10:00:00Z' });

    // Assess
    expect(timeline.nothingListens).toEqual([
      { at: '2024-01-29T09:00:00Z', line: 1, what: 'reject: no run of churn-training waits for approval under request no-such-request' },
    ]);
    expect(timeline.runs).toEqual([]);
  }, TIMEOUT);

  test('holds a high-drift retrain for approval, and starts it when the request is approved', async () => {
    // Prepare
    const held = await simulateApp(app, [driftAlarm('2024-01-29T10:00:00Z')], { until: '2024-01-29T11:00:00Z', baseDir: reports });
    const awaiting = held.decisions.filter((decision) => decision.outcome === 'awaiting-approval');
    const request = awaiting[0]?.request;

    // Act
    const approved = await simulateApp(app, [
      driftAlarm('2024-01-29T10:00:00Z'),
      { at: '2024-01-29T10:30:00Z', approve: { pipeline: 'churn-training', request } },
    ], { until: '2024-01-29T11:00:00Z', baseDir: reports });

    // Assess
    expect(held.runs).toEqual([]);
    expect(awaiting).toHaveLength(1);
    expect(request).toMatch(/^drift#/);
    expect(approved.runs).toHaveLength(1);
    expect(approved.runs[0]).toMatchObject({ at: '2024-01-29T10:30:00Z', pipeline: 'churn-training', trigger: 'drift' });
    expect(approved.runs[0].parameters).toMatchObject({ TrainingMode: 'drift', DriftSeverity: 'high', DriftedFeatures: 'tenure_months' });
    expect(approved.decisions.map((decision) => decision.outcome)).toContain('approved');
    expect(approved.errors).toEqual([]);
  }, TIMEOUT);
});
