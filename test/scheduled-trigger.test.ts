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

    test('a flexible window and grace period on a cron in a daylight-saving zone all widen the watched window', () => {
      const { missedRun } = alarmsOf({
        schedule: TriggerSchedule.cron('0 6 ? * MON-FRI *'),
        timeZone: TimeZone.EUROPE_BERLIN,
        flexibleTimeWindow: Duration.hours(2),
        missedRunGracePeriod: Duration.minutes(30),
      });

      // 72 h + 1 h daylight saving + 2 h flexible + 30 min grace = 75.5 h: 76 hourly periods
      expect(missedRun).toMatchObject({ Period: 3600, EvaluationPeriods: 76, DatapointsToAlarm: 76 });
      expect(missedRun!.AlarmDescription).toContain('within 3 days 3 hours');
    });

    test('a weekly cron gets no alarm and a warning: with its slack the window passes the 7 days CloudWatch can watch', () => {
      const { stack, trigger, missedRun } = alarmsOf({ schedule: TriggerSchedule.cron('0 3 ? * MON *') });

      // 7 days + 15 min grace: an alarm cut to 7 days would fire before the run is late, every week.
      expect(missedRun).toBeUndefined();
      expect(trigger.missedRunAlarm).toBeUndefined();
      Annotations.fromStack(stack).hasWarning('/TestStack/Trigger', Match.stringLikeRegexp('7 days 15 minutes with daylight saving time, flexibleTimeWindow and missedRunGracePeriod, and a CloudWatch alarm looks back at most 7 days'));
    });

    test.each<[string, Partial<ScheduledTriggerProps>]>([
      ['the flexible window', { flexibleTimeWindow: Duration.hours(1) }],
      ['the grace period', { missedRunGracePeriod: Duration.hours(2) }],
    ])('%s alone can push a rate under 7 days past what CloudWatch can watch: no cut-short alarm', (_what, slack) => {
      const { missedRun } = alarmsOf({ schedule: TriggerSchedule.rate(Duration.hours(167)), ...slack });

      expect(missedRun).toBeUndefined();
    });

    test('a window of exactly 7 days is watched whole, in hourly periods', () => {
      const { missedRun } = alarmsOf({
        schedule: TriggerSchedule.rate(Duration.hours(167)),
        flexibleTimeWindow: Duration.minutes(45),
      });

      // 167 h + 45 min flexible + 15 min grace = 168 h
      expect(missedRun).toMatchObject({ Period: 3600, EvaluationPeriods: 168, DatapointsToAlarm: 168 });
    });

    test('a monthly cron gets no alarm and a warning, because CloudWatch looks back at most 7 days', () => {
      const { stack, trigger, missedRun } = alarmsOf({ schedule: TriggerSchedule.cron('0 0 1 * ? *') });

      expect(missedRun).toBeUndefined();
      expect(trigger.missedRunAlarm).toBeUndefined();
      Annotations.fromStack(stack).hasWarning('/TestStack/Trigger', Match.stringLikeRegexp('looks back at most 7 days'));
    });

    test('a disabled schedule has no missed-run alarm, so it cannot page while it is meant to be idle', () => {
      const { template: t, trigger, missedRun } = alarmsOf({
        schedule: TriggerSchedule.rate(Duration.hours(1)),
        enabled: false,
      });

      expect(missedRun).toBeUndefined();
      expect(trigger.missedRunAlarm).toBeUndefined();
      t.hasResourceProperties('AWS::Scheduler::Schedule', { State: 'DISABLED' });
      // The dead-letter queue alarm stays: it only fires for a start that really failed.
      t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible' });
    });

    test('a disabled schedule has no missed-run alarm even when one is asked for explicitly', () => {
      const { trigger, missedRun } = alarmsOf({
        schedule: TriggerSchedule.cron('0 3 * * ? *'),
        enabled: false,
        missedRunAlarm: true,
      });

      expect(missedRun).toBeUndefined();
      expect(trigger.missedRunAlarm).toBeUndefined();
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
      ['a step in day-of-week', () => TriggerSchedule.cron('0 3 ? * MON/2 *'), "schedule cron expression '0 3 ? * MON/2 *' is invalid: day-of-week value 'MON/2' is not allowed: '/' is not valid in day-of-week: list the days instead, as in 'MON,WED,FRI'"],
      ['a day-of-week every other day', () => TriggerSchedule.cron('0 3 ? * */2 *'), /day-of-week value '\*\/2' is not allowed/],
      ['W on a range of days', () => TriggerSchedule.cron('0 3 1-15W * ? *'), "schedule cron expression '0 3 1-15W * ? *' is invalid: day-of-month value '1-15W' is not allowed: 'W' takes one day and must be the whole field, as in '15W'"],
      ['a rate of zero', () => TriggerSchedule.rate(Duration.minutes(0)), 'schedule rate must be a whole number of minutes and at least 1 minute, got 0 minutes'],
      ['a rate with stray milliseconds', () => TriggerSchedule.rate(Duration.millis(60_001)), 'schedule rate must be a whole number of minutes and at least 1 minute, got 1 minute 1 milli'],
      ['a rate with half a second', () => TriggerSchedule.rate(Duration.seconds(60.5)), 'schedule rate must be a whole number of minutes and at least 1 minute, got 1 minute 500 millis'],
    ])('%s is rejected with a message naming it', (_what, build, message) => {
      expect(build).toThrow(message);
    });

    const hourly = TriggerSchedule.rate(Duration.hours(1));
    test.each<[string, Partial<ScheduledTriggerProps>, string | RegExp]>([
      ['an unknown time zone', { timeZone: TimeZone.of('Mars/Olympus_Mons') }, "timeZone must be an IANA time zone name such as Europe/Berlin or America/New_York, got 'Mars/Olympus_Mons'"],
      ['a time zone in the wrong case', { timeZone: TimeZone.of('europe/berlin') }, "timeZone must be spelled as in the IANA time zone database, got 'europe/berlin': use 'Europe/Berlin'"],
      ['an end before the start', { startDate: new Date('2027-06-01T00:00:00Z'), endDate: new Date('2027-05-01T00:00:00Z') }, 'endDate must be after startDate, got startDate 2027-06-01T00:00:00.000Z and endDate 2027-05-01T00:00:00.000Z: swap them or move endDate later'],
      ['an invalid date', { startDate: new Date('not a date') }, 'startDate must be a valid Date, got an invalid one'],
      ['a flexible window of 0 minutes', { flexibleTimeWindow: Duration.minutes(0) }, 'flexibleTimeWindow must be between 1 minute and 1 day, got 0 minutes'],
      ['a flexible window over a day', { flexibleTimeWindow: Duration.hours(25) }, 'flexibleTimeWindow must be between 1 minute and 1 day, got 1 day 1 hour'],
      ['a flexible window in odd seconds', { flexibleTimeWindow: Duration.seconds(90) }, 'flexibleTimeWindow must be a whole number of minutes, got 1 minute 30 seconds: EventBridge Scheduler counts it in minutes'],
      ['an event age with stray milliseconds', { maxEventAge: Duration.millis(60_500) }, 'maxEventAge must be a whole number of seconds, got 1 minute 500 millis: EventBridge Scheduler counts it in seconds'],
      ['a grace period in odd seconds', { missedRunGracePeriod: Duration.seconds(90) }, 'missedRunGracePeriod must be a whole number of minutes, got 1 minute 30 seconds'],
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

    test('a one-time date that daylight saving time skips in its time zone fails synth, naming the gap and the fix', () => {
      const { stack, pipeline } = stackWithPipeline();

      // Berlin's clocks jump from 02:00 to 03:00 on 2027-03-28 (IANA data, read off Python's zoneinfo).
      expect(
        () =>
          new ScheduledTrigger(stack, 'Trigger', {
            pipeline,
            schedule: TriggerSchedule.at('2027-03-28T02:30:00'),
            timeZone: TimeZone.EUROPE_BERLIN,
          }),
      ).toThrow(
        "schedule one-time date '2027-03-28T02:30:00' does not exist in timeZone Europe/Berlin: clocks jump from 2027-03-28T02:00:00 to 2027-03-28T03:00:00, so EventBridge Scheduler would never run it; pick a time outside that gap, such as 2027-03-28T03:00:00",
      );
    });

    test('a one-time date next to the gap, or in the hour that repeats when clocks go back, is accepted', () => {
      for (const [id, localDateTime] of [['BeforeGap', '2027-03-28T01:59:59'], ['AfterGap', '2027-03-28T03:00:00'], ['Repeated', '2027-10-31T02:30:00']]) {
        const { stack, pipeline } = stackWithPipeline();

        const build = () => new ScheduledTrigger(stack, id, { pipeline, schedule: TriggerSchedule.at(localDateTime), timeZone: TimeZone.EUROPE_BERLIN });

        expect(build).not.toThrow();
      }
    });

    test('the same wall-clock time is fine in UTC', () => {
      const { template: t } = synthTrigger({ schedule: TriggerSchedule.at('2027-03-28T02:30:00') });

      t.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'at(2027-03-28T02:30:00)', ScheduleExpressionTimezone: 'Etc/UTC' });
    });

    test('exactly 200 parameters of 1024 characters are accepted', () => {
      const parameters = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`P${i}`, 'v'.repeat(1024)]));

      const { template: t } = synthTrigger({ schedule: hourly, parameters });

      const schedule = Object.values(t.findResources('AWS::Scheduler::Schedule'))[0];
      expect(schedule.Properties.Target.SageMakerPipelineParameters.PipelineParameterList).toHaveLength(200);
    });
  });
});
