import { Duration, TimeZone } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ScheduledTrigger, TriggerSchedule } from '../lib';
import { synthTrigger } from './support/scheduled-trigger-synth';
import { stackWithPipeline, template } from './support/stacks';

const PIPELINE_ARN_JOIN = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:eu-west-1:123456789012:pipeline/churn-training']],
};

describe('ScheduledTrigger', () => {
  test('starts the pipeline from an EventBridge Scheduler schedule with its parameters, in the time zone given', () => {
    const { template: t } = synthTrigger({
      schedule: TriggerSchedule.cron('0 3 ? * MON *'),
      timeZone: TimeZone.EUROPE_BERLIN,
      parameters: { TrainingMode: 'scheduled', DataWindowDays: '7' },
    });

    t.resourceCountIs('AWS::Scheduler::Schedule', 1);
    t.resourceCountIs('AWS::Events::Rule', 0);
    t.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 3 ? * MON *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({
        Arn: PIPELINE_ARN_JOIN,
        SageMakerPipelineParameters: {
          PipelineParameterList: [
            { Name: 'DataWindowDays', Value: '7' },
            { Name: 'TrainingMode', Value: 'scheduled' },
          ],
        },
      }),
    });
  });

  test('defaults to UTC, enabled, no flexible window, 5 retries within one hour', () => {
    const { template: t } = synthTrigger({ schedule: TriggerSchedule.rate(Duration.hours(6)) });

    t.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(6 hours)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 3600 } }),
    });
  });

  test('passes start and end dates, the flexible window, the retry policy and the disabled state through', () => {
    const { template: t } = synthTrigger({
      schedule: TriggerSchedule.rate(Duration.days(1)),
      startDate: new Date('2027-01-01T00:00:00Z'),
      endDate: new Date('2027-12-31T00:00:00Z'),
      flexibleTimeWindow: Duration.minutes(30),
      retryAttempts: 10,
      maxEventAge: Duration.hours(2),
      enabled: false,
    });

    t.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 day)',
      StartDate: '2027-01-01T00:00:00.000Z',
      EndDate: '2027-12-31T00:00:00.000Z',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 30 },
      State: 'DISABLED',
      Target: Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 7200 } }),
    });
  });

  test('one-time schedules run once at a wall-clock time in the time zone', () => {
    const { template: t, trigger } = synthTrigger({
      schedule: TriggerSchedule.at('2027-01-15T06:00:00'),
      timeZone: TimeZone.AMERICA_NEW_YORK,
    });

    t.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'at(2027-01-15T06:00:00)',
      ScheduleExpressionTimezone: 'America/New_York',
    });
    expect(trigger.missedRunAlarm).toBeUndefined();
  });

  test('rates are written in the largest whole unit', () => {
    expect(TriggerSchedule.rate(Duration.minutes(1)).expressionString).toBe('rate(1 minute)');
    expect(TriggerSchedule.rate(Duration.minutes(90)).expressionString).toBe('rate(90 minutes)');
    expect(TriggerSchedule.rate(Duration.hours(1)).expressionString).toBe('rate(1 hour)');
    expect(TriggerSchedule.rate(Duration.hours(48)).expressionString).toBe('rate(2 days)');
  });

  test('the cron() wrapper and extra spaces are accepted and normalised', () => {
    expect(TriggerSchedule.cron('  cron(0  3 ? *   MON *) ').expressionString).toBe('cron(0 3 ? * MON *)');
  });

  describe('dead-letter queue', () => {
    test('failed starts go to an encrypted, TLS-only queue that keeps them 14 days, with an alarm on it', () => {
      const { template: t } = synthTrigger({ schedule: TriggerSchedule.rate(Duration.hours(1)) });

      t.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
      t.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: [
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ],
        },
      });
      const queueId = Object.keys(t.findResources('AWS::SQS::Queue'))[0];
      t.hasResourceProperties('AWS::Scheduler::Schedule', {
        Target: Match.objectLike({ DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } } }),
      });
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        Statistic: 'Maximum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    });

    test('a queue of the user is used instead of a new one', () => {
      const { stack, pipeline } = stackWithPipeline();
      const queue = new sqs.Queue(stack, 'OwnQueue', { enforceSSL: true });

      const trigger = new ScheduledTrigger(stack, 'Trigger', {
        pipeline,
        schedule: TriggerSchedule.rate(Duration.hours(1)),
        deadLetterQueue: queue,
      });

      expect(trigger.deadLetterQueue).toBe(queue);
      template(stack).resourceCountIs('AWS::SQS::Queue', 1);
    });
    test('triggers in one stack share the queue and its alarm: each further trigger adds 2 resources', () => {
      const stackWithTriggers = (count: number) => {
        const { stack, pipeline } = stackWithPipeline();
        const triggers = Array.from(
          { length: count },
          (_, i) => new ScheduledTrigger(stack, `Trigger${i}`, { pipeline, schedule: TriggerSchedule.rate(Duration.hours(1)) }),
        );
        return { triggers, template: template(stack) };
      };

      const one = stackWithTriggers(1);
      const three = stackWithTriggers(3);

      expect(three.triggers[1].deadLetterQueue).toBe(three.triggers[0].deadLetterQueue);
      expect(three.triggers[2].deadLetterQueueAlarm).toBe(three.triggers[0].deadLetterQueueAlarm);
      three.template.resourceCountIs('AWS::SQS::Queue', 1);
      three.template.resourceCountIs('AWS::Scheduler::Schedule', 3);
      const resources = (t: typeof one.template) => Object.keys(t.toJSON().Resources).length;
      expect((resources(three.template) - resources(one.template)) / 2).toBe(2);
    });

    test('a queue of the user shared by two triggers gets one alarm', () => {
      const { stack, pipeline } = stackWithPipeline();
      const queue = new sqs.Queue(stack, 'OwnQueue', { enforceSSL: true });

      for (const id of ['First', 'Second']) {
        new ScheduledTrigger(stack, id, {
          pipeline,
          schedule: TriggerSchedule.rate(Duration.hours(1)),
          deadLetterQueue: queue,
          missedRunAlarm: false,
        });
      }

      template(stack).resourceCountIs('AWS::CloudWatch::Alarm', 1);
      template(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [stack.getLogicalId(queue.node.defaultChild as sqs.CfnQueue), 'QueueName'] } }],
      });
    });
  });

  describe('permissions', () => {
    test('the scheduler role may start this pipeline and write to the dead-letter queue, nothing else', () => {
      const { template: t } = synthTrigger({ schedule: TriggerSchedule.rate(Duration.hours(1)) });

      const queueId = Object.keys(t.findResources('AWS::SQS::Queue'))[0];
      t.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: [
            { Action: 'sagemaker:StartPipelineExecution', Effect: 'Allow', Resource: PIPELINE_ARN_JOIN },
            { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } },
          ],
        },
      });
      t.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })],
        },
      });
      t.resourceCountIs('AWS::IAM::Policy', 1);
    });
  });
});
