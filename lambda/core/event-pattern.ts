/**
 * EventBridge event-pattern matching for the subset that `compileFilter` emits plus what the rules
 * around it use: exact values (arrays are "any of"), prefix, suffix, equals-ignore-case, numeric,
 * exists, anything-but (a value, a list, { prefix } or { suffix }), and nested objects. An array in the event
 * matches when any of its elements does.
 *
 * The event-trigger function checks each event against its trigger's deployed pattern, so that an
 * invocation not made by the trigger's rule can deliver no event the rule would have dropped. Where
 * EventBridge's exact behaviour is not documented it errs towards matching: an array of objects matches a nested pattern
 * when any one element does. A pattern outside the subset throws rather than silently not matching.
 */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) throw new Error(`an event pattern must be an object, got ${JSON.stringify(pattern)}`);
  return matchesFields(pattern, event, '');
}

type Json = Record<string, unknown>;

// Every field and candidate is evaluated (no short-circuit), so a bad condition anywhere throws.
function matchesFields(pattern: Json, value: unknown, path: string): boolean {
  const results = Object.keys(pattern).map((key) => {
    const expected = pattern[key];
    const fieldPath = path ? `${path}.${key}` : key;
    const found = flatten(fieldValues(value, key));
    if (Array.isArray(expected)) return matchesLeaf(expected, found.filter((item) => !isObject(item)), fieldPath);
    if (isObject(expected)) {
      // A missing field still has to satisfy { exists: false } below it, so match against nothing.
      const candidates = found.filter(isObject);
      if (candidates.length === 0) return matchesFields(expected, undefined, fieldPath);
      return candidates.map((item) => matchesFields(expected, item, fieldPath)).some((matched) => matched);
    }
    throw new Error(`${fieldPath}: a pattern field is a list of conditions or an object of fields, got ${JSON.stringify(expected)}`);
  });
  return results.every((matched) => matched);
}

/** The field's own value(s): own properties only, looked up through arrays of objects. */
function fieldValues(value: unknown, key: string): unknown[] {
  if (Array.isArray(value)) return value.flatMap((item) => fieldValues(item, key));
  if (isObject(value) && Object.hasOwn(value, key)) return [value[key]];
  return [];
}

function flatten(values: readonly unknown[]): unknown[] {
  return values.flatMap((value) => (Array.isArray(value) ? flatten(value) : [value]));
}

/** `leaves` are the field's non-object values; an empty list means the field does not exist as a leaf. */
function matchesLeaf(conditions: readonly unknown[], leaves: readonly unknown[], path: string): boolean {
  if (conditions.length === 0) throw new Error(`${path}: EventBridge rejects an empty list of conditions`);
  // Every condition is checked before any is evaluated, so a bad one throws even when the field is absent.
  const tests = conditions.map((condition) => conditionTest(condition, path));
  return tests.some((test) => test(leaves));
}

type Test = (leaves: readonly unknown[]) => boolean;

function conditionTest(condition: unknown, path: string): Test {
  const any = (matches: (leaf: unknown) => boolean): Test => (leaves) => leaves.some(matches);
  if (Array.isArray(condition)) throw new Error(`${path}: a condition cannot be a list, got ${JSON.stringify(condition)}`);
  if (!isObject(condition)) return any((leaf) => leaf === condition);
  const [name] = Object.keys(condition);
  const value = operand(condition, name, path);
  switch (name) {
    case 'exists':
      if (typeof value !== 'boolean') throw new Error(`${path}: exists takes true or false`);
      return (leaves) => value === leaves.length > 0;
    case 'prefix': {
      const prefix = text(value, path);
      return any((leaf) => typeof leaf === 'string' && leaf.startsWith(prefix));
    }
    case 'suffix': {
      const suffix = text(value, path);
      return any((leaf) => typeof leaf === 'string' && leaf.endsWith(suffix));
    }
    case 'equals-ignore-case': {
      const expected = text(value, path).toLowerCase();
      return any((leaf) => typeof leaf === 'string' && leaf.toLowerCase() === expected);
    }
    case 'numeric':
      checkNumeric(value, path);
      return any((leaf) => typeof leaf === 'number' && matchesNumeric(value as unknown[], leaf));
    case 'anything-but':
      return anythingBut(value, path);
    default:
      throw new Error(`${path}: operator ${name} is outside the subset this matcher implements`);
  }
}

// As EventBridge matches on the values an event has, anything-but does not match an absent field.
function anythingBut(excluded: unknown, path: string): Test {
  if (Array.isArray(excluded)) return (leaves) => leaves.some((leaf) => !excluded.includes(leaf));
  if (!isObject(excluded)) return (leaves) => leaves.some((leaf) => leaf !== excluded);
  if (Object.hasOwn(excluded, 'suffix')) {
    const suffix = text(operand(excluded, 'suffix', path), path);
    return (leaves) => leaves.some((leaf) => !(typeof leaf === 'string' && leaf.endsWith(suffix)));
  }
  const prefix = text(operand(excluded, 'prefix', path), path);
  return (leaves) => leaves.some((leaf) => !(typeof leaf === 'string' && leaf.startsWith(prefix)));
}

function checkNumeric(comparisons: unknown, path: string): void {
  if (!Array.isArray(comparisons) || comparisons.length === 0 || comparisons.length % 2 !== 0) throw new Error(`${path}: bad numeric ${JSON.stringify(comparisons)}`);
  comparisons.forEach((item, index) => {
    if (index % 2 === 0 ? !['<', '<=', '>', '>=', '='].includes(String(item)) : typeof item !== 'number') {
      throw new Error(`${path}: bad numeric item ${JSON.stringify(item)} at ${index}`);
    }
  });
}

function matchesNumeric(comparisons: readonly unknown[], leaf: number): boolean {
  for (let index = 0; index < comparisons.length; index += 2) {
    const bound = comparisons[index + 1] as number;
    const holds = { '<': leaf < bound, '<=': leaf <= bound, '>': leaf > bound, '>=': leaf >= bound, '=': leaf === bound }[String(comparisons[index])];
    if (!holds) return false;
  }
  return true;
}

function operand(condition: Json, name: string, path: string): unknown {
  if (Object.keys(condition).length !== 1 || !Object.hasOwn(condition, name)) {
    throw new Error(`${path}: a condition object holds exactly one operator, got ${JSON.stringify(condition)}`);
  }
  return condition[name];
}

function text(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new Error(`${path}: expected a string operand, got ${JSON.stringify(value)}`);
  return value;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
