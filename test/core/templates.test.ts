import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  parseParameterTemplates,
  parseTemplate,
  renderParameters,
  renderTemplate,
  templateFields,
  type ParsedTemplate,
  type TemplateContext,
  type TemplateScope,
} from '../../lambda/core/templates';

const FIXTURE = path.resolve(__dirname, '../fixtures/events/platform-model-added.json');
const data = (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { data: Record<string, unknown> }).data;

function parsed(template: string): ParsedTemplate {
  const result = parseTemplate(template, 'parameters.P');
  if (!result.ok) throw new Error(`${result.error.field} ${result.error.problem}`);
  return result.value;
}

function render(template: string, context: TemplateContext = { event: data }): ReturnType<typeof renderTemplate> {
  return renderTemplate(parsed(template), context, 'ModelName');
}

describe('renderTemplate', () => {
  test.each<[string, string]>([
    ['{{ event.model_id }}', 'model_xyz789'],
    ['{{event.model_id}}', 'model_xyz789'],
    ['{{ event.model_name }}-auto', 'Llama-3.2-1B-auto'],
    ['run of {{ event.model_name }} from {{ event.model_source }}', 'run of Llama-3.2-1B from hugging_face'],
    ['plain text, no expression', 'plain text, no expression'],
    ['{{ event.auto_deploy }}', 'true'],
    ["{{ event.owner.team | default: 'ml' }}", 'ml'],
    ['{{ event.owner.team|default:"ml" }}', 'ml'],
    ["{{ event.model_id | default: 'unused' }}", 'model_xyz789'],
    ["{{ event.x | default: '}} and {{ event.model_id }}' }}", '}} and {{ event.model_id }}'],
    ['a } and }} outside expressions are literal', 'a } and }} outside expressions are literal'],
  ])('%s -> %s', (template, expected) => {
    expect(render(template)).toEqual({ ok: true, value: expected });
  });

  test('numbers render as JSON', () => {
    expect(render('{{ event.size }}/{{ event.ratio }}', { event: { size: 12, ratio: 0.5 } })).toEqual({ ok: true, value: '12/0.5' });
  });

  test('nested and indexed paths', () => {
    const event = { owner: { team: 'ml', members: [{ email: 'a@x' }, { email: 'b@x' }] }, tags: [['deep']] };
    expect(render('{{ event.owner.team }}:{{ event.owner.members[1].email }}:{{ event.tags[0][0] }}', { event })).toEqual({ ok: true, value: 'ml:b@x:deep' });
    expect(render('{{ event.owner.members[2].email }}', { event })).toMatchObject({ ok: false, error: { field: 'parameters.ModelName' } });
  });

  test('joined events by plain and by bracketed name', () => {
    const context = { event: data, events: { features_ready: { version: 7 }, 'model.added': { model_id: 'm-1' } } };
    expect(render("{{ events.features_ready.version }}-{{ events['model.added'].model_id }}", context)).toEqual({ ok: true, value: '7-m-1' });
    expect(render('{{ events["model.added"].model_id }}', context)).toEqual({ ok: true, value: 'm-1' });
  });

  test('a missing field without a default names the parameter and the field', () => {
    expect(render('{{ event.owner.team }}')).toEqual({
      ok: false,
      error: { field: 'parameters.ModelName', problem: expect.stringContaining('reads event.owner.team, which the data of the triggering event does not have') },
    });
  });

  test('a joined event that has not arrived is a missing field', () => {
    expect(render('{{ events.features_ready.version }}')).toMatchObject({ ok: false, error: { problem: expect.stringContaining('the joined event features_ready') } });
    expect(render("{{ events.features_ready.version | default: '0' }}")).toEqual({ ok: true, value: '0' });
  });

  test('null is missing: it takes the default', () => {
    expect(render("{{ event.owner | default: 'none' }}", { event: { owner: null } })).toEqual({ ok: true, value: 'none' });
  });

  test.each([
    ['an object', { owner: { team: 'ml' } }, /is an object/],
    ['an array', { owner: ['ml'] }, /is an array/],
  ])('%s is rejected', (_name, event, problem) => {
    expect(render('{{ event.owner }}', { event })).toMatchObject({ ok: false, error: { field: 'parameters.ModelName', problem: expect.stringMatching(problem) } });
  });
});

describe('rendering is substitution only', () => {
  test('a value holding {{ }} is inserted literally, never rendered again', () => {
    const event = { model_name: '{{ event.secret }}', secret: 'hunter2' };
    expect(render('{{ event.model_name }}', { event })).toEqual({ ok: true, value: '{{ event.secret }}' });
  });

  test.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('event.%s is missing, never an Object internal', (key) => {
    expect(render(`{{ event.${key} }}`)).toMatchObject({ ok: false, error: { problem: expect.stringContaining(`reads event.${key}, which`) } });
    expect(render(`{{ event.${key}.name | default: 'safe' }}`)).toEqual({ ok: true, value: 'safe' });
    expect(render(`{{ events.${key}.x | default: 'safe' }}`, { event: {}, events: {} })).toEqual({ ok: true, value: 'safe' });
  });

  test('an array\'s length or methods are not fields', () => {
    expect(render("{{ event.tags.length | default: 'none' }}", { event: { tags: ['a'] } })).toEqual({ ok: true, value: 'none' });
  });

  test('an own __proto__ field in JSON data is data', () => {
    const event = JSON.parse('{"__proto__": {"team": "ml"}}') as unknown;
    expect(render('{{ event.__proto__.team }}', { event })).toEqual({ ok: true, value: 'ml' });
  });
});

describe('parseTemplate rejects, naming the path', () => {
  test.each<[string, RegExp]>([
    ['{{ event.model_id', /unterminated '\{\{' at character 1/],
    ['abc {{', /unterminated '\{\{' at character 5/],
    ['{{ }}', /empty expression/],
    ['{{}}', /empty expression/],
    ['{{ data.model_id }}', /unknown source 'data.model_id'/],
    ['{{ eventz.model_id }}', /unknown source/],
    ['{{ event }}', /reads no field/],
    ['{{ events.features_ready }}', /reads no field/],
    ['{{ events }}', /names no joined event/],
    ["{{ events['bad name'].x }}", /names no joined event/],
    ['{{ event.model id }}', /unexpected text 'id }}'/],
    ['{{ event.a..b }}', /unexpected text/],
    ['{{ event.a[x] }}', /unexpected text/],
    ['{{ event.a | default: ml }}', /bad default/],
    ["{{ event.a | default: 'ml }}", /bad default/],
    ["{{ event.a | default 'ml' }}", /bad default/],
    ["{{ event.a | default: 'ml' 'x' }}", /unexpected text/],
    ['{{ event.a | upper }}', /unknown filter/],
    ["{{ event.a | default: 'ml'", /unterminated/],
  ])('%s', (template, problem) => {
    const result = parseTemplate(template, 'parameters.ModelName');
    expect(result).toMatchObject({ ok: false, error: { field: 'parameters.ModelName', problem: expect.stringMatching(problem) } });
  });
});

describe('templateFields', () => {
  test('lists each (source, path) once, in order, with event names as sources', () => {
    const template = parsed("{{ event.model_id }}-{{ events['model.added'].owner.members[0] }}-{{ event.model_id }}-{{ events.x.y | default: '' }}");
    expect(templateFields(template)).toEqual([
      { source: 'event', path: ['model_id'] },
      { source: 'model.added', path: ['owner', 'members', '[0]'] },
      { source: 'x', path: ['y'] },
    ]);
  });

  test('reads events.model.added.model_id as field added.model_id of an event named model', () => {
    expect(templateFields(parsed('{{ events.model.added.model_id }}'))).toEqual([{ source: 'model', path: ['added', 'model_id'] }]);
  });

  test('a template without expressions reads nothing', () => {
    expect(templateFields(parsed('literal'))).toEqual([]);
  });
});

describe('renderParameters', () => {
  const context = { event: data };

  test('renders every parameter, sorted by name', () => {
    const templates = { ModelName: parsed('{{ event.model_name }}-auto'), ModelId: parsed('{{ event.model_id }}') };
    expect(renderParameters(templates, context)).toEqual({
      ok: true,
      value: [{ Name: 'ModelId', Value: 'model_xyz789' }, { Name: 'ModelName', Value: 'Llama-3.2-1B-auto' }],
    });
  });

  test('a 2,000-character value fails SageMaker\'s 1,024 limit, naming the parameter', () => {
    const result = renderParameters({ Prompt: parsed('{{ event.text }}') }, { event: { text: 'x'.repeat(2000) } });
    expect(result).toEqual({ ok: false, error: { field: 'parameters.Prompt', problem: expect.stringContaining('1-1024 characters') } });
  });

  test('an empty rendering fails SageMaker\'s 1-character minimum', () => {
    expect(renderParameters({ Team: parsed("{{ event.team | default: '' }}") }, context)).toMatchObject({ ok: false, error: { field: 'parameters.Team' } });
  });

  test('an invalid parameter name is named', () => {
    expect(renderParameters({ 'bad name': parsed('x') }, context)).toMatchObject({ ok: false, error: { field: 'parameters.bad name' } });
  });

  test('a render error names its parameter', () => {
    const templates = { Good: parsed('{{ event.model_id }}'), Team: parsed('{{ event.owner.team }}') };
    expect(renderParameters(templates, context)).toMatchObject({ ok: false, error: { field: 'parameters.Team', problem: expect.stringContaining('event.owner.team') } });
  });

  test('a parameter named __proto__ is refused rather than dropped', () => {
    const templates: Record<string, ParsedTemplate> = {};
    Object.defineProperty(templates, '__proto__', { value: parsed('x'), enumerable: true });
    expect(renderParameters(templates, context)).toMatchObject({ ok: false, error: { field: 'parameters.__proto__' } });
  });
});

describe('parseParameterTemplates refuses at synth what SageMaker or the function would reject for every event', () => {
  function problem(parameters: Record<string, string>, scope: TemplateScope = {}): { field: string; problem: string } {
    const result = parseParameterTemplates(parameters, scope);
    if (result.ok) throw new Error(`accepted ${JSON.stringify(parameters)}`);
    return result.error;
  }

  test('parses the template of every valid name', () => {
    // Act
    const result = parseParameterTemplates({ ModelId: '{{ event.model_id }}', 'model-name_2': 'fixed' }, {});

    // Assess
    expect(result).toEqual({ ok: true, value: { ModelId: parsed('{{ event.model_id }}'), 'model-name_2': parsed('fixed') } });
  });

  test.each<[string, string, string]>([
    ['a space', 'Model Id', 'parameters["Model Id"]'],
    ['a dot', 'model.id', 'parameters["model.id"]'],
    ['no character', '', 'parameters[""]'],
    ['257 characters', 'N'.repeat(257), `parameters.${'N'.repeat(257)}`],
  ])("a name with %s is not one SageMaker takes, and the error says what is", (_what, name, field) => {
    expect(problem({ [name]: 'x' })).toEqual({ field, problem: expect.stringMatching(/is not a valid SageMaker pipeline parameter name: use 1-256 letters, digits, '-' and '_'/) });
  });

  test.each(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'])('the name %s is refused: JavaScript objects inherit it, and the function keys parameters by name', (name) => {
    // Prepare: as JSON gives it, an own key (an object literal would set the prototype instead).
    const parameters = JSON.parse(`{"${name}": "x"}`) as Record<string, string>;

    // Act + Assess
    expect(problem(parameters)).toEqual({ field: `parameters.${name}`, problem: expect.stringMatching(/inherit.*rename/) });
  });

  test("201 parameters are over SageMaker's 200 per execution", () => {
    const parameters = Object.fromEntries(Array.from({ length: 201 }, (_, index) => [`P${index}`, 'x']));

    expect(problem(parameters)).toEqual({ field: 'parameters', problem: expect.stringContaining('holds 201 parameters, SageMaker takes at most 200 per execution') });
  });

  test("200 parameters and the chain's own UpstreamExecutionArn are over the limit; 200 including it are not", () => {
    const parameters = Object.fromEntries(Array.from({ length: 200 }, (_, index) => [`P${index}`, 'x']));
    const scope = { reserved: ['UpstreamExecutionArn'] };

    expect(problem(parameters, scope)).toEqual({ field: 'parameters', problem: expect.stringContaining('holds 201 parameters with UpstreamExecutionArn') });
    const within: Record<string, string> = { ...parameters, UpstreamExecutionArn: 'x' };
    delete within.P0;
    expect(parseParameterTemplates(within, scope).ok).toBe(true);
  });

  test.each<[string, string, RegExp]>([
    ['a 2,000-character literal', 'x'.repeat(2000), /2000 characters of literal text.*at most 1024/],
    ['literal text over 1,024 characters after an expression', `{{ event.a }}${'x'.repeat(1025)}`, /1025 characters of literal text/],
    ['literal parts that together are over 1,024 characters', `${'x'.repeat(600)}{{ event.a }}${'y'.repeat(600)}`, /1200 characters of literal text/],
    ['a default that makes the value longer than 1,024 characters', `${'x'.repeat(1000)}{{ event.a | default: '${'y'.repeat(100)}' }}`, /default of event\.a makes it 1100 characters/],
    ['an empty template', '', /is empty/],
  ])("%s fails SageMaker's 1-1,024 characters for every event", (_what, template, message) => {
    expect(problem({ Prompt: template })).toEqual({ field: 'parameters.Prompt', problem: expect.stringMatching(message) });
  });

  test('literal text of exactly 1,024 characters is accepted', () => {
    expect(parseParameterTemplates({ Prompt: `${'x'.repeat(1000)}{{ event.a }}${'y'.repeat(24)}` }, {}).ok).toBe(true);
  });

  test('a join template reading an event that is not in the join names the events it has', () => {
    const scope = { joinedEvents: ['data_updated', 'features_ready'] };

    expect(problem({ Version: '{{ events.not_in_join.x }}' }, scope)).toEqual({
      field: 'parameters.Version',
      problem: expect.stringContaining("reads events.not_in_join.x, but the join has no event 'not_in_join': read one of data_updated, features_ready"),
    });
    expect(problem({ Version: "{{ events.not_in_join.x | default: '0' }}" }, scope).field).toBe('parameters.Version');
    expect(parseParameterTemplates({ Version: '{{ events.features_ready.version }}' }, scope).ok).toBe(true);
  });

  test("a dotted event name read without brackets suggests events['<name>']", () => {
    expect(problem({ Id: '{{ events.model.added.model_id }}' }, { joinedEvents: ['model.added', 'b'] }).problem).toContain("write events['model.added'].model_id");
  });

  test('a template reading events.<name> in a trigger that is no join fails', () => {
    expect(problem({ Id: '{{ events.model_added.model_id }}' })).toEqual({
      field: 'parameters.Id',
      problem: expect.stringContaining('reads events.model_added.model_id, but this trigger is not a join: read the triggering event as {{ event.<field> }}'),
    });
  });

  test('a broken template still fails, naming its parameter', () => {
    expect(problem({ Team: '{{ event.owner.team | upper }}' })).toEqual({ field: 'parameters.Team', problem: expect.stringContaining('unknown filter') });
  });
});
