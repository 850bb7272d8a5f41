import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { simulate, type SimulationResult } from '../../lib/simulator/simulator';

const TIMEOUT = 120_000;

/**
 * A consumer of the arrivals queue. A key's name says how it fares: `fail-<n>` is reported failed for its first n
 * receives, `throw-<n>` makes the whole batch throw for its first n receives, `poison` always fails. It throws
 * when a record names another queue than the one it is told of, or when two batches are in flight at once.
 */
const CONSUMER = `
let inFlight = 0;
exports.handler = async (event) => {
  inFlight += 1;
  try {
    if (inFlight > 1) throw new Error('two batches in flight');
    await new Promise((resolve) => setImmediate(resolve));
    const failures = [];
    for (const record of event.Records) {
      if (record.eventSourceARN !== process.env.ARRIVAL_QUEUE_ARN) throw new Error('a record of another queue: ' + record.eventSourceARN);
      const key = JSON.parse(record.body).event.detail.object.key;
      const receives = Number(record.attributes.ApproximateReceiveCount);
      const [, how, times] = /^(fail|throw)-(\\d+)/.exec(key) ?? [];
      if (how === 'throw' && receives <= Number(times)) throw new TypeError('cannot read ' + key);
      if (key === 'poison' || (how === 'fail' && receives <= Number(times))) failures.push({ itemIdentifier: record.messageId });
    }
    return { batchItemFailures: failures };
  } finally {
    inFlight -= 1;
  }
};`;

/** A stack whose rule puts each object of the landing bucket on the arrivals queue, which the consumer polls with `source`'s settings. */
function arrivalsStack(app: App, id: string, codeDir: string, source: sources.SqsEventSourceProps): void {
  const stack = new Stack(app, id);
  const deadLetters = new sqs.Queue(stack, 'DeadLetters', { queueName: `${id}-dead-letters` });
  const arrivals = new sqs.Queue(stack, 'Arrivals', {
    queueName: `${id}-arrivals`, visibilityTimeout: Duration.seconds(60), deadLetterQueue: { queue: deadLetters, maxReceiveCount: 3 },
  });
  const consumer = new lambda.Function(stack, 'Consumer', {
    runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromAsset(codeDir), environment: { ARRIVAL_QUEUE_ARN: arrivals.queueArn },
  });
  consumer.addEventSource(new sources.SqsEventSource(arrivals, { reportBatchItemFailures: true, ...source }));
  new events.Rule(stack, 'OnObject', {
    eventPattern: { source: ['aws.s3'], detailType: ['Object Created'], detail: { bucket: { name: ['landing'] } } },
    targets: [new targets.SqsQueue(arrivals, { message: events.RuleTargetInput.fromObject({ triggerId: 'labels', event: events.EventField.fromPath('$') }) })],
  });
}

/** One batch as the consumer received it: when, and each object's key with its receive count. */
interface Batch {
  readonly at: string;
  readonly messages: readonly string[];
}

describe('simulating rules that target a queue a function polls', () => {
  let dir: string;
  let assemblyDir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-queues-'));
    const codeDir = path.join(dir, 'consumer');
    fs.mkdirSync(codeDir);
    fs.writeFileSync(path.join(codeDir, 'index.js'), CONSUMER);
    const app = new App({ outdir: path.join(dir, 'cdk.out') });
    arrivalsStack(app, 'Windowed', codeDir, { batchSize: 3, maxBatchingWindow: Duration.seconds(60) });
    arrivalsStack(app, 'AtOnce', codeDir, { batchSize: 3, maxConcurrency: 2 });
    assemblyDir = app.synth().directory;
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Simulates `lines` of objects (`[time, key]`) landing, against one stack; the batches the consumer received. */
  async function land(stackName: string, lines: readonly (readonly [string, string])[], until: string): Promise<{ result: SimulationResult; batches: Batch[] }> {
    const batches: Batch[] = [];
    const result = await simulate({
      assemblyDir,
      stackName,
      events: lines.map(([at, key]) => JSON.stringify({ at, s3: { bucket: 'landing', key } })).join('\n'),
      untilMs: Date.parse(until),
      onInvoke: (_functionName, payload) => {
        const { Records } = payload as { Records: { body: string; attributes: { ApproximateReceiveCount: string } }[] };
        batches.push({
          at: new Date().toISOString(),
          messages: Records.map((record) => `${(JSON.parse(record.body) as { event: { detail: { object: { key: string } } } }).event.detail.object.key}#${record.attributes.ApproximateReceiveCount}`),
        });
      },
    });
    return { result, batches };
  }

  const queueNamed = (result: SimulationResult, name: string) => result.queues.find((queue) => queue.queueName === name);

  test('forms a batch when the batch size is reached, and otherwise when the window since the first waiting message is over', async () => {
    // Prepare
    const lines = [['2024-01-29T09:00:00Z', 'a'], ['2024-01-29T09:00:10Z', 'b'], ['2024-01-29T09:00:20Z', 'c'], ['2024-01-29T10:00:00Z', 'd'], ['2024-01-29T10:00:30Z', 'e']] as const;

    // Act
    const { result, batches } = await land('Windowed', lines, '2024-01-29T12:00:00Z');

    // Assess
    expect(batches).toEqual([
      { at: '2024-01-29T09:00:20.000Z', messages: ['a#1', 'b#1', 'c#1'] },
      { at: '2024-01-29T10:01:00.000Z', messages: ['d#1', 'e#1'] },
    ]);
    expect(result.timeline.errors).toEqual([]);
    expect(queueNamed(result, 'Windowed-arrivals')?.messages.map((message) => [message.state, message.trigger, message.receiveCount])).toEqual(
      lines.map(() => ['delivered', 'labels', 1]),
    );
  }, TIMEOUT);

  test('invokes at once without a window, one batch after the other, and reports the mapping as deployed', async () => {
    // Prepare
    const keys = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7'];

    // Act
    const { result, batches } = await land('AtOnce', keys.map((key) => ['2024-01-29T09:00:00Z', key] as const), '2024-01-29T10:00:00Z');

    // Assess
    expect(batches.map((batch) => [batch.at, batch.messages.length])).toEqual([3, 3, 1].map((size) => ['2024-01-29T09:00:00.000Z', size]));
    expect(batches.flatMap((batch) => batch.messages)).toEqual(keys.map((key) => `${key}#1`));
    expect(result.timeline.errors).toEqual([]);
    expect(queueNamed(result, 'AtOnce-arrivals')?.pollers).toEqual([
      { functionName: expect.stringMatching(/^AtOnce-Consumer/), enabled: true, batchSize: 3, maximumBatchingWindowSeconds: 0, maximumConcurrency: 2, reportBatchItemFailures: true, batches: 3 },
    ]);
  }, TIMEOUT);

  test('receives a reported failure again after the visibility timeout, with a growing receive count, and never its batch mates', async () => {
    // Prepare
    const lines = [['2024-01-29T09:00:00Z', 'fail-2'], ['2024-01-29T09:00:00Z', 'fine']] as const;

    // Act
    const { result, batches } = await land('AtOnce', lines, '2024-01-29T10:00:00Z');

    // Assess
    expect(batches).toEqual([
      { at: '2024-01-29T09:00:00.000Z', messages: ['fail-2#1', 'fine#1'] },
      { at: '2024-01-29T09:01:00.000Z', messages: ['fail-2#2'] },
      { at: '2024-01-29T09:02:00.000Z', messages: ['fail-2#3'] },
    ]);
    expect(result.timeline.errors).toEqual([]);
    expect(queueNamed(result, 'AtOnce-arrivals')?.messages.map((message) => [message.state, message.receiveCount])).toEqual([['delivered', 3], ['delivered', 1]]);
  }, TIMEOUT);

  test('receives the whole batch again when the function throws', async () => {
    // Prepare
    const lines = [['2024-01-29T09:00:00Z', 'throw-1'], ['2024-01-29T09:00:00Z', 'fine']] as const;

    // Act
    const { result, batches } = await land('AtOnce', lines, '2024-01-29T10:00:00Z');

    // Assess
    expect(batches.map((batch) => [batch.at, batch.messages])).toEqual([
      ['2024-01-29T09:00:00.000Z', ['throw-1#1', 'fine#1']],
      ['2024-01-29T09:01:00.000Z', ['throw-1#2', 'fine#2']],
    ]);
    expect(result.timeline.errors).toEqual([{ at: '2024-01-29T09:00:00Z', function: expect.stringMatching(/^AtOnce-Consumer/), message: 'TypeError: cannot read throw-1' }]);
  }, TIMEOUT);

  test('moves a message that fails maxReceiveCount times to the dead-letter queue, and reports it as an error', async () => {
    // Prepare
    const lines = [['2024-01-29T09:00:00Z', 'poison']] as const;

    // Act
    const { result, batches } = await land('AtOnce', lines, '2024-01-29T10:00:00Z');

    // Assess
    expect(batches.map((batch) => [batch.at, batch.messages])).toEqual([
      ['2024-01-29T09:00:00.000Z', ['poison#1']],
      ['2024-01-29T09:01:00.000Z', ['poison#2']],
      ['2024-01-29T09:02:00.000Z', ['poison#3']],
    ]);
    const [poison] = queueNamed(result, 'AtOnce-arrivals')?.messages ?? [];
    expect(poison).toMatchObject({ state: 'dead-lettered', receiveCount: 3, trigger: 'labels', from: expect.stringMatching(/^rule OnObject/) });
    expect(queueNamed(result, 'AtOnce-dead-letters')?.messages).toEqual([expect.objectContaining({ messageId: poison.messageId, state: 'waiting', receiveCount: 3 })]);
    expect(result.timeline.errors).toEqual([{
      at: '2024-01-29T09:03:00Z',
      function: expect.stringMatching(/^AtOnce-Consumer/),
      message: `message ${poison.messageId} from ${poison.from} (trigger labels) moved to dead-letter queue AtOnce-dead-letters after 3 receives: reported in batchItemFailures`,
    }]);
  }, TIMEOUT);

  test('reports a failed message the simulation ends before it is delivered, and gives the same messages every time', async () => {
    // Prepare
    const lines = [['2024-01-29T09:00:00Z', 'fail-5']] as const;

    // Act
    const once = await land('AtOnce', lines, '2024-01-29T09:01:30Z');
    const again = await land('AtOnce', lines, '2024-01-29T09:01:30Z');

    // Assess
    const [message] = queueNamed(once.result, 'AtOnce-arrivals')?.messages ?? [];
    expect(message).toMatchObject({ state: 'in-flight', receiveCount: 2 });
    expect(once.result.timeline.errors.map((error) => [error.at, error.message])).toEqual([
      ['2024-01-29T09:01:30Z', `message ${message.messageId} from ${message.from} (trigger labels) is still undelivered in queue AtOnce-arrivals after 2 receives: reported in batchItemFailures`],
    ]);
    expect(again.result.queues).toEqual(once.result.queues);
  }, TIMEOUT);
});
