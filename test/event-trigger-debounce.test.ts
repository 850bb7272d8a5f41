import { App, Duration, Stack } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { EventSource, EventTrigger, TrainingPipeline, TriggerEventBus, type EventTriggerProps } from '../lib';
import { deployedConfigOf } from './support/deployed-config';
import { byUser } from './support/nag-acknowledgements';
import { ENV } from './support/nag-compositions';
import { NAG_MAJORS, NAG_PACKS, runNag, type NagRun } from './support/nag-findings';
import { stackWithPipeline, template } from './support/stacks';

// The nag checks synthesize a full app each.
jest.setTimeout(120_000);

/** A stack with a trigger bus and an event trigger on `model.added` (or the source `source` makes), debounced as `props` say. */
function synthDebounced(props: Omit<Partial<EventTriggerProps>, 'source'> & { source?: (bus: TriggerEventBus, stack: Stack) => EventSource } = {}) {
  const { stack, pipeline } = stackWithPipeline();
  const bus = new TriggerEventBus(stack, 'Bus', { project: 'churn', branch: 'main' });
  const { source, ...rest } = props;
  const trigger = new EventTrigger(stack, 'Trigger', {
    pipeline,
    source: source ? source(bus, stack) : EventSource.named(bus, 'model.added'),
    debounce: Duration.minutes(10),
    parameters: { ModelId: '{{ event.model_id }}' },
    ...rest,
  });
  return { stack, trigger, template: template(stack) };
}

/** The logical id of the one resource of `type` whose properties match `props`. */
function logicalIdOf(t: Template, type: string, props: Record<string, unknown>): string {
  const found = Object.keys(t.findResources(type, { Properties: props }));
  expect(found).toHaveLength(1);
  return found[0];
}

const delayQueueProps = { DelaySeconds: 600 };

describe('EventTrigger debounce', () => {
  test('a delay queue of the trigger\'s own holds each event for the quiet period, encrypted, redriving to the dead-letter queue', () => {
    // Act
    const { template: t } = synthDebounced();

    // Assess
    t.hasResourceProperties('AWS::SQS::Queue', {
      DelaySeconds: 600,
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 180,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MlTriggersDeadLettersQueue'), 'Arn'] }, maxReceiveCount: 10 },
    });
    const queue = logicalIdOf(t, 'AWS::SQS::Queue', delayQueueProps);
    t.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queue }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('the rule sends the same input to the function and to the delay queue, and only this rule may send into the queue', () => {
    // Act
    const { template: t, trigger } = synthDebounced();

    // Assess
    const queue = logicalIdOf(t, 'AWS::SQS::Queue', delayQueueProps);
    const rule = Object.values(t.findResources('AWS::Events::Rule', { Properties: { Description: Match.stringLikeRegexp('event trigger') } }))[0];
    const targets = rule.Properties.Targets as Array<Record<string, unknown>>;
    expect(targets.map((target) => target.Arn)).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^MlTriggersEventsFunction/), 'Arn'] }, { 'Fn::GetAtt': [queue, 'Arn'] }]);
    expect(targets[1].InputTransformer).toEqual(targets[0].InputTransformer);
    expect(targets[1].DeadLetterConfig).toEqual(targets[0].DeadLetterConfig);
    const ruleId = logicalIdOf(t, 'AWS::Events::Rule', { Description: Match.stringLikeRegexp(trigger.triggerId) });
    t.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queue }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'EventsOfThisTriggersRule',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } }, StringEquals: { 'aws:SourceAccount': '123456789012' } },
          },
        ]),
      },
    });
  });

  test('the events function reads the queue with partial batch responses, and its configuration names the queue and the quiet period', () => {
    // Act
    const { template: t } = synthDebounced();

    // Assess
    const queue = logicalIdOf(t, 'AWS::SQS::Queue', delayQueueProps);
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queue, 'Arn'] },
      FunctionName: { Ref: Match.stringLikeRegexp('^MlTriggersEventsFunction') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
    });
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['sqs:ReceiveMessage', 'sqs:DeleteMessage']), Resource: { 'Fn::GetAtt': [queue, 'Arn'] } })]) },
    });
    const rule = Object.values(t.findResources('AWS::Events::Rule', { Properties: { Description: Match.stringLikeRegexp('event trigger') } }))[0];
    expect(deployedConfigOf(t, rule).config).toMatchObject({ mode: 'event', debounceSeconds: 600, debounceQueueArn: JSON.stringify({ 'Fn::GetAtt': [queue, 'Arn'] }) });
  });

  test('a trigger without debounce has no delay queue and no event source mapping', () => {
    // Act
    const { template: t } = synthDebounced({ debounce: undefined });

    // Assess
    t.resourcePropertiesCountIs('AWS::SQS::Queue', { DelaySeconds: Match.anyValue() }, 0);
    t.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
  });

  test.each<[string, Duration, string]>([
    ['under ten seconds', Duration.seconds(5), 'debounce must be a whole number of seconds between 10 seconds and 15 minutes, got 5 seconds'],
    ["past SQS's largest delay", Duration.minutes(16), 'got 16 minutes: each event comes back from an SQS queue a quiet period later, and SQS delays a message by at most 900 seconds'],
    ['a fraction of a second', Duration.millis(10_500), 'debounce must be a whole number of seconds'],
  ])('refuses a quiet period %s, naming the prop, the value and why', (_, debounce, message) => {
    expect(() => synthDebounced({ debounce })).toThrow(message);
  });

  test.each<[string, (bus: TriggerEventBus, stack: Stack) => EventSource, string]>([
    ['a join', (bus) => EventSource.join(bus, ['labels_ready', 'features_ready']), 'got a join source'],
    ['a chain', (_bus, stack) => EventSource.afterPipeline(TrainingPipeline.fromPipelineName(stack, 'Upstream', 'features')), 'got a chain source'],
  ])('refuses a debounce on %s, saying which sources take one', (_, source, got) => {
    expect(() => synthDebounced({ source, parameters: {} })).toThrow(new RegExp(`^debounce is only for a source whose every event starts a run \\(EventSource.named or EventSource.anyOf\\), ${got}`));
  });

  test('an anyOf source takes a debounce: its events of every name form one burst', () => {
    // Act
    const { template: t } = synthDebounced({ source: (bus) => EventSource.anyOf(bus, ['model.added', 'model.updated']) });

    // Assess
    const rule = Object.values(t.findResources('AWS::Events::Rule', { Properties: { Description: Match.stringLikeRegexp('event trigger') } }))[0];
    expect(deployedConfigOf(t, rule).config).toMatchObject({ mode: 'event', events: ['model.added', 'model.updated'], debounceSeconds: 600 });
  });

  test('two debounced triggers each get a queue, and the function reads both', () => {
    // Prepare
    const { stack, pipeline } = stackWithPipeline();
    const bus = new TriggerEventBus(stack, 'Bus', { project: 'churn' });

    // Act
    new EventTrigger(stack, 'Fast', { pipeline, source: EventSource.named(bus, 'a'), debounce: Duration.seconds(30) });
    new EventTrigger(stack, 'Slow', { pipeline, source: EventSource.named(bus, 'b'), debounce: Duration.minutes(15) });

    // Assess
    const t = template(stack);
    t.hasResourceProperties('AWS::SQS::Queue', { DelaySeconds: 30 });
    t.hasResourceProperties('AWS::SQS::Queue', { DelaySeconds: 900 });
    t.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
  });

  describe('cdk-nag', () => {
    const compose = (app: App) => {
      const stack = new Stack(app, 'Debounced', { env: ENV });
      new EventTrigger(stack, 'OnModel', {
        source: EventSource.named(new TriggerEventBus(stack, 'Bus'), 'model.added'),
        pipeline: TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training'),
        debounce: Duration.minutes(5),
      });
    };
    let run: NagRun;
    let recommended: NagRun;
    beforeAll(() => {
      run = runNag(compose);
      recommended = runNag(compose, NAG_MAJORS, { ...cxapi.CURRENTLY_RECOMMENDED_FLAGS });
    });

    test.each(NAG_MAJORS.flatMap((major) => NAG_PACKS.map((pack) => [major, pack] as const)))('%s %s reports no finding on a debounced trigger\'s resources', (major, pack) => {
      const library = run.findings[`${major} ${pack}`].filter((finding) => !byUser(finding));

      expect(library).toEqual([]);
    });

    test.each(NAG_MAJORS.flatMap((major) => NAG_PACKS.map((pack) => [major, pack] as const)))('%s %s reports no finding on them with the feature flags cdk init sets', (major, pack) => {
      const library = [...recommended.findings[`${major} ${pack}`], ...recommended.validation].filter((finding) => !byUser(finding));

      expect(library).toEqual([]);
    });
  });
});
