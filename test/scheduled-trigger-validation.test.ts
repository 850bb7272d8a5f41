import { Duration, TimeZone } from 'aws-cdk-lib';
import { ScheduledTrigger, TriggerSchedule, type ScheduledTriggerProps } from '../lib';
import { synthTrigger } from './support/scheduled-trigger-synth';
import { stackWithPipeline } from './support/stacks';

describe('ScheduledTrigger', () => {
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
