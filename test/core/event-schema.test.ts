import * as fs from 'node:fs';
import * as path from 'node:path';
import { EVENT_SCHEMA_LIMITS, parseEventSchema, validateEventData, type EventSchemaJson, type ValidationWork } from '../../lambda/core/event-schema';

/** The cases the Python publish client's tests read too: both validators give the same first error. */
const CASES = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../fixtures/event-schema/cases.json'), 'utf8')) as {
  validation: Array<{ case: string; schema: unknown; data: unknown; error: string | null }>;
  schemas: Array<{ case: string; schema: unknown; error: string | null }>;
};

const schemaOf = (json: unknown): EventSchemaJson => {
  const parsed = parseEventSchema(json, 'schema');
  if (!parsed.ok) throw new Error(`${parsed.error.field}: ${parsed.error.problem}`);
  return parsed.value;
};
const firstError = (schema: EventSchemaJson, data: unknown, work?: ValidationWork): string | null => {
  const error = validateEventData(schema, data, 'data', work);
  return error ? `${error.field}: ${error.problem}` : null;
};

describe('validateEventData, on the cases shared with the Python client', () => {
  test.each(CASES.validation.map((c) => [c.case, c] as const))('%s', (_name, { schema, data, error }) => {
    // Prepare
    const parsed = schemaOf(schema);

    // Act
    const actual = firstError(parsed, data);

    // Assess
    expect(actual).toBe(error);
  });
});

describe('parseEventSchema, on the cases shared with the Python client', () => {
  test.each(CASES.schemas.map((c) => [c.case, c] as const))('%s', (_name, { schema, error }) => {
    // Act
    const parsed = parseEventSchema(schema, 'schema');

    // Assess
    expect(parsed.ok ? null : `${parsed.error.field}: ${parsed.error.problem}`).toBe(error);
  });
});

describe('parseEventSchema bounds a schema', () => {
  test('refuses a schema over 4,096 bytes of JSON, naming its size and the fix', () => {
    const properties = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`field_${i}`, { type: 'string', description: 'a field' }]));

    const parsed = parseEventSchema({ type: 'object', properties }, 'schema');

    expect(parsed).toMatchObject({ ok: false, error: { field: 'schema', problem: expect.stringMatching(/^is \d+ bytes as JSON, at most 4096 travel with each trigger: shorten descriptions/) } });
  });

  test(`refuses nesting deeper than ${EVENT_SCHEMA_LIMITS.maxDepth} levels`, () => {
    let nested: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 40; i++) nested = { type: 'object', properties: { a: nested } };

    const parsed = parseEventSchema(nested, 'schema');

    expect(parsed).toMatchObject({ ok: false, error: { problem: 'nests deeper than 32 levels: flatten the schema' } });
  });

  test('refuses a field named __proto__, which a JSON parse makes an own field', () => {
    const parsed = parseEventSchema(JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string"}}}'), 'schema');

    expect(parsed).toMatchObject({ ok: false, error: { field: 'schema.properties.__proto__' } });
  });

  test('reads only own fields of the data: an inherited name is no field', () => {
    const schema = schemaOf({ type: 'object', properties: { toString: { type: 'string' } }, required: ['toString'] });

    expect(firstError(schema, {})).toBe('data.toString: is required');
  });
});

describe('validateEventData runs in linear time (counted in steps, not measured in time)', () => {
  const steps = (schema: EventSchemaJson, data: unknown): number => {
    const work: ValidationWork = { steps: 0 };
    firstError(schema, data, work);
    return work.steps;
  };

  test('a list 100 times longer costs about 100 times the steps', () => {
    const schema = schemaOf({ type: 'object', properties: { runs: { type: 'array', items: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] } } } });
    const data = (n: number) => ({ runs: Array.from({ length: n }, (_, id) => ({ id })) });

    const ratio = steps(schema, data(100_000)) / steps(schema, data(1_000));

    expect(ratio).toBeGreaterThan(90);
    expect(ratio).toBeLessThan(110);
  });

  test('an object of many undeclared fields, with additionalProperties false, is scanned once', () => {
    const schema = schemaOf({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false });
    const data = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${n - i}`, i]));

    const ratio = steps(schema, data(100_000)) / steps(schema, data(1_000));

    expect(ratio).toBeLessThan(110);
    expect(firstError(schema, data(3))).toBe('data.k1: is not declared in the schema, which allows no other fields');
  });

  test('a long string is counted once for its length', () => {
    const schema = schemaOf({ type: 'object', properties: { s: { type: 'string', maxLength: 10 } } });

    const ratio = steps(schema, { s: 'x'.repeat(1_000_000) }) / steps(schema, { s: 'x'.repeat(10_000) });

    expect(ratio).toBeLessThan(110);
  });

  test('data nested far deeper than its schema is not walked below the schema', () => {
    const schema = schemaOf({ type: 'object', properties: { meta: { type: 'object' } } });
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = { next: deep };

    expect(steps(schema, { meta: deep })).toBe(2);
  });
});
