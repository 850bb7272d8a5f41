import { isRfc3339Time } from '../../core/event-time';
import { accept, describe, isRecord, reject, requiredString, type Parsed } from '../../core/result';

/**
 * One event in the Event Grid schema, as the Functions host hands an Event Grid trigger its event
 * (https://learn.microsoft.com/azure/event-grid/event-schema): `topic` is the ARM id of the source resource (the
 * storage account, the Azure ML workspace), `subject` the publisher-defined path, `data` the event's own object.
 */
export interface EventGridEvent {
  readonly id: string;
  readonly topic: string;
  readonly subject: string;
  readonly eventType: string;
  readonly eventTime: string;
  readonly data: Readonly<Record<string, unknown>>;
}

const MAX_ID = 1024;

/** Reads an Event Grid event, naming the field when it is not one (`event.topic`, `event.data`). */
export function parseEventGridEvent(input: unknown): Parsed<EventGridEvent> {
  if (!isRecord(input)) return reject('event', `must be an Event Grid event (an object), got ${describe(input)}`);
  const strings: Record<string, string> = {};
  for (const name of ['id', 'topic', 'subject', 'eventType', 'eventTime'] as const) {
    const value = requiredString(input, name, `event.${name}`);
    if (!value.ok) return value;
    if (value.value.length > MAX_ID * 2) return reject(`event.${name}`, `must be at most ${MAX_ID * 2} characters, got ${value.value.length}`);
    strings[name] = value.value;
  }
  if (!isRfc3339Time(strings.eventTime)) return reject('event.eventTime', `must be an RFC 3339 time, got '${strings.eventTime.slice(0, 40)}'`);
  if (!isRecord(input.data)) return reject('event.data', `must be the event's data object, got ${describe(input.data)}`);
  const { id, topic, subject, eventType, eventTime } = strings;
  return accept({ id, topic, subject, eventType, eventTime, data: input.data });
}

/** ARM ids are case-insensitive: two ids name the same resource when they match without regard to case. */
export function sameArmId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
