import type { EventTriggerConfig } from '../../core/contracts/event-trigger';
import { matchesPattern } from '../../core/event-pattern';
import { accept, describe, isRecord, parseJson, reject, type FieldError, type Parsed } from '../../core/result';
import type { Rejected } from '../adapters/handler-shell';
import { comesAgain, type DebounceOutcome, type Debouncer } from './debounce';
import { parseReceivedEvent } from './event-starter';
import { eventDataProblem } from '../../core/typed-events';

/** Lambda hands a function at most this many messages of a standard queue at once. */
const MAX_RECORDS = 10_000;
/** `SentTimestamp`: milliseconds since the epoch, as SQS writes them. */
const EPOCH_MS = /^\d{1,15}$/;

/** What the events function answers to a batch from delay queues: the messages to deliver again, and what became of each. */
export interface DelayedBatchResult {
  readonly status: 'received';
  readonly batchItemFailures: ReadonlyArray<{ readonly itemIdentifier: string }>;
  readonly outcomes: ReadonlyArray<DebounceOutcome | Rejected>;
}

export interface DelayedEventsDeps {
  readonly configs: { get(triggerId: unknown): Promise<Parsed<EventTriggerConfig>> };
  readonly debouncer: Pick<Debouncer, 'delayed'>;
  /** Logs and counts a rejection. */
  readonly reject: (error: FieldError) => Rejected;
  /** Told what became of each message that was handled. */
  readonly handled: (messageId: string, outcome: DebounceOutcome) => void;
  /** Told of a message that must come again because its handling failed. */
  readonly failed: (messageId: string, error: unknown) => void;
}

/**
 * Handles the delayed copies of debounced triggers' events, one message at a time. A message is taken only from
 * the delay queue the deployment configured for the trigger it names, and only with an event the trigger's rule
 * would have passed; any other is rejected and dropped (it would never become usable). A message whose burst is
 * not quiet yet, or whose handling failed, is named in `batchItemFailures` and comes again after the queue's
 * visibility timeout.
 */
export async function receiveDelayed(records: unknown, deps: DelayedEventsDeps): Promise<DelayedBatchResult | Rejected> {
  if (!Array.isArray(records)) return deps.reject({ field: 'Records', problem: `must be a list of queue messages, got ${describe(records)}` });
  if (records.length > MAX_RECORDS) return deps.reject({ field: 'Records', problem: `holds ${records.length} messages, more than a queue delivers at once (${MAX_RECORDS})` });
  const again: string[] = [];
  const outcomes: Array<DebounceOutcome | Rejected> = [];
  for (const [position, record] of records.entries()) {
    const field = `Records[${position}]`;
    const message = delayedMessage(record, field);
    if (!message.ok) {
      outcomes.push(deps.reject(message.error));
      continue;
    }
    try {
      const outcome = await handleMessage(message.value, field, deps);
      outcomes.push(outcome);
      if (outcome.status !== 'rejected' && comesAgain(outcome)) again.push(message.value.messageId);
    } catch (error) {
      deps.failed(message.value.messageId, error);
      again.push(message.value.messageId);
    }
  }
  return { status: 'received', batchItemFailures: again.map((itemIdentifier) => ({ itemIdentifier })), outcomes };
}

interface DelayedMessage {
  readonly messageId: string;
  readonly queueArn: string;
  readonly sentAtMs: number;
  readonly body: unknown;
}

async function handleMessage(message: DelayedMessage, field: string, deps: DelayedEventsDeps): Promise<DebounceOutcome | Rejected> {
  const { body } = message;
  if (!isRecord(body)) return deps.reject({ field: `${field}.body`, problem: 'must be an object with triggerId and event' });
  const config = await deps.configs.get(body.triggerId);
  if (!config.ok) return deps.reject({ field: `${field}.body.${config.error.field}`, problem: config.error.problem });
  const { triggerId, debounceQueueArn } = config.value;
  if (debounceQueueArn === undefined || message.queueArn !== debounceQueueArn) {
    // Only the trigger's own delay queue carries its events, and only its rule can send into that queue.
    return deps.reject({ field: `${field}.eventSourceARN`, problem: `must be the delay queue of trigger ${triggerId}, got ${describe(message.queueArn)}` });
  }
  const event = parseReceivedEvent(body.event);
  if (!event.ok) return deps.reject({ field: `${field}.body.${event.error.field}`, problem: event.error.problem });
  if (!ruleMatches(config.value, body.event)) return deps.reject({ field: `${field}.body.event`, problem: `does not match the event pattern of trigger ${triggerId}'s rule` });
  // The copy of a typed event that failed its schema (dropped and counted when the rule delivered it) starts nothing either.
  const schemaProblem = eventDataProblem(config.value.schemas, event.value.name, event.value.detail);
  if (schemaProblem) return deps.reject({ field: `${field}.body.event.detail.${schemaProblem.field}`, problem: schemaProblem.problem });
  const outcome = await deps.debouncer.delayed(config.value, event.value, message.sentAtMs);
  if (outcome.status === 'rejected') return deps.reject({ field: `${field}.body.${outcome.error.field}`, problem: outcome.error.problem });
  deps.handled(message.messageId, outcome);
  return outcome;
}

/** One message as Lambda's queue poller hands it over: from SQS, with its queue, the time SQS took it, and a JSON body. */
function delayedMessage(record: unknown, field: string): Parsed<DelayedMessage> {
  if (!isRecord(record)) return reject(field, `must be a queue message, got ${describe(record)}`);
  const { messageId, eventSource, eventSourceARN, attributes } = record;
  if (typeof messageId !== 'string' || messageId === '') return reject(`${field}.messageId`, 'must be a non-empty string');
  if (eventSource !== 'aws:sqs') return reject(`${field}.eventSource`, `must be aws:sqs, got ${describe(eventSource)}`);
  if (typeof eventSourceARN !== 'string') return reject(`${field}.eventSourceARN`, `must be a queue's ARN, got ${describe(eventSourceARN)}`);
  const sent = isRecord(attributes) ? attributes.SentTimestamp : undefined;
  if (typeof sent !== 'string' || !EPOCH_MS.test(sent)) return reject(`${field}.attributes.SentTimestamp`, `must be milliseconds since the epoch, got ${describe(sent)}`);
  const body = parseJson(record.body, `${field}.body`);
  if (!body.ok) return body;
  return accept({ messageId, queueArn: eventSourceARN, sentAtMs: Number(sent), body: body.value });
}

function ruleMatches(config: EventTriggerConfig, event: unknown): boolean {
  try {
    return matchesPattern(config.pattern, event);
  } catch {
    return false; // nested past the stack's depth, or a pattern outside what the rules use
  }
}
