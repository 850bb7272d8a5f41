import { Duration, TimeZone } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DataArrivalTrigger, RetrainingCoordinator, ScheduledTrigger, TriggerSchedule, type RetrainingCoordinatorProps } from '../lib';
import { deployedConfigOf } from './support/deployed-config';
import { stackWithPipeline, template } from './support/stacks';

const PIPELINE_ARN = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:eu-west-1:123456789012:pipeline/churn-training']] };

function policyOf(props: RetrainingCoordinatorProps) {
  const { stack } = stackWithPipeline();
  new RetrainingCoordinator(stack, 'Coordinator', props);
  const fn = Object.values(template(stack).findResources('AWS::Lambda::Function'))[0];
  return JSON.parse(fn.Properties.Environment.Variables.COORDINATOR_POLICY);
}

describe('RetrainingCoordinator', () => {
  test('defaults: 6 h cooldown, 4 runs and 1,000 a day, 150 x (1 + GB / 100), days in UTC', () => {
    expect(policyOf({})).toEqual({
      minIntervalMs: 21_600_000,
      maxDailyRuns: 4,
      dailyBudget: 1000,
      costModel: { baseCost: 150, gbPerIncrement: 100 },
      timeZone: 'Etc/UTC',
    });
  });

  test('passes its props to the function as the policy', () => {
    expect(
      policyOf({
        minInterval: Duration.hours(2),
        maxDailyRuns: 8,
        dailyBudget: 5000,
        costModel: { baseCost: 80, gbPerIncrement: 50 },
        timeZone: TimeZone.AMERICA_NEW_YORK,
      }),
    ).toEqual({ minIntervalMs: 7_200_000, maxDailyRuns: 8, dailyBudget: 5000, costModel: { baseCost: 80, gbPerIncrement: 50 }, timeZone: 'America/New_York' });
  });

  test('a table for state and decisions: on demand, encrypted, point-in-time recovery, TTL after the retention', () => {
    const { stack } = stackWithPipeline();
    new RetrainingCoordinator(stack, 'Coordinator', { retention: Duration.days(30) });
    const t = template(stack);

    t.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Environment: { Variables: Match.objectLike({ DECISION_RETENTION_DAYS: '30', POWERTOOLS_METRICS_NAMESPACE: 'MLTriggers' }) },
    });
  });

  test('with an approval topic, the function may publish to it and knows its ARN', () => {
    const { stack } = stackWithPipeline();
    const topic = new sns.Topic(stack, 'Approvals');
    new RetrainingCoordinator(stack, 'Coordinator', { approvalTopic: topic });
    const t = template(stack);

    const topicId = Object.keys(t.findResources('AWS::SNS::Topic'))[0];
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ APPROVAL_TOPIC_ARN: { Ref: topicId } }) } });
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Action: 'sns:Publish', Effect: 'Allow', Resource: { Ref: topicId } }]) },
    });
  });

  test('the coordinator sweeps its waiting requests every minute, on a schedule of its own that is not retried', () => {
    const { stack } = stackWithPipeline();
    new RetrainingCoordinator(stack, 'Coordinator');
    const t = template(stack);

    const fnId = Object.keys(t.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('decides every start request') } }))[0];
    t.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 minute)',
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] }, Input: JSON.stringify({ action: 'sweep' }), RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 0 }) }),
    });
  });

  test('a scheduled trigger with a coordinator invokes it with a request per scheduled time, and the coordinator may start the pipeline', () => {
    const { stack, pipeline } = stackWithPipeline();
    const coordinator = new RetrainingCoordinator(stack, 'Coordinator');

    new ScheduledTrigger(stack, 'Weekly', { pipeline, schedule: TriggerSchedule.cron('0 3 ? * MON *'), coordinator, priority: 2, parameters: { Mode: 'weekly' } });
    const t = template(stack);

    const fnId = Object.keys(t.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('decides every start request') } }))[0];
    const schedule = Object.values(t.findResources('AWS::Scheduler::Schedule', { Properties: { ScheduleExpression: 'cron(0 3 ? * MON *)' } }))[0];
    expect(schedule.Properties.Target.Arn).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
    expect(schedule.Properties.Target.SageMakerPipelineParameters).toBeUndefined();
    expect(JSON.parse(schedule.Properties.Target.Input)).toEqual({
      action: 'request',
      request: {
        requestId: expect.stringMatching(/^sched#[0-9a-f]{12}#<aws\.scheduler\.scheduled-time>$/),
        correlationId: 'sched:<aws.scheduler.execution-id>',
        pipelineName: 'churn-training',
        triggerType: 'scheduled',
        reason: 'schedule cron(0 3 ? * MON *)',
        priority: 2,
        parameters: { Mode: 'weekly' },
      },
    });
    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toContainEqual({ Action: 'sagemaker:StartPipelineExecution', Effect: 'Allow', Resource: PIPELINE_ARN });
    expect(statements.filter((s) => s.Action === 'sagemaker:StartPipelineExecution')).toHaveLength(1);
  });

  test('a data-arrival trigger with a coordinator hands it to the batcher, which may invoke it but not start the pipeline itself', () => {
    const { stack, pipeline } = stackWithPipeline();
    const coordinator = new RetrainingCoordinator(stack, 'Coordinator');

    new DataArrivalTrigger(stack, 'Labels', { pipeline, bucket: s3.Bucket.fromBucketName(stack, 'Data', 'data-bucket'), coordinator, priority: 4 });
    const t = template(stack);

    const rule = Object.values(t.findResources('AWS::Events::Rule'))[0];
    const joined = deployedConfigOf(t, rule).parts!;
    expect(joined[0]).toContain('"coordinatorFunction":"');
    expect(joined[2]).toContain('"priority":4');
    const policies = Object.entries(t.findResources('AWS::IAM::Policy'));
    const batcherPolicy = policies.find(([id]) => id.includes('Batcher'))![1];
    const batcherActions = batcherPolicy.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => [s.Action].flat());
    expect(batcherActions).toContain('lambda:InvokeFunction');
    expect(batcherActions).not.toContain('sagemaker:StartPipelineExecution');
  });

  test.each<[string, RetrainingCoordinatorProps, string]>([
    ['no daily runs', { maxDailyRuns: 0 }, 'maxDailyRuns must be a whole number between 1 and 1000, got 0'],
    ['a negative budget', { dailyBudget: -1 }, 'dailyBudget must be a number of at least 0, got -1'],
    ['a cost model without increments', { costModel: { baseCost: 150, gbPerIncrement: 0 } }, 'costModel.gbPerIncrement must be a number above 0, got 0'],
    ['an unknown time zone', { timeZone: TimeZone.of('Europe/Atlantis') }, "timeZone must be an IANA time zone name such as Europe/Berlin or America/New_York, got 'Europe/Atlantis'"],
    ['a retention under a day', { retention: Duration.hours(1) }, 'retention must be between 1 day and 3650 days, got 1 hour'],
  ])('%s fails synth with a message naming the prop', (_what, props, message) => {
    expect(() => policyOf(props)).toThrow(message);
  });

  test('a priority outside 1-5 fails synth', () => {
    const { stack, pipeline } = stackWithPipeline();
    const coordinator = new RetrainingCoordinator(stack, 'Coordinator');

    expect(() => new ScheduledTrigger(stack, 'S', { pipeline, schedule: TriggerSchedule.rate(Duration.hours(1)), coordinator, priority: 0 })).toThrow(
      'priority must be a whole number between 1 and 5, got 0',
    );
  });
});
