import {
  CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';

/** Dummy credentials and a region for an SQS client pointed at a local SQS endpoint. */
export function localSqsClient(endpoint: string): SQSClient {
  return new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
}

/** A source queue whose RedrivePolicy sends a message to its dead-letter queue after `maxReceiveCount` receives. */
export interface QueueWithDeadLetters {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueArn: string;
}

export interface QueueWithDeadLettersOptions {
  /** How long a received message stays invisible before it reappears. */
  readonly visibilityTimeoutSeconds: number;
  /** Receives after which the next receive moves the message to the dead-letter queue instead. */
  readonly maxReceiveCount: number;
  /** @default a name unique to this process */
  readonly name?: string;
}

let queues = 0;

/** Creates a dead-letter queue and a source queue redriving to it, and returns both queues' URLs and ARNs. */
export async function createQueueWithDeadLetters(client: SQSClient, options: QueueWithDeadLettersOptions): Promise<QueueWithDeadLetters> {
  const name = options.name ?? `arrivals-${process.pid}-${++queues}`;
  const deadLetterQueueUrl = await createQueue(client, `${name}-dlq`, {});
  const deadLetterQueueArn = await queueArn(client, deadLetterQueueUrl);
  const queueUrl = await createQueue(client, name, {
    VisibilityTimeout: String(options.visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterQueueArn, maxReceiveCount: options.maxReceiveCount }),
  });
  return { queueUrl, queueArn: await queueArn(client, queueUrl), deadLetterQueueUrl, deadLetterQueueArn };
}

async function createQueue(client: SQSClient, name: string, attributes: Record<string, string>): Promise<string> {
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!QueueUrl) throw new Error(`CreateQueue for ${name} returned no QueueUrl`);
  return QueueUrl;
}

async function queueArn(client: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`GetQueueAttributes for ${queueUrl} returned no QueueArn`);
  return arn;
}

/** Sends each body as one message, ten to a SendMessageBatch, and returns the message ids in the order of `bodies`. */
export async function sendMessages(client: SQSClient, queueUrl: string, bodies: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < bodies.length; start += 10) {
    const chunk = bodies.slice(start, start + 10);
    const output = await client.send(new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: chunk.map((body, index) => ({ Id: String(index), MessageBody: body })),
    }));
    if (output.Failed?.length) throw new Error(`SendMessageBatch refused ${JSON.stringify(output.Failed)}`);
    const byEntry = new Map((output.Successful ?? []).map((entry) => [entry.Id, entry.MessageId]));
    chunk.forEach((_body, index) => ids.push(byEntry.get(String(index)) ?? ''));
  }
  return ids;
}

/** What the queue reports about its messages: visible, in flight (received, not deleted) and delayed. */
export interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}

export async function queueDepth(client: SQSClient, queueUrl: string): Promise<QueueDepth> {
  const { Attributes = {} } = await client.send(new GetQueueAttributesCommand({
    QueueUrl: queueUrl,
    AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
  }));
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

/**
 * Receives every message now visible in `queueUrl` with its system attributes, leaving each invisible for
 * `visibilityTimeoutSeconds` so none is returned twice. For inspecting a dead-letter queue.
 */
export async function receiveAll(client: SQSClient, queueUrl: string, visibilityTimeoutSeconds = 30): Promise<Message[]> {
  const received: Message[] = [];
  for (;;) {
    const { Messages = [] } = await client.send(new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: visibilityTimeoutSeconds,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['All'],
    }));
    if (Messages.length === 0) return received;
    received.push(...Messages);
  }
}
