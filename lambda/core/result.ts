/** A rejected input: which field, and what is wrong with it. */
export interface FieldError {
  /** A path into the input, such as `detail.object.key`. */
  readonly field: string;
  readonly problem: string;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: FieldError };

export const accept = <T>(value: T): Parsed<T> => ({ ok: true, value });
export const reject = <T>(field: string, problem: string): Parsed<T> => ({ ok: false, error: { field, problem } });

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads `record[name]` as a non-empty string, or explains why it is not one. */
export function requiredString(record: Record<string, unknown>, name: string, path: string): Parsed<string> {
  const value = record[name];
  if (value === undefined || value === null) return reject(path, 'is missing');
  if (typeof value !== 'string') return reject(path, `must be a string, got ${describe(value)}`);
  if (value.length === 0) return reject(path, 'must not be empty');
  return accept(value);
}

/** Reads `record[name]` as a finite number within [min, max]. */
export function requiredNumber(
  record: Record<string, unknown>,
  name: string,
  path: string,
  min: number,
  max: number,
): Parsed<number> {
  const value = record[name];
  if (value === undefined || value === null) return reject(path, 'is missing');
  if (typeof value !== 'number' || !Number.isFinite(value)) return reject(path, `must be a number, got ${describe(value)}`);
  if (value < min || value > max) return reject(path, `must be between ${min} and ${max}, got ${value}`);
  return accept(value);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string '${value.length > 40 ? `${value.slice(0, 40)}...` : value}'`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/** Parses JSON text, naming the field when it is not JSON. */
export function parseJson(text: unknown, field: string): Parsed<unknown> {
  if (typeof text !== 'string') return reject(field, `must be a string, got ${describe(text)}`);
  try {
    return accept(JSON.parse(text) as unknown);
  } catch (error) {
    return reject(field, `is not JSON: ${(error as Error).message}`);
  }
}

/** A record's own entry: a feature named `constructor` must not find Object.prototype's. */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Drops undefined fields, so optional fields are absent rather than present and undefined. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** `requiredNumber`, saying `at least <min>` where there is no upper bound. */
export function numberIn(record: Record<string, unknown>, name: string, path: string, min: number, max: number): Parsed<number> {
  const value = requiredNumber(record, name, path, -Infinity, Infinity);
  if (!value.ok || (value.value >= min && value.value <= max)) return value;
  return reject(path, max === Infinity ? `must be at least ${min}, got ${value.value}` : `must be between ${min} and ${max}, got ${value.value}`);
}

/**
 * Parses the settings a deployment wrote as JSON text into a named variable, naming fields from the variable
 * (`TRIGGER_SETTINGS.workspace`); the caller reads the variable, so this stays free of the environment.
 */
export function parseSettingsText<T>(name: string, text: string | undefined, parse: (input: unknown) => Parsed<T>): Parsed<T> {
  if (text === undefined || text === '') return reject(name, 'is not set');
  const json = parseJson(text, name);
  if (!json.ok) return json;
  const parsed = parse(json.value);
  return parsed.ok ? parsed : reject(`${name}.${parsed.error.field}`, parsed.error.problem);
}
