import { App, Duration, Stack, TimeZone } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DataArrivalTrigger, TrainingPipeline, TriggerDashboard, TriggerSchedule, type DataArrivalTriggerProps } from '../lib';
import { synthTriggers } from './support/data-arrival-synth';
import { deployedConfigOf } from './support/deployed-config';
import { byUser } from './support/nag-acknowledgements';
import { ENV } from './support/nag-compositions';
import { NAG_MAJORS, NAG_PACKS, runNag } from './support/nag-findings';
import { stackWithPipeline, template } from './support/stacks';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- template JSON, read by the assertions below
type Resource = { [key: string]: any };

// Each test synthesizes a stack with the batcher's bundled code; the nag tests run four checks over one.
jest.setTimeout(120_000);

const WEEKDAYS_AT_6 = TriggerSchedule.cron('0 6 ? * MON-FRI *');
const MONDAYS_AT_3 = TriggerSchedule.cron('0 3 ? * MON *');
const arrivalRule = (t: ReturnType<typeof synthTriggers>['template']): Resource =>
  Object.values(t.findResources('AWS::Events::Rule')).filter((rule) => rule.Properties.EventPattern?.source?.[0] === 'aws.s3')[0];
const schedulesOf = (t: ReturnType<typeof synthTriggers>['template']): Resource[] =>
  Object.values(t.findResources('AWS::Scheduler::Schedule')).filter((s) => s.Properties.ScheduleExpression !== 'rate(1 minute)');

describe('DataArrivalTrigger with a deadline', () => {
  const deadline = { expectedBy: { schedule: WEEKDAYS_AT_6, startWithWhatArrived: true }, timeZone: TimeZone.EUROPE_BERLIN };

  test('a schedule in its time zone invokes the batcher with only the trigger id and the calendar, through the dead-letter queue', () => {
    // Act
    const { template: t, triggers } = synthTriggers(1, deadline);

    // Assess
    const [schedule] = schedulesOf(t);
    expect(schedulesOf(t)).toHaveLength(1);
    expect(schedule.Properties).toMatchObject({ ScheduleExpression: 'cron(0 6 ? * MON-FRI *)', ScheduleExpressionTimezone: 'Europe/Berlin', State: 'ENABLED' });
    expect(JSON.parse(schedule.Properties.Target.Input)).toEqual({ triggerId: triggers[0].triggerId, calendar: 'deadline' });
    const batcherId = Object.keys(t.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('counts arrived objects') } }))[0];
    expect(schedule.Properties.Target.Arn).toEqual({ 'Fn::GetAtt': [batcherId, 'Arn'] });
    expect(schedule.Properties.Target).toMatchObject({ RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 600 }, DeadLetterConfig: { Arn: expect.anything() } });
  });

  test("the schedule's role may invoke the batcher and send to the dead-letter queue, nothing else", () => {
    // Act
    const { template: t } = synthTriggers(1, deadline);

    // Assess
    const roleId = schedulesOf(t)[0].Properties.Target.RoleArn['Fn::GetAtt'][0];
    const policies = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) => p.Properties.Roles.some((r: Resource) => r.Ref === roleId));
    const actions = policies.flatMap((p) => p.Properties.PolicyDocument.Statement).flatMap((s: Resource) => [s.Action].flat());
    expect(new Set(actions)).toEqual(new Set(['lambda:InvokeFunction', 'sqs:SendMessage']));
    t.hasResourceProperties('AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })] } });
  });

  test('the deployment writes the deadline into the configuration; batches keep their size and window', () => {
    // Act
    const { template: t } = synthTriggers(1, { ...deadline, batchSize: 50 });

    // Assess
    expect(deployedConfigOf(t, arrivalRule(t)).config).toMatchObject({
      batchSize: 50,
      batchWindowSeconds: 3600,
      calendar: { deadline: { schedule: 'cron(0 6 ? * MON-FRI *)', timeZone: 'Europe/Berlin', startWithWhatArrived: true } },
    });
  });

  test("its own time zone wins over the trigger's, and startWithWhatArrived is false unless asked", () => {
    // Act
    const { template: t } = synthTriggers(1, { expectedBy: { schedule: WEEKDAYS_AT_6, timeZone: TimeZone.AMERICA_NEW_YORK }, timeZone: TimeZone.EUROPE_BERLIN });

    // Assess
    expect(deployedConfigOf(t, arrivalRule(t)).config.calendar).toEqual({ deadline: { schedule: 'cron(0 6 ? * MON-FRI *)', timeZone: 'America/New_York', startWithWhatArrived: false } });
  });

  test('a missed-deadline alarm watches the batcher\'s MissedDeadlines for this trigger, and the dashboard shows it', () => {
    // Prepare
    const { stack, pipeline } = stackWithPipeline();
    const trigger = new DataArrivalTrigger(stack, 'Labels', { pipeline, bucket: s3.Bucket.fromBucketName(stack, 'Data', 'mlops-data-prod'), ...deadline });
    const dashboard = new TriggerDashboard(stack, 'Dashboard');

    // Act
    const t = template(stack);

    // Assess
    expect(trigger.missedDeadlineAlarm).toBeDefined();
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'MissedDeadlines',
      Namespace: 'MLTriggers',
      Dimensions: Match.arrayWith([{ Name: 'TriggerId', Value: trigger.triggerId }, { Name: 'TriggerType', Value: 'DataArrival' }, { Name: 'service', Value: 'DataArrivalBatcher' }]),
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmDescription: Match.stringLikeRegexp('arrived by its deadline \\(cron\\(0 6 \\? \\* MON-FRI \\*\\) in Europe/Berlin\\)'),
    });
    expect(stack.resolve(trigger.metricMissedDeadlines().toMetricConfig().metricStat)).toMatchObject({ metricName: 'MissedDeadlines', statistic: 'Sum' });
    expect(dashboard.alarms).toContain(trigger.missedDeadlineAlarm);
    const body = Object.values(t.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody;
    expect(JSON.stringify(body)).toContain(JSON.stringify(stack.resolve(trigger.missedDeadlineAlarm!.alarmArn)).slice(1, -1));
  });

  test('a trigger without a calendar has no calendar schedule, no alarm and no calendar in its configuration', () => {
    // Act
    const { template: t, triggers } = synthTriggers(1);

    // Assess
    expect(schedulesOf(t)).toEqual([]);
    expect(triggers[0].missedDeadlineAlarm).toBeUndefined();
    expect(deployedConfigOf(t, arrivalRule(t)).config).not.toHaveProperty('calendar');
  });

  test('a disabled trigger deploys its calendar schedules disabled', () => {
    // Act
    const { template: t } = synthTriggers(1, { ...deadline, batchSchedule: MONDAYS_AT_3, enabled: false });

    // Assess
    expect(schedulesOf(t).map((s) => s.Properties.State)).toEqual(['DISABLED', 'DISABLED']);
  });
});

describe('DataArrivalTrigger with a batch schedule', () => {
  test('a schedule closes batches: its calendar, the largest batch and a window a day past the longest gap are deployed', () => {
    // Act
    const { template: t, triggers } = synthTriggers(1, { batchSchedule: MONDAYS_AT_3, timeZone: TimeZone.EUROPE_BERLIN });

    // Assess
    const [schedule] = schedulesOf(t);
    expect(schedule.Properties).toMatchObject({ ScheduleExpression: 'cron(0 3 ? * MON *)', ScheduleExpressionTimezone: 'Europe/Berlin' });
    expect(JSON.parse(schedule.Properties.Target.Input)).toEqual({ triggerId: triggers[0].triggerId, calendar: 'close' });
    expect(deployedConfigOf(t, arrivalRule(t)).config).toMatchObject({
      batchSize: 10_000,
      batchWindowSeconds: 8 * 86_400,
      calendar: { close: { schedule: 'cron(0 3 ? * MON *)', timeZone: 'Europe/Berlin' } },
    });
    expect(triggers[0].missedDeadlineAlarm).toBeUndefined();
  });

  test('in UTC unless a time zone is given', () => {
    const { template: t } = synthTriggers(1, { batchSchedule: MONDAYS_AT_3 });

    expect(schedulesOf(t)[0].Properties.ScheduleExpressionTimezone).toBe('Etc/UTC');
  });
});

describe('DataArrivalTrigger calendar validation at synth', () => {
  test.each<[string, Partial<DataArrivalTriggerProps>, string | RegExp]>([
    ['a rate deadline', { expectedBy: { schedule: TriggerSchedule.rate(Duration.hours(1)) } }, "expectedBy.schedule must be a cron schedule, got rate(1 hour): use TriggerSchedule.cron(...), such as TriggerSchedule.cron('0 6 ? * MON-FRI *')"],
    ['a one-time batch schedule', { batchSchedule: TriggerSchedule.at('2027-01-15T06:00:00') }, /^batchSchedule must be a cron schedule, got at\(2027-01-15T06:00:00\)/],
    ['a batch schedule with a batch size', { batchSchedule: MONDAYS_AT_3, batchSize: 50 }, 'batchSize cannot be combined with batchSchedule, got batchSize 50: batchSchedule closes batches at its firings; leave batchSize out, or leave batchSchedule out to close batches by count and window'],
    ['a batch schedule with a window', { batchSchedule: MONDAYS_AT_3, batchWindow: Duration.hours(2) }, /^batchWindow cannot be combined with batchSchedule, got batchWindow 2 hours:/],
    ['a batch schedule that fires once', { batchSchedule: TriggerSchedule.cron('0 3 1 JAN ? 2027') }, /^batchSchedule must fire at least once every 366 days, got cron\(0 3 1 JAN \? 2027\), which fires fewer than twice between 2027 and 2035/],
    ['a batch schedule with years between firings', { batchSchedule: TriggerSchedule.cron('0 3 1 JAN ? 2027,2030') }, /^batchSchedule must fire at least once every 366 days, got cron\(0 3 1 JAN \? 2027,2030\), which can go \d+ days/],
    ['an unknown time zone', { batchSchedule: MONDAYS_AT_3, timeZone: TimeZone.of('Mars/Olympus') }, "timeZone must be an IANA time zone name such as Europe/Berlin or America/New_York, got 'Mars/Olympus'"],
    ['a time zone in the wrong case', { expectedBy: { schedule: WEEKDAYS_AT_6, timeZone: TimeZone.of('europe/berlin') } }, "expectedBy.timeZone must be spelled as in the IANA time zone database, got 'europe/berlin': use 'Europe/Berlin'"],
  ])('%s fails with a message naming the prop', (_what, props, message) => {
    expect(() => synthTriggers(1, props)).toThrow(message);
  });
});

describe('DataArrivalTrigger calendar and cdk-nag', () => {
  test.each(NAG_MAJORS.flatMap((major) => NAG_PACKS.map((pack) => [major, pack] as const)))('cdk-nag %s %s reports nothing on the library\'s resources of a trigger with a deadline and a batch schedule', (major, pack) => {
    // Prepare
    const compose = (app: App) => {
      const stack = new Stack(app, 'Calendar', { env: ENV });
      const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training');
      new DataArrivalTrigger(stack, 'Data', {
        pipeline,
        bucket: s3.Bucket.fromBucketName(stack, 'DataBucket', 'churn-data'),
        prefix: 'labels/',
        expectedBy: { schedule: WEEKDAYS_AT_6, startWithWhatArrived: true },
        batchSchedule: MONDAYS_AT_3,
        timeZone: TimeZone.EUROPE_BERLIN,
      });
    };

    // Act
    const { findings } = runNag(compose, [major]);

    // Assess
    expect(findings[`${major} ${pack}`].filter((finding) => !byUser(finding))).toEqual([]);
  }, 120_000);
});
