import { Duration, TimeZone } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { TriggerSchedule, type ScheduledTriggerProps } from '../lib';
import { synthTrigger } from './support/scheduled-trigger-synth';

describe('ScheduledTrigger', () => {
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
});
