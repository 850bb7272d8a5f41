import { parseEventSchemas } from '../../lambda/core/event-schemas-config';
import { compileFilter } from '../../lambda/core/event-filter';
import { parseEventSchema, type EventSchemaJson } from '../../lambda/core/event-schema';
import { parseParameterTemplates } from '../../lambda/core/templates';
import { eventDataProblem, undeclaredFilterField, undeclaredPathProblem, undeclaredTemplateRead } from '../../lambda/core/typed-events';

const schema = (json: unknown): EventSchemaJson => {
  const parsed = parseEventSchema(json, 'schema');
  if (!parsed.ok) throw new Error(parsed.error.problem);
  return parsed.value;
};
const MODEL = schema({
  type: 'object',
  properties: {
    model_id: { type: 'string' },
    owner: { type: 'object', properties: { team: { type: 'string' } } },
    labels: { type: 'object' },
    runs: { type: 'array', items: { type: 'object', properties: { id: { type: 'integer' } } } },
    note: { type: ['string', 'null'] },
  },
});
const templates = (parameters: Record<string, string>, joinedEvents?: string[]) => {
  const parsed = parseParameterTemplates(parameters, joinedEvents ? { joinedEvents } : {});
  if (!parsed.ok) throw new Error(parsed.error.problem);
  return parsed.value;
};
const filter = (json: Record<string, unknown>) => {
  const compiled = compileFilter(json);
  if (!compiled.ok) throw new Error(compiled.error.problem);
  return compiled.value;
};

describe('undeclaredPathProblem', () => {
  test.each([
    ['a declared scalar', ['model_id'], undefined],
    ['a declared nested scalar', ['owner', 'team'], undefined],
    ['an item of a declared list', ['runs', 0, 'id'], undefined],
    ['below a free-form object: untyped', ['labels', 'any', 'depth'], undefined],
    ['a string or null', ['note'], undefined],
    ['a misspelt field', ['model_ld'], "data declares no field 'model_ld'; it declares labels, model_id, note, owner, runs"],
    ['below a string', ['model_id', 'x'], "data.model_id is declared as string, which has no field 'x'"],
    ['an index into an object', ['owner', 0], 'data.owner is declared as object, which has no item [0]'],
    ['a whole object', ['owner'], 'data.owner is declared as object: a parameter takes a string, a number or a boolean'],
  ])('%s', (_what, path, problem) => {
    // Prepare
    const segments = (path as Array<string | number>).map((step) => (typeof step === 'number' ? { index: step } : { key: step }));

    // Act
    const actual = undeclaredPathProblem(MODEL, segments);

    // Assess
    expect(actual).toBe(problem);
  });
});

describe('undeclaredTemplateRead', () => {
  test('checks event.<path> against every typed event that can trigger, and events.<name> against its own', () => {
    const other = schema({ type: 'object', properties: { version: { type: 'string' } } });

    const triggering = undeclaredTemplateRead(templates({ P: '{{ event.model_id }}' }), ['model.added', 'features_ready'], { 'model.added': MODEL, features_ready: other });
    const joined = undeclaredTemplateRead(templates({ P: '{{ events.features_ready.version }}' }, ['model.added', 'features_ready']), ['model.added', 'features_ready'], { 'model.added': MODEL, features_ready: other });

    expect(triggering).toEqual({ field: 'parameters.P', problem: "reads event.model_id, but the schema declared for features_ready does not allow it: data declares no field 'model_id'; it declares version" });
    expect(joined).toBeUndefined();
  });

  test('leaves untyped events unchecked', () => {
    expect(undeclaredTemplateRead(templates({ P: '{{ event.anything.at[3] }}' }), ['data_updated'], {})).toBeUndefined();
  });
});

describe('undeclaredFilterField', () => {
  test('names the filter path of an undeclared field; any operator may stand on a declared one', () => {
    expect(undeclaredFilterField(filter({ 'owner.team': { exists: false }, note: null }), ['model.added'], { 'model.added': MODEL })).toBeUndefined();
    expect(undeclaredFilterField(filter({ owner: { name: 'x' } }), ['model.added'], { 'model.added': MODEL })).toEqual({
      field: 'filter.owner.name',
      problem: "filters a field the schema declared for model.added does not allow: data.owner declares no field 'name'; it declares team",
    });
  });
});

describe('eventDataProblem', () => {
  test('validates the data of a typed name only, absent data as an empty object', () => {
    const required = { 'model.added': schema({ type: 'object', properties: { model_id: { type: 'string' } }, required: ['model_id'] }) };

    expect(eventDataProblem(required, 'model.added', {})).toEqual({ field: 'data.model_id', problem: 'is required (the schema declared for model.added)' });
    expect(eventDataProblem(required, 'model.added', { data: null })).toEqual({ field: 'data', problem: 'must be an object (the schema declared for model.added)' });
    expect(eventDataProblem(required, 'other', { data: 3 })).toBeUndefined();
    expect(eventDataProblem(undefined, 'model.added', {})).toBeUndefined();
  });
});

describe('parseEventSchemas, the configuration read back', () => {
  test('checks each schema again and refuses one for an event the trigger does not read', () => {
    expect(parseEventSchemas(undefined, ['a'], 'trigger.schemas')).toEqual({ ok: true, value: undefined });
    expect(parseEventSchemas({ b: { type: 'object' } }, ['a'], 'trigger.schemas')).toMatchObject({ ok: false, error: { field: 'trigger.schemas.b' } });
    expect(parseEventSchemas({ a: { type: 'object', $ref: '#' } }, ['a'], 'trigger.schemas')).toMatchObject({ ok: false, error: { field: 'trigger.schemas.a.$ref' } });
  });
});
