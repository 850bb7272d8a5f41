import { Duration } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { EventSource, EventTrigger, TriggerEventBus } from '../lib';
import { deployedConfigOf } from './support/deployed-config';
import { stackWithPipeline, template } from './support/stacks';

const SOURCE = 'ml-triggers.churn.main';
const NAMES = ['labels_ready', 'features_ready', 'data_updated'];

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

describe('EventSource.anyOf', () => {
  test('one rule of several detail types starts a run per event, read as event', () => {
    // Prepare
    const { stack, pipeline, bus } = stackWithBus();

    // Act
    new EventTrigger(stack, 'Trigger', {
      source: EventSource.anyOf(bus, ['model.added', 'model.updated'], { filter: { model_source: 'hugging_face' } }),
      pipeline,
      parameters: { ModelId: '{{ event.model_id }}' },
    });

    // Assess
    const t = template(stack);
    t.resourceCountIs('AWS::Events::Rule', 1);
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: [SOURCE], 'detail-type': ['model.added', 'model.updated'], detail: { data: { model_source: ['hugging_face'] } } },
    });
    expect(ruleAndConfig(t).config).toMatchObject({ mode: 'event', events: ['model.added', 'model.updated'] });
  });

  test('a template reading events.<name> is refused: an any-of trigger joins nothing', () => {
    // Prepare
    const { stack, pipeline, bus } = stackWithBus();

    // Act + Assess
    expect(() => new EventTrigger(stack, 'Trigger', { source: EventSource.anyOf(bus, ['a', 'b']), pipeline, parameters: { X: '{{ events.a.x }}' } })).toThrow(
      'parameters.X reads events.a.x, but this trigger is not a join: read the triggering event as {{ event.<field> }}',
    );
  });

  test.each<[string, string[]]>([
    ['no names', []],
    ['a name twice', ['a', 'a']],
  ])('%s throws naming names', (_what, names) => {
    const { bus } = stackWithBus();
    expect(() => EventSource.anyOf(bus, names)).toThrow(`names must name at least one event, each once, got ${JSON.stringify(names)}`);
  });
});

describe('EventSource.join with a minimum', () => {
  test('writes the minimum for the function, and templates with defaults synthesize', () => {
    // Prepare
    const { stack, pipeline, bus } = stackWithBus();

    // Act
    new EventTrigger(stack, 'Trigger', {
      source: EventSource.join(bus, NAMES, { minimum: 2, within: Duration.hours(6) }),
      pipeline,
      parameters: { Labels: "{{ events.labels_ready.uri | default: 'none' }}" },
    });

    // Assess
    expect(ruleAndConfig(template(stack)).config).toMatchObject({ mode: 'join', events: NAMES, minimum: 2, windowSeconds: 21600 });
  });

  test('a template reading a possibly absent event without a default throws, naming the template and the fix', () => {
    // Prepare
    const { stack, pipeline, bus } = stackWithBus();

    // Act + Assess
    expect(() => new EventTrigger(stack, 'Trigger', { source: EventSource.join(bus, NAMES, { minimum: 2 }), pipeline, parameters: { Labels: '{{ events.labels_ready.uri }}' } })).toThrow(
      "parameters.Labels reads events.labels_ready.uri without a default, but the join starts with 2 of its 3 events, so labels_ready may be absent: give it a default, {{ events.labels_ready.uri | default: '...' }}, or join all the events",
    );
  });

  test('a minimum of all the names needs no defaults', () => {
    // Prepare
    const { stack, pipeline, bus } = stackWithBus();

    // Act
    new EventTrigger(stack, 'Trigger', { source: EventSource.join(bus, NAMES, { minimum: 3 }), pipeline, parameters: { Labels: '{{ events.labels_ready.uri }}' } });

    // Assess
    expect(ruleAndConfig(template(stack)).config).toMatchObject({ minimum: 3 });
  });

  test.each([0, 4, 1.5])('a minimum of %s throws, naming minimum, the value and the range', (minimum) => {
    const { bus } = stackWithBus();
    expect(() => EventSource.join(bus, NAMES, { minimum })).toThrow(`minimum must be a whole number between 1 and 3, got ${minimum}`);
  });
});

describe('EventSource.sequence', () => {
  test('writes a sequence of the names in order, with its window', () => {
    // Prepare
    const { stack, pipeline, bus } = stackWithBus();

    // Act
    new EventTrigger(stack, 'Trigger', {
      source: EventSource.sequence(bus, ['data_updated', 'features_ready'], { within: Duration.hours(12) }),
      pipeline,
      parameters: { FeatureVersion: '{{ events.features_ready.version }}' },
    });

    // Assess
    const t = template(stack);
    t.hasResourceProperties('AWS::Events::Rule', { EventPattern: { source: [SOURCE], 'detail-type': ['data_updated', 'features_ready'] }, Description: Match.stringLikeRegexp('sequence trigger') });
    expect(ruleAndConfig(t).config).toMatchObject({ mode: 'sequence', events: ['data_updated', 'features_ready'], windowSeconds: 43200 });
  });

  test.each<[string, string[]]>([
    ['one name', ['data_updated']],
    ['a name twice', ['data_updated', 'data_updated']],
  ])('%s throws naming names', (_what, names) => {
    const { bus } = stackWithBus();
    expect(() => EventSource.sequence(bus, names)).toThrow(`names must name at least two different events to order in a sequence, got ${JSON.stringify(names)}`);
  });

  test('a window under a minute throws naming within', () => {
    const { bus } = stackWithBus();
    expect(() => EventSource.sequence(bus, ['a', 'b'], { within: Duration.seconds(30) })).toThrow('within must be between');
  });
});

describe('forEach', () => {
  test('a per-key join requires the key in its rule (exists: true) next to the filter, and writes the key for the function', () => {
    // Prepare
    const { stack, pipeline, bus } = stackWithBus();

    // Act
    new EventTrigger(stack, 'Trigger', { source: EventSource.join(bus, ['data_updated', 'features_ready'], { forEach: 'model.id', filter: { team: 'churn' } }), pipeline });

    // Assess
    const t = template(stack);
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: [SOURCE], 'detail-type': ['data_updated', 'features_ready'], detail: { data: { team: ['churn'], model: { id: [{ exists: true }] } } } },
    });
    expect(ruleAndConfig(t).config).toMatchObject({ mode: 'join', forEach: 'model.id' });
  });

  test('a per-key sequence without a filter has the key as its only condition', () => {
    // Prepare
    const { stack, pipeline, bus } = stackWithBus();

    // Act
    new EventTrigger(stack, 'Trigger', { source: EventSource.sequence(bus, ['data_updated', 'features_ready'], { forEach: 'model_id' }), pipeline });

    // Assess
    template(stack).hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ detail: { data: { model_id: [{ exists: true }] } } }) });
  });

  test("a filter on the key's own field keeps its condition", () => {
    // Prepare
    const { stack, pipeline, bus } = stackWithBus();

    // Act
    new EventTrigger(stack, 'Trigger', { source: EventSource.join(bus, ['a', 'b'], { forEach: 'model_id', filter: { model_id: { prefix: 'churn-' } } }), pipeline });

    // Assess
    template(stack).hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ detail: { data: { model_id: [{ prefix: 'churn-' }] } } }) });
  });

  test.each<[string, string]>([
    ['', 'forEach must be 1-256 characters, got 0'],
    ['model..id', "forEach 'model..id' has the field ''"],
    ['model id', "forEach 'model id' has the field 'model id'"],
    ['__proto__', "forEach '__proto__' has the field '__proto__', which JavaScript objects inherit"],
  ])("forEach '%s' throws naming forEach, the value and the fix", (forEach, message) => {
    const { bus } = stackWithBus();
    expect(() => EventSource.join(bus, ['a', 'b'], { forEach })).toThrow(message);
    expect(() => EventSource.sequence(bus, ['a', 'b'], { forEach })).toThrow(message);
  });
});
