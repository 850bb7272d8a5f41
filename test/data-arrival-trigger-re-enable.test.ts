import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CONFIGURATION_CHANGED } from '../lambda/core/contracts/re-enable';
import { DataArrivalTrigger, ReEnable, TrainingPipeline } from '../lib';
import { synthTriggers } from './support/data-arrival-synth';
import { deployedConfigOf } from './support/deployed-config';
import { template } from './support/stacks';
import { byUser } from './support/nag-acknowledgements';
import { ENV } from './support/nag-compositions';
import { NAG_MAJORS, NAG_PACKS, runNag } from './support/nag-findings';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- template JSON, read by the assertions below
type Resource = { [key: string]: any };

const ruleOf = (t: ReturnType<typeof synthTriggers>['template'], triggerIndex = 0): Resource =>
  Object.values(t.findResources('AWS::Events::Rule')).filter((rule) => rule.Properties.EventPattern?.source?.[0] === 'aws.s3')[triggerIndex];

describe('DataArrivalTrigger turned back on', () => {
  test('by default skips: no rule on configuration changes, no listing, and the configuration as before', () => {
    const { template: t } = synthTriggers(1, { enabled: false });

    expect(Object.values(t.findResources('AWS::Events::Rule')).filter((rule) => rule.Properties.EventPattern?.source?.[0] === 'aws.ssm')).toEqual([]);
    expect(JSON.stringify(t.findResources('AWS::IAM::Policy'))).not.toContain('s3:ListBucket');
    expect(deployedConfigOf(t, ruleOf(t)).config).toMatchObject({ enabled: false });
    expect(deployedConfigOf(t, ruleOf(t)).config).not.toHaveProperty('whenReEnabled');
  });

  test("with catch-up, one rule on Parameter Store's changes under exactly the batcher's configuration path invokes the batcher with a fixed input", () => {
    // Act
    const { template: t } = synthTriggers(2, { whenReEnabled: ReEnable.catchUp() });

    // Assess
    const [batcher] = Object.values(t.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { TRIGGER_CONFIG_PATH: Match.anyValue() } } } }));
    const path = batcher.Properties.Environment.Variables.TRIGGER_CONFIG_PATH;
    expect(path).toMatch(/^\/cdk-ml-triggers\/mlt-[0-9a-f]{8}\/$/);
    const changes = Object.values(t.findResources('AWS::Events::Rule')).filter((rule) => rule.Properties.EventPattern?.source?.[0] === 'aws.ssm');
    expect(changes).toHaveLength(1);
    expect(changes[0].Properties.EventPattern).toEqual({ source: ['aws.ssm'], 'detail-type': ['Parameter Store Change'], detail: { name: [{ prefix: path }] } });
    expect(changes[0].Properties.Targets).toEqual([
      expect.objectContaining({ Input: JSON.stringify(CONFIGURATION_CHANGED), DeadLetterConfig: { Arn: expect.anything() }, RetryPolicy: { MaximumEventAgeInSeconds: 21_600, MaximumRetryAttempts: 20 } }),
    ]);
    t.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ConfigurationChanges'), 'Arn'] } });
  });

  test('with catch-up, the batcher may list the bucket under exactly the trigger\'s prefix', () => {
    const { template: t } = synthTriggers(1, { whenReEnabled: ReEnable.catchUp() });

    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: 's3:ListBucket',
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::mlops-data-prod']] },
            Condition: { StringEquals: { 's3:prefix': 'labels/0/' } },
          },
        ]),
      },
    });
  });

  test("with catch-up, the trigger's rule is updated after the parameter holding its configuration, whose versions the batcher may read", () => {
    // Act
    const { template: t } = synthTriggers(2, { whenReEnabled: ReEnable.catchUp() });
    const { template: skipping } = synthTriggers(1, {});

    // Assess: both rules wait for the one parameter their configurations share.
    const [parameter] = Object.keys(t.findResources('AWS::SSM::Parameter'));
    expect([ruleOf(t, 0).DependsOn, ruleOf(t, 1).DependsOn]).toEqual([expect.arrayContaining([parameter]), expect.arrayContaining([parameter])]);
    expect(ruleOf(skipping).DependsOn ?? []).not.toContain(Object.keys(skipping.findResources('AWS::SSM::Parameter'))[0]);
    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const history = statements.filter((statement) => statement.Action === 'ssm:GetParameterHistory');
    expect(history).toHaveLength(1);
    expect(JSON.stringify(history[0].Resource)).toMatch(/:parameter\/cdk-ml-triggers\/mlt-[0-9a-f]{8}\/\*"/);
    expect(JSON.stringify(skipping.findResources('AWS::IAM::Policy'))).not.toContain('GetParameterHistory');
  });

  test('writes the catch-up and its bounds into the configuration: maxObjects defaults to batchSize, maxAge to 7 days', () => {
    const { template: t } = synthTriggers(2, { batchSize: 50, enabled: false, whenReEnabled: ReEnable.catchUp() });
    const { template: bounded } = synthTriggers(1, { whenReEnabled: ReEnable.catchUp({ maxObjects: 20, maxAge: Duration.days(2) }) });

    expect(deployedConfigOf(t, ruleOf(t)).config).toMatchObject({ enabled: false, whenReEnabled: { mode: 'catch-up', maxObjects: 50, maxAgeSeconds: 604_800 } });
    expect(deployedConfigOf(bounded, ruleOf(bounded)).config.whenReEnabled).toEqual({ mode: 'catch-up', maxObjects: 20, maxAgeSeconds: 172_800 });
  });

  test('only the triggers that catch up may list their bucket', () => {
    // Prepare
    const stack = new Stack(new App(), 'Mixed', { env: ENV });
    const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training');
    const bucket = s3.Bucket.fromBucketName(stack, 'Data', 'mlops-data-prod');

    // Act
    new DataArrivalTrigger(stack, 'Skips', { pipeline, bucket, prefix: 'skips/' });
    new DataArrivalTrigger(stack, 'CatchesUp', { pipeline, bucket, prefix: 'catches-up/', whenReEnabled: ReEnable.catchUp() });

    // Assess
    const policies = JSON.stringify(template(stack).findResources('AWS::IAM::Policy'));
    expect(policies).toContain('"s3:prefix":"catches-up/"');
    expect(policies).not.toContain('"s3:prefix":"skips/"');
  });

  test.each<[string, () => unknown, string]>([
    ['no objects', () => ReEnable.catchUp({ maxObjects: 0 }), 'whenReEnabled.maxObjects must be a whole number between 1 and 10000, got 0'],
    ['a maxAge under a minute', () => ReEnable.catchUp({ maxAge: Duration.seconds(30) }), 'whenReEnabled.maxAge must be between 1 minute and 14 days, got 30 seconds'],
    ['a maxAge past 14 days', () => ReEnable.catchUp({ maxAge: Duration.days(15) }), 'whenReEnabled.maxAge must be between 1 minute and 14 days, got 15 days'],
    ['more objects than a batch', () => synthTriggers(1, { batchSize: 100, whenReEnabled: ReEnable.catchUp({ maxObjects: 101 }) }), "whenReEnabled.maxObjects must be at most the trigger's batchSize (100), got 101: a catch-up is one batch; lower maxObjects or raise batchSize"],
  ])('%s fails at synth with a message naming the prop', (_what, act, message) => {
    expect(act).toThrow(message);
  });

  test.each(NAG_MAJORS.flatMap((major) => NAG_PACKS.map((pack) => [major, pack] as const)))('cdk-nag %s %s reports nothing on the library\'s resources of a trigger that catches up', (major, pack) => {
    // Prepare
    const compose = (app: App) => {
      const stack = new Stack(app, 'CatchUp', { env: ENV });
      const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training');
      new DataArrivalTrigger(stack, 'Data', { pipeline, bucket: s3.Bucket.fromBucketName(stack, 'DataBucket', 'churn-data'), prefix: 'labels/', enabled: false, whenReEnabled: ReEnable.catchUp() });
    };

    // Act
    const { findings } = runNag(compose, [major]);

    // Assess
    expect(findings[`${major} ${pack}`].filter((finding) => !byUser(finding))).toEqual([]);
  }, 120_000);
});
