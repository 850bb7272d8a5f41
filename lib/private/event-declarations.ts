import { Token } from 'aws-cdk-lib';
import { EVENT_NAME, EVENT_NAME_RULE } from '../../lambda/core/contracts/shared';
import type { EventSchemaJson } from '../../lambda/core/event-schema';
import type { EventSchemas } from '../../lambda/core/typed-events';
import type { EventSchema } from '../event-schema';

/**
 * The events a bus declares, and the names its triggers already read: a name is declared before any
 * trigger reads it, so that no trigger was checked (and configured) without the schema.
 */
export class EventDeclarations {
  private readonly schemas = new Map<string, EventSchema>();
  private readonly read = new Map<string, string>();

  declare(name: string, schema: EventSchema): void {
    if (Token.isUnresolved(name) || !EVENT_NAME.test(name)) throw new Error(`declareEvent name '${name}' ${EVENT_NAME_RULE}`);
    if (this.schemas.has(name)) throw new Error(`declareEvent: event '${name}' is declared twice on this bus: declare each name once`);
    const reader = this.read.get(name);
    if (reader !== undefined) {
      throw new Error(`declareEvent: event '${name}' is already read by the trigger at ${reader}: declare the event before the triggers that read it`);
    }
    this.schemas.set(name, schema);
  }

  schemaOf(name: string): EventSchema | undefined {
    return this.schemas.get(name);
  }

  /** The schemas of `names` that are declared, keyed by name; marks each name as read by `reader`. */
  readBy(names: readonly string[], reader: string): EventSchemas | undefined {
    const found: Record<string, EventSchemaJson> = {};
    for (const name of names) {
      if (!this.read.has(name)) this.read.set(name, reader);
      const schema = this.schemas.get(name);
      if (schema) found[name] = schema._json;
    }
    return Object.keys(found).length > 0 ? found : undefined;
  }

  /** Every declared schema as JSON, by name, in name order; undefined when none is declared. */
  all(): { [name: string]: unknown } | undefined {
    if (this.schemas.size === 0) return undefined;
    return Object.fromEntries([...this.schemas.keys()].sort().map((name) => [name, this.schemas.get(name)!.toJson()]));
  }
}

const DECLARATIONS = new WeakMap<object, EventDeclarations>();

/** The declarations of `bus` (a bus construct, created or imported). */
export function declarationsOf(bus: object): EventDeclarations {
  let declarations = DECLARATIONS.get(bus);
  if (!declarations) {
    declarations = new EventDeclarations();
    DECLARATIONS.set(bus, declarations);
  }
  return declarations;
}
