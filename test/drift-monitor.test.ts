import { Duration, Size, TimeZone } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DriftBaseline, DriftStatistic, TriggerSchedule } from '../lib';
import { DATA_BUCKET, machineRoleStatements, monitorRoleStatements, monitorSettings, s3Arn, synthMonitor } from './support/drift-monitor-synth';

const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';

const storeOf = (t: ReturnType<typeof synthMonitor>['template']) => {
  const ids = Object.keys(t.findResources('AWS::S3::Bucket'));
  expect(ids).toHaveLength(1);
  return ids[0];
};

describe('DriftMonitor function and settings', () => {
  test('runs nodejs22.x on arm64 from the bundled asset, with 1 GiB and 15 minutes for a slice of capture', () => {
    const { template: t } = synthMonitor();

    t.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: 900,
      Environment: { Variables: Match.objectLike({ DRIFT_MONITOR_SETTINGS: Match.anyValue(), POWERTOOLS_METRICS_NAMESPACE: 'MLTriggers' }) },
    });
  });

  test('writes the defaults into DRIFT_MONITOR_SETTINGS, with its own bucket and folder and no topic yet', () => {
    const { template: t } = synthMonitor();

    const settings = monitorSettings(t);

    const monitorId = settings.monitorId as string;
    expect(monitorId).toMatch(/^[0-9a-f]{16}$/);
    expect(settings).toEqual({
      monitorId,
      endpointName: 'churn-prod',
      capture: { bucket: 'churn-capture', prefix: 'capture/' },
      features: ['tenure_months', 'plan'],
      baseline: { kind: 'training-sample', bucket: DATA_BUCKET, key: 'baseline/sample.csv', format: 'csv', header: true },
      store: { bucket: storeOf(t).toLowerCase(), prefix: `drift-monitor/${monitorId}/` },
      statistic: 'jensen-shannon',
      bins: 10,
      drift: { thresholds: { medium: 0.1, high: 0.3, critical: 0.5 }, featureThresholds: {}, autoRetrain: false },
      bytesPerInvocation: 512 * 1024 * 1024,
      firstWindowMs: 3_600_000,
      captureDelayMs: 600_000,
      topicArns: [],
    });
  });

  test('writes every prop it is given, and a Model Monitor statistics baseline, into its settings', () => {
    const { template: t } = synthMonitor((stack) => ({
      variantName: 'AllTraffic',
      outputName: 'churn_score',
      capturePrefix: '',
      baseline: DriftBaseline.modelMonitorStatistics({ bucket: s3.Bucket.fromBucketName(stack, 'Statistics', 'churn-monitor'), key: 'model-monitor/statistics.json' }),
      statistic: DriftStatistic.PSI,
      bins: 20,
      thresholds: { medium: 0.2, high: 0.4, critical: 0.8 },
      featureThresholds: { plan: { medium: 0.05, high: 0.1, critical: 0.2 } },
      bytesPerInvocation: Size.mebibytes(64),
      captureDelay: Duration.minutes(3),
    }));

    expect(monitorSettings(t)).toMatchObject({
      variantName: 'AllTraffic',
      outputName: 'churn_score',
      capture: { bucket: 'churn-capture', prefix: '' },
      baseline: { kind: 'model-monitor-statistics', bucket: 'churn-monitor', key: 'model-monitor/statistics.json' },
      statistic: 'psi',
      bins: 20,
      drift: { thresholds: { medium: 0.2, high: 0.4, critical: 0.8 }, featureThresholds: { plan: { medium: 0.05, high: 0.1, critical: 0.2 } }, autoRetrain: false },
      bytesPerInvocation: 64 * 1024 * 1024,
      captureDelayMs: 180_000,
    });
  });
});

describe('DriftMonitor permissions', () => {
  test("the function reads only this endpoint's capture, the baseline object and its own folder, and writes only there", () => {
    const { template: t, monitor } = synthMonitor();

    const statements = monitorRoleStatements(t);

    const store = storeOf(t);
    const folder = `drift-monitor/${monitor._reports.monitorId}/`;
    expect(statements).toEqual([
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.any(String), 'Arn'] }, ':*']] } },
      { Action: 's3:GetObject', Effect: 'Allow', Resource: s3Arn('churn-capture/capture/churn-prod/*') },
      { Action: 's3:ListBucket', Effect: 'Allow', Resource: s3Arn('churn-capture'), Condition: { StringLike: { 's3:prefix': ['capture/churn-prod/*'] } } },
      { Action: 's3:GetObject', Effect: 'Allow', Resource: s3Arn(`${DATA_BUCKET}/baseline/sample.csv`) },
      { Action: ['s3:GetObject', 's3:PutObject'], Effect: 'Allow', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [store, 'Arn'] }, `/${folder}*`]] } },
      { Action: 's3:ListBucket', Effect: 'Allow', Resource: { 'Fn::GetAtt': [store, 'Arn'] }, Condition: { StringLike: { 's3:prefix': [`${folder}*`] } } },
    ]);
  });

  test("a variant narrows the capture grant to that variant's folder", () => {
    const { template: t } = synthMonitor({ variantName: 'AllTraffic' });

    const reads = monitorRoleStatements(t).filter((s) => s.Resource && JSON.stringify(s.Resource).includes('churn-capture'));
    expect(reads.map((s) => s.Resource)).toEqual([s3Arn('churn-capture/capture/churn-prod/AllTraffic/*'), s3Arn('churn-capture')]);
    expect(reads[1].Condition).toEqual({ StringLike: { 's3:prefix': ['capture/churn-prod/AllTraffic/*'] } });
  });

  test("the state machine invokes only the function and reads only the monitor's runs; its only unscoped grants are the log-delivery and X-Ray ones aws-cdk-lib adds, acknowledged", () => {
    const { template: t } = synthMonitor();

    const statements = machineRoleStatements(t);

    const fn = Object.keys(t.findResources('AWS::Lambda::Function'))[0];
    const store = storeOf(t);
    expect(statements.find((s) => s.Action === 'lambda:InvokeFunction')?.Resource).toEqual([
      { 'Fn::GetAtt': [fn, 'Arn'] },
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [fn, 'Arn'] }, ':*']] },
    ]);
    // The Distributed Map reads manifests from the monitor's own runs, not the whole bucket.
    const read = statements.find((s) => s.Action === 's3:GetObject')?.Resource;
    expect(read).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [store, 'Arn'] }, expect.stringMatching(/^\/drift-monitor\/[0-9a-f]{16}\/runs\/\*$/)]] });
    const unscoped = statements.filter((s) => s.Resource === '*').flatMap((s) => [s.Action].flat());
    expect(unscoped.every((action) => /^(logs:(Create|Get|Update|Delete)LogDelivery|logs:ListLogDeliveries|logs:PutResourcePolicy|logs:DescribeResourcePolicies|logs:DescribeLogGroups|xray:\w+)$/.test(action))).toBe(true);
    expect(unscoped).toContain('xray:PutTraceSegments');
    const all = [...statements, ...monitorRoleStatements(t)].flatMap((s) => [s.Action].flat());
    expect(all.filter((action) => action.endsWith(':*') || action === '*')).toEqual([]);
    t.hasResource('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('RunsRole') }] },
      Metadata: { cdk_nag: { rules_to_suppress: Match.arrayWith([Match.objectLike({ id: 'AwsSolutions-IAM5', applies_to: ['Resource::*'], reason: Match.stringLikeRegexp('X-Ray') })]) } },
    });
  });

  test('with a KMS-encrypted bucket of the user, both roles may decrypt in it and no bucket is created', () => {
    const { template: t } = synthMonitor((stack) => ({
      bucket: s3.Bucket.fromBucketAttributes(stack, 'Store', { bucketName: 'churn-monitor-store', encryptionKey: kms.Key.fromKeyArn(stack, 'Key', KEY_ARN) }),
    }));

    t.resourceCountIs('AWS::S3::Bucket', 0);
    expect(monitorSettings(t).store).toEqual({ bucket: 'churn-monitor-store', prefix: expect.stringMatching(/^drift-monitor\/[0-9a-f]{16}\/$/) });
    const kmsOf = (statements: ReturnType<typeof machineRoleStatements>) => statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('kms:')));
    expect(kmsOf(monitorRoleStatements(t))).toEqual([{ Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Effect: 'Allow', Resource: KEY_ARN }]);
    expect(kmsOf(machineRoleStatements(t))).toEqual([{ Action: 'kms:Decrypt', Effect: 'Allow', Resource: KEY_ARN }]);
  });
});

describe('DriftMonitor schedule and store', () => {
  test('starts a run every hour in UTC by default, retrying into the alarmed dead-letter queue', () => {
    const { template: t } = synthMonitor();

    const machine = Object.keys(t.findResources('AWS::StepFunctions::StateMachine'))[0];
    const queue = Object.keys(t.findResources('AWS::SQS::Queue'))[0];
    t.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: { Ref: machine }, Input: '{}', DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } }, RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 21600 } },
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }] });
  });

  test('a cron schedule runs in the time zone it is given', () => {
    const { template: t } = synthMonitor({ schedule: TriggerSchedule.cron('0 6 * * ? *'), timeZone: TimeZone.EUROPE_BERLIN });

    t.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(0 6 * * ? *)', ScheduleExpressionTimezone: 'Europe/Berlin' });
  });

  test('its own bucket is encrypted, private, TLS only, and expires what the monitor leaves', () => {
    const { template: t } = synthMonitor();

    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: {
        Rules: [
          { Prefix: Match.stringLikeRegexp('^drift-monitor/[0-9a-f]{16}/runs/$'), ExpirationInDays: 7, Status: 'Enabled' },
          { Prefix: Match.stringLikeRegexp('^drift-monitor/[0-9a-f]{16}/reports/$'), ExpirationInDays: 400, Status: 'Enabled' },
        ],
      },
    });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });
});
