import {
  DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type MessageAttributeValue, type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import { queueDepth } from './sqs-queue';

/** How Lambda's SQS poller is configured: the event source mapping's settings, in milliseconds where it has seconds. */
export interface LambdaSqsPollerOptions {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly client: SQSClient;
  /** The function: gets each batch as the SQS event Lambda sends. */
  readonly handler: (event: SQSEvent) => Promise<unknown>;
  /** Most records in one invocation, 1 to 10000. @default 10 */
  readonly batchSize?: number;
  /** Longest time spent gathering a batch, 0 to 300000; at least 1000 when batchSize is above 10. @default 0 */
  readonly maxBatchingWindowMs?: number;
  /**
   * Most invocations at once, 1 to 1000. AWS's ScalingConfig starts at 2; 1 is allowed so a test can invoke serially.
   * @default 5, the pollers Lambda starts an SQS event source with
   */
  readonly maxConcurrency?: number;
  /** Whether the function's `batchItemFailures` response is read (FunctionResponseTypes ReportBatchItemFailures). @default true */
  readonly reportBatchItemFailures?: boolean;
}

/** What became of one invocation's batch. */
export type InvocationResult = 'succeeded' | 'partially-failed' | 'function-error' | 'invalid-response';

export interface InvocationOutcome {
  readonly messageIds: readonly string[];
  readonly result: InvocationResult;
  /** Messages left in the queue to reappear after its visibility timeout. */
  readonly retriedMessageIds: readonly string[];
  /** What the function threw, for 'function-error'. */
  readonly error?: unknown;
}

const MAX_RECEIVE = 10;
const IDLE_WAIT_SECONDS = 1;
const DRAIN_POLL_MS = 100;
const ERROR_BACKOFF_MS = 200;

/**
 * Lambda's SQS event source mapping against a real SQS endpoint: receives batches, invokes the handler with at most
 * `maxConcurrency` batches at once, deletes what the function finished and leaves the rest to the queue's visibility
 * timeout and redrive policy.
 */
export class LambdaSqsPoller {
  /** Invocations so far. */
  public invocations = 0;
  /** The most invocations that ran at once. */
  public peakConcurrency = 0;
  /** The number of records of each invocation, in the order they started. */
  public readonly batchSizes: number[] = [];
  /** Each invocation's outcome, in the order they finished. */
  public readonly outcomes: InvocationOutcome[] = [];
  /** SQS calls that failed, which the workers waited out and retried. */
  public readonly pollingErrors: unknown[] = [];

  private readonly batchSize: number;
  private readonly windowMs: number;
  private readonly maxConcurrency: number;
  private readonly region: string;
  private running = false;
  private activeInvocations = 0;
  private workers: Promise<void>[] = [];

  constructor(private readonly options: LambdaSqsPollerOptions) {
    this.batchSize = options.batchSize ?? 10;
    this.windowMs = options.maxBatchingWindowMs ?? 0;
    this.maxConcurrency = options.maxConcurrency ?? 5;
    checkWhole('batchSize', this.batchSize, 1, 10_000);
    checkWhole('maxBatchingWindowMs', this.windowMs, 0, 300_000);
    checkWhole('maxConcurrency', this.maxConcurrency, 1, 1000);
    if (this.batchSize > 10 && this.windowMs < 1000) {
      throw new Error(`maxBatchingWindowMs must be at least 1000 when batchSize is above 10, got ${this.windowMs}`);
    }
    this.region = options.queueArn.split(':')[3] ?? '';
  }

  /** Starts polling; starting twice is harmless. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.workers = Array.from({ length: this.maxConcurrency }, () => this.work());
  }

  /** Stops polling and waits for running invocations; messages gathered but not yet invoked reappear in the queue. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
    this.workers = [];
  }

  /**
   * Polls (starting if needed) until the queue has no visible, in-flight or delayed message and nothing is being
   * invoked; throws naming what is left once `timeoutMs` passed.
   */
  async drain({ timeoutMs }: { readonly timeoutMs: number }): Promise<void> {
    this.start();
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const depth = await queueDepth(this.options.client, this.options.queueUrl);
      const left = depth.visible + depth.inFlight + depth.delayed + this.activeInvocations;
      if (left === 0) return;
      if (performance.now() >= deadline) {
        throw new Error(
          `the queue still had ${depth.visible} visible, ${depth.inFlight} in-flight and ${depth.delayed} delayed messages ` +
            `and ${this.activeInvocations} invocations running after ${timeoutMs} ms` +
            (this.pollingErrors.length ? `; polling failed ${this.pollingErrors.length} times, last: ${String(this.pollingErrors.at(-1))}` : ''),
        );
      }
      await delay(DRAIN_POLL_MS);
    }
  }

  private async work(): Promise<void> {
    while (this.running) {
      try {
        const batch = await this.gather();
        if (batch.length > 0 && this.running) await this.invoke(batch);
      } catch (error) {
        this.pollingErrors.push(error);
        await delay(ERROR_BACKOFF_MS);
      }
    }
  }

  /** Receives until the batch is full, the batching window has passed, or a receive comes back empty. */
  private async gather(): Promise<Message[]> {
    const batch: Message[] = [];
    let windowEnds = Infinity;
    while (this.running && batch.length < this.batchSize) {
      const { Messages = [] } = await this.options.client.send(new ReceiveMessageCommand({
        QueueUrl: this.options.queueUrl,
        MaxNumberOfMessages: Math.min(MAX_RECEIVE, this.batchSize - batch.length),
        WaitTimeSeconds: batch.length === 0 ? IDLE_WAIT_SECONDS : 0,
        AttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }));
      if (batch.length === 0 && Messages.length > 0) windowEnds = performance.now() + this.windowMs;
      batch.push(...Messages);
      if (batch.length > 0 && (Messages.length === 0 || performance.now() >= windowEnds)) break;
    }
    return batch;
  }

  private async invoke(batch: Message[]): Promise<void> {
    const records = batch.map((message) => this.toRecord(message));
    const messageIds = records.map((record) => record.messageId);
    this.invocations += 1;
    this.batchSizes.push(records.length);
    this.activeInvocations += 1;
    this.peakConcurrency = Math.max(this.peakConcurrency, this.activeInvocations);
    try {
      let settled: SettledBatch;
      try {
        const response = await this.options.handler({ Records: records });
        settled = this.options.reportBatchItemFailures === false ? { result: 'succeeded', retried: [] } : settleResponse(response, messageIds);
      } catch (error) {
        settled = { result: 'function-error', retried: messageIds, error };
      }
      const retried = new Set(settled.retried);
      await this.delete(records.filter((record) => !retried.has(record.messageId)));
      this.outcomes.push({ messageIds, result: settled.result, retriedMessageIds: settled.retried, error: settled.error });
    } finally {
      this.activeInvocations -= 1;
    }
  }

  private async delete(records: readonly SQSRecord[]): Promise<void> {
    for (let start = 0; start < records.length; start += MAX_RECEIVE) {
      const chunk = records.slice(start, start + MAX_RECEIVE);
      const output = await this.options.client.send(new DeleteMessageBatchCommand({
        QueueUrl: this.options.queueUrl,
        Entries: chunk.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
      }));
      if (output.Failed?.length) this.pollingErrors.push(new Error(`DeleteMessageBatch failed for ${JSON.stringify(output.Failed)}`));
    }
  }

  private toRecord(message: Message): SQSRecord {
    const attributes = message.Attributes ?? {};
    return {
      messageId: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      attributes: {
        ...attributes,
        ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '',
        SentTimestamp: attributes.SentTimestamp ?? '',
        SenderId: attributes.SenderId ?? '',
        ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? '',
      } as SQSRecordAttributes,
      messageAttributes: toMessageAttributes(message.MessageAttributes ?? {}),
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.options.queueArn,
      awsRegion: this.region,
    };
  }
}

/** The outcome of a response, and the messages it leaves in the queue. */
export interface SettledBatch {
  readonly result: InvocationResult;
  readonly retried: readonly string[];
  readonly error?: unknown;
}

/**
 * Reads a function's response as Lambda does with ReportBatchItemFailures: no response, no list or an empty list
 * finishes the whole batch; a list of known message ids leaves those; anything else (an empty, missing or unknown
 * itemIdentifier, a response that is not an object) fails the whole batch.
 */
export function settleResponse(response: unknown, messageIds: readonly string[]): SettledBatch {
  const whole: SettledBatch = { result: 'invalid-response', retried: messageIds };
  if (response === undefined || response === null) return { result: 'succeeded', retried: [] };
  if (typeof response !== 'object' || Array.isArray(response)) return whole;
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { result: 'succeeded', retried: [] };
  if (!Array.isArray(failures)) return whole;
  const known = new Set(messageIds);
  const retried = new Set<string>();
  for (const failure of failures as unknown[]) {
    const id = typeof failure === 'object' && failure !== null ? (failure as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof id !== 'string' || !known.has(id)) return whole;
    retried.add(id);
  }
  return retried.size === 0 ? { result: 'succeeded', retried: [] } : { result: 'partially-failed', retried: [...retried] };
}

function toMessageAttributes(attributes: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  const base64 = (value: Uint8Array): string => Buffer.from(value).toString('base64');
  return Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, {
    dataType: value.DataType ?? 'String',
    stringValue: value.StringValue,
    binaryValue: value.BinaryValue && base64(value.BinaryValue),
    stringListValues: value.StringListValues ?? [],
    binaryListValues: (value.BinaryListValues ?? []).map(base64),
  }]));
}

function checkWhole(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number between ${min} and ${max}, got ${value}`);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
