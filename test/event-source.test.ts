import { CfnParameter, Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EventSource, EventTrigger, TrainingPipeline, TriggerEventBus } from '../lib';
import { deployedConfigOf } from './support/deployed-config';
import { stackWithPipeline, template } from './support/stacks';

const NAME_RULE = "must be 1-128 letters, digits, '.', '_' or '-'";

/** A stack with the pipeline `churn-training` and a bus of the project `churn`. */
function stackWithBus() {
  const { stack, pipeline } = stackWithPipeline();
  return { stack, pipeline, bus: new TriggerEventBus(stack, 'Bus', { project: 'churn' }) };
}

/** The one trigger rule of `t`, with the configuration its deployment writes. */
function ruleAndConfig(t: Template) {
  const [rule] = Object.values(t.findResources('AWS::Events::Rule'));
  return { rule, config: deployedConfigOf(t, rule).config };
}

describe('EventSource.named', () => {
  test('starts on every event of the name on the bus, filtered on its data', () => {
    // Prepare
    const { stack, pipeline, bus } = stackWithBus();

    // Act
    const trigger = new EventTrigger(stack, 'Trigger', { source: EventSource.named(bus, 'model.added', { filter: { model_source: 'hugging_face' } }), pipeline });

    // Assess
    const { rule, config } = ruleAndConfig(template(stack));
    expect(rule.Properties.EventBusName).toEqual({ Ref: expect.stringMatching(/^Bus/) });
    expect(rule.Properties.EventPattern).toEqual({ source: ['ml-triggers.churn.main'], 'detail-type': ['model.added'], detail: { data: { model_source: ['hugging_face'] } } });
    expect(config).toEqual({ triggerId: trigger.triggerId, pipelineName: 'churn-training', mode: 'event', events: ['model.added'], parameters: {}, pattern: rule.Properties.EventPattern });
  });

  test('without a filter, starts on every event of the name', () => {
    // Prepare
    const { stack, pipeline, bus } = stackWithBus();

    // Act
    new EventTrigger(stack, 'Trigger', { source: EventSource.named(bus, 'model.added'), pipeline });

    // Assess
    expect(ruleAndConfig(template(stack)).rule.Properties.EventPattern).toEqual({ source: ['ml-triggers.churn.main'], 'detail-type': ['model.added'] });
  });

  test.each<[string, string]>([
    ['with a space', 'model added'],
    ['empty', ''],
    ['of 129 characters', 'e'.repeat(129)],
    ['with a slash', 'models/added'],
  ])('a name %s throws, naming name and the value', (_what, name) => {
    // Prepare
    const { bus } = stackWithBus();

    // Act + Assess
    expect(() => EventSource.named(bus, name)).toThrow(`name '${name}' ${NAME_RULE}`);
  });

  test('a name of 128 letters, digits, dots, underscores and dashes synthesizes', () => {
    // Prepare
    const { stack, pipeline, bus } = stackWithBus();
    const name = `model.added_v2-${'x'.repeat(113)}`;

    // Act
    new EventTrigger(stack, 'Trigger', { source: EventSource.named(bus, name), pipeline });

    // Assess
    expect(ruleAndConfig(template(stack)).rule.Properties.EventPattern['detail-type']).toEqual([name]);
  });

  test('a name known only at deploy is left to deploy', () => {
    // Prepare
    const { stack, pipeline, bus } = stackWithBus();
    const name = new CfnParameter(stack, 'EventName').valueAsString;

    // Act
    new EventTrigger(stack, 'Trigger', { source: EventSource.named(bus, name), pipeline });

    // Assess
    expect(ruleAndConfig(template(stack)).rule.Properties.EventPattern['detail-type']).toEqual([{ Ref: 'EventName' }]);
  });
});

describe('EventSource.join', () => {
  test('starts once all the names occurred within the window, each filtered on its data', () => {
    // Prepare
    const { stack, pipeline, bus } = stackWithBus();

    // Act
    const trigger = new EventTrigger(stack, 'Trigger', {
      source: EventSource.join(bus, ['data_updated', 'features_ready'], { within: Duration.hours(12), filter: { team: 'churn' } }),
      pipeline,
    });

    // Assess
    const { rule, config } = ruleAndConfig(template(stack));
    expect(rule.Properties.EventBusName).toEqual({ Ref: expect.stringMatching(/^Bus/) });
    expect(rule.Properties.EventPattern).toEqual({ source: ['ml-triggers.churn.main'], 'detail-type': ['data_updated', 'features_ready'], detail: { data: { team: ['churn'] } } });
    expect(config).toEqual({
      triggerId: trigger.triggerId,
      pipelineName: 'churn-training',
      mode: 'join',
      events: ['data_updated', 'features_ready'],
      windowSeconds: 43200,
      parameters: {},
      pattern: rule.Properties.EventPattern,
    });
  });

  test('without within, the window is 24 hours', () => {
    // Prepare
    const { stack, pipeline, bus } = stackWithBus();

    // Act
    new EventTrigger(stack, 'Trigger', { source: EventSource.join(bus, ['data_updated', 'features_ready']), pipeline });

    // Assess
    expect(ruleAndConfig(template(stack)).config).toMatchObject({ mode: 'join', windowSeconds: 86400 });
  });

  test('keeps the names it was given, whatever happens to the array afterwards', () => {
    // Prepare
    const { stack, pipeline, bus } = stackWithBus();
    const names = ['data_updated', 'features_ready'];
    const source = EventSource.join(bus, names);

    // Act
    names.push('model.added');
    new EventTrigger(stack, 'Trigger', { source, pipeline });

    // Assess
    expect(ruleAndConfig(template(stack)).config.events).toEqual(['data_updated', 'features_ready']);
  });

  test.each<[string, string[], string]>([
    ['a single name', ['a'], 'names must name at least two different events to join, got ["a"]'],
    ['no names', [], 'names must name at least two different events to join, got []'],
    ['a name twice', ['a', 'b', 'a'], 'names must name at least two different events to join, got ["a","b","a"]'],
    ['an event named event', ['event', 'b'], "names must not include an event named 'event': templates read the triggering event as {{ event.<field> }}"],
    ['a name with a space', ['a', 'features ready'], `names entry 'features ready' ${NAME_RULE}`],
  ])('%s throws, naming names and the value', (_what, names, message) => {
    // Prepare
    const { bus } = stackWithBus();

    // Act + Assess
    expect(() => EventSource.join(bus, names)).toThrow(message);
  });

  test.each<[string, Duration, string]>([
    ['over 30 days', Duration.days(31), 'within must be between 1 minute and 30 days, got 31 days'],
    ['under a minute', Duration.seconds(59), 'within must be between 1 minute and 30 days, got 59 seconds'],
  ])('a window %s throws, naming within and the value', (_what, within, message) => {
    // Prepare
    const { bus } = stackWithBus();

    // Act + Assess
    expect(() => EventSource.join(bus, ['a', 'b'], { within })).toThrow(message);
  });

  test.each<[string, Duration, number]>([
    ['1 minute', Duration.minutes(1), 60],
    ['30 days', Duration.days(30), 2592000],
  ])('a window of %s, at the limit, synthesizes', (_what, within, seconds) => {
    // Prepare
    const { stack, pipeline, bus } = stackWithBus();

    // Act
    new EventTrigger(stack, 'Trigger', { source: EventSource.join(bus, ['a', 'b'], { within }), pipeline });

    // Assess
    expect(ruleAndConfig(template(stack)).config.windowSeconds).toBe(seconds);
  });
});

describe('EventSource.afterPipeline', () => {
  test('starts after each successful execution of the upstream pipeline, on the default bus, without names or window', () => {
    // Prepare
    const { stack, pipeline } = stackWithPipeline();
    const upstream = TrainingPipeline.fromPipelineName(stack, 'Features', 'churn-features');

    // Act
    const trigger = new EventTrigger(stack, 'Trigger', { source: EventSource.afterPipeline(upstream), pipeline });

    // Assess
    const { rule, config } = ruleAndConfig(template(stack));
    expect(rule.Properties.EventBusName).toBeUndefined();
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.sagemaker'],
      'detail-type': ['SageMaker Model Building Pipeline Execution Status Change'],
      detail: {
        pipelineArn: [{ 'equals-ignore-case': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:eu-west-1:123456789012:pipeline/churn-features']] } }],
        currentPipelineExecutionStatus: ['Succeeded'],
      },
    });
    // The deployed configuration reads the ARN's reference as its intrinsic's JSON text.
    const arnAsDeployed = 'arn:{"Ref":"AWS::Partition"}:sagemaker:eu-west-1:123456789012:pipeline/churn-features';
    expect(config).toEqual({
      triggerId: trigger.triggerId,
      pipelineName: 'churn-training',
      mode: 'chain',
      events: [],
      parameters: {},
      pattern: { ...rule.Properties.EventPattern, detail: { pipelineArn: [{ 'equals-ignore-case': arnAsDeployed }], currentPipelineExecutionStatus: ['Succeeded'] } },
    });
  });
});
