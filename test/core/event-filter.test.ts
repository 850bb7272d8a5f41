import { readFileSync } from 'node:fs';
import path from 'node:path';
import { checkEventPatternSize, compileFilter, EVENT_FILTER_LIMITS, type JsonFilter } from '../../lambda/core/event-filter';
import { matchesPattern } from '../../lambda/core/event-pattern';

const FIXTURE = path.resolve(__dirname, '../fixtures/events/platform-model-added.json');
const platformEvent = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { event_type: string; source: string; data: Record<string, unknown> };

/** The event as the bus carries it: the platform event is `detail`, its name `detail-type`. */
const published = { source: 'budmodel', 'detail-type': platformEvent.event_type, detail: platformEvent };

function compiled(filter: JsonFilter): Record<string, unknown> {
  const result = compileFilter(filter);
  if (!result.ok) throw new Error(`${result.error.field} ${result.error.problem}`);
  return result.value;
}

function rule(filter: JsonFilter): Record<string, unknown> {
  return { source: ['budmodel'], 'detail-type': ['model.added'], detail: { data: compiled(filter) } };
}

function rejection(filter: unknown): { field: string; problem: string } {
  const result = compileFilter(filter as JsonFilter);
  if (result.ok) throw new Error(`accepted ${JSON.stringify(filter)} as ${JSON.stringify(result.value)}`);
  return result.error;
}

describe('compileFilter compiles', () => {
  test.each<[string, JsonFilter, Record<string, unknown>]>([
    ['a string to equality', { model_source: 'hugging_face' }, { model_source: ['hugging_face'] }],
    ['a number, a boolean and null to equality', { n: 3, auto_deploy: true, gone: null }, { n: [3], auto_deploy: [true], gone: [null] }],
    ['a list of scalars to any of', { model_source: ['hugging_face', 'github', 1] }, { model_source: ['hugging_face', 'github', 1] }],
    ['prefix', { model_name: { prefix: 'Llama' } }, { model_name: [{ prefix: 'Llama' }] }],
    ['suffix', { model_name: { suffix: '-1B' } }, { model_name: [{ suffix: '-1B' }] }],
    ['equals-ignore-case', { model_name: { 'equals-ignore-case': 'llama-3.2-1b' } }, { model_name: [{ 'equals-ignore-case': 'llama-3.2-1b' }] }],
    ['a numeric range', { size_gb: { numeric: ['>', 0, '<=', 5] } }, { size_gb: [{ numeric: ['>', 0, '<=', 5] }] }],
    ['a single numeric comparison', { size_gb: { numeric: ['=', 3.018e2] } }, { size_gb: [{ numeric: ['=', 301.8] }] }],
    ['exists', { a: { exists: true }, b: { exists: false } }, { a: [{ exists: true }], b: [{ exists: false }] }],
    ['anything-but a string', { s: { 'anything-but': 'x' } }, { s: [{ 'anything-but': 'x' }] }],
    ['anything-but a number', { s: { 'anything-but': 123 } }, { s: [{ 'anything-but': 123 }] }],
    ['anything-but a list', { s: { 'anything-but': ['stopped', 'overloaded'] } }, { s: [{ 'anything-but': ['stopped', 'overloaded'] }] }],
    ['anything-but a prefix', { s: { 'anything-but': { prefix: 'init' } } }, { s: [{ 'anything-but': { prefix: 'init' } }] }],
    ['nested fields', { owner: { team: 'ml', region: { prefix: 'eu-' } } }, { owner: { team: ['ml'], region: [{ prefix: 'eu-' }] } }],
    ['dotted keys as nested fields', { 'owner.team': 'ml', 'owner.org.id': 7 }, { owner: { team: ['ml'], org: { id: [7] } } }],
    ['dotted keys merged with a nested object', { owner: { region: 'eu' }, 'owner.team': 'ml' }, { owner: { region: ['eu'], team: ['ml'] } }],
    ['a dotted key naming a field like an operator', { 'owner.exists': 'yes' }, { owner: { exists: ['yes'] } }],
    ['numbers at the edge of EventBridge numeric matching', { n: { numeric: ['>=', -5e9, '<', 0.000001] } }, { n: [{ numeric: ['>=', -5e9, '<', 0.000001] }] }],
  ])('%s', (_name, filter, expected) => {
    expect(compileFilter(filter)).toEqual({ ok: true, value: expected });
  });

});

describe('compileFilter rejects, naming the path', () => {
  test.each<[string, unknown, string, RegExp]>([
    ['a filter that is not an object', ['a'], 'filter', /must be an object/],
    ['an empty filter', {}, 'filter', /names no field/],
    ['an empty field name', { '': 'x' }, 'filter.', /empty field name/],
    ['an empty segment in a dotted key', { 'owner..team': 'x' }, 'filter.owner..team', /empty field name/],
    ['a trailing dot', { 'owner.': 'x' }, 'filter.owner.', /empty field name/],
    ['a $-key such as $or', { $or: [{ a: 'x' }] }, 'filter.$or', /reserves \$-keys/],
    ['an unsupported operator', { ip: { cidr: '10.0.0.0/24' } }, 'filter.ip.cidr', /not a supported operator/],
    ['wildcard', { f: { wildcard: '*.png' } }, 'filter.f.wildcard', /not a supported operator/],
    ['a mis-cased operator', { f: { Prefix: 'a' } }, 'filter.f.Prefix', /did you mean 'prefix'/],
    ['an empty list', { model_source: [] }, 'filter.model_source', /empty list/],
    ['a nested list', { model_source: ['a', ['b']] }, 'filter.model_source[1]', /nested list/],
    ['an object in a list', { model_source: ['a', { prefix: 'b' }] }, 'filter.model_source[1]', /single operator object/],
    ['an empty object', { owner: {} }, 'filter.owner', /empty object/],
    ['two operators', { f: { prefix: 'a', suffix: 'b' } }, 'filter.f', /2 operators/],
    ['an operator mixed with a field', { f: { prefix: 'a', team: 'b' } }, 'filter.f', /mixes the operator 'prefix' with the field 'team'/],
    ['a value that is not JSON', { f: undefined }, 'filter.f', /must be a string, number/],
    ['a number that is not finite', { f: Number.NaN }, 'filter.f', /finite/],
    ['a non-string prefix', { f: { prefix: 3 } }, 'filter.f.prefix', /non-empty string/],
    ['an empty suffix', { f: { suffix: '' } }, 'filter.f.suffix', /non-empty string/],
    ['a non-string equals-ignore-case', { f: { 'equals-ignore-case': null } }, 'filter.f.equals-ignore-case', /must be a string/],
    ['a non-boolean exists', { f: { exists: 'yes' } }, 'filter.f.exists', /true or false/],
    ['numeric that is not a list', { size_gb: { numeric: 5 } }, 'filter.size_gb.numeric', /must be a list/],
    ['numeric with three items', { size_gb: { numeric: ['>', 0, '<'] } }, 'filter.size_gb.numeric', /holds 3 items/],
    ['a numeric operand that is not a number', { size_gb: { numeric: ['>', '0'] } }, 'filter.size_gb.numeric[1]', /finite number, got the string '0'/],
    ['a numeric operand that is not finite', { size_gb: { numeric: ['>', Infinity] } }, 'filter.size_gb.numeric[1]', /finite number/],
    ['an unknown comparison', { size_gb: { numeric: ['!=', 1] } }, 'filter.size_gb.numeric[0]', /must be one of < <= > >= =/],
    ['a bound beyond 5e9', { size_gb: { numeric: ['<', 6e9] } }, 'filter.size_gb.numeric[1]', /between -5000000000 and 5000000000/],
    ['more than six decimals', { size_gb: { numeric: ['<', 0.0000001] } }, 'filter.size_gb.numeric[1]', /more than 6 decimals/],
    ['a range with the upper bound first', { size_gb: { numeric: ['<', 5, '>', 0] } }, 'filter.size_gb.numeric[0]', /lower bound first/],
    ['a range with = in it', { size_gb: { numeric: ['>', 0, '=', 5] } }, 'filter.size_gb.numeric[2]', /upper bound second/],
    ['an empty range', { size_gb: { numeric: ['>', 5, '<=', 5] } }, 'filter.size_gb.numeric[3]', /empty range/],
    ['anything-but an empty list', { s: { 'anything-but': [] } }, 'filter.s.anything-but', /empty list/],
    ['anything-but mixing strings and numbers', { s: { 'anything-but': ['a', 1] } }, 'filter.s.anything-but', /only strings or only numbers/],
    ['anything-but a boolean in a list', { s: { 'anything-but': ['a', true] } }, 'filter.s.anything-but[1]', /string or a number/],
    ['anything-but a boolean', { s: { 'anything-but': true } }, 'filter.s.anything-but', /must be a string, a number/],
    ['anything-but { suffix }', { s: { 'anything-but': { suffix: 'x' } } }, 'filter.s.anything-but', /takes only "prefix"/],
    ['anything-but an empty prefix', { s: { 'anything-but': { prefix: '' } } }, 'filter.s.anything-but.prefix', /non-empty string/],
    ['a field given twice', { 'owner.team': 'a', owner: { team: 'b' } }, 'filter.owner', /twice/],
    ['a field both a value and an object', { owner: 'a', 'owner.team': 'b' }, 'filter.owner.team', /twice/],
    ['errors deep inside nested fields', { owner: { org: { size: { numeric: ['>', 'x'] } } } }, 'filter.owner.org.size.numeric[1]', /finite number/],
    ['a field named __proto__, which aws-cdk-lib drops from the rule', JSON.parse('{"__proto__": "x", "a": "b"}'), 'filter.__proto__', /'__proto__'.*JavaScript object internal/],
    ['a field named constructor', { constructor: 'x' }, 'filter.constructor', /'constructor'.*JavaScript object internal/],
    ['a field named prototype', { owner: { prototype: 'x' } }, 'filter.owner.prototype', /'prototype'.*JavaScript object internal/],
    ['a dotted key through __proto__', { 'owner.__proto__.team': 'x' }, 'filter.owner.__proto__.team', /'__proto__'/],
    // The mistake under test: in an object literal, __proto__ sets the prototype and is no field.
    ['an object literal with a __proto__ key, which sets its prototype', { a: 'b', __proto__: { team: 'ml' } }, 'filter', /__proto__ key in an object literal/],
  ])('%s', (_name, filter, field, problem) => {
    const error = rejection(filter);
    expect(error.field).toBe(field);
    expect(error.problem).toMatch(problem);
  });

  test('a whole event pattern over the quota fails naming its size and the limit; one at the limit passes', () => {
    // Prepare: {"source":[...]} is 15 characters around the value.
    const at = { source: ['x'.repeat(EVENT_FILTER_LIMITS.maxPatternLength - 15)] };
    const over = { source: ['x'.repeat(EVENT_FILTER_LIMITS.maxPatternLength - 14)] };

    // Act + Assess
    expect(JSON.stringify(at)).toHaveLength(2048);
    expect(checkEventPatternSize(at, 'events')).toEqual({ ok: true, value: 2048 });
    expect(checkEventPatternSize(over, 'events')).toEqual({
      ok: false,
      error: { field: 'events', problem: expect.stringContaining("makes the rule's event pattern 2049 characters, EventBridge takes at most 2048") },
    });
  });

  test('a pattern over EventBridge\'s default size quota', () => {
    const filter = { model_source: Array.from({ length: 200 }, (_, index) => `source-${index}`) };
    expect(rejection(filter)).toEqual({ field: 'filter', problem: expect.stringMatching(`at most ${EVENT_FILTER_LIMITS.maxPatternLength}`) });
  });
});

describe('compiled filters against the platform fixture', () => {
  test('model_source hugging_face matches the published model.added event', () => {
    expect(matchesPattern(rule({ model_source: 'hugging_face' }), published)).toBe(true);
  });

  test('model_source github does not match it', () => {
    expect(matchesPattern(rule({ model_source: 'github' }), published)).toBe(false);
  });

  test.each<[JsonFilter, boolean]>([
    [{ model_name: { prefix: 'Llama-3' } }, true],
    [{ model_name: { suffix: '-1B' } }, true],
    [{ model_name: { 'equals-ignore-case': 'LLAMA-3.2-1B' } }, true],
    [{ auto_deploy: true, created_by: { suffix: '@example.com' } }, true],
    [{ auto_deploy: false }, false],
    [{ model_source: { 'anything-but': ['github', 'local'] } }, true],
    [{ model_source: { 'anything-but': { prefix: 'hugging' } } }, false],
    [{ deleted_at: { exists: false } }, true],
    [{ model_id: { exists: false } }, false],
    [{ 'owner.team': 'ml' }, false],
    [{ model_id: { numeric: ['>', 0] } }, false],
  ])('%j matches: %s', (filter, expected) => {
    expect(matchesPattern(rule(filter), published)).toBe(expected);
  });

  test('a rule for another bus namespace matches nothing the platform publishes', () => {
    const otherProject = { ...rule({ model_source: 'hugging_face' }), source: ['other-project'] };
    expect(matchesPattern(otherProject, published)).toBe(false);
  });
});
