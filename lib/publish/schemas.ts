import { parseEventSchema, type EventSchemaJson } from '../../lambda/core/event-schema';
import { eventDataProblem } from '../../lambda/core/typed-events';
import type { Parsed } from '../../lambda/core/result';

/** Each schema object of a target, parsed once. */
const PARSED = new WeakMap<object, Parsed<EventSchemaJson>>();

/**
 * Why an event must not be sent under the target's schemas: its name's schema is outside the subset
 * (`InvalidSchema`), or its `data`, as it will be sent (the JSON of `detail`; absent is `{}`), fails it
 * (`SchemaViolation`, the message starting with the field: `data.owner.team: must be a string`).
 */
export function schemaError(schemas: Readonly<Record<string, unknown>> | undefined, name: string, detail: string): { code: string; message: string } | undefined {
  const schema = schemas !== undefined && Object.hasOwn(schemas, name) ? schemas[name] : undefined;
  if (schema === undefined) return undefined;
  const parsed = parsedSchema(schema);
  if (!parsed.ok) {
    return { code: 'InvalidSchema', message: `the schema of '${name}' in the target is not one a bus declares: ${parsed.error.field}: ${parsed.error.problem}` };
  }
  const problem = eventDataProblem({ [name]: parsed.value }, name, JSON.parse(detail) as Record<string, unknown>);
  return problem ? { code: 'SchemaViolation', message: `${problem.field}: ${problem.problem}` } : undefined;
}

function parsedSchema(schema: unknown): Parsed<EventSchemaJson> {
  if (typeof schema !== 'object' || schema === null) return parseEventSchema(schema, 'schema');
  let parsed = PARSED.get(schema);
  if (!parsed) {
    parsed = parseEventSchema(schema, 'schema');
    PARSED.set(schema, parsed);
  }
  return parsed;
}
