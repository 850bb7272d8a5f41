/**
 * What Lambda's queue poller hands a function and how it reads the answer: the SQS event of a batch in its
 * real format, and which of the batch's messages failed. Pure: ids derive from their inputs, times are parameters.
 */
import { createHash } from 'node:crypto';
import type { InvocationOutcome } from './function-host';

/** One message of a batch, as the poller received it. */
export interface ReceivedMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly receiveCount: number;
  readonly sentAtMs: number;
  readonly firstReceiveAtMs: number;
}

/** The record of one message in the event a function receives from a queue. */
export interface SqsRecord {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes: {
    readonly ApproximateReceiveCount: string;
    readonly SentTimestamp: string;
    readonly SenderId: string;
    readonly ApproximateFirstReceiveTimestamp: string;
  };
  readonly messageAttributes: Readonly<Record<string, never>>;
  readonly md5OfBody: string;
  readonly eventSource: 'aws:sqs';
  readonly eventSourceARN: string;
  readonly awsRegion: string;
}

/** The principal EventBridge sends as, in the shape of an IAM unique id; the same in every simulation. */
const EVENTS_SENDER_ID = `AIDA${createHash('sha256').update('events.amazonaws.com').digest('hex').slice(0, 17).toUpperCase()}`;

/** A receipt handle: new for every receive of a message, as SQS gives one. */
export function receiptHandleOf(queueArn: string, messageId: string, receiveCount: number): string {
  return Buffer.from(`${queueArn}#${messageId}#${receiveCount}`).toString('base64');
}

/** The event Lambda invokes a function with for a batch of `queueArn`'s messages. */
export function sqsEvent(queueArn: string, messages: readonly ReceivedMessage[]): { Records: SqsRecord[] } {
  const awsRegion = queueArn.split(':')[3] ?? '';
  return {
    Records: messages.map((message) => ({
      messageId: message.messageId,
      receiptHandle: message.receiptHandle,
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentAtMs),
        SenderId: EVENTS_SENDER_ID,
        ApproximateFirstReceiveTimestamp: String(message.firstReceiveAtMs),
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(message.body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion,
    })),
  };
}

/** The messages of a batch that go back to the queue, and why; none when the batch succeeded. */
export interface BatchVerdict {
  readonly failed: readonly string[];
  readonly reason?: string;
}

/**
 * Which messages failed, as Lambda reads the answer: all of them when the function threw; with
 * `ReportBatchItemFailures`, those the answer's `batchItemFailures` names, or all of them when the answer is
 * malformed (not an object, a list that is no list, an item without one of the batch's message ids). An empty
 * answer, or an empty or null list, is a success.
 */
export function batchVerdict(outcome: InvocationOutcome, messageIds: readonly string[], reportBatchItemFailures: boolean): BatchVerdict {
  if (outcome.error) return { failed: messageIds, reason: `the function threw ${outcome.error.type}: ${outcome.error.message}` };
  if (!reportBatchItemFailures) return { failed: [] };
  const answer = outcome.result;
  if (answer === undefined || answer === null) return { failed: [] };
  if (typeof answer !== 'object' || Array.isArray(answer)) return { failed: messageIds, reason: `the answer is malformed: ${JSON.stringify(answer)} is no object` };
  const failures = (answer as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { failed: [] };
  if (!Array.isArray(failures)) return { failed: messageIds, reason: 'the answer is malformed: batchItemFailures is no list' };
  const named = failures.map((failure) => (typeof failure === 'object' && failure !== null ? (failure as { itemIdentifier?: unknown }).itemIdentifier : undefined));
  const unknown = named.findIndex((id) => typeof id !== 'string' || !messageIds.includes(id));
  if (unknown >= 0) {
    return { failed: messageIds, reason: `the answer is malformed: batchItemFailures names ${JSON.stringify(named[unknown] ?? null)}, no message of the batch` };
  }
  return failures.length === 0 ? { failed: [] } : { failed: [...new Set(named as string[])], reason: 'reported in batchItemFailures' };
}
