import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DataArrivalTrigger, DriftSource, DriftTrigger, EventSource, EventTrigger, PromotionGuardrail, RetrainingCoordinator, ScheduledTrigger, TriggerDashboard, TriggerEventBus, TriggerSchedule, type TriggerDashboardProps } from '../lib';
import { stackWithPipeline, template } from './support/stacks';

function stackWithEverything(props: TriggerDashboardProps = {}, dashboardFirst = false) {
  const { stack, pipeline } = stackWithPipeline();
  const early = dashboardFirst ? new TriggerDashboard(stack, 'Dashboard', props) : undefined;
  const coordinator = new RetrainingCoordinator(stack, 'Coordinator');
  const bucket = s3.Bucket.fromBucketName(stack, 'Data', 'data-bucket');
  const scheduled = new ScheduledTrigger(stack, 'Hourly', { pipeline, schedule: TriggerSchedule.rate(Duration.hours(1)) });
  const data = new DataArrivalTrigger(stack, 'Labels', { pipeline, bucket, coordinator });
  new DriftTrigger(stack, 'Drift', { pipeline, sources: [DriftSource.alarmStateChange({ alarmNamePrefix: 'drift-' })], coordinator });
  new EventTrigger(stack, 'Models', { pipeline, source: EventSource.named(new TriggerEventBus(stack, 'Bus'), 'model.added') });
  new PromotionGuardrail(stack, 'Guardrail', { reportsBucket: bucket });
  const dashboard = early ?? new TriggerDashboard(stack, 'Dashboard', props);
  return { stack, dashboard, scheduled, data, template: template(stack) };
}

/** The dashboard body as text, with references written as <LogicalId>. */
function bodyOf(t: ReturnType<typeof stackWithEverything>['template']): string {
  const dashboard = Object.values(t.findResources('AWS::CloudWatch::Dashboard'))[0];
  const parts: unknown[] = dashboard.Properties.DashboardBody['Fn::Join'][1];
  return parts.map((part) => (typeof part === 'string' ? part : `<${JSON.stringify(part)}>`)).join('');
}

describe('TriggerDashboard', () => {
  test('shows events, starts, decisions, spend, drift, batches, dead letters and failures', () => {
    const { template: t } = stackWithEverything();

    const body = bodyOf(t);
    for (const title of [
      'Events by trigger type',
      'Start requests by trigger type',
      'Coordinator decisions by outcome and reason',
      'Estimated spend of started runs',
      'Drift scores by feature (max per hour)',
      'Batch fill (objects per started batch)',
      'Oldest batch waiting, by trigger (seconds)',
      'Dead-letter queue depth',
      'Start failures and failed batches',
      'Promotion guardrail',
    ]) {
      expect(body).toContain(`"title":"${title}"`);
    }
    expect(body).toContain(`SEARCH('{MLTriggers,Outcome,Reason,TriggerType,service} MetricName=\\"Decisions\\"', 'Sum', 3600)`);
    expect(body).toContain(`SEARCH('{MLTriggers,Feature,TriggerType,service} MetricName=\\"DriftScore\\"', 'Maximum', 3600)`);
  });

  test.each<[string, () => cloudwatch.IMetric]>([
    ['DataArrivalTrigger.metricAllBatchesFailed', () => DataArrivalTrigger.metricAllBatchesFailed({ label: 'batches given up' })],
    ['DataArrivalTrigger.metricAllOldestBatchAges', () => DataArrivalTrigger.metricAllOldestBatchAges({ label: '' })],
    ['EventTrigger.metricAllStartRequests', () => EventTrigger.metricAllStartRequests({ label: 'events' })],
    ['DriftTrigger.metricAllAssessments', () => DriftTrigger.metricAllAssessments({ period: Duration.hours(1), label: 'drift assessments' })],
    ['RetrainingCoordinator.metricAllDecisions', () => RetrainingCoordinator.metricAllDecisions({ period: Duration.hours(1), label: '' })],
    ['RetrainingCoordinator.metricAllEstimatedSpend', () => RetrainingCoordinator.metricAllEstimatedSpend({ label: 'estimated spend' })],
    ['PromotionGuardrail.metricAllCandidatesPassed', () => PromotionGuardrail.metricAllCandidatesPassed({ label: 'passed' })],
  ])('graphs %s as the construct defines it', (_name, create) => {
    // Prepare
    const { template: t } = stackWithEverything();
    const [rendered] = new Stack().resolve(new cloudwatch.GraphWidget({ left: [create()] }).toJson())[0].properties.metrics;

    // Act
    const body = bodyOf(t);

    // Assess
    expect(body).toContain(JSON.stringify(rendered));
  });

  test('its alarm panel holds its own alarms and those of the triggers: dead letters, missed runs, stale batches, failed batches', () => {
    const { template: t, stack, scheduled, data, dashboard } = stackWithEverything();

    const body = bodyOf(t);
    for (const alarm of [dashboard.stormAlarm, dashboard.startFailureAlarm, dashboard.eventsRejectedAlarm, scheduled.missedRunAlarm!, data.staleBatchAlarm, scheduled.deadLetterQueueAlarm]) {
      expect(body).toContain(JSON.stringify(stack.resolve(alarm.alarmArn)));
    }
    expect(dashboard.alarms).toHaveLength(7);
  });

  test('the events-rejected alarm counts events the event triggers rejected per hour against maxEventsRejectedPerHour, and is on the panel', () => {
    // Act
    const { template: t, stack, dashboard } = stackWithEverything({ maxEventsRejectedPerHour: 3 });

    // Assess
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('^Events were rejected'),
      Threshold: 3,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(rejected, 0)' }),
        Match.objectLike({
          Id: 'rejected',
          MetricStat: Match.objectLike({
            Metric: { Namespace: 'MLTriggers', MetricName: 'EventsRejected', Dimensions: Match.arrayWith([{ Name: 'TriggerType', Value: 'Event' }, { Name: 'service', Value: 'EventTriggers' }]) },
            Period: 3600,
            Stat: 'Sum',
          }),
        }),
      ]),
    });
    expect(bodyOf(t)).toContain(JSON.stringify(stack.resolve(dashboard.eventsRejectedAlarm.alarmArn)));
  });

  test('the failures widget shows what every function rejected: events, object events, drift messages and guardrail inputs', () => {
    const { template: t } = stackWithEverything();

    const body = bodyOf(t);
    expect(body).toMatch(/"title":"Start failures and failed batches".*\["MLTriggers","EventsRejected","TriggerType","Event","service","EventTriggers",\{"label":"events rejected"/);
    expect(body).toMatch(/"title":"Start failures and failed batches".*\["MLTriggers","EventsFailingSchema","TriggerType","Event","service","EventTriggers",\{"label":"events failing their schema"/);
    expect(body).toMatch(/"title":"Start failures and failed batches".*\["MLTriggers","EventsRejected","TriggerType","DataArrival","service","DataArrivalBatcher",\{"label":"object events rejected"/);
    expect(body).toMatch(/"title":"Start failures and failed batches".*\["MLTriggers","MessagesRejected","TriggerType","Drift","service","DriftEvaluator",\{"label":"drift messages rejected"/);
    expect(body).toMatch(/"title":"Start failures and failed batches".*\["MLTriggers","InputsRejected","service","PromotionGuardrail",\{"label":"guardrail inputs rejected"/);
  });

  test('a rejected-events threshold of 0 fails synth', () => {
    expect(() => stackWithEverything({ maxEventsRejectedPerHour: 0 })).toThrow('maxEventsRejectedPerHour must be a whole number between 1 and 100000, got 0');
  });

  test('the storm alarm sums start requests of every trigger type per hour against maxStartsPerHour', () => {
    const { template: t } = stackWithEverything({ maxStartsPerHour: 25 });

    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 25,
      ComparisonOperator: 'GreaterThanThreshold',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(dataArrival, 0) + FILL(events, 0) + FILL(drift, 0)' }),
        Match.objectLike({ Id: 'drift', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'StartRequests', Namespace: 'MLTriggers' }), Period: 3600 }) }),
      ]),
    });
  });

  test('the start-failure alarm counts failed batch starts and errors of every trigger function', () => {
    const { template: t } = stackWithEverything();

    const alarm = Object.values(t.findResources('AWS::CloudWatch::Alarm')).find((a) => String(a.Properties.AlarmDescription).startsWith('Training starts failed'))!;
    const names = alarm.Properties.Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat).map((m: { MetricStat: { Metric: { MetricName: string } } }) => m.MetricStat.Metric.MetricName).sort();
    expect(names).toEqual(['Errors', 'Errors', 'Errors', 'StartFailures']);
    expect(alarm.Properties.Threshold).toBe(1);
  });

  test('alarm actions are added to every alarm it shows', () => {
    const { stack } = stackWithPipeline();
    const topic = new sns.Topic(stack, 'OnCall');
    new ScheduledTrigger(stack, 'Hourly', { pipeline: stack.node.findChild('Pipeline') as never, schedule: TriggerSchedule.rate(Duration.hours(1)) });

    new TriggerDashboard(stack, 'Dashboard', { alarmActions: [new actions.SnsAction(topic)] });

    const alarms = Object.values(template(stack).findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBe(5);
    expect(alarms.every((a) => JSON.stringify(a.Properties.AlarmActions) === JSON.stringify([{ Ref: Object.keys(template(stack).findResources('AWS::SNS::Topic'))[0] }]))).toBe(true);
  });

  test('a storm threshold of 0 fails synth', () => {
    expect(() => stackWithEverything({ maxStartsPerHour: 0 })).toThrow('maxStartsPerHour must be a whole number between 1 and 100000, got 0');
  });

  test('a dashboard created before the triggers shows, alarms on and acts on exactly what one created after them does', () => {
    // Prepare: the same stack twice, with the dashboard first and last, and an on-call action.
    const action = (stack: Stack) => new actions.SnsAction(sns.Topic.fromTopicArn(stack, 'OnCall', 'arn:aws:sns:eu-west-1:123456789012:on-call'));
    const build = (first: boolean) => {
      const { stack, pipeline } = stackWithPipeline();
      const dashboard = first ? new TriggerDashboard(stack, 'Dashboard', { alarmActions: [action(stack)] }) : undefined;
      new ScheduledTrigger(stack, 'Hourly', { pipeline, schedule: TriggerSchedule.rate(Duration.hours(1)) });
      new DataArrivalTrigger(stack, 'Labels', { pipeline, bucket: s3.Bucket.fromBucketName(stack, 'Data', 'data-bucket') });
      new DriftTrigger(stack, 'Drift', { pipeline, sources: [DriftSource.alarmStateChange({ alarmNamePrefix: 'drift-' })] });
      const last = dashboard ?? new TriggerDashboard(stack, 'Dashboard', { alarmActions: [action(stack)] });
      return { dashboard: last, template: template(stack).toJSON() as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> } };
    };

    // Act
    const first = build(true);
    const last = build(false);

    // Assess: the same resources, property for property; the alarm panel and actions include the triggers' alarms.
    const properties = (t: typeof first.template) => Object.fromEntries(Object.entries(t.Resources).map(([id, r]) => [id, r.Properties]));
    expect(properties(first.template)).toEqual(properties(last.template));
    expect(first.dashboard.alarms).toHaveLength(7);
    const alarms = Object.values(first.template.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(7);
    expect(alarms.every((alarm) => JSON.stringify(alarm.Properties.AlarmActions) === '["arn:aws:sns:eu-west-1:123456789012:on-call"]')).toBe(true);
    const failure = alarms.find((alarm) => String(alarm.Properties.AlarmDescription).startsWith('Training starts failed'))!;
    // The drift evaluator and its approval gate (the trigger has no coordinator).
    expect((failure.Properties.Metrics as Array<{ Expression?: string }>)[0].Expression).toBe('FILL(batchStarts, 0) + FILL(fn0, 0) + FILL(fn1, 0)');
  });

  test('synthesizing twice adds nothing twice', () => {
    // Prepare
    const { stack } = stackWithEverything({}, true);

    // Act: a second synthesis of the same app, as tests and `cdk synth` after a `Template` read do.
    const again = Template.fromStack(stack);

    // Assess: the widgets and alarm actions were added once.
    const dashboard = Object.values(again.findResources('AWS::CloudWatch::Dashboard'))[0];
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    expect(body.match(/Events by trigger type/g)).toHaveLength(1);
  });
});
