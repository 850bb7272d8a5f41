import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DataArrivalTrigger, DriftTrigger, EventTrigger, PromotionGuardrail, RetrainingCoordinator } from '../lib';
import { MetricService, serviceDimensions } from '../lambda/core/contracts/metrics';
import { stackWithPipeline } from './support/stacks';

// The names and dimensions below are written out, not taken from the contract: they are what the
// handlers publish and what deployed dashboards and alarms already read, so a change must fail here.
const DATA_ARRIVAL = { service: 'DataArrivalBatcher', TriggerType: 'DataArrival' };
const EVENTS = { service: 'EventTriggers', TriggerType: 'Event' };
const DRIFT = { service: 'DriftEvaluator', TriggerType: 'Drift' };
const COORDINATOR = { service: 'RetrainingCoordinator' };
const GUARDRAIL = { service: 'PromotionGuardrail' };

describe('metric methods', () => {
  test.each<[string, () => cloudwatch.Metric, string, Record<string, string>, string]>([
    ['DataArrivalTrigger.metricAllEventsReceived', () => DataArrivalTrigger.metricAllEventsReceived(), 'EventsReceived', DATA_ARRIVAL, 'Sum'],
    ['DataArrivalTrigger.metricAllEventsRejected', () => DataArrivalTrigger.metricAllEventsRejected(), 'EventsRejected', DATA_ARRIVAL, 'Sum'],
    ['DataArrivalTrigger.metricAllStartRequests', () => DataArrivalTrigger.metricAllStartRequests(), 'StartRequests', DATA_ARRIVAL, 'Sum'],
    ['DataArrivalTrigger.metricAllStartFailures', () => DataArrivalTrigger.metricAllStartFailures(), 'StartFailures', DATA_ARRIVAL, 'Sum'],
    ['DataArrivalTrigger.metricAllBatchesFailed', () => DataArrivalTrigger.metricAllBatchesFailed(), 'BatchesFailed', DATA_ARRIVAL, 'Sum'],
    ['DataArrivalTrigger.metricAllBatchSizes', () => DataArrivalTrigger.metricAllBatchSizes(), 'BatchSize', DATA_ARRIVAL, 'Average'],
    ['EventTrigger.metricAllEventsReceived', () => EventTrigger.metricAllEventsReceived(), 'EventsReceived', EVENTS, 'Sum'],
    ['EventTrigger.metricAllEventsRejected', () => EventTrigger.metricAllEventsRejected(), 'EventsRejected', EVENTS, 'Sum'],
    ['EventTrigger.metricAllStartRequests', () => EventTrigger.metricAllStartRequests(), 'StartRequests', EVENTS, 'Sum'],
    ['EventTrigger.metricAllEventToStartLatency', () => EventTrigger.metricAllEventToStartLatency(), 'EventToStartLatency', EVENTS, 'Average'],
    ['DriftTrigger.metricAllStartRequests', () => DriftTrigger.metricAllStartRequests(), 'StartRequests', DRIFT, 'Sum'],
    ['DriftTrigger.metricAllMessagesRejected', () => DriftTrigger.metricAllMessagesRejected(), 'MessagesRejected', DRIFT, 'Sum'],
    ['DriftTrigger.metricAllUnreadableReports', () => DriftTrigger.metricAllUnreadableReports(), 'UnreadableReports', DRIFT, 'Sum'],
    ['RetrainingCoordinator.metricAllEstimatedSpend', () => RetrainingCoordinator.metricAllEstimatedSpend(), 'EstimatedSpend', COORDINATOR, 'Sum'],
    ['RetrainingCoordinator.metricAllWaitingRequests', () => RetrainingCoordinator.metricAllWaitingRequests(), 'WaitingRequests', COORDINATOR, 'Maximum'],
    ['RetrainingCoordinator.metricAllRequestsRejected', () => RetrainingCoordinator.metricAllRequestsRejected(), 'RequestsRejected', COORDINATOR, 'Sum'],
    ['PromotionGuardrail.metricAllCandidatesPassed', () => PromotionGuardrail.metricAllCandidatesPassed(), 'CandidatesPassed', GUARDRAIL, 'Sum'],
    ['PromotionGuardrail.metricAllCandidatesFailed', () => PromotionGuardrail.metricAllCandidatesFailed(), 'CandidatesFailed', GUARDRAIL, 'Sum'],
    ['PromotionGuardrail.metricAllApprovalsRequested', () => PromotionGuardrail.metricAllApprovalsRequested(), 'ApprovalsRequested', GUARDRAIL, 'Sum'],
    ['PromotionGuardrail.metricAllInputsRejected', () => PromotionGuardrail.metricAllInputsRejected(), 'InputsRejected', GUARDRAIL, 'Sum'],
  ])('%s is the metric its function publishes, over 5 minutes', (_name, create, metricName, dimensions, statistic) => {
    // Act
    const metric = create();

    // Assess
    expect(metric).toMatchObject({ namespace: 'MLTriggers', metricName, dimensions, statistic });
    expect(metric.period.toSeconds()).toBe(300);
  });

  test("a metric method's props override its period, statistic and label", () => {
    // Act
    const metric = EventTrigger.metricAllStartRequests({ period: Duration.hours(1), statistic: cloudwatch.Stats.MAXIMUM, label: 'starts' });

    // Assess
    expect(metric).toMatchObject({ metricName: 'StartRequests', dimensions: EVENTS, statistic: 'Maximum', label: 'starts' });
    expect(metric.period.toSeconds()).toBe(3600);
  });

  test("metricOldestBatchAge is this trigger's oldest waiting batch, the maximum, and what its stale-batch alarm watches", () => {
    // Prepare
    const { stack, pipeline } = stackWithPipeline();
    const trigger = new DataArrivalTrigger(stack, 'Labels', { pipeline, bucket: s3.Bucket.fromBucketName(stack, 'Data', 'data-bucket'), triggerId: 'labels' });

    // Act
    const metric = trigger.metricOldestBatchAge();

    // Assess
    expect(metric).toMatchObject({ namespace: 'MLTriggers', metricName: 'OldestBatchAge', dimensions: { ...DATA_ARRIVAL, TriggerId: 'labels' }, statistic: 'Maximum' });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'OldestBatchAge',
      Namespace: 'MLTriggers',
      Statistic: 'Maximum',
      Period: 300,
      Dimensions: [
        { Name: 'TriggerId', Value: 'labels' },
        { Name: 'TriggerType', Value: 'DataArrival' },
        { Name: 'service', Value: 'DataArrivalBatcher' },
      ],
    });
  });

  test.each<[string, () => cloudwatch.MathExpression, string]>([
    ['DataArrivalTrigger.metricAllOldestBatchAges', () => DataArrivalTrigger.metricAllOldestBatchAges(), `SEARCH('{MLTriggers,TriggerId,TriggerType,service} MetricName="OldestBatchAge"', 'Maximum', 300)`],
    ['DriftTrigger.metricAllAssessments', () => DriftTrigger.metricAllAssessments(), `SEARCH('{MLTriggers,Action,Severity,TriggerType,service} MetricName="DriftAssessments"', 'Sum', 300)`],
    ['DriftTrigger.metricAllDriftScores', () => DriftTrigger.metricAllDriftScores(), `SEARCH('{MLTriggers,Feature,TriggerType,service} MetricName="DriftScore"', 'Maximum', 300)`],
    ['RetrainingCoordinator.metricAllDecisions', () => RetrainingCoordinator.metricAllDecisions(), `SEARCH('{MLTriggers,Outcome,Reason,TriggerType,service} MetricName="Decisions"', 'Sum', 300)`],
    [
      'RetrainingCoordinator.metricAllAwaitingApproval',
      () => RetrainingCoordinator.metricAllAwaitingApproval(),
      `SEARCH('{MLTriggers,Outcome,Reason,TriggerType,service} MetricName="Decisions" Outcome="awaiting-approval"', 'Sum', 300)`,
    ],
  ])('%s searches every series of the metric, over 5 minutes', (_name, create, expression) => {
    // Act
    const search = create();

    // Assess
    expect(search.expression).toBe(expression);
    expect(search.period.toSeconds()).toBe(300);
  });

  test("a search's period and statistic go into its expression", () => {
    // Act
    const search = RetrainingCoordinator.metricAllDecisions({ period: Duration.hours(1), statistic: cloudwatch.Stats.AVERAGE, label: 'decisions' });

    // Assess
    expect(search.expression).toBe(`SEARCH('{MLTriggers,Outcome,Reason,TriggerType,service} MetricName="Decisions"', 'Average', 3600)`);
    expect(search).toMatchObject({ label: 'decisions' });
    expect(search.period.toSeconds()).toBe(3600);
  });

  test.each<[MetricService, Record<string, string>]>([
    [MetricService.DataArrivalBatcher, DATA_ARRIVAL],
    [MetricService.EventTriggers, EVENTS],
    [MetricService.DriftEvaluator, DRIFT],
    [MetricService.RetrainingCoordinator, COORDINATOR],
    [MetricService.PromotionGuardrail, GUARDRAIL],
  ])('every metric of %s carries the dimensions its function publishes by default', (service, dimensions) => {
    // Act and assess
    expect(serviceDimensions(service)).toEqual(dimensions);
  });
});
