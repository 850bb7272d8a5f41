import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { EventSource, EventTrigger, RetrainingCoordinator, TrainingPipeline, TriggerEventBus, type EventTriggerProps } from '../lib';
import { matchesPattern } from '../lambda/core/event-pattern';
import { deployedConfigOf, triggerIdOf } from './support/deployed-config';
import { stackWithPipeline, template } from './support/stacks';

const FIXTURES = path.resolve(__dirname, 'fixtures');
const modelAdded = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'events/platform-model-added.json'), 'utf8'));

/** An event as the publish client puts it on a bus: source = the bus's namespace, detail-type = the name. */
function published(source: string, name: string, detail: unknown) {
  return { version: '0', id: 'e1', 'detail-type': name, source, account: '123456789012', time: '2027-03-01T10:00:00Z', region: 'eu-west-1', resources: [], detail };
}

/** Trigger props without the pipeline, and the source as a function of the bus the helper creates. */
type TriggerOnBusProps = Omit<EventTriggerProps, 'pipeline' | 'source'> & { source: (bus: TriggerEventBus) => EventSource };

function synthEventTrigger({ source, busProps, ...props }: TriggerOnBusProps & { busProps?: ConstructorParameters<typeof TriggerEventBus>[2] }) {
  const { stack, pipeline } = stackWithPipeline();
  const bus = new TriggerEventBus(stack, 'Bus', busProps ?? { project: 'churn', branch: 'main' });
  const trigger = new EventTrigger(stack, 'Trigger', { pipeline, source: source(bus), ...props });
  return { stack, bus, trigger, template: template(stack) };
}

const modelAddedOn = (bus: TriggerEventBus) => EventSource.named(bus, 'model.added');

function rulePatterns(t: Template): unknown[] {
  return Object.values(t.findResources('AWS::Events::Rule', { Properties: { Description: Match.stringLikeRegexp('trigger') } })).map((r) => r.Properties.EventPattern);
}

describe('TriggerEventBus', () => {
  test('a custom bus named by project and branch, with an archive of its events for replay', () => {
    const { template: t, bus } = synthEventTrigger({ source: modelAddedOn, busProps: { project: 'churn', branch: 'new_model', archiveRetention: Duration.days(7) } });

    expect(bus.eventSource).toBe('ml-triggers.churn.new_model');
    t.hasResourceProperties('AWS::Events::EventBus', { Name: 'ml-triggers.churn.new_model' });
    t.hasResourceProperties('AWS::Events::Archive', { EventPattern: { source: ['ml-triggers.churn.new_model'] }, RetentionDays: 7 });
  });

  test('grantPublish allows PutEvents on this bus, with this bus\'s source only', () => {
    const { stack } = stackWithPipeline();
    const bus = new TriggerEventBus(stack, 'Bus', { project: 'churn' });
    const role = new iam.Role(stack, 'Publisher', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    bus.grantPublish(role);

    template(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'events:PutEvents', Condition: { StringEquals: { 'events:source': 'ml-triggers.churn.main' } } })] },
    });
  });

  test('an event published for one branch matches no rule of the other, and each branch its own', () => {
    const patternsFor = (branch: string) => {
      const app = new App();
      const stack = new Stack(app, `Stack${branch.replace(/_/g, '')}`, { env: { account: '123456789012', region: 'eu-west-1' } });
      const bus = new TriggerEventBus(stack, 'Bus', { project: 'churn', branch });
      new EventTrigger(stack, 'Deploy', { source: EventSource.named(bus, 'model.added'), pipeline: TrainingPipeline.fromPipelineName(stack, 'P', 'churn') });
      new EventTrigger(stack, 'Join', { source: EventSource.join(bus, ['model.added', 'features_ready']), pipeline: TrainingPipeline.fromPipelineName(stack, 'Q', 'churn2') });
      return { bus, patterns: rulePatterns(Template.fromStack(stack)) };
    };
    const main = patternsFor('main');
    const feature = patternsFor('new_model');

    const fromMain = published(main.bus.eventSource, 'model.added', modelAdded);
    const fromFeature = published(feature.bus.eventSource, 'model.added', modelAdded);

    expect(main.patterns.filter((p) => matchesPattern(p, fromMain))).toHaveLength(2);
    expect(feature.patterns.filter((p) => matchesPattern(p, fromFeature))).toHaveLength(2);
    expect(main.patterns.some((p) => matchesPattern(p, fromFeature))).toBe(false);
    expect(feature.patterns.some((p) => matchesPattern(p, fromMain))).toBe(false);
  });

  test.each<[string, ConstructorParameters<typeof TriggerEventBus>[2], string]>([
    ['a branch without a project', { branch: 'x' }, "branch 'x' needs a project: give project too, or leave branch out"],
    ['an upper-case project', { project: 'Churn' }, "project must be 1-32 lowercase letters, digits, - or _, got 'Churn'"],
  ])('%s fails synth', (_what, props, message) => {
    const { stack } = stackWithPipeline();
    expect(() => new TriggerEventBus(stack, 'Bus', props)).toThrow(message);
  });
});

describe('EventTrigger', () => {
  test('the filter compiles to a pattern on the event data, which the model.added fixture matches', () => {
    const { template: t, bus } = synthEventTrigger({ source: (bus) => EventSource.named(bus, 'model.added', { filter: { model_source: 'hugging_face', auto_deploy: true } }) });

    const [pattern] = rulePatterns(t);
    expect(pattern).toEqual({
      source: ['ml-triggers.churn.main'],
      'detail-type': ['model.added'],
      detail: { data: { model_source: ['hugging_face'], auto_deploy: [true] } },
    });
    expect(matchesPattern(pattern, published(bus.eventSource, 'model.added', modelAdded))).toBe(true);
    expect(matchesPattern(pattern, published(bus.eventSource, 'model.added', { ...modelAdded, data: { ...modelAdded.data, model_source: 'github' } }))).toBe(false);
  });

  test.each<[string, Record<string, unknown>, unknown]>([
    ['a list meaning any of', { model_source: ['hugging_face', 'github'] }, { model_source: ['hugging_face', 'github'] }],
    ['a prefix', { model_name: { prefix: 'Llama-' } }, { model_name: [{ prefix: 'Llama-' }] }],
    ['a numeric range', { size_gb: { numeric: ['>', 0, '<=', 5] } }, { size_gb: [{ numeric: ['>', 0, '<=', 5] }] }],
    ['exists', { created_by: { exists: true } }, { created_by: [{ exists: true }] }],
    ['anything-but', { model_source: { 'anything-but': ['internal'] } }, { model_source: [{ 'anything-but': ['internal'] }] }],
  ])('compiles %s', (_what, filter, compiled) => {
    const { template: t } = synthEventTrigger({ source: (bus) => EventSource.named(bus, 'model.added', { filter }) });

    expect((rulePatterns(t)[0] as { detail: { data: unknown } }).detail.data).toEqual(compiled);
  });

  test('the rule sends the trigger id and the event to the shared function; the configuration, with the rule\'s pattern, is a parameter the deployment writes', () => {
    const { template: t, trigger } = synthEventTrigger({ source: (bus) => EventSource.named(bus, 'model.added', { filter: { model_source: 'hugging_face' } }), parameters: { ModelId: '{{ event.model_id }}' } });

    const rule = Object.values(t.findResources('AWS::Events::Rule'))[0];
    expect(triggerIdOf(rule)).toBe(trigger.triggerId);
    expect(deployedConfigOf(t, rule).config).toEqual({
      triggerId: trigger.triggerId,
      pipelineName: 'churn-training',
      mode: 'event',
      events: ['model.added'],
      parameters: { ModelId: '{{ event.model_id }}' },
      pattern: rule.Properties.EventPattern,
    });
    expect(rule.Properties.EventBusName).toEqual({ Ref: expect.stringMatching(/^Bus/) });
    t.resourceCountIs('AWS::Lambda::Permission', 1);
    t.resourceCountIs('AWS::SSM::Parameter', 1);
    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements.filter((s) => s.Action === 'sagemaker:StartPipelineExecution')).toHaveLength(1);
  });

  test('a join names its events and window; a chain follows the upstream pipeline\'s successful executions on the default bus', () => {
    const { stack, pipeline } = stackWithPipeline();
    const bus = new TriggerEventBus(stack, 'Bus', {});
    const upstream = TrainingPipeline.fromPipelineName(stack, 'Features', 'churn-features');
    new EventTrigger(stack, 'Join', { source: EventSource.join(bus, ['data_updated', 'features_ready'], { within: Duration.hours(12) }), pipeline });
    new EventTrigger(stack, 'Chain', { source: EventSource.afterPipeline(upstream), pipeline, coordinator: new RetrainingCoordinator(stack, 'Coordinator') });
    const t = template(stack);

    const rules = Object.values(t.findResources('AWS::Events::Rule'));
    const join = rules.find((r) => r.Properties.Description.includes('join'))!;
    expect(join.Properties.EventPattern).toEqual({ source: ['ml-triggers'], 'detail-type': ['data_updated', 'features_ready'] });
    expect(deployedConfigOf(t, join).config).toMatchObject({ mode: 'join', windowSeconds: 43200, pattern: join.Properties.EventPattern });
    const chain = rules.find((r) => r.Properties.Description.includes('chain'))!;
    expect(chain.Properties.EventBusName).toBeUndefined();
    expect(chain.Properties.EventPattern).toEqual({
      source: ['aws.sagemaker'],
      'detail-type': ['SageMaker Model Building Pipeline Execution Status Change'],
      detail: {
        pipelineArn: [{ 'equals-ignore-case': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:eu-west-1:123456789012:pipeline/churn-features']] } }],
        currentPipelineExecutionStatus: ['Succeeded'],
      },
    });
  });

  describe('chains', () => {
    const statusChange = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'events/sagemaker-pipeline-execution-status-change.json'), 'utf8'));
    const chainPattern = (stack: Stack) => rulePatterns(template(stack)).find((p) => (p as { source: string[] }).source[0] === 'aws.sagemaker');

    test("a chain on a mixed-case pipeline name fires on SageMaker's lower-case ARN, and not on another pipeline's", () => {
      const app = new App();
      const stack = new Stack(app, 'UsEast', { env: { account: '123456789012', region: 'us-east-1' } });
      const upstream = TrainingPipeline.fromPipelineArn(stack, 'Upstream', 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/Training-Pipeline');
      new EventTrigger(stack, 'Chain', { source: EventSource.afterPipeline(upstream), pipeline: TrainingPipeline.fromPipelineName(stack, 'Down', 'churn-deploy') });

      const pattern = chainPattern(stack);

      expect(matchesPattern(pattern, statusChange)).toBe(true);
      const other = { ...statusChange, detail: { ...statusChange.detail, pipelineArn: 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/training-pipeline-2' } };
      expect(matchesPattern(pattern, other)).toBe(false);
      expect(matchesPattern(pattern, { ...statusChange, detail: { ...statusChange.detail, currentPipelineExecutionStatus: 'Failed' } })).toBe(false);
    });

    test("a chain on a CfnPipeline of the app matches its ARN ignoring case, with the pipeline's Ref resolved by CloudFormation", () => {
      const { stack, pipeline } = stackWithPipeline();
      const upstream = new sagemaker.CfnPipeline(stack, 'Features', { pipelineName: 'Churn-Features', roleArn: 'arn:aws:iam::123456789012:role/r', pipelineDefinition: { PipelineDefinitionBody: '{}' } });
      new EventTrigger(stack, 'Chain', { source: EventSource.afterPipeline(upstream), pipeline });

      const pattern = chainPattern(stack) as { detail: { pipelineArn: unknown } };

      expect(pattern.detail.pipelineArn).toEqual([
        { 'equals-ignore-case': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:eu-west-1:123456789012:pipeline/', { Ref: expect.stringMatching(/^Features/) }]] } },
      ]);
    });

    test.each<[string, string]>([
      ['another account', 'arn:aws:sagemaker:eu-west-1:999999999999:pipeline/features'],
      ['another region', 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/features'],
    ])('an upstream pipeline in %s fails synth, naming afterPipeline, the ARN and the fix', (_where, arn) => {
      const { stack, pipeline } = stackWithPipeline();
      const upstream = TrainingPipeline.fromPipelineArn(stack, 'Upstream', arn);

      expect(() => new EventTrigger(stack, 'Chain', { source: EventSource.afterPipeline(upstream), pipeline })).toThrow(
        new RegExp(`afterPipeline .*${arn.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*forward`, 'i'),
      );
    });

    test('an upstream pipeline in an environment-agnostic stack is left alone', () => {
      const stack = new Stack(new App(), 'Agnostic');
      const upstream = TrainingPipeline.fromPipelineArn(stack, 'Upstream', 'arn:aws:sagemaker:us-east-1:999999999999:pipeline/features');

      expect(() => new EventTrigger(stack, 'Chain', { source: EventSource.afterPipeline(upstream), pipeline: TrainingPipeline.fromPipelineName(stack, 'P', 'p') })).not.toThrow();
    });
  });

  test('each rule, on a custom bus or the default bus, has an invoke permission for its exact ARN and nothing else', () => {
    const { stack, pipeline } = stackWithPipeline();
    const bus = new TriggerEventBus(stack, 'Bus', {});
    new EventTrigger(stack, 'OnBus', { source: EventSource.named(bus, 'model.added'), pipeline });
    new EventTrigger(stack, 'Chain', { source: EventSource.afterPipeline(TrainingPipeline.fromPipelineName(stack, 'Up', 'features')), pipeline });
    const t = template(stack);

    const ruleIds = Object.keys(t.findResources('AWS::Events::Rule')).sort();
    const sources = Object.values(t.findResources('AWS::Lambda::Permission')).map((p) => p.Properties.SourceArn);
    expect(sources.sort((a, b) => a['Fn::GetAtt'][0].localeCompare(b['Fn::GetAtt'][0]))).toEqual(ruleIds.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })));
    const names = Object.values(t.findResources('AWS::Events::Rule')).map((r) => r.Properties.Name);
    expect(names.every((name) => /^mle-[0-9a-f]{8}-[0-9a-f]{16}$/.test(name))).toBe(true);
  });

  test('enabled: false keeps the rule, disabled', () => {
    const { template: t } = synthEventTrigger({ source: modelAddedOn, enabled: false });

    t.hasResourceProperties('AWS::Events::Rule', { State: 'DISABLED', Description: Match.stringLikeRegexp('event trigger') });
  });

  const named = (filter?: Record<string, unknown>) => (bus: TriggerEventBus) => EventSource.named(bus, 'a', { filter });
  const joinOfAB = (bus: TriggerEventBus) => EventSource.join(bus, ['a', 'b']);

  test.each<[string, TriggerOnBusProps, string | RegExp]>([
    ['a numeric filter on text', { source: named({ size: { numeric: ['>', 'ten'] } }) }, /filter\.size\.numeric/],
    ['an operator mixed with a field', { source: named({ size: { prefix: 'a', unit: 'gb' } }) }, /filter\.size/],
    ['a broken template', { source: named(), parameters: { X: '{{ event.x' } }, /parameters\.X/],
    ['a parameter name with a space', { source: named(), parameters: { 'Model Id': '{{ event.model_id }}' } }, /^parameters\["Model Id"\] is not a valid SageMaker pipeline parameter name: use 1-256 letters, digits, '-' and '_'/],
    ['a parameter named __proto__', { source: named(), parameters: JSON.parse('{"__proto__": "x"}') }, /^parameters\.__proto__ .*inherit.*rename/],
    ['a parameter named constructor', { source: named(), parameters: JSON.parse('{"constructor": "x"}') }, /^parameters\.constructor .*inherit/],
    ['201 parameters', { source: named(), parameters: Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`P${i}`, 'x'])) }, /^parameters holds 201 parameters, SageMaker takes at most 200 per execution/],
    ['a 2,000-character literal value', { source: named(), parameters: { Prompt: 'x'.repeat(2000) } }, /^parameters\.Prompt has 2000 characters of literal text, SageMaker takes values of at most 1024/],
    ['an empty parameter', { source: named(), parameters: { Team: '' } }, /^parameters\.Team is empty/],
    ['a join template reading an event not in the join', { source: joinOfAB, parameters: { X: '{{ events.not_in_join.x }}' } }, /^parameters\.X reads events\.not_in_join\.x, but the join has no event 'not_in_join': read one of a, b/],
    ['a single-event template reading a joined event', { source: named(), parameters: { X: '{{ events.a.x }}' } }, /^parameters\.X reads events\.a\.x, but this trigger is not a join/],
    ['a filter on a field named __proto__', { source: named(JSON.parse('{"__proto__": "x", "b": "c"}')) }, /^filter\.__proto__ /],
    ['a filter on a field named constructor', { source: named({ constructor: 'x' }) }, /^filter\.constructor /],
    ['a filter on a field named prototype', { source: named({ 'owner.prototype': 'x' }) }, /^filter\.owner\.prototype /],
    ['a join filter the pattern compiler refuses', { source: (bus) => EventSource.join(bus, ['a', 'b'], { filter: { size: { numeric: ['>', 'ten'] } } }) }, /filter\.size\.numeric/],
  ])('%s fails synth with a message naming the prop', (_what, props, message) => {
    expect(() => synthEventTrigger(props)).toThrow(message);
  });

  test("a chain's 200 parameters and its own UpstreamExecutionArn are over SageMaker's limit", () => {
    // Prepare
    const { stack, pipeline } = stackWithPipeline();
    const upstream = TrainingPipeline.fromPipelineName(stack, 'Features', 'churn-features');
    const parameters = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`P${i}`, 'x']));

    // Act + Assess
    expect(() => new EventTrigger(stack, 'Chain', { source: EventSource.afterPipeline(upstream), pipeline, parameters })).toThrow(
      /^parameters holds 201 parameters with UpstreamExecutionArn, SageMaker takes at most 200 per execution/,
    );
  });

  test.each<[string, TriggerOnBusProps, RegExp]>([
    ['a filter', { source: (bus) => EventSource.named(bus, 'model.added', { filter: { model_source: Array.from({ length: 104 }, (_, i) => `source-number-${i}`) } }) }, /^filter makes the rule's event pattern 2074 characters, EventBridge takes at most 2048/],
    ['many long joined event names', { source: (bus) => EventSource.join(bus, Array.from({ length: 16 }, (_, i) => `${'e'.repeat(124)}-${String(i).padStart(3, '0')}`)) }, /^names makes the rule's event pattern 2\d{3} characters, EventBridge takes at most 2048/],
  ])("%s over EventBridge's pattern size fails synth, naming the size and the limit", (_what, props, message) => {
    expect(() => synthEventTrigger(props)).toThrow(message);
  });

  test('metricAllEventsRejected counts the events that every event trigger of the stack rejected', () => {
    // Act
    const metric = EventTrigger.metricAllEventsRejected();

    // Assess
    expect(metric).toMatchObject({ namespace: 'MLTriggers', metricName: 'EventsRejected', dimensions: { service: 'EventTriggers', TriggerType: 'Event' }, statistic: 'Sum' });
  });
});
