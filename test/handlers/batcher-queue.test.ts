import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DATA_BUCKET, objectCreated, seeded, triggerConfig } from '../support/batcher-env';
import { TEST_CONFIG_PATH } from '../support/fake-ssm';
import { BatcherHandlerWorld, captureOutput, startedFor } from '../support/handler-batcher';
import { SERVICES_TIMEOUT } from '../support/handler-harness';
import { startMotoServer, type MotoServer } from '../support/moto-server';
import { LambdaSqsPoller } from '../support/sqs-poller';
import { createQueueWithDeadLetters, localSqsClient, queueDepth, receiveAll, sendMessages, type QueueWithDeadLetters } from '../support/sqs-queue';

jest.setTimeout(4 * SERVICES_TIMEOUT);

/**
 * The batcher function fed by an SQS queue (moto's, an implementation of its own) through a poller that does
 * what Lambda's event source mapping does: batches, the visibility timeout, partial batch responses, redrive.
 */
describe('batcher handler through the arrival queue', () => {
  const world = new BatcherHandlerWorld();
  let moto: MotoServer;
  let sqs: SQSClient;
  let queue: QueueWithDeadLetters;
  let clockOffsetMs = 0;
  const realNow = Date.now.bind(Date);

  beforeAll(async () => {
    moto = await startMotoServer();
    sqs = localSqsClient(moto.endpoint);
    queue = await createQueueWithDeadLetters(sqs, { visibilityTimeoutSeconds: 1, maxReceiveCount: 30, name: 'batcher-arrivals' });
    process.env.ARRIVAL_QUEUE_ARN = queue.queueArn;
    await world.start();
  }, 2 * SERVICES_TIMEOUT);
  afterAll(async () => {
    delete process.env.ARRIVAL_QUEUE_ARN;
    await Promise.all([world.stop(), moto.stop()]);
  }, SERVICES_TIMEOUT);
  beforeEach(() => {
    captureOutput();
    // Each invocation moves the function's clock on by a minute, as redeliveries a visibility timeout apart would;
    // the clock never goes back between tests.
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() + clockOffsetMs);
  });
  afterEach(() => jest.restoreAllMocks());

  const deploy = (...triggers: ReturnType<typeof triggerConfig>[]) => {
    for (const trigger of triggers) world.ssm.put(`${TEST_CONFIG_PATH}${trigger.triggerId}`, JSON.stringify({ [trigger.triggerId]: trigger }));
    process.env.TRIGGER_CONFIG_VERSION = triggers.map((trigger) => trigger.triggerId).join(',');
  };
  const poller = (options: { readonly crash?: () => boolean } = {}) =>
    new LambdaSqsPoller({
      queueUrl: queue.queueUrl,
      queueArn: queue.queueArn,
      client: sqs,
      batchSize: 100,
      maxBatchingWindowMs: 1_000,
      maxConcurrency: 4,
      handler: async (event) => {
        clockOffsetMs += 60_000;
        const answer = await world.queueHandler(event);
        if (options.crash?.()) throw new Error('the invocation timed out after placing its objects');
        return answer;
      },
    });

  test('two triggers, 30% duplicate messages, crashes mid-batch and failing starts: every object in exactly one run', async () => {
    // Prepare: 300 objects for two triggers on one bucket, every tenth delivered twice or more; a fifth of
    // DynamoDB calls of some invocations fail (before or after taking effect), and 30% of starts are throttled.
    const random = seeded(20271130);
    const labels = triggerConfig({ triggerId: 'queue-labels', batchSize: 25, batchWindowSeconds: 3600, maxStartAttempts: 20, source: { bucket: DATA_BUCKET, prefix: 'labels/' } });
    const clicks = triggerConfig({ triggerId: 'queue-clicks', batchSize: 40, batchWindowSeconds: 3600, maxStartAttempts: 20, source: { bucket: DATA_BUCKET, prefix: 'clicks/' } });
    deploy(labels, clicks);
    const objects = Array.from({ length: 300 }, (_, i) => ({ trigger: i % 3 === 0 ? clicks : labels, key: `${i % 3 === 0 ? 'clicks' : 'labels'}/part-${i}.parquet`, sequencer: i.toString(16).padStart(16, '0') }));
    const deliveries = [...objects, ...objects.filter(() => random() < 0.3)].sort(() => random() - 0.5);
    const bodies = deliveries.map((o) => JSON.stringify({ triggerId: o.trigger.triggerId, event: objectCreated(o.key, o.sequencer) }));
    const send = DynamoDBClient.prototype.send;
    let crashes = 0;
    jest.spyOn(DynamoDBClient.prototype, 'send').mockImplementation(async function (this: DynamoDBClient, ...args: Parameters<typeof send>) {
      const roll = random();
      if (roll < 0.01) {
        crashes++;
        throw Object.assign(new Error('injected failure before the call'), { name: 'InternalServerError' });
      }
      const result = await (send as (...a: unknown[]) => Promise<unknown>).apply(this, args);
      if (roll < 0.02) {
        crashes++;
        throw Object.assign(new Error('injected failure after the call took effect'), { name: 'TimeoutError' });
      }
      return result;
    } as never);
    world.local.sagemaker.failWithProbability(0.3, 'throttle', random);
    const reader = poller({ crash: () => random() < 0.1 });

    // Act: everything on the queue, drained; then flushes, the clock past the window, until nothing is pending.
    await sendMessages(sqs, queue.queueUrl, bodies);
    reader.start();
    await reader.drain({ timeoutMs: 3 * SERVICES_TIMEOUT });
    await reader.stop();
    jest.mocked(DynamoDBClient.prototype.send).mockRestore();
    world.local.sagemaker.failWithProbability(0, 'throttle');
    for (let minute = 0; minute < 90; minute++) {
      clockOffsetMs += 5 * 60_000;
      await world.lambdaHandler({ flush: { triggerIds: [labels.triggerId, clicks.triggerId] } });
    }

    // Assess: each object once across the runs of its trigger; manifests match counts; nothing dead-lettered.
    for (const [trigger, keys] of [[labels, objects.filter((o) => o.trigger === labels)], [clicks, objects.filter((o) => o.trigger === clicks)]] as const) {
      const { executions, manifests } = await startedFor(world.local, trigger.triggerId);
      const listed = manifests.flat().map((line) => String(line.key));
      expect([...listed].sort()).toEqual(keys.map((o) => o.key).sort());
      expect(new Set(executions.map((e) => e.clientRequestToken)).size).toBe(executions.length);
      expect(executions.every((e, i) => e.parameters.ObjectCount === String(manifests[i].length))).toBe(true);
      expect(manifests.every((lines) => lines.length >= 1 && lines.length <= trigger.batchSize)).toBe(true);
    }
    expect(crashes).toBeGreaterThan(0);
    expect(reader.outcomes.some((outcome) => outcome.result !== 'succeeded')).toBe(true);
    expect(reader.peakConcurrency).toBeLessThanOrEqual(4);
    expect(Math.max(...reader.batchSizes)).toBeGreaterThan(10);
    expect(await receiveAll(sqs, queue.deadLetterQueueUrl)).toEqual([]);
  });

  test('a message that is not an arrival is dropped with its field named, and the others of its batch are placed', async () => {
    // Prepare: one good object and three bad messages in one batch.
    const trigger = triggerConfig({ triggerId: 'queue-mixed', batchSize: 1 });
    deploy(trigger);
    const bodies = [
      JSON.stringify({ triggerId: trigger.triggerId, event: objectCreated('labels/good.parquet', '0a') }),
      '{not json',
      JSON.stringify({ triggerId: 'never-deployed', event: objectCreated('labels/stranger.parquet', '0b') }),
      JSON.stringify({ triggerId: trigger.triggerId, event: { detail: {} } }),
    ];
    const reader = poller();

    // Act
    await sendMessages(sqs, queue.queueUrl, bodies);
    reader.start();
    await reader.drain({ timeoutMs: SERVICES_TIMEOUT });
    await reader.stop();

    // Assess: the good object started its run; the bad ones were answered once and never redelivered.
    const { manifests } = await startedFor(world.local, trigger.triggerId);
    expect(manifests.flat().map((line) => line.key)).toEqual(['labels/good.parquet']);
    expect(reader.outcomes.length).toBeGreaterThan(0);
    expect(reader.outcomes.every((outcome) => outcome.result === 'succeeded')).toBe(true);
    expect((await queueDepth(sqs, queue.queueUrl)).visible).toBe(0);
  });

  test('a record that names another queue is refused, and nothing of it is placed', async () => {
    // Prepare: a record as a forged invocation would carry it.
    const trigger = triggerConfig({ triggerId: 'queue-forged', batchSize: 1 });
    deploy(trigger);
    const record = { messageId: 'm-1', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:someone-elses', body: JSON.stringify({ triggerId: trigger.triggerId, event: objectCreated('labels/forged.parquet', '0c') }) };

    // Act
    const answer = await world.queueHandler({ Records: [record] });

    // Assess
    expect(answer).toEqual({ batchItemFailures: [] });
    expect((await startedFor(world.local, trigger.triggerId)).executions).toHaveLength(0);
  });
});
