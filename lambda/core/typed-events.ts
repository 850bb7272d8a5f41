/**
 * Typed events: what a trigger reads of an event whose name declares a schema for its `data` (parameter
 * templates, filters) must be a field the schema declares, and an event that does not conform is dropped
 * before anything else reads it. Events without a schema stay untyped. Pure: no SDK, no clock.
 *
 * A schema's `required` fields are not added to the rule's pattern as `exists: true`, though they could be:
 * an event the rule drops is counted nowhere, while one the function drops is logged with its field and
 * counted (`EventsFailingSchema`), and the pattern's 2,048 characters are left to filters.
 */
import { fieldPath, validateEventData, type EventSchemaJson, type SchemaType } from './event-schema';
import { isRecord, own, type FieldError } from './result';
import type { ParsedTemplate, TemplateSegment } from './templates';

/** The declared schemas of a trigger's events, by event name; a name without one is untyped. */
export type EventSchemas = Readonly<Record<string, EventSchemaJson>>;

/**
 * What is wrong with reading `segments` from data that conforms to `schema`, or undefined when the schema
 * declares the path. A free-form object (no `properties` and other fields allowed) or a value of any type
 * is not looked into: reads below it are untyped. A read that ends on a value that can only be an object
 * or an array is refused, since a parameter takes a string, a number or a boolean.
 */
export function undeclaredPathProblem(schema: EventSchemaJson, segments: readonly TemplateSegment[]): string | undefined {
  let node: EventSchemaJson = schema;
  let path = 'data';
  for (const segment of segments) {
    const types = typesOf(node);
    if ('key' in segment) {
      if (types && !types.includes('object')) return `${path} is declared as ${types.join(' or ')}, which has no field '${segment.key}'`;
      const next = node.properties === undefined ? undefined : own(node.properties, segment.key);
      if (next === undefined) {
        if (node.properties === undefined && node.additionalProperties !== false) return undefined;
        const declared = Object.keys(node.properties ?? {}).sort();
        return `${path} declares no field '${segment.key}'; it declares ${declared.length > 0 ? declared.join(', ') : 'no fields'}`;
      }
      node = next;
      path = fieldPath(path, segment.key);
    } else {
      if (types && !types.includes('array')) return `${path} is declared as ${types.join(' or ')}, which has no item [${segment.index}]`;
      if (node.maxItems !== undefined && segment.index >= node.maxItems) return `${path} holds at most ${node.maxItems} items, so never an item [${segment.index}]`;
      if (node.items === undefined) return undefined;
      node = node.items;
      path = `${path}[${segment.index}]`;
    }
  }
  const types = typesOf(node);
  if (types && types.every((type) => type === 'object' || type === 'array' || type === 'null')) {
    return `${path} is declared as ${types.join(' or ')}: a parameter takes a string, a number or a boolean`;
  }
  return undefined;
}

/**
 * The first parameter template that reads a field the schema of its event does not declare: `event.<path>`
 * is checked against the schema of every event that can trigger (each of a join's), `events.<name>.<path>`
 * against the schema of `<name>`.
 */
export function undeclaredTemplateRead(templates: Readonly<Record<string, ParsedTemplate>>, events: readonly string[], schemas: EventSchemas): FieldError | undefined {
  for (const parameter of Object.keys(templates)) {
    for (const part of templates[parameter].parts) {
      if (typeof part === 'string') continue;
      for (const name of part.joined ? [part.source] : events) {
        const schema = own(schemas, name);
        const problem = schema === undefined ? undefined : undeclaredPathProblem(schema, part.path);
        if (problem !== undefined) {
          const field = /^[A-Za-z0-9_-]+$/.test(parameter) ? `parameters.${parameter}` : `parameters[${JSON.stringify(parameter)}]`;
          return { field, problem: `reads ${part.expression}, but the schema declared for ${name} does not allow it: ${problem}` };
        }
      }
    }
  }
  return undefined;
}

/**
 * The first field a compiled filter (the pattern for `detail.data`) matches that the schema of one of
 * `events` does not declare. Any operator may stand on a declared field: `exists: false` on a declared
 * optional field is meaningful.
 */
export function undeclaredFilterField(pattern: Readonly<Record<string, unknown>>, events: readonly string[], schemas: EventSchemas): FieldError | undefined {
  for (const [segments, display] of filterFields(pattern, [], 'filter')) {
    for (const name of events) {
      const schema = own(schemas, name);
      if (schema === undefined) continue;
      const problem = undeclaredFieldProblem(schema, segments);
      if (problem !== undefined) return { field: display, problem: `filters a field the schema declared for ${name} does not allow: ${problem}` };
    }
  }
  return undefined;
}

/** A filter's fields: the leaves of the compiled pattern (a list of matchers), with their paths. */
function filterFields(pattern: Readonly<Record<string, unknown>>, prefix: readonly string[], display: string): Array<[string[], string]> {
  const fields: Array<[string[], string]> = [];
  for (const key of Object.keys(pattern)) {
    const value = pattern[key];
    const segments = [...prefix, key];
    if (isRecord(value)) fields.push(...filterFields(value, segments, `${display}.${key}`));
    else fields.push([segments, `${display}.${key}`]);
  }
  return fields;
}

/** Like {@link undeclaredPathProblem} for field names only, with no requirement on the value's type. */
function undeclaredFieldProblem(schema: EventSchemaJson, keys: readonly string[]): string | undefined {
  const problem = undeclaredPathProblem(schema, keys.map((key) => ({ key })));
  return problem?.endsWith('a parameter takes a string, a number or a boolean') ? undefined : problem;
}

/**
 * Why an event's `data` fails the schema its name declares (`data.team`, `must be a string (the schema
 * declared for model.added)`), or undefined (no schema, or it conforms). Absent `data` is validated as
 * `{}`, as templates read it.
 */
export function eventDataProblem(schemas: EventSchemas | undefined, name: string, detail: Readonly<Record<string, unknown>>): FieldError | undefined {
  const schema = schemas === undefined ? undefined : own(schemas, name);
  if (schema === undefined) return undefined;
  const data = Object.hasOwn(detail, 'data') ? detail.data : {};
  const problem = validateEventData(schema, data);
  return problem && { field: problem.field, problem: `${problem.problem} (the schema declared for ${name})` };
}

function typesOf(node: EventSchemaJson): readonly SchemaType[] | undefined {
  return node.type === undefined ? undefined : typeof node.type === 'string' ? [node.type] : node.type;
}
