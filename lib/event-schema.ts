import { EVENT_SCHEMA_LIMITS, parseEventSchema, type EventSchemaJson } from '../lambda/core/event-schema';

/**
 * A JSON Schema for a named event's `data`, in a bounded subset that validates in linear time: `type`
 * (`object`, `string`, `number`, `integer`, `boolean`, `array`, `null`, or a list of them), `properties`,
 * `required`, `additionalProperties` (true or false), `enum` and `const` (strings, numbers, booleans, null),
 * `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `minLength`, `maxLength`, `items`,
 * `minItems`, `maxItems`, `description` and `title`. Any other keyword is refused with its path and the fix
 * (`pattern`: a regular expression from configuration is not linear-time; `$ref`: write it inline). The
 * top level has `type: 'object'`; the whole schema is at most 4,096 bytes as JSON, since it travels in the
 * configuration of every trigger that reads the event.
 *
 * A class with a factory rather than an interface of props: a JSON Schema is recursive and its `type` is a
 * name or a list of names, which a jsii interface cannot say; `fromJson` takes the schema as the JSON a
 * schema file holds (as `events.RuleTargetInput.fromObject` takes its object) and checks it at once, so
 * a bad schema fails where it is written.
 */
export class EventSchema {
  /** The largest schema, in bytes of JSON. */
  public static readonly MAX_BYTES: number = EVENT_SCHEMA_LIMITS.maxBytes;

  /** A schema from its JSON, checked against the subset; throws naming the keyword and the fix. */
  public static fromJson(schema: { [keyword: string]: unknown }): EventSchema {
    const parsed = parseEventSchema(schema, 'schema');
    if (!parsed.ok) throw new Error(`${parsed.error.field} ${parsed.error.problem}`);
    return new EventSchema(parsed.value);
  }

  private constructor(private readonly json: EventSchemaJson) {}

  /** The schema as JSON: what triggers and publish clients validate against. */
  public toJson(): { [keyword: string]: unknown } {
    return JSON.parse(JSON.stringify(this.json));
  }

  /** @internal */
  public get _json(): EventSchemaJson {
    return this.json;
  }
}

/** Options of `ITriggerEventBus.declareEvent`. */
export interface EventDeclarationOptions {
  /** The schema every event of the name must conform to, in its `data`. */
  readonly schema: EventSchema;
}
