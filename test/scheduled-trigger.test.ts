import { Duration, TimeZone } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ScheduledTrigger, TriggerSchedule, type ScheduledTriggerProps } from '../lib';
import { stackWithPipeline, template } from './support/stacks';

const PIPELINE_ARN_JOIN = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:eu-west-1:123456789012:pipeline/churn-training']],
};

function synthTrigger(props: Omit<ScheduledTriggerProps, 'pipeline'>) {
  const { stack, pipeline } = stackWithPipeline();
  const trigger = new ScheduledTrigger(stack, 'Trigger', { pipeline, ...props });
  return { stack, trigger, template: template(stack) };
}


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

  describe('missed-run alarm', () => {
    function alarmsOf(props: Omit<ScheduledTriggerProps, 'pipeline'>) {
      const synth = synthTrigger(props);
      const alarms = Object.values(synth.template.findResources('AWS::CloudWatch::Alarm'));
      const missedRun = alarms.find((alarm) => alarm.Properties.MetricName === 'ExecutionStarted')?.Properties;
      return { ...synth, missedRun };
    }

    test('watches SageMaker ExecutionStarted for the pipeline and treats no data as no start', () => {
      const { missedRun } = alarmsOf({ schedule: TriggerSchedule.rate(Duration.hours(1)) });

      expect(missedRun).toMatchObject({
        Namespace: 'AWS/Sagemaker/ModelBuildingPipeline',
        MetricName: 'ExecutionStarted',
        Dimensions: [{ Name: 'PipelineName', Value: 'churn-training' }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      });
    });

    test('an hourly rate is watched over 1 hour + 15 minutes of grace in 5-minute periods', () => {
      const { missedRun } = alarmsOf({ schedule: TriggerSchedule.rate(Duration.hours(1)) });

      expect(missedRun).toMatchObject({ Period: 300, EvaluationPeriods: 15, DatapointsToAlarm: 15 });
    });

    test('the flexible window and the grace period widen the watched window', () => {
      const { missedRun } = alarmsOf({
        schedule: TriggerSchedule.rate(Duration.hours(1)),
        flexibleTimeWindow: Duration.minutes(20),
        missedRunGracePeriod: Duration.minutes(5),
      });

      // 60 + 20 + 5 = 85 minutes = 17 periods of 5 minutes
      expect(missedRun).toMatchObject({ Period: 300, EvaluationPeriods: 17, DatapointsToAlarm: 17 });
    });

    test('a daily cron in UTC is watched in hourly periods over 24 h 15 min', () => {
      const { missedRun } = alarmsOf({ schedule: TriggerSchedule.cron('30 2 * * ? *') });

      // 1440 + 15 minutes = 87,300 s, past CloudWatch's one-day limit for sub-hour periods: 25 hourly periods
      expect(missedRun).toMatchObject({ Period: 3600, EvaluationPeriods: 25, DatapointsToAlarm: 25 });
    });

    test('a cron in a daylight-saving time zone gets one more hour of slack', () => {
      const { missedRun } = alarmsOf({
        schedule: TriggerSchedule.cron('0 6 ? * MON-FRI *'),
        timeZone: TimeZone.EUROPE_BERLIN,
      });

      // Friday 06:00 -> Monday 06:00 = 72 h, + 1 h daylight saving + 15 min grace = 74 hourly periods
      expect(missedRun).toMatchObject({ Period: 3600, EvaluationPeriods: 74 });
    });

    test('a weekly cron is watched over the full 7 days CloudWatch allows', () => {
      const { missedRun } = alarmsOf({ schedule: TriggerSchedule.cron('0 3 ? * MON *') });

      expect(missedRun).toMatchObject({ Period: 3600, EvaluationPeriods: 168, DatapointsToAlarm: 168 });
      expect(missedRun!.AlarmDescription).toContain("watched over CloudWatch's 7-day maximum");
    });

    test('a monthly cron gets no alarm and a warning, because CloudWatch looks back at most 7 days', () => {
      const { stack, trigger, missedRun } = alarmsOf({ schedule: TriggerSchedule.cron('0 0 1 * ? *') });

      expect(missedRun).toBeUndefined();
      expect(trigger.missedRunAlarm).toBeUndefined();
      Annotations.fromStack(stack).hasWarning('/TestStack/Trigger', Match.stringLikeRegexp('looks back at most 7 days'));
    });

    test('can be turned off', () => {
      const { trigger, missedRun } = alarmsOf({
        schedule: TriggerSchedule.rate(Duration.hours(1)),
        missedRunAlarm: false,
      });

      expect(missedRun).toBeUndefined();
      expect(trigger.missedRunAlarm).toBeUndefined();
    });
  });

  describe('validation at synth', () => {
    test.each<[string, () => unknown, string | RegExp]>([
      ['a bad cron field', () => TriggerSchedule.cron('0 25 * * ? *'), /schedule cron expression '0 25 \* \* \? \*' is invalid: hours .*'25'/],
      ['a cron with both days set', () => TriggerSchedule.cron('0 3 1 * MON *'), /schedule cron expression .* is invalid: .*exactly one must be '\?'/],
      ['a cron with five fields', () => TriggerSchedule.cron('0 3 * * ?'), /schedule cron expression '0 3 \* \* \?' is invalid/],
      ['a rate under a minute', () => TriggerSchedule.rate(Duration.seconds(30)), 'schedule rate must be a whole number of minutes and at least 1 minute, got 30 seconds'],
      ['a rate in odd seconds', () => TriggerSchedule.rate(Duration.seconds(90)), 'schedule rate must be a whole number of minutes and at least 1 minute, got 1 minute 30 seconds'],
      ['a one-time date that does not exist', () => TriggerSchedule.at('2027-02-30T06:00:00'), "schedule one-time date must be a real date and time written YYYY-MM-DDThh:mm:ss, such as 2027-01-15T06:00:00, got '2027-02-30T06:00:00'"],
      ['a one-time date with a zone suffix', () => TriggerSchedule.at('2027-01-15T06:00:00Z'), /got '2027-01-15T06:00:00Z'/],
    ])('%s is rejected with a message naming it', (_what, build, message) => {
      expect(build).toThrow(message);
    });

    const hourly = TriggerSchedule.rate(Duration.hours(1));
    test.each<[string, Partial<ScheduledTriggerProps>, string | RegExp]>([
      ['an unknown time zone', { timeZone: TimeZone.of('Mars/Olympus_Mons') }, "timeZone must be an IANA time zone name such as Europe/Berlin or America/New_York, got 'Mars/Olympus_Mons'"],
      ['an end before the start', { startDate: new Date('2027-06-01T00:00:00Z'), endDate: new Date('2027-05-01T00:00:00Z') }, 'endDate must be after startDate, got startDate 2027-06-01T00:00:00.000Z and endDate 2027-05-01T00:00:00.000Z: swap them or move endDate later'],
      ['an invalid date', { startDate: new Date('not a date') }, 'startDate must be a valid Date, got an invalid one'],
      ['a flexible window of 0 minutes', { flexibleTimeWindow: Duration.minutes(0) }, 'flexibleTimeWindow must be between 1 minute and 1 day, got 0 minutes'],
      ['a flexible window over a day', { flexibleTimeWindow: Duration.hours(25) }, 'flexibleTimeWindow must be between 1 minute and 1 day, got 1 day 1 hour'],
      ['too many retries', { retryAttempts: 186 }, 'retryAttempts must be a whole number between 0 and 185, got 186'],
      ['a fractional retry count', { retryAttempts: 1.5 }, 'retryAttempts must be a whole number between 0 and 185, got 1.5'],
      ['an event age under a minute', { maxEventAge: Duration.seconds(30) }, 'maxEventAge must be between 1 minute and 1 day, got 30 seconds'],
      ['a parameter name with a space', { parameters: { 'Training Mode': 'x' } }, "parameters name 'Training Mode' is not a valid SageMaker pipeline parameter name: use 1-256 letters, digits, hyphens and underscores"],
      ['a parameter name over 256 characters', { parameters: { ['P'.repeat(257)]: 'x' } }, /parameters name 'P{257}' is not a valid SageMaker pipeline parameter name/],
      ['a parameter value over 1024 characters', { parameters: { Paths: 'x'.repeat(1025) } }, "parameters.Paths must be 1-1024 characters, got 1025: leave it out to use the pipeline's default"],
      ['an empty parameter value', { parameters: { Mode: '' } }, "parameters.Mode must be 1-1024 characters, got 0: leave it out to use the pipeline's default"],
      ['201 parameters', { parameters: Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`P${i}`, 'v'])) }, 'parameters may hold at most 200 pipeline parameters, got 201: pass the rest through a file the pipeline reads'],
    ])('%s fails synth with a message naming the prop', (_what, props, message) => {
      const { stack, pipeline } = stackWithPipeline();

      expect(() => new ScheduledTrigger(stack, 'Trigger', { pipeline, schedule: hourly, ...props })).toThrow(message);
    });

    test('a one-time schedule refuses start and end dates', () => {
      const { stack, pipeline } = stackWithPipeline();

      expect(
        () =>
          new ScheduledTrigger(stack, 'Trigger', {
            pipeline,
            schedule: TriggerSchedule.at('2027-01-15T06:00:00'),
            startDate: new Date('2027-01-01T00:00:00Z'),
          }),
      ).toThrow('startDate and endDate apply to recurring schedules only: a one-time schedule runs once at its own date');
    });

    test('exactly 200 parameters of 1024 characters are accepted', () => {
      const parameters = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`P${i}`, 'v'.repeat(1024)]));

      const { template: t } = synthTrigger({ schedule: hourly, parameters });

      const schedule = Object.values(t.findResources('AWS::Scheduler::Schedule'))[0];
      expect(schedule.Properties.Target.SageMakerPipelineParameters.PipelineParameterList).toHaveLength(200);
    });
  });
});
