/**
 * The schemas an event trigger's configuration carries, read back and checked again: the configuration
 * may come from elsewhere than the construct. Pure: no SDK, no clock.
 */
import { parseEventSchema, type EventSchemaJson } from './event-schema';
import { accept, isRecord, reject, type Parsed } from './result';
import type { EventSchemas } from './typed-events';

/**
 * Reads `input` (absent: untyped) as schemas keyed by the names of the trigger's `events`, each checked
 * against the subset; a schema for a name the trigger does not read is an error.
 */
export function parseEventSchemas(input: unknown, events: readonly string[], path: string): Parsed<EventSchemas | undefined> {
  if (input === undefined) return accept(undefined);
  if (!isRecord(input)) return reject(path, 'must map event names to schemas');
  const schemas: Record<string, EventSchemaJson> = {};
  for (const name of Object.keys(input)) {
    if (!events.includes(name)) return reject(`${path}.${name}`, `is the schema of an event the trigger does not read: it reads ${events.join(', ')}`);
    const schema = parseEventSchema(input[name], `${path}.${name}`);
    if (!schema.ok) return schema;
    Object.defineProperty(schemas, name, { value: schema.value, enumerable: true, writable: true, configurable: true });
  }
  return accept(schemas);
}
