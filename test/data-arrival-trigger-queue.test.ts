import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DataArrivalTrigger, ObjectDelivery, TrainingPipeline, type DataArrivalTriggerProps } from '../lib';
import { synthTriggers } from './support/data-arrival-synth';
import { stackWithPipeline, template } from './support/stacks';

/** The arrival queue (the one with a redrive policy) and the dead-letter queue, by logical id. */
function queuesOf(t: Template) {
  const resources = t.findResources('AWS::SQS::Queue');
  const ids = Object.keys(resources);
  return {
    arrival: ids.find((id) => resources[id].Properties.RedrivePolicy !== undefined)!,
    deadLetters: ids.find((id) => resources[id].Properties.RedrivePolicy === undefined)!,
    resources,
  };
}

/** The statements of the policy on queue `queueId`. */
function statementsOn(t: Template, queueId: string): ReturnType<Template['findResources']>[string][] {
  const policies = Object.values(t.findResources('AWS::SQS::QueuePolicy'));
  return policies.filter((p) => p.Properties.Queues.some((q: { Ref?: string }) => q.Ref === queueId)).flatMap((p) => p.Properties.PolicyDocument.Statement);
}

/** The source ARNs the arrival queue lets EventBridge send from. */
function admittedRules(t: Template): unknown[] {
  const allow = statementsOn(t, queuesOf(t).arrival).filter((s) => s.Effect === 'Allow');
  expect(allow).toHaveLength(1);
  expect(allow[0]).toMatchObject({ Action: 'sqs:SendMessage', Principal: { Service: 'events.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } });
  return allow[0].Condition.ArnEquals['aws:SourceArn'];
}

const mappingOf = (t: Template) => Object.values(t.findResources('AWS::Lambda::EventSourceMapping'))[0].Properties;
const batcherOf = (t: Template) => Object.entries(t.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } }))[0];

describe('DataArrivalTrigger delivering through the arrival queue (the default)', () => {
  test('one queue for the stack, encrypted by SQS and refusing requests without TLS', () => {
    const { template: t } = synthTriggers(3);

    const { arrival, resources } = queuesOf(t);
    expect(Object.keys(resources)).toHaveLength(2);
    expect(resources[arrival].Properties.SqsManagedSseEnabled).toBe(true);
    expect(statementsOn(t, arrival)).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  test.each<[string, Partial<DataArrivalTriggerProps>, number]>([
    ['by default', {}, 10],
    ['as maxReceiveCount says', { delivery: ObjectDelivery.queue({ maxReceiveCount: 3 }) }, 3],
  ])('a message received too often moves to the stack\'s dead-letter queue, %s', (_when, props, maxReceiveCount) => {
    const { template: t } = synthTriggers(1, props);

    const { arrival, deadLetters, resources } = queuesOf(t);
    expect(resources[arrival].Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [deadLetters, 'Arn'] }, maxReceiveCount });
  });

  test('the queue admits exactly the rules of this stack\'s triggers, by ARN, from the stack\'s account', () => {
    // Prepare: a second stack with a trigger of its own.
    const { stack, pipeline } = stackWithPipeline();
    const other = new Stack(stack.node.scope as App, 'Other', { env: { account: '123456789012', region: 'eu-west-1' } });
    const bucket = s3.Bucket.fromBucketName(stack, 'Data', 'mlops-data-prod');
    new DataArrivalTrigger(stack, 'A', { pipeline, bucket, prefix: 'a/' });
    new DataArrivalTrigger(stack, 'B', { pipeline, bucket, prefix: 'b/' });
    new DataArrivalTrigger(other, 'C', { pipeline: TrainingPipeline.fromPipelineName(other, 'P', 'churn-training'), bucket: s3.Bucket.fromBucketName(other, 'D', 'other-data') });

    // Act
    const t = template(stack);
    const admitted = admittedRules(t);

    // Assess
    const ruleIds = Object.keys(t.findResources('AWS::Events::Rule')).sort();
    expect(ruleIds).toHaveLength(2);
    expect(admitted).toEqual(ruleIds.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })));
    const otherRules = Object.keys(Template.fromStack(other).findResources('AWS::Events::Rule'));
    expect(JSON.stringify(admitted)).not.toContain(otherRules[0]);
  });

  test('the rule sends {triggerId, event} into the queue, with the retry policy and dead-letter queue of a function target, and holds no invoke permission', () => {
    const { template: t, triggers } = synthTriggers(1);

    const { arrival, deadLetters } = queuesOf(t);
    t.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [arrival, 'Arn'] },
          InputTransformer: { InputPathsMap: { f1: '$' }, InputTemplate: `{"triggerId":"${triggers[0].triggerId}","event":<f1>}` },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [deadLetters, 'Arn'] } },
          RetryPolicy: { MaximumEventAgeInSeconds: 21600, MaximumRetryAttempts: 20 },
        }),
      ],
    });
    t.resourceCountIs('AWS::Lambda::Permission', 0);
  });

  test.each<[string, Partial<DataArrivalTriggerProps>, Record<string, unknown>]>([
    ['by default', {}, { BatchSize: 1000, MaximumBatchingWindowInSeconds: 30, ScalingConfig: { MaximumConcurrency: 2 } }],
    [
      'as the options say',
      { delivery: ObjectDelivery.queue({ batchSize: 10, maxBatchingWindow: Duration.seconds(0), maxConcurrency: 50 }) },
      { BatchSize: 10, MaximumBatchingWindowInSeconds: 0, ScalingConfig: { MaximumConcurrency: 50 } },
    ],
  ])('the batcher reads the queue through one event source that reports partial failures, %s', (_when, props, expected) => {
    const { template: t } = synthTriggers(2, props);

    t.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    expect(mappingOf(t)).toEqual({
      ...expected,
      EventSourceArn: { 'Fn::GetAtt': [queuesOf(t).arrival, 'Arn'] },
      FunctionName: { Ref: batcherOf(t)[0] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  test.each([[undefined, 30], [Duration.minutes(5), 300]])('a message stays hidden six function timeouts plus the batching window (window %s)', (maxBatchingWindow, windowSeconds) => {
    const { template: t } = synthTriggers(1, { delivery: ObjectDelivery.queue({ maxBatchingWindow }) });

    const timeout = batcherOf(t)[1].Properties.Timeout;
    const { arrival, resources } = queuesOf(t);
    expect(timeout).toBe(60);
    expect(resources[arrival].Properties.VisibilityTimeout).toBe(6 * timeout + windowSeconds);
  });

  test('the batcher knows the queue it reads and may receive and delete its messages', () => {
    const { template: t } = synthTriggers(1);

    const { arrival } = queuesOf(t);
    expect(batcherOf(t)[1].Properties.Environment.Variables.ARRIVAL_QUEUE_ARN).toEqual({ 'Fn::GetAtt': [arrival, 'Arn'] });
    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toContainEqual(expect.objectContaining({ Action: expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']), Resource: { 'Fn::GetAtt': [arrival, 'Arn'] } }));
  });

  test('an option one trigger leaves out takes the value another trigger of the stack states', () => {
    // Prepare
    const { stack, pipeline } = stackWithPipeline();
    const bucket = s3.Bucket.fromBucketName(stack, 'Data', 'mlops-data-prod');
    new DataArrivalTrigger(stack, 'A', { pipeline, bucket, prefix: 'a/' });

    // Act
    new DataArrivalTrigger(stack, 'B', { pipeline, bucket, prefix: 'b/', delivery: ObjectDelivery.queue({ maxConcurrency: 20, maxReceiveCount: 4 }) });
    new DataArrivalTrigger(stack, 'C', { pipeline, bucket, prefix: 'c/', delivery: ObjectDelivery.queue({ maxConcurrency: 20 }) });
    const t = template(stack);

    // Assess
    expect(mappingOf(t).ScalingConfig).toEqual({ MaximumConcurrency: 20 });
    expect(queuesOf(t).resources[queuesOf(t).arrival].Properties.RedrivePolicy.maxReceiveCount).toBe(4);
  });

  test.each<[string, object, object, string]>([
    ['batchSize', { batchSize: 100 }, { batchSize: 200 }, 'delivery.batchSize is 200 in TestStack/B but 100 in TestStack/A'],
    ['maxBatchingWindow', { maxBatchingWindow: Duration.seconds(10) }, { maxBatchingWindow: Duration.minutes(1) }, 'delivery.maxBatchingWindow is 1 minute in TestStack/B but 10 seconds in TestStack/A'],
    ['maxConcurrency', { maxConcurrency: 5 }, { maxConcurrency: 6 }, 'delivery.maxConcurrency is 6 in TestStack/B but 5 in TestStack/A'],
    ['maxReceiveCount', { maxReceiveCount: 5 }, { maxReceiveCount: 6 }, 'delivery.maxReceiveCount is 6 in TestStack/B but 5 in TestStack/A'],
  ])('two triggers of a stack that state different %s are refused: they share the queue', (_field, first, second, message) => {
    // Prepare
    const { stack, pipeline } = stackWithPipeline();
    const bucket = s3.Bucket.fromBucketName(stack, 'Data', 'mlops-data-prod');
    new DataArrivalTrigger(stack, 'A', { pipeline, bucket, prefix: 'a/', delivery: ObjectDelivery.queue(first) });

    // Act
    const act = () => new DataArrivalTrigger(stack, 'B', { pipeline, bucket, prefix: 'b/', delivery: ObjectDelivery.queue(second) });

    // Assess
    expect(act).toThrow(`${message}: the data-arrival triggers of a stack share one arrival queue and its event source; state the same value in both, or leave it out of one`);
  });

  test('the same option stated alike by two triggers is accepted, a window of 60 seconds being one of a minute', () => {
    // Prepare
    const { stack, pipeline } = stackWithPipeline();
    const bucket = s3.Bucket.fromBucketName(stack, 'Data', 'mlops-data-prod');
    new DataArrivalTrigger(stack, 'A', { pipeline, bucket, prefix: 'a/', delivery: ObjectDelivery.queue({ maxBatchingWindow: Duration.seconds(60) }) });

    // Act
    new DataArrivalTrigger(stack, 'B', { pipeline, bucket, prefix: 'b/', delivery: ObjectDelivery.queue({ maxBatchingWindow: Duration.minutes(1) }) });

    // Assess
    expect(mappingOf(template(stack)).MaximumBatchingWindowInSeconds).toBe(60);
  });
});

describe('DataArrivalTrigger delivered per event (ObjectDelivery.perEvent())', () => {
  test('the rule invokes the batcher with {triggerId, event}, under an invoke permission for its exact ARN; no queue, no event source', () => {
    const { template: t, triggers } = synthTriggers(1, { delivery: ObjectDelivery.perEvent() });

    const [functionId, batcher] = batcherOf(t);
    t.hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [functionId, 'Arn'] }, InputTransformer: { InputPathsMap: { f1: '$' }, InputTemplate: `{"triggerId":"${triggers[0].triggerId}","event":<f1>}` } })],
    });
    const ruleId = Object.keys(t.findResources('AWS::Events::Rule'))[0];
    t.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { 'Fn::GetAtt': [functionId, 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
      SourceAccount: '123456789012',
    });
    t.resourceCountIs('AWS::SQS::Queue', 1); // the dead-letter queue
    t.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
    expect(batcher.Properties.Environment.Variables.ARRIVAL_QUEUE_ARN).toBeUndefined();
  });

  test('beside a queue-delivered trigger, each rule is admitted by its own path only', () => {
    // Prepare
    const { stack, pipeline } = stackWithPipeline();
    const bucket = s3.Bucket.fromBucketName(stack, 'Data', 'mlops-data-prod');
    const queued = new DataArrivalTrigger(stack, 'Queued', { pipeline, bucket, prefix: 'q/' });
    const direct = new DataArrivalTrigger(stack, 'Direct', { pipeline, bucket, prefix: 'd/', delivery: ObjectDelivery.perEvent() });

    // Act
    const t = template(stack);

    // Assess
    const rules = t.findResources('AWS::Events::Rule');
    const idOf = (triggerId: string) => Object.keys(rules).find((id) => String(rules[id].Properties.Description).endsWith(triggerId))!;
    expect(admittedRules(t)).toEqual([{ 'Fn::GetAtt': [idOf(queued.triggerId), 'Arn'] }]);
    const permissions = Object.values(t.findResources('AWS::Lambda::Permission')).map((p) => p.Properties.SourceArn);
    expect(permissions).toEqual([{ 'Fn::GetAtt': [idOf(direct.triggerId), 'Arn'] }]);
  });
});
