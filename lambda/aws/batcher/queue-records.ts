import { accept, describe, isRecord, parseJson, reject, type FieldError, type Parsed } from '../../core/result';

/** One message of a batch from the arrival queue: its id (to name it for delivery again), its place in the batch, its body. */
export interface QueueRecord {
  readonly messageId: string;
  readonly position: number;
  readonly body: unknown;
}

/** Lambda hands a function at most this many messages of a standard queue at once. */
const MAX_RECORDS = 10_000;

/**
 * The messages of an SQS event, each read on its own: a message that is not from the stack's arrival queue,
 * or whose body is not JSON, is an error naming its field, and the others are unaffected. The event itself is
 * refused when it is not a list of messages.
 */
export function queueRecords(records: unknown, arrivalQueueArn: string | undefined): Parsed<Array<QueueRecord | { readonly error: FieldError }>> {
  if (!Array.isArray(records)) return reject('Records', `must be a list of queue messages, got ${describe(records)}`);
  if (records.length > MAX_RECORDS) return reject('Records', `holds ${records.length} messages, more than a queue delivers at once (${MAX_RECORDS})`);
  return accept(records.map((record, position) => queueRecord(record, position, arrivalQueueArn)));
}

function queueRecord(record: unknown, position: number, arrivalQueueArn: string | undefined): QueueRecord | { readonly error: FieldError } {
  const field = `Records[${position}]`;
  if (!isRecord(record)) return { error: { field, problem: `must be a queue message, got ${describe(record)}` } };
  if (typeof record.messageId !== 'string' || record.messageId === '') return { error: { field: `${field}.messageId`, problem: 'must be a non-empty string' } };
  if (record.eventSource !== 'aws:sqs') return { error: { field: `${field}.eventSource`, problem: `must be aws:sqs, got ${describe(record.eventSource)}` } };
  if (!arrivalQueueArn || record.eventSourceARN !== arrivalQueueArn) {
    // Only this stack's arrival queue feeds the batcher: a message from anywhere else was not sent by its rules.
    return { error: { field: `${field}.eventSourceARN`, problem: `must be this stack's arrival queue, got ${describe(record.eventSourceARN)}` } };
  }
  const body = parseJson(record.body, `${field}.body`);
  if (!body.ok) return { error: body.error };
  return { messageId: record.messageId, position, body: body.value };
}
