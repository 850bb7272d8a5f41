import { Match } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DriftSource, DriftTrigger, PromotionGuardrail, RetrainingCoordinator, type DriftTriggerProps } from '../lib';
import { stackWithPipeline, template } from './support/stacks';

const monitor = () =>
  DriftSource.modelMonitor({ endpointName: 'churn-prod', monitoringScheduleName: 'churn-data-quality', features: ['tenure_months', 'total_amount'] });

function synthDrift(props: Partial<DriftTriggerProps> = {}) {
  const { stack, pipeline } = stackWithPipeline();
  const bucket = s3.Bucket.fromBucketName(stack, 'Monitoring', 'churn-model-monitor');
  const trigger = new DriftTrigger(stack, 'Drift', {
    pipeline,
    sources: [monitor()],
    monitoringOutputBucket: bucket,
    monitoringOutputPrefix: 'model-monitor/',
    ...props,
  });
  return { stack, trigger, template: template(stack) };
}

function evaluatorSettings(t: ReturnType<typeof synthDrift>['template']) {
  const fn = Object.values(t.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { DRIFT_SETTINGS: Match.anyValue() } } } }))[0];
  return fn.Properties.Environment.Variables.DRIFT_SETTINGS;
}

describe('DriftTrigger', () => {
  test('alarms on Model Monitor feature_baseline_drift_<feature> metrics of the endpoint and schedule', () => {
    const { template: t } = synthDrift();

    for (const feature of ['tenure_months', 'total_amount']) {
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'aws/sagemaker/Endpoints/data-metrics',
        MetricName: `feature_baseline_drift_${feature}`,
        Dimensions: Match.arrayWith([
          { Name: 'Endpoint', Value: 'churn-prod' },
          { Name: 'MonitoringSchedule', Value: 'churn-data-quality' },
        ]),
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        Statistic: 'Maximum',
      });
    }
  });

  test('every source feeds one KMS-encrypted, TLS-only topic through alarm state-change rules', () => {
    const { stack } = stackWithPipeline();
    const ownAlarm = new cloudwatch.Alarm(stack, 'Psi', {
      metric: new cloudwatch.Metric({ namespace: 'Custom/Drift', metricName: 'psi' }),
      threshold: 0.2,
      evaluationPeriods: 1,
    });
    const { pipeline } = { pipeline: stack.node.findChild('Pipeline') as never };
    new DriftTrigger(stack, 'Drift', {
      pipeline,
      sources: [DriftSource.alarm(ownAlarm), DriftSource.alarmStateChange({ alarmNames: ['legacy-drift'], alarmNamePrefix: 'team-a-drift-' })],
    });
    const t = template(stack);

    const keyId = Object.keys(t.findResources('AWS::KMS::Key'))[0];
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'events.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
    });
    const alarmId = Object.keys(t.findResources('AWS::CloudWatch::Alarm'))[0];
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], resources: [{ 'Fn::GetAtt': [alarmId, 'Arn'] }], detail: { state: { value: ['ALARM'] } } },
    });
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: { alarmName: ['legacy-drift', { prefix: 'team-a-drift-' }], state: { value: ['ALARM'] } } },
    });
    t.resourceCountIs('AWS::SNS::Subscription', 1);
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'lambda', RedrivePolicy: Match.anyValue() });
  });

  test("EventBridge may publish to the drift topic and use its key only for this trigger's rules, in this account", () => {
    const { template: t } = synthDrift({ sources: [monitor(), DriftSource.alarmStateChange({ alarmNamePrefix: 'team-a-drift-' })] });

    const ruleIds = Object.keys(t.findResources('AWS::Events::Rule'));
    const ruleArns = ruleIds.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] }));
    const topicPolicy = Object.values(t.findResources('AWS::SNS::TopicPolicy'))[0];
    const keyPolicy = Object.values(t.findResources('AWS::KMS::Key'))[0].Properties.KeyPolicy;
    const fromEvents = (statements: Array<{ Principal?: { Service?: string }; Condition?: unknown }>) => statements.filter((s) => s.Principal?.Service === 'events.amazonaws.com');

    expect(ruleIds).toHaveLength(2);
    expect(fromEvents(topicPolicy.Properties.PolicyDocument.Statement).map((s) => s.Condition)).toEqual(
      ruleArns.map((arn) => ({ ArnEquals: { 'aws:SourceArn': arn }, StringEquals: { 'aws:SourceAccount': '123456789012' } })),
    );
    const ruleNames = ruleIds.map((id) => t.toJSON().Resources[id].Properties.Name as string);
    expect(ruleNames.every((name) => /^mld-[0-9a-f]{8}-[0-9a-f]{16}$/.test(name))).toBe(true);
    expect(fromEvents(keyPolicy.Statement).map((s) => s.Condition)).toEqual([
      {
        ArnEquals: { 'aws:SourceArn': ruleNames.map((name) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:events:eu-west-1:123456789012:rule/${name}`]] })) },
        StringEquals: { 'aws:SourceAccount': '123456789012' },
      },
    ]);
  });

  test('the evaluator may read only the violations reports of the named schedules', () => {
    const { template: t } = synthDrift();

    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const reads = statements.filter((s) => s.Action === 's3:GetObject');
    expect(reads).toHaveLength(1);
    expect(reads[0].Resource).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::churn-model-monitor/model-monitor/churn-prod/churn-data-quality/*/constraint_violations.json']],
    });
    const lists = statements.filter((s) => s.Action === 's3:ListBucket');
    expect(lists).toEqual([
      expect.objectContaining({ Condition: { StringLike: { 's3:prefix': ['model-monitor/churn-prod/churn-data-quality/*'] } } }),
    ]);
    expect(statements.filter((s) => [s.Action].flat().some((a: string) => a === 's3:*' || a === 's3:GetObject*'))).toEqual([]);
  });

  test('hands the evaluator its thresholds, topics and monitoring output', () => {
    const { stack } = stackWithPipeline();
    const team = new sns.Topic(stack, 'Team');
    const review = new sns.Topic(stack, 'Review');
    new DriftTrigger(stack, 'Drift', {
      pipeline: stack.node.findChild('Pipeline') as never,
      sources: [monitor()],
      monitoringOutputBucket: s3.Bucket.fromBucketName(stack, 'M', 'churn-model-monitor'),
      featureThresholds: { total_amount: { medium: 0.05, high: 0.2, critical: 0.4 } },
      autoRetrain: true,
      teamTopic: team,
      humanReviewTopic: review,
    });
    const t = template(stack);

    const joined = evaluatorSettings(t)['Fn::Join'][1];
    // References to the topics sit inside JSON strings; any placeholder text keeps the JSON valid.
    const text = joined.map((part: unknown) => (typeof part === 'string' ? part : 'ref')).join('');
    const settings = JSON.parse(text);
    expect(settings.teamTopicArn).toBe('ref');
    expect(settings.humanReviewTopicArn).toBe('ref');
    expect(settings).toMatchObject({
      pipelineName: 'churn-training',
      drift: { thresholds: { medium: 0.1, high: 0.3, critical: 0.5 }, featureThresholds: { total_amount: { medium: 0.05, high: 0.2, critical: 0.4 } }, autoRetrain: true },
      monitoringOutput: { bucket: 'churn-model-monitor', prefix: '' },
    });
    // Its sources: the two feature alarms by ARN (references), and nothing by name.
    expect(settings.alarms).toEqual({ arns: ['ref', 'ref'], names: [], namePrefixes: [] });
    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    // The evaluator and its approval gate may tell the team; the evaluator publishes to both topics.
    expect(statements.filter((s) => s.Action === 'sns:Publish')).toHaveLength(3);
    // The evaluator starts what needs no approval, the gate what an operator approved.
    expect(statements.filter((s) => s.Action === 'sagemaker:StartPipelineExecution')).toHaveLength(2);
    expect(settings.approvalFunction).toBe('ref');
    expect(settings.coordinatorFunction).toBeUndefined();
  });

  test('without a coordinator, retraining that needs approval waits at an approval gate that tells the team topic; with one, there is no gate', () => {
    // Prepare
    const { stack, pipeline } = stackWithPipeline();
    const team = new sns.Topic(stack, 'Team');

    // Act
    const alone = new DriftTrigger(stack, 'Alone', { pipeline, sources: [DriftSource.alarmStateChange({ alarmNamePrefix: 'a-' })], teamTopic: team });
    const coordinated = new DriftTrigger(stack, 'Coordinated', {
      pipeline,
      sources: [DriftSource.alarmStateChange({ alarmNamePrefix: 'b-' })],
      coordinator: new RetrainingCoordinator(stack, 'Coordinator'),
    });

    // Assess: the gate is a coordinator with no cooldown, whose approval notices go to the team topic.
    expect(alone.approvalGate).toBeDefined();
    expect(coordinated.approvalGate).toBeUndefined();
    expect(alone.approvalGate!.policy).toMatchObject({ minIntervalMs: 0, maxDailyRuns: 1000 });
    const gate = Object.values(template(stack).findResources('AWS::Lambda::Function')).find((fn) => fn.Properties.Environment?.Variables?.APPROVAL_TOPIC_ARN);
    expect(gate?.Properties.Environment.Variables.APPROVAL_TOPIC_ARN).toEqual({ Ref: expect.stringMatching(/^Team/) });
  });

  test('with a coordinator, the evaluator asks it instead of starting the pipeline', () => {
    const { stack } = stackWithPipeline();
    const coordinator = new RetrainingCoordinator(stack, 'Coordinator');
    new DriftTrigger(stack, 'Drift', {
      pipeline: stack.node.findChild('Pipeline') as never,
      sources: [DriftSource.alarmStateChange({ alarmNamePrefix: 'drift-' })],
      coordinator,
    });
    const t = template(stack);

    const policies = Object.entries(t.findResources('AWS::IAM::Policy'));
    const evaluatorPolicy = policies.find(([id]) => id.includes('Evaluator'))![1];
    const actions = evaluatorPolicy.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => [s.Action].flat());
    expect(actions).toContain('lambda:InvokeFunction');
    expect(actions).not.toContain('sagemaker:StartPipelineExecution');
  });

  test.each<[string, Partial<DriftTriggerProps>, string | RegExp]>([
    ['no sources', { sources: [] }, 'sources must name at least one drift source'],
    ['thresholds out of order', { thresholds: { medium: 0.3, high: 0.2, critical: 0.5 } }, 'thresholds must be numbers with 0 <= medium < high < critical, got medium 0.3, high 0.2, critical 0.5'],
    ['a feature threshold below zero', { featureThresholds: { x: { medium: -1, high: 0.2, critical: 0.5 } } }, /featureThresholds\.x must be numbers with 0 <= medium < high < critical/],
    ['Model Monitor without its output bucket', { monitoringOutputBucket: undefined }, 'monitoringOutputBucket is required with Model Monitor sources: the evaluator reads their violations reports from it'],
    ['a prefix without a slash', { monitoringOutputPrefix: 'mm' }, "monitoringOutputPrefix must be empty or end with '/', got 'mm'"],
  ])('%s fails synth with a message naming the prop', (_what, props, message) => {
    expect(() => synthDrift(props)).toThrow(message);
  });

  test('a state-change source without names would follow every alarm, so it is refused', () => {
    expect(() => DriftSource.alarmStateChange({})).toThrow('alarmStateChange needs alarmNames or alarmNamePrefix');
  });
});

describe('PromotionGuardrail', () => {
  test('a function that reads only the reports prefix, with its thresholds as defaults', () => {
    const { stack } = stackWithPipeline();
    new PromotionGuardrail(stack, 'Guardrail', {
      reportsBucket: s3.Bucket.fromBucketName(stack, 'Reports', 'ml-reports'),
      reportsPrefix: 'evaluation/',
      minGoldenAccuracy: 0.9,
    });
    const t = template(stack);

    const fn = Object.values(t.findResources('AWS::Lambda::Function'))[0];
    expect(JSON.parse(fn.Properties.Environment.Variables.GUARDRAIL_DEFAULTS)).toEqual({
      minGoldenAccuracy: 0.9,
      maxAccuracyDelta: 0.4,
      maxPredictionShift: 0.5,
      maxErrorConcentration: 0.7,
      approvalPredictionShift: 0.2,
    });
    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('s3:')))).toEqual([
      { Action: 's3:GetObject', Effect: 'Allow', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::ml-reports/evaluation/*']] } },
    ]);
  });

  test.each<[string, Record<string, number>, string]>([
    ['an accuracy above 1', { minGoldenAccuracy: 1.2 }, 'minGoldenAccuracy must be a share between 0 and 1, got 1.2'],
    ['a negative shift', { maxPredictionShift: -0.1 }, 'maxPredictionShift must be a KL divergence of at least 0, got -0.1'],
  ])('%s fails synth', (_what, props, message) => {
    const { stack } = stackWithPipeline();

    expect(() => new PromotionGuardrail(stack, 'Guardrail', { reportsBucket: s3.Bucket.fromBucketName(stack, 'R', 'ml-reports'), ...props })).toThrow(message);
  });
});
