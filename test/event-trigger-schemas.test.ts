import { EventSchema, EventSource, EventTrigger, TriggerEventBus } from '../lib';
import { parseEventTriggerConfig } from '../lambda/core/contracts/event-trigger';
import { deployedConfigOf } from './support/deployed-config';
import { stackWithPipeline, template } from './support/stacks';

const MODEL_ADDED = {
  type: 'object',
  properties: {
    model_id: { type: 'string' },
    model_source: { enum: ['hugging_face', 'internal'] },
    owner: { type: 'object', properties: { team: { type: 'string' }, email: { type: 'string' } }, additionalProperties: false },
    tags: { type: 'array', items: { type: 'string' }, maxItems: 3 },
  },
  required: ['model_id'],
};
const FEATURES_READY = { type: 'object', properties: { version: { type: 'string' } }, required: ['version'] };

/** A stack with a bus that declares model.added and features_ready. */
function typedBus() {
  const { stack, pipeline } = stackWithPipeline();
  const bus = new TriggerEventBus(stack, 'Bus', { project: 'churn' });
  bus.declareEvent('model.added', { schema: EventSchema.fromJson(MODEL_ADDED) });
  bus.declareEvent('features_ready', { schema: EventSchema.fromJson(FEATURES_READY) });
  return { stack, pipeline, bus };
}

const rules = (stack: ReturnType<typeof typedBus>['stack']) => Object.values(template(stack).findResources('AWS::Events::Rule'));

describe('EventSchema.fromJson', () => {
  test('refuses pattern, naming the keyword and the fix', () => {
    const schema = { type: 'object', properties: { team: { type: 'string', pattern: '^(a+)+$' } } };

    expect(() => EventSchema.fromJson(schema)).toThrow('schema.properties.team.pattern is not supported: a regular expression from configuration can take more than linear time');
  });

  test('refuses $ref, naming the fix', () => {
    expect(() => EventSchema.fromJson({ type: 'object', properties: { a: { $ref: '#/$defs/a' } } })).toThrow('schema.properties.a.$ref is not supported: write the referenced schema inline');
  });

  test('refuses a schema over 4,096 bytes where it is written, not at deploy', () => {
    const properties = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`field_${i}`, { type: 'string', description: 'x'.repeat(20) }]));

    expect(() => EventSchema.fromJson({ type: 'object', properties })).toThrow(/^schema is \d+ bytes as JSON, at most 4096/);
  });
});

describe('TriggerEventBus.declareEvent', () => {
  test('refuses a declaration after a trigger already read the name, and a name declared twice', () => {
    const { stack, pipeline } = stackWithPipeline();
    const bus = new TriggerEventBus(stack, 'Bus', {});
    new EventTrigger(stack, 'Early', { source: EventSource.named(bus, 'model.added'), pipeline });
    bus.declareEvent('features_ready', { schema: EventSchema.fromJson(FEATURES_READY) });

    expect(() => bus.declareEvent('model.added', { schema: EventSchema.fromJson(MODEL_ADDED) })).toThrow(
      "declareEvent: event 'model.added' is already read by the trigger at TestStack/Early: declare the event before the triggers that read it",
    );
    expect(() => bus.declareEvent('features_ready', { schema: EventSchema.fromJson(FEATURES_READY) })).toThrow("event 'features_ready' is declared twice");
  });

  test('an imported bus declares events too, and its publishTarget carries them', () => {
    const { stack } = stackWithPipeline();
    const bus = TriggerEventBus.fromEventBus(stack, 'Imported', new TriggerEventBus(stack, 'Bus', {}).bus);

    bus.declareEvent('features_ready', { schema: EventSchema.fromJson(FEATURES_READY) });

    expect(bus.eventSchema('features_ready')?.toJson()).toEqual(FEATURES_READY);
    expect(bus.publishTarget.schemas).toEqual({ features_ready: FEATURES_READY });
  });
});

describe('EventTrigger on a typed event', () => {
  test('refuses a template reading a field the schema does not declare, naming the prop, the path and the declared fields', () => {
    const { stack, pipeline, bus } = typedBus();

    expect(() => new EventTrigger(stack, 'T', { source: EventSource.named(bus, 'model.added'), pipeline, parameters: { Team: '{{ event.owner.tema }}' } })).toThrow(
      "parameters.Team reads event.owner.tema, but the schema declared for model.added does not allow it: data.owner declares no field 'tema'; it declares email, team",
    );
  });

  test('refuses a template reading below a string, past maxItems, or ending on an object', () => {
    const { stack, pipeline, bus } = typedBus();
    const trigger = (id: string, template: string) => () => new EventTrigger(stack, id, { source: EventSource.named(bus, 'model.added'), pipeline, parameters: { P: template } });

    expect(trigger('A', '{{ event.model_id.name }}')).toThrow("data.model_id is declared as string, which has no field 'name'");
    expect(trigger('B', '{{ event.tags[3] }}')).toThrow('data.tags holds at most 3 items, so never an item [3]');
    expect(trigger('C', '{{ event.owner }}')).toThrow('data.owner is declared as object: a parameter takes a string, a number or a boolean');
  });

  test('refuses a join template reading an undeclared field of the joined event', () => {
    const { stack, pipeline, bus } = typedBus();

    expect(() => new EventTrigger(stack, 'J', { source: EventSource.join(bus, ['model.added', 'features_ready']), pipeline, parameters: { V: "{{ events['features_ready'].versoin }}" } })).toThrow(
      "parameters.V reads events['features_ready'].versoin, but the schema declared for features_ready does not allow it: data declares no field 'versoin'; it declares version",
    );
  });

  test('refuses a filter on a field the schema lacks, naming the filter path', () => {
    const { stack, pipeline, bus } = typedBus();

    expect(() => new EventTrigger(stack, 'F', { source: EventSource.named(bus, 'model.added', { filter: { 'owner.name': { prefix: 'a' } } }), pipeline })).toThrow(
      "filter.owner.name filters a field the schema declared for model.added does not allow: data.owner declares no field 'name'; it declares email, team",
    );
  });

  test('takes templates and filters on declared fields, and writes the schema into the configuration the function reads back', () => {
    const { stack, pipeline, bus } = typedBus();
    new EventTrigger(stack, 'T', {
      source: EventSource.named(bus, 'model.added', { filter: { model_source: 'hugging_face', owner: { team: { exists: true } } } }),
      pipeline,
      parameters: { ModelId: '{{ event.model_id }}', Team: "{{ event.owner.team | default: 'ml' }}", FirstTag: "{{ event.tags[0] | default: 'none' }}" },
    });

    const [rule] = rules(stack);
    const { config } = deployedConfigOf(template(stack), rule);
    expect(config.schemas).toEqual({ 'model.added': MODEL_ADDED });
    expect(parseEventTriggerConfig(config)).toMatchObject({ ok: true, value: { schemas: { 'model.added': MODEL_ADDED } } });
    // Required fields stay out of the rule's pattern: an event the rule drops is counted nowhere.
    expect(rule.Properties.EventPattern.detail).toEqual({ data: { model_source: ['hugging_face'], owner: { team: [{ exists: true }] } } });
  });

  test('an untyped event stays untyped: no schema in the configuration, any field readable', () => {
    const { stack, pipeline, bus } = typedBus();
    new EventTrigger(stack, 'T', { source: EventSource.named(bus, 'data_updated'), pipeline, parameters: { Anything: '{{ event.x.y[2] }}' } });

    const { config } = deployedConfigOf(template(stack), rules(stack)[0]);
    expect(config).not.toHaveProperty('schemas');
  });

  test('a join whose schemas together overflow the 8 KB configuration fails synth, saying the schemas make it long', () => {
    const { stack, pipeline } = stackWithPipeline();
    const bus = new TriggerEventBus(stack, 'Bus', {});
    const big = (prefix: string) => ({ type: 'object', properties: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`${prefix}_${i}`, { type: 'string', description: 'y'.repeat(25) }])) });
    for (const name of ['a', 'b', 'c']) bus.declareEvent(name, { schema: EventSchema.fromJson(big(name)) });

    expect(() => new EventTrigger(stack, 'Big', { source: EventSource.join(bus, ['a', 'b', 'c']), pipeline })).toThrow(
      /^parameter templates and event schemas make trigger Big-\w+'s configuration \d+ bytes .*an SSM parameter holds at most 8192: shorten them/,
    );
  });

  test('metricAllEventsFailingSchema counts the events dropped for failing their schema', () => {
    const metric = EventTrigger.metricAllEventsFailingSchema();

    expect(metric).toMatchObject({ namespace: 'MLTriggers', metricName: 'EventsFailingSchema', dimensions: { service: 'EventTriggers', TriggerType: 'Event' }, statistic: 'Sum' });
  });
});
