/**
 * A bounded subset of JSON Schema for a platform event's `data`, and its validator. The subset is
 *
 *     type                      object, string, number, integer, boolean, array, null, or a list of them
 *     properties, required      an object's declared fields; every required field must be declared
 *     additionalProperties      true or false (no schema for the other fields)
 *     enum, const               strings, numbers, booleans or null (no objects or lists)
 *     minimum, maximum, exclusiveMinimum, exclusiveMaximum          numbers (the bound itself)
 *     minLength, maxLength      in characters (code points)
 *     items, minItems, maxItems one schema for every item
 *     description, title        text, ignored by the validator
 *
 * and nothing else: `pattern` is refused because a regular expression from configuration can take more
 * than linear time on an event, `$ref` because it can make a schema recursive. Validation visits each
 * value the schema describes once, so it costs the size of the data (times a factor the schema bounds).
 * The Python publish client implements the same subset with the same messages
 * (`test/fixtures/event-schema/cases.json` holds the cases both read). Pure: no SDK, no clock.
 */
import { accept, isRecord, own, reject, type FieldError, type Parsed } from './result';

export type SchemaType = 'object' | 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'null';
export type SchemaScalar = string | number | boolean | null;

/** A schema of the subset, as parsed: every keyword checked, nothing else in it. */
export interface EventSchemaJson {
  readonly type?: SchemaType | readonly SchemaType[];
  readonly properties?: Readonly<Record<string, EventSchemaJson>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly enum?: readonly SchemaScalar[];
  readonly const?: SchemaScalar;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly items?: EventSchemaJson;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly description?: string;
  readonly title?: string;
}

/** How large and deep a schema may be: it travels in its triggers' configurations (SSM parameters of 8 KB). */
export const EVENT_SCHEMA_LIMITS = { maxBytes: 4096, maxDepth: 32 } as const;

const TYPES: readonly SchemaType[] = ['object', 'string', 'number', 'integer', 'boolean', 'array', 'null'];
const NUMBER_KEYWORDS = ['minimum', 'exclusiveMinimum', 'maximum', 'exclusiveMaximum'] as const;
const COUNT_KEYWORDS = ['minLength', 'maxLength', 'minItems', 'maxItems'] as const;
const KEYWORDS = ['type', 'properties', 'required', 'additionalProperties', 'enum', 'const', ...NUMBER_KEYWORDS, ...COUNT_KEYWORDS, 'items', 'description', 'title'];
const SUBSET = 'type, properties, required, additionalProperties, enum, const, minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength, items, minItems, maxItems, description and title';
const REGEX_PROBLEM = 'is not supported: a regular expression from configuration can take more than linear time on an event; use enum, const or minLength/maxLength, or check the text in the pipeline';
const KEYWORD_PROBLEMS: Readonly<Record<string, string>> = {
  pattern: REGEX_PROBLEM,
  patternProperties: REGEX_PROBLEM,
  $ref: 'is not supported: write the referenced schema inline',
  $defs: 'is not supported: write the referenced schema inline',
  definitions: 'is not supported: write the referenced schema inline',
  anyOf: 'is not supported: use a list of types in type, or enum',
  oneOf: 'is not supported: use a list of types in type, or enum',
  allOf: 'is not supported: write the schemas as one',
};

/**
 * Checks that `input` is a schema of the subset for an event's `data` (an object: `type` is `object`) and
 * at most {@link EVENT_SCHEMA_LIMITS.maxBytes} as JSON. Errors name the keyword under `path`
 * (`schema.properties.team.pattern`) and the fix.
 */
export function parseEventSchema(input: unknown, path: string): Parsed<EventSchemaJson> {
  const parsed = parseNode(input, path, 0);
  if (!parsed.ok) return parsed;
  const type = parsed.value.type;
  if (!(type === 'object' || (Array.isArray(type) && type.length === 1 && type[0] === 'object'))) {
    return reject(`${path}.type`, "must be 'object': an event's data is an object of fields");
  }
  const bytes = new TextEncoder().encode(JSON.stringify(input)).length;
  if (bytes > EVENT_SCHEMA_LIMITS.maxBytes) {
    return reject(path, `is ${bytes} bytes as JSON, at most ${EVENT_SCHEMA_LIMITS.maxBytes} travel with each trigger: shorten descriptions, or declare fewer fields`);
  }
  return parsed;
}

function parseNode(input: unknown, path: string, depth: number): Parsed<EventSchemaJson> {
  if (!isRecord(input)) return reject(path, 'must be an object (a JSON Schema)');
  if (depth >= EVENT_SCHEMA_LIMITS.maxDepth) return reject(path, `nests deeper than ${EVENT_SCHEMA_LIMITS.maxDepth} levels: flatten the schema`);
  for (const key of Object.keys(input)) {
    if (KEYWORDS.includes(key)) continue;
    return reject(`${path}.${key}`, own(KEYWORD_PROBLEMS, key) ?? `is not supported: the subset takes ${SUBSET}; remove it`);
  }
  const at = (keyword: string) => `${path}.${keyword}`;
  const { type, properties, required, additionalProperties, items } = input;
  if (type !== undefined && !isTypeList(type)) {
    return reject(at('type'), `must be one of ${TYPES.join(', ')}, or a non-empty list of them without repeats`);
  }
  let parsedProperties: Record<string, EventSchemaJson> | undefined;
  if (properties !== undefined) {
    if (!isRecord(properties)) return reject(at('properties'), 'must be an object of field schemas');
    parsedProperties = {};
    for (const name of sortedKeys(properties)) {
      if (name === '__proto__') return reject(`${at('properties')}.${name}`, 'names a JavaScript object internal: publish the value under another field name');
      const field = parseNode(properties[name], `${at('properties')}.${name}`, depth + 1);
      if (!field.ok) return field;
      Object.defineProperty(parsedProperties, name, { value: field.value, enumerable: true, writable: true, configurable: true });
    }
  }
  if (required !== undefined) {
    if (!Array.isArray(required) || required.some((name) => typeof name !== 'string') || new Set(required).size !== required.length) {
      return reject(at('required'), 'must be a list of field names without repeats');
    }
    for (const [index, name] of (required as string[]).entries()) {
      if (parsedProperties === undefined || own(parsedProperties, name) === undefined) {
        return reject(`${at('required')}[${index}]`, `names '${name}', which properties does not declare: declare it in properties`);
      }
    }
  }
  if (additionalProperties !== undefined && typeof additionalProperties !== 'boolean') {
    return reject(at('additionalProperties'), 'must be true or false (a schema for the other fields is not supported)');
  }
  if (input.enum !== undefined) {
    const values = input.enum;
    if (!Array.isArray(values) || values.length === 0 || !values.every(isScalar) || new Set(values.map((v) => JSON.stringify(v))).size !== values.length) {
      return reject(at('enum'), 'must be a non-empty list of strings, numbers, booleans or null without repeats');
    }
  }
  if (input.const !== undefined && !isScalar(input.const)) return reject(at('const'), 'must be a string, a number, a boolean or null');
  for (const keyword of NUMBER_KEYWORDS) {
    const bound = input[keyword];
    if (bound !== undefined && (typeof bound !== 'number' || !Number.isFinite(bound))) return reject(at(keyword), 'must be a number (the bound itself)');
  }
  for (const keyword of COUNT_KEYWORDS) {
    const count = input[keyword];
    if (count !== undefined && (typeof count !== 'number' || !Number.isInteger(count) || count < 0)) return reject(at(keyword), 'must be a whole number of at least 0');
  }
  let parsedItems: EventSchemaJson | undefined;
  if (items !== undefined) {
    if (Array.isArray(items)) return reject(at('items'), 'must be one schema for every item (a list of schemas is not supported)');
    const item = parseNode(items, at('items'), depth + 1);
    if (!item.ok) return item;
    parsedItems = item.value;
  }
  for (const keyword of ['description', 'title']) {
    if (input[keyword] !== undefined && typeof input[keyword] !== 'string') return reject(at(keyword), 'must be a string');
  }
  return accept({ ...input, ...(parsedProperties ? { properties: parsedProperties } : {}), ...(parsedItems ? { items: parsedItems } : {}) } as EventSchemaJson);
}

function isTypeList(type: unknown): boolean {
  if (typeof type === 'string') return (TYPES as readonly string[]).includes(type);
  return Array.isArray(type) && type.length > 0 && type.every((t) => typeof t === 'string' && (TYPES as readonly string[]).includes(t)) && new Set(type).size === type.length;
}

const isScalar = (value: unknown): value is SchemaScalar =>
  value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));

/** Names in UTF-16 code unit order (the Python client sorts the same way), so the first error is the same in both. */
const sortedKeys = (record: object): string[] => Object.keys(record).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** Counts the validator's steps: a test reads it to show the work grows with the data, not faster. */
export interface ValidationWork {
  steps: number;
}

/**
 * The first way `value` fails `schema`, as a field error under `path` (`data.owner.team`, `must be a
 * string`), or undefined when it conforms. At each value, in this order: `type`, `const`, `enum`; then
 * for a number its bounds, for a string its lengths, for an array its counts then each item in order, for
 * an object each `required` field in listed order, each declared field present (by name), and, with
 * `additionalProperties: false`, the undeclared field that sorts first. Only own fields are read.
 */
export function validateEventData(schema: EventSchemaJson, value: unknown, path = 'data', work?: ValidationWork): FieldError | undefined {
  if (work) work.steps++;
  if (schema.type !== undefined) {
    const types = typeof schema.type === 'string' ? [schema.type] : schema.type;
    if (!types.some((type) => hasType(value, type))) return { field: path, problem: `must be ${typePhrase(types)}` };
  }
  if (schema.const !== undefined && !sameScalar(value, schema.const)) return { field: path, problem: `must be ${jsonText(schema.const)}` };
  if (schema.enum !== undefined && !schema.enum.some((allowed) => sameScalar(value, allowed))) {
    return { field: path, problem: `must be one of ${schema.enum.map(jsonText).join(', ')}` };
  }
  if (typeof value === 'number') return numberProblem(schema, value, path);
  if (typeof value === 'string') return lengthProblem(schema, value, path, work);
  if (Array.isArray(value)) return arrayProblem(schema, value, path, work);
  if (isRecord(value)) return objectProblem(schema, value, path, work);
  return undefined;
}

function numberProblem(schema: EventSchemaJson, value: number, path: string): FieldError | undefined {
  const { minimum, exclusiveMinimum, maximum, exclusiveMaximum } = schema;
  if (minimum !== undefined && value < minimum) return { field: path, problem: `must be at least ${jsonText(minimum)}` };
  if (exclusiveMinimum !== undefined && value <= exclusiveMinimum) return { field: path, problem: `must be greater than ${jsonText(exclusiveMinimum)}` };
  if (maximum !== undefined && value > maximum) return { field: path, problem: `must be at most ${jsonText(maximum)}` };
  if (exclusiveMaximum !== undefined && value >= exclusiveMaximum) return { field: path, problem: `must be less than ${jsonText(exclusiveMaximum)}` };
  return undefined;
}

function lengthProblem(schema: EventSchemaJson, value: string, path: string, work: ValidationWork | undefined): FieldError | undefined {
  if (schema.minLength === undefined && schema.maxLength === undefined) return undefined;
  const length = codePoints(value, work);
  if (schema.minLength !== undefined && length < schema.minLength) return { field: path, problem: `must be at least ${schema.minLength} characters long` };
  if (schema.maxLength !== undefined && length > schema.maxLength) return { field: path, problem: `must be at most ${schema.maxLength} characters long` };
  return undefined;
}

function arrayProblem(schema: EventSchemaJson, value: readonly unknown[], path: string, work: ValidationWork | undefined): FieldError | undefined {
  const items = (count: number) => `${count} item${count === 1 ? '' : 's'}`;
  if (schema.minItems !== undefined && value.length < schema.minItems) return { field: path, problem: `must hold at least ${items(schema.minItems)}` };
  if (schema.maxItems !== undefined && value.length > schema.maxItems) return { field: path, problem: `must hold at most ${items(schema.maxItems)}` };
  if (schema.items === undefined) return undefined;
  for (let index = 0; index < value.length; index++) {
    const problem = validateEventData(schema.items, value[index], `${path}[${index}]`, work);
    if (problem) return problem;
  }
  return undefined;
}

function objectProblem(schema: EventSchemaJson, value: Readonly<Record<string, unknown>>, path: string, work: ValidationWork | undefined): FieldError | undefined {
  const properties = schema.properties ?? {};
  for (const name of schema.required ?? []) {
    if (work) work.steps++;
    if (!Object.hasOwn(value, name)) return { field: fieldPath(path, name), problem: 'is required' };
  }
  for (const name of sortedKeys(properties)) {
    if (!Object.hasOwn(value, name)) continue;
    const problem = validateEventData(properties[name], value[name], fieldPath(path, name), work);
    if (problem) return problem;
  }
  if (schema.additionalProperties !== false) return undefined;
  let first: string | undefined;
  for (const name of Object.keys(value)) {
    if (work) work.steps++;
    if (!Object.hasOwn(properties, name) && (first === undefined || name < first)) first = name;
  }
  return first === undefined ? undefined : { field: fieldPath(path, first), problem: 'is not declared in the schema, which allows no other fields' };
}

function hasType(value: unknown, type: SchemaType): boolean {
  switch (type) {
    case 'object':
      return isRecord(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
  }
}

const ARTICLES: Readonly<Record<SchemaType, string>> = {
  object: 'an object', array: 'an array', string: 'a string', number: 'a number', integer: 'an integer', boolean: 'a boolean', null: 'null',
};

/** `a string`, `a string or null`, `a string, a number or null`. */
function typePhrase(types: readonly SchemaType[]): string {
  const words = types.map((type) => ARTICLES[type]);
  return words.length === 1 ? words[0] : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** Equal as JSON values: a boolean never equals a number, 1 equals 1.0. */
const sameScalar = (value: unknown, allowed: SchemaScalar): boolean => value === allowed;

const jsonText = (value: SchemaScalar): string => JSON.stringify(value);

/** A field's path: `data.team`, or `data["odd name"]` for a name that does not read as a path. */
export const fieldPath = (path: string, name: string): string => (/^[A-Za-z0-9_-]+$/.test(name) ? `${path}.${name}` : `${path}[${JSON.stringify(name)}]`);

/** The string's length in code points, as JSON Schema counts characters. */
function codePoints(text: string, work: ValidationWork | undefined): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    length++;
  }
  if (work) work.steps += text.length;
  return length;
}
