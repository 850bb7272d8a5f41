import { isRfc3339Time } from './event-time';
import { accept, describe, isRecord, parseJson, reject, requiredString, type Parsed } from './result';

/** What Cloud Scheduler publishes for one firing of a schedule (the job's Pub/Sub target data, as the construct sets it). */
export interface ScheduledFiring {
  readonly triggerId: string;
  /** When the firing was due, if the schedule's message carries it; for the record only. */
  readonly scheduledTime?: string;
}


/**
 * Reads the message data `{ "triggerId": ..., "scheduledTime"?: ... }`, fields named from `message.data`. A message for
 * another trigger is rejected: a miswired subscription must not start this trigger's pipeline.
 */
export function parseFiring(data: string, expectedTriggerId: string): Parsed<ScheduledFiring> {
  const json = parseJson(data, 'message.data');
  if (!json.ok) return json;
  if (!isRecord(json.value)) return reject('message.data', `must be a JSON object, got ${describe(json.value)}`);
  const triggerId = requiredString(json.value, 'triggerId', 'message.data.triggerId');
  if (!triggerId.ok) return triggerId;
  if (triggerId.value !== expectedTriggerId) {
    return reject('message.data.triggerId', `is '${triggerId.value}', but this function serves trigger '${expectedTriggerId}'`);
  }
  const scheduledTime = json.value.scheduledTime;
  if (scheduledTime === undefined) return accept({ triggerId: triggerId.value });
  if (typeof scheduledTime !== 'string' || !isRfc3339Time(scheduledTime)) {
    return reject('message.data.scheduledTime', `must be an RFC 3339 time when present, got ${describe(scheduledTime)}`);
  }
  return accept({ triggerId: triggerId.value, scheduledTime });
}
