import { accept, describe, isRecord, own, reject, type Parsed } from './result';

/** A filter on a platform event's `data` object, as a trigger's user writes it. */
export type JsonFilter = Readonly<Record<string, unknown>>;

/** EventBridge's limits that a compiled filter must keep (EventBridge user guide and quotas). */
export const EVENT_FILTER_LIMITS = {
  /** "Numeric matching ... is limited to values between -5.0e9 and +5.0e9 inclusive". */
  maxNumericMagnitude: 5e9,
  /** "... with 15 digits of precision, or six digits to the right of the decimal point". */
  maxNumericDecimals: 6,
  /**
   * The default event pattern size quota, in characters. `{"detail":{"data":<fragment>}}` must fit;
   * the caller adds `source` and `detail-type` and checks the whole pattern with `checkEventPatternSize`.
   */
  maxPatternLength: 2048,
} as const;

/** The operators this grammar accepts as a field's value. */
export const FILTER_OPERATORS = ['prefix', 'suffix', 'equals-ignore-case', 'numeric', 'exists', 'anything-but'] as const;
// EventBridge operators (or near-misses of ours) that are rejected rather than read as a nested field.
const UNSUPPORTED_OPERATORS = ['cidr', 'wildcard', 'contains'];
const COMPARISONS = ['<', '<=', '>', '>=', '='];
const LOWER_BOUNDS = ['>', '>='];
const UPPER_BOUNDS = ['<', '<='];

// Names that objects inherit or that name a prototype: '__proto__' vanishes from the rule aws-cdk-lib renders.
const PROTOTYPE_FIELDS = ['__proto__', 'constructor', 'prototype'];

type Scalar = string | number | boolean | null;
type Pattern = Record<string, unknown>;

/**
 * Compiles a filter on the event's `data` into the EventBridge pattern for `detail.data`, e.g.
 * `{ model_source: 'hugging_face' }` -> `{ model_source: ['hugging_face'] }`.
 *
 * Grammar: the filter is an object of fields (all must match). A field's value is one of
 * - a string, number, boolean or null: equality, `"v"` -> `["v"]`;
 * - a non-empty list of those, meaning one of them, `["a", "b"]` -> `["a", "b"]`;
 * - an object with exactly one operator, each compiled to `[{ <operator>: <operand> }]`:
 *   `{ "prefix": "str" }`, `{ "suffix": "str" }` (non-empty strings), `{ "equals-ignore-case": "str" }`,
 *   `{ "numeric": [">", 0, "<=", 5] }` (one comparison of `<`, `<=`, `>`, `>=`, `=`, or a range: a lower
 *   bound `>`/`>=` then an upper bound `<`/`<=` above it; finite numbers within +-5e9, at most 6 decimals),
 *   `{ "exists": true | false }`, `{ "anything-but": "s" | 1 | ["a", "b"] | [1, 2] | { "prefix": "str" } }`
 *   (a list holds only strings or only numbers);
 * - an object without operator keys: nested fields, `{ "owner": { "team": "ml" } }`.
 * A key with dots, `"owner.team": "ml"`, is the same as the nested form, at any depth; it also lets a
 * field named like an operator be filtered (`"owner.exists": "yes"`). Field names cannot hold a literal
 * dot. Rejected, with the path named (`filter.size_gb.numeric[1]`): empty field names, `$`-keys (EventBridge
 * reserves them, e.g. `$or`), unsupported or mis-cased operators (`cidr`, `wildcard`, `Prefix`), more than
 * one operator or operators mixed with fields, empty lists or objects, nested lists, objects inside lists,
 * a field given twice, fields named `__proto__`, `constructor` or `prototype` (and an object literal whose
 * `__proto__` key set its prototype), and a pattern over the size quota.
 */
export function compileFilter(filter: JsonFilter): Parsed<Record<string, unknown>> {
  if (!isRecord(filter)) return reject('filter', `must be an object of fields, got ${describe(filter)}`);
  if (Object.keys(filter).length === 0) return reject('filter', 'names no field: give at least one, e.g. { "model_source": "hugging_face" }');
  const compiled = compileFields(filter, 'filter');
  if (!compiled.ok) return compiled;
  const size = checkEventPatternSize({ detail: { data: compiled.value } }, 'filter');
  return size.ok ? compiled : size;
}

/**
 * Checks a whole event pattern, as CloudFormation sends it (JSON without spaces), against EventBridge's
 * default pattern size quota; the error names `field`, the prop that makes the pattern long.
 */
export function checkEventPatternSize(pattern: Readonly<Record<string, unknown>>, field: string): Parsed<number> {
  const length = JSON.stringify(pattern).length;
  const max = EVENT_FILTER_LIMITS.maxPatternLength;
  if (length <= max) return accept(length);
  return reject(
    field,
    `makes the rule's event pattern ${length} characters, EventBridge takes at most ${max} (its default "Event pattern size" quota): ` +
      'match fewer or shorter values and names, or split the trigger',
  );
}

function compileFields(fields: Record<string, unknown>, path: string): Parsed<Pattern> {
  const inherited = Object.getPrototypeOf(fields) as unknown;
  if (inherited !== Object.prototype && inherited !== null) {
    return reject(path, 'has a prototype of its own, as a __proto__ key in an object literal gives it (it sets the prototype, it is no field): quote the filter as JSON, or leave the key out');
  }
  const out: Pattern = {};
  for (const key of Object.keys(fields)) {
    const fieldPath = `${path}.${key}`;
    const segments = key.split('.');
    if (segments.some((segment) => segment.length === 0)) {
      return reject(fieldPath, 'has an empty field name: EventBridge field names are non-empty; nest with "a.b" or { "a": { "b": ... } }');
    }
    const reserved = segments.find((segment) => segment.startsWith('$'));
    if (reserved !== undefined) return reject(fieldPath, `uses '${reserved}': EventBridge reserves $-keys for operators such as $or`);
    const internal = segments.find((segment) => PROTOTYPE_FIELDS.includes(segment));
    if (internal !== undefined) {
      return reject(
        fieldPath,
        `filters a field named '${internal}', a JavaScript object internal: aws-cdk-lib drops '__proto__' from the rule (which would then match the events the filter excludes), and all three are refused alike; publish the value under another field name`,
      );
    }
    const value = compileValue(fields[key], fieldPath);
    if (!value.ok) return value;
    const nested = segments.slice(1).reduceRight<unknown>((inner, segment) => withField({}, segment, inner), value.value);
    const merged = mergeField(out, segments[0], nested, fieldPath);
    if (!merged.ok) return merged;
  }
  return accept(out);
}

function compileValue(value: unknown, path: string): Parsed<unknown> {
  if (isScalar(value)) return scalarProblem(value, path) ?? accept([value]);
  if (Array.isArray(value)) return compileAnyOf(value, path);
  if (!isRecord(value)) return reject(path, `must be a string, number, boolean, null, a list of them or an object, got ${describe(value)}`);
  const keys = Object.keys(value);
  if (keys.length === 0) return reject(path, 'is an empty object: give an operator such as { "prefix": "..." } or nested fields');
  for (const key of keys) {
    const unknown = unknownOperator(key);
    if (unknown !== undefined) return reject(`${path}.${key}`, unknown);
  }
  const operators = keys.filter(isOperator);
  if (operators.length === 0) return compileFields(value, path);
  if (operators.length > 1) return reject(path, `holds ${operators.length} operators (${operators.join(', ')}): use one operator per field`);
  if (keys.length > 1) {
    const field = keys.find((key) => !isOperator(key));
    return reject(path, `mixes the operator '${operators[0]}' with the field '${field}': nest the field, or use a dotted key for it`);
  }
  return compileOperator(operators[0], value[operators[0]], `${path}.${operators[0]}`);
}

function compileAnyOf(values: readonly unknown[], path: string): Parsed<unknown> {
  if (values.length === 0) return reject(path, 'is an empty list: EventBridge needs at least one value to match');
  for (const [index, item] of values.entries()) {
    const itemPath = `${path}[${index}]`;
    if (Array.isArray(item)) return reject(itemPath, 'is a nested list: a list holds only strings, numbers, booleans or null');
    if (!isScalar(item)) return reject(itemPath, `must be a string, number, boolean or null, got ${describe(item)}; use a single operator object instead of a list`);
    const problem = scalarProblem(item, itemPath);
    if (problem) return problem;
  }
  return accept([...values]);
}

function compileOperator(operator: Operator, operand: unknown, path: string): Parsed<unknown> {
  switch (operator) {
    case 'prefix':
    case 'suffix':
      if (typeof operand !== 'string' || operand.length === 0) return reject(path, `must be a non-empty string, got ${describe(operand)}`);
      return accept([{ [operator]: operand }]);
    case 'equals-ignore-case':
      if (typeof operand !== 'string') return reject(path, `must be a string, got ${describe(operand)}`);
      return accept([{ [operator]: operand }]);
    case 'exists':
      if (typeof operand !== 'boolean') return reject(path, `must be true or false, got ${describe(operand)}`);
      return accept([{ exists: operand }]);
    case 'numeric':
      return compileNumeric(operand, path);
    case 'anything-but':
      return compileAnythingBut(operand, path);
  }
}

function compileNumeric(operand: unknown, path: string): Parsed<unknown> {
  if (!Array.isArray(operand)) return reject(path, `must be a list such as [">", 0, "<=", 5], got ${describe(operand)}`);
  if (operand.length !== 2 && operand.length !== 4) {
    return reject(path, `holds ${operand.length} items: use one comparison [">", 0] or a range [">", 0, "<=", 5]`);
  }
  for (const [index, item] of operand.entries()) {
    const itemPath = `${path}[${index}]`;
    if (index % 2 === 0) {
      if (typeof item !== 'string' || !COMPARISONS.includes(item)) return reject(itemPath, `must be one of ${COMPARISONS.join(' ')}, got ${describe(item)}`);
      continue;
    }
    if (typeof item !== 'number' || !Number.isFinite(item)) return reject(itemPath, `must be a finite number, got ${describe(item)}`);
    const problem = numericProblem(item, itemPath);
    if (problem) return problem;
  }
  if (operand.length === 4) {
    const [lowerOp, lower, upperOp, upper] = operand as [string, number, string, number];
    if (!LOWER_BOUNDS.includes(lowerOp)) return reject(`${path}[0]`, `must be '>' or '>=': a range gives its lower bound first, got '${lowerOp}'`);
    if (!UPPER_BOUNDS.includes(upperOp)) return reject(`${path}[2]`, `must be '<' or '<=': a range gives its upper bound second, got '${upperOp}'`);
    if (!(lower < upper)) return reject(`${path}[3]`, `makes an empty range: the upper bound ${upper} must be greater than the lower bound ${lower}`);
  }
  return accept([{ numeric: [...operand] }]);
}

function compileAnythingBut(operand: unknown, path: string): Parsed<unknown> {
  const expected = 'a string, a number, a list of only strings or only numbers, or { "prefix": "..." }';
  if (typeof operand === 'string') return accept([{ 'anything-but': operand }]);
  if (typeof operand === 'number') return scalarProblem(operand, path) ?? accept([{ 'anything-but': operand }]);
  if (Array.isArray(operand)) {
    if (operand.length === 0) return reject(path, 'is an empty list: give at least one value to exclude');
    for (const [index, item] of operand.entries()) {
      if (typeof item !== 'string' && typeof item !== 'number') return reject(`${path}[${index}]`, `must be a string or a number, got ${describe(item)}`);
      const problem = scalarProblem(item, `${path}[${index}]`);
      if (problem) return problem;
    }
    if (new Set(operand.map((item) => typeof item)).size > 1) return reject(path, 'mixes strings and numbers: EventBridge takes a list of only strings or only numbers');
    return accept([{ 'anything-but': [...operand] }]);
  }
  if (isRecord(operand)) {
    const keys = Object.keys(operand);
    if (keys.length !== 1 || keys[0] !== 'prefix') return reject(path, `must be ${expected}; as an object it takes only "prefix"`);
    const prefix = operand.prefix;
    if (typeof prefix !== 'string' || prefix.length === 0) return reject(`${path}.prefix`, `must be a non-empty string, got ${describe(prefix)}`);
    return accept([{ 'anything-but': { prefix } }]);
  }
  return reject(path, `must be ${expected}, got ${describe(operand)}`);
}

/** Merges `value` into `target[key]`; objects of fields merge, anything else given twice is an error. */
function mergeField(target: Pattern, key: string, value: unknown, path: string): Parsed<true> {
  const existing = own(target, key);
  if (existing === undefined) {
    withField(target, key, value);
    return accept(true);
  }
  if (isRecord(existing) && isRecord(value)) {
    for (const inner of Object.keys(value)) {
      const merged = mergeField(existing, inner, value[inner], path);
      if (!merged.ok) return merged;
    }
    return accept(true);
  }
  return reject(path, `filters the field '${key}' twice (a dotted key and a nested object name the same field)`);
}

/** Defines an own property, so that a field named `__proto__` is data, not the object's prototype. */
function withField(target: Pattern, key: string, value: unknown): Pattern {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return target;
}

type Operator = (typeof FILTER_OPERATORS)[number];
const isOperator = (key: string): key is Operator => (FILTER_OPERATORS as readonly string[]).includes(key);

function unknownOperator(key: string): string | undefined {
  if (key.startsWith('$')) return `is not a supported operator: EventBridge reserves $-keys (e.g. $or); use ${FILTER_OPERATORS.join(', ')}`;
  if (UNSUPPORTED_OPERATORS.includes(key)) return `is not a supported operator: use ${FILTER_OPERATORS.join(', ')}`;
  const near = FILTER_OPERATORS.find((operator) => normalize(operator) === normalize(key) && operator !== key);
  return near === undefined ? undefined : `is not an operator: did you mean '${near}'? (to filter a field of this name, use a dotted key)`;
}

const normalize = (key: string): string => key.toLowerCase().replace(/[^a-z]/g, '');

function isScalar(value: unknown): value is Scalar {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function scalarProblem(value: Scalar, path: string): Parsed<never> | undefined {
  return typeof value === 'number' && !Number.isFinite(value) ? reject(path, `must be a finite number, got ${describe(value)}`) : undefined;
}

function numericProblem(value: number, path: string): Parsed<never> | undefined {
  const { maxNumericMagnitude, maxNumericDecimals } = EVENT_FILTER_LIMITS;
  if (Math.abs(value) > maxNumericMagnitude) return reject(path, `must be between -${maxNumericMagnitude} and ${maxNumericMagnitude} for EventBridge numeric matching, got ${value}`);
  if (Number(value.toFixed(maxNumericDecimals)) !== value) return reject(path, `has more than ${maxNumericDecimals} decimals, EventBridge numeric matching keeps ${maxNumericDecimals}, got ${value}`);
  return undefined;
}
