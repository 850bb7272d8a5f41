import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { simulate } from '../../lib/simulator/simulator';

const TIMEOUT = 120_000;

/** A consumer that takes every message. */
const CONSUMER = 'exports.handler = async () => ({ batchItemFailures: [] });';

describe("simulating a queue's delivery delay", () => {
  let dir: string;
  let assemblyDir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-queue-delay-'));
    const codeDir = path.join(dir, 'consumer');
    fs.mkdirSync(codeDir);
    fs.writeFileSync(path.join(codeDir, 'index.js'), CONSUMER);
    const app = new App({ outdir: path.join(dir, 'cdk.out') });
    const stack = new Stack(app, 'Delayed');
    const delayed = new sqs.Queue(stack, 'Delayed', { queueName: 'delayed', deliveryDelay: Duration.minutes(5) });
    const consumer = new lambda.Function(stack, 'Consumer', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromAsset(codeDir) });
    consumer.addEventSource(new sources.SqsEventSource(delayed, { reportBatchItemFailures: true, batchSize: 10 }));
    new events.Rule(stack, 'OnObject', {
      eventPattern: { source: ['aws.s3'], detailType: ['Object Created'] },
      targets: [new targets.SqsQueue(delayed)],
    });
    assemblyDir = app.synth().directory;
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a message sent to a queue with DelaySeconds is received that long after it was sent', async () => {
    // Prepare
    const received: string[] = [];
    const lines = [{ at: '2024-01-29T09:00:00Z', s3: { bucket: 'landing', key: 'a' } }, { at: '2024-01-29T09:01:00Z', s3: { bucket: 'landing', key: 'b' } }];

    // Act
    const result = await simulate({
      assemblyDir,
      events: lines.map((line) => JSON.stringify(line)).join('\n'),
      untilMs: Date.parse('2024-01-29T10:00:00Z'),
      onInvoke: () => received.push(new Date().toISOString()),
    });

    // Assess
    expect(received).toEqual(['2024-01-29T09:05:00.000Z', '2024-01-29T09:06:00.000Z']);
    expect(result.queues.find((queue) => queue.queueName === 'delayed')?.messages.map((message) => [message.sentAt, message.state])).toEqual([
      ['2024-01-29T09:00:00Z', 'delivered'],
      ['2024-01-29T09:01:00Z', 'delivered'],
    ]);
  }, TIMEOUT);
});
