import { createHash } from 'node:crypto';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { startMotoServer, type MotoServer } from './moto-server';
import { LambdaSqsPoller, settleResponse, type LambdaSqsPollerOptions } from './sqs-poller';
import { createQueueWithDeadLetters, localSqsClient, queueDepth, receiveAll, sendMessages } from './sqs-queue';

// Redelivery waits out real visibility timeouts on a real (local) queue; a loaded machine needs the headroom.
const TEST_TIMEOUT = 90_000;
const DRAIN = { timeoutMs: 45_000 };

/** What `queueUrl` holds once it holds at least `count` messages, or at `timeoutMs`, whichever comes first. */
async function receiveWithin(queueUrl: string, count: number, timeoutMs: number): Promise<Awaited<ReturnType<typeof receiveAll>>> {
  const deadline = performance.now() + timeoutMs;
  const received = await receiveAll(client, queueUrl);
  while (received.length < count && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    received.push(...(await receiveAll(client, queueUrl)));
  }
  return received;
}
jest.setTimeout(TEST_TIMEOUT);

let moto: MotoServer;
let client: SQSClient;
let lastPoller: LambdaSqsPoller | undefined;

beforeAll(async () => {
  moto = await startMotoServer();
  client = localSqsClient(moto.endpoint);
}, TEST_TIMEOUT);

afterEach(async () => {
  await lastPoller?.stop();
  lastPoller = undefined;
});

afterAll(async () => {
  client?.destroy();
  await moto?.stop();
}, TEST_TIMEOUT);

type PollerSettings = Omit<LambdaSqsPollerOptions, 'client' | 'queueUrl' | 'queueArn'>;

function pollerFor(queue: { queueUrl: string; queueArn: string }, settings: PollerSettings): LambdaSqsPoller {
  lastPoller = new LambdaSqsPoller({ client, queueUrl: queue.queueUrl, queueArn: queue.queueArn, ...settings });
  return lastPoller;
}

/** Each message body the handler saw, with the ApproximateReceiveCount of every delivery, in order. */
function deliveryLog(): { readonly receives: Map<string, string[]>; record(records: readonly SQSRecord[]): void } {
  const receives = new Map<string, string[]>();
  return {
    receives,
    record(records) {
      for (const record of records) receives.set(record.body, [...(receives.get(record.body) ?? []), record.attributes.ApproximateReceiveCount]);
    },
  };
}

const bodies = (prefix: string, count: number): string[] => Array.from({ length: count }, (_unused, index) => `${prefix}-${index}`);

describe('LambdaSqsPoller', () => {
  it('hands every message to the handler exactly once when every invocation succeeds', async () => {
    // Prepare
    const queue = await createQueueWithDeadLetters(client, { visibilityTimeoutSeconds: 30, maxReceiveCount: 3 });
    const sent = await sendMessages(client, queue.queueUrl, bodies('object', 25));
    const seen: string[] = [];
    const poller = pollerFor(queue, { batchSize: 10, maxConcurrency: 2, handler: async (event) => void seen.push(...event.Records.map((r) => r.messageId)) });

    // Act
    await poller.drain(DRAIN);

    // Assess
    expect([...seen].sort()).toEqual([...sent].sort());
    expect(poller.outcomes.every((outcome) => outcome.result === 'succeeded')).toBe(true);
    expect(await queueDepth(client, queue.queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(poller.pollingErrors).toEqual([]);
  });

  it('sends the SQS event shape Lambda sends, with the queue ARN, its region and the system attributes', async () => {
    // Prepare
    const queue = await createQueueWithDeadLetters(client, { visibilityTimeoutSeconds: 30, maxReceiveCount: 3 });
    const [messageId] = await sendMessages(client, queue.queueUrl, ['{"key":"day/1.csv"}']);
    const events: SQSEvent[] = [];
    const poller = pollerFor(queue, { maxConcurrency: 1, handler: async (event) => void events.push(event) });

    // Act
    await poller.drain(DRAIN);

    // Assess
    expect(events).toHaveLength(1);
    const [record] = events[0].Records;
    expect(record).toEqual(expect.objectContaining({
      messageId,
      body: '{"key":"day/1.csv"}',
      md5OfBody: createHash('md5').update('{"key":"day/1.csv"}').digest('hex'),
      messageAttributes: {},
      eventSource: 'aws:sqs',
      eventSourceARN: queue.queueArn,
      awsRegion: 'us-east-1',
    }));
    expect(record.receiptHandle).not.toBe('');
    expect(record.attributes).toEqual(expect.objectContaining({
      ApproximateReceiveCount: '1',
      SentTimestamp: expect.stringMatching(/^\d+$/),
      SenderId: expect.any(String),
      ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d+$/),
    }));
  });

  it('redelivers only the messages a partial batch response names, after the visibility timeout', async () => {
    // Prepare
    const queue = await createQueueWithDeadLetters(client, { visibilityTimeoutSeconds: 1, maxReceiveCount: 5 });
    await sendMessages(client, queue.queueUrl, [...bodies('good', 4), ...bodies('bad', 2)]);
    const log = deliveryLog();
    const poller = pollerFor(queue, {
      batchSize: 10,
      maxBatchingWindowMs: 500,
      handler: async (event): Promise<SQSBatchResponse> => {
        log.record(event.Records);
        const firstTimeBad = event.Records.filter((r) => r.body.startsWith('bad') && r.attributes.ApproximateReceiveCount === '1');
        return { batchItemFailures: firstTimeBad.map((r) => ({ itemIdentifier: r.messageId })) };
      },
    });

    // Act
    await poller.drain(DRAIN);

    // Assess
    for (const body of bodies('good', 4)) expect(log.receives.get(body)).toEqual(['1']);
    for (const body of bodies('bad', 2)) expect(log.receives.get(body)).toEqual(['1', '2']);
    expect(poller.outcomes.map((outcome) => outcome.result)).toContain('partially-failed');
  });

  it('redelivers the whole batch when the function throws', async () => {
    // Prepare
    const queue = await createQueueWithDeadLetters(client, { visibilityTimeoutSeconds: 1, maxReceiveCount: 5 });
    await sendMessages(client, queue.queueUrl, bodies('object', 3));
    const log = deliveryLog();
    const poller = pollerFor(queue, {
      maxConcurrency: 1,
      handler: async (event) => {
        log.record(event.Records);
        if (event.Records.some((r) => r.attributes.ApproximateReceiveCount === '1')) throw new Error('pipeline start refused');
      },
    });

    // Act
    await poller.drain(DRAIN);

    // Assess
    for (const body of bodies('object', 3)) expect(log.receives.get(body)).toEqual(['1', '2']);
    expect(poller.outcomes[0]).toEqual(expect.objectContaining({ result: 'function-error', retriedMessageIds: expect.any(Array) }));
    expect(poller.outcomes[0].retriedMessageIds).toHaveLength(3);
  });

  it('moves a message that keeps failing to the dead-letter queue after maxReceiveCount receives', async () => {
    // Prepare
    const queue = await createQueueWithDeadLetters(client, { visibilityTimeoutSeconds: 1, maxReceiveCount: 2 });
    await sendMessages(client, queue.queueUrl, ['poison', 'good']);
    const log = deliveryLog();
    const poller = pollerFor(queue, {
      handler: async (event): Promise<SQSBatchResponse> => {
        log.record(event.Records);
        return { batchItemFailures: event.Records.filter((r) => r.body === 'poison').map((r) => ({ itemIdentifier: r.messageId })) };
      },
    });

    // Act
    await poller.drain(DRAIN);

    // Assess
    expect(log.receives.get('poison')).toEqual(['1', '2']);
    expect(log.receives.get('good')).toEqual(['1']);
    // The queue moves the message on the receive after its last failure, which a loaded machine may make after the drain saw the queue empty.
    const deadLetters = await receiveWithin(queue.deadLetterQueueUrl, 1, 15_000);
    expect(deadLetters.map((message) => message.Body)).toEqual(['poison']);
    expect(deadLetters[0].Attributes?.ApproximateReceiveCount).toBe('3');
  });

  it('never runs more than maxConcurrency invocations at once, with a slow handler and many messages', async () => {
    // Prepare
    const queue = await createQueueWithDeadLetters(client, { visibilityTimeoutSeconds: 30, maxReceiveCount: 3 });
    await sendMessages(client, queue.queueUrl, bodies('object', 40));
    let running = 0;
    let mostRunning = 0;
    const seen = new Set<string>();
    const poller = pollerFor(queue, {
      batchSize: 1,
      maxConcurrency: 3,
      handler: async (event) => {
        running += 1;
        mostRunning = Math.max(mostRunning, running);
        await new Promise((resolve) => setTimeout(resolve, 150));
        event.Records.forEach((r) => seen.add(r.body));
        running -= 1;
      },
    });

    // Act
    await poller.drain(DRAIN);

    // Assess
    expect(mostRunning).toBe(3);
    expect(poller.peakConcurrency).toBe(3);
    expect(seen.size).toBe(40);
    expect(poller.batchSizes.every((size) => size === 1)).toBe(true);
  });

  it('gathers a batch larger than ten from several receives', async () => {
    // Prepare
    const queue = await createQueueWithDeadLetters(client, { visibilityTimeoutSeconds: 30, maxReceiveCount: 3 });
    await sendMessages(client, queue.queueUrl, bodies('object', 35));
    const poller = pollerFor(queue, { batchSize: 25, maxBatchingWindowMs: 2000, maxConcurrency: 1, handler: async () => undefined });

    // Act
    await poller.drain(DRAIN);

    // Assess
    expect(poller.batchSizes).toEqual([25, 10]);
    expect(poller.invocations).toBe(2);
  });

  it('names what is left in the queue when drain runs out of time', async () => {
    // Prepare
    const queue = await createQueueWithDeadLetters(client, { visibilityTimeoutSeconds: 1, maxReceiveCount: 1000 });
    await sendMessages(client, queue.queueUrl, ['poison']);
    const poller = pollerFor(queue, { maxConcurrency: 1, handler: async () => Promise.reject(new Error('always fails')) });

    // Act
    const drained = poller.drain({ timeoutMs: 1500 });

    // Assess
    await expect(drained).rejects.toThrow(/still had \d+ visible, \d+ in-flight and 0 delayed messages/);
  });

  it('refuses a batch above ten without a batching window, as the event source mapping does', () => {
    // Prepare
    const settings = { client, queueUrl: 'unused', queueArn: 'arn:aws:sqs:us-east-1:123456789012:q', handler: async () => undefined };

    // Act
    const create = (): LambdaSqsPoller => new LambdaSqsPoller({ ...settings, batchSize: 20 });

    // Assess
    expect(create).toThrow('maxBatchingWindowMs must be at least 1000 when batchSize is above 10, got 0');
  });
});

describe('settleResponse', () => {
  const ids = ['m-1', 'm-2', 'm-3'];

  it.each([
    ['no response', undefined, 'succeeded', []],
    ['a null response', null, 'succeeded', []],
    ['an empty object', {}, 'succeeded', []],
    ['a null list', { batchItemFailures: null }, 'succeeded', []],
    ['an empty list', { batchItemFailures: [] }, 'succeeded', []],
    ['a known id', { batchItemFailures: [{ itemIdentifier: 'm-2' }] }, 'partially-failed', ['m-2']],
    ['an empty itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }, 'invalid-response', ids],
    ['a null itemIdentifier', { batchItemFailures: [{ itemIdentifier: null }] }, 'invalid-response', ids],
    ['a misspelt key', { batchItemFailures: [{ itemId: 'm-1' }] }, 'invalid-response', ids],
    ['an id not in the batch', { batchItemFailures: [{ itemIdentifier: 'm-9' }] }, 'invalid-response', ids],
    ['a list that is not an array', { batchItemFailures: 'm-1' }, 'invalid-response', ids],
    ['a string response', 'ok', 'invalid-response', ids],
  ])('treats %s as described by Lambda', (_case, response, result, retried) => {
    // Prepare: the batch is `ids`

    // Act
    const settled = settleResponse(response, ids);

    // Assess
    expect(settled).toEqual({ result, retried });
  });
});
