/**
 * The system under test: the real handler classes, composed as the deployed functions compose them,
 * against dynalite, s3rver, the fake SageMaker, the fake Lambda Invoke endpoint and the fake SNS, through
 * the real AWS SDK clients. Time is a virtual clock; every SDK client can be made to crash.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SNSClient } from '@aws-sdk/client-sns';
import { parseStartRequest } from '../../lambda/core/coordination';
import { parsePolicy, type CoordinatorPolicy } from '../../lambda/core/contracts/coordinator';
import { isRecord } from '../../lambda/core/result';
import type { BatchId } from '../../lambda/core/batching';
import type { BatchTriggerConfig } from '../../lambda/core/contracts/batch';
import { ApprovalNotifier } from '../../lambda/aws/adapters/approval-notifier';
import { CoordinatorClient } from '../../lambda/aws/adapters/coordinator-client';
import { Launchers } from '../../lambda/aws/adapters/launcher';
import { ManifestWriter } from '../../lambda/aws/adapters/manifest-writer';
import { PipelineStarter } from '../../lambda/aws/adapters/pipeline-starter';
import { Batcher } from '../../lambda/aws/batcher/batcher';
import { BatchRecordStore } from '../../lambda/aws/batcher/batch-record-store';
import { ChunkStore } from '../../lambda/aws/batcher/chunk-store';
import { TriggerStateStore } from '../../lambda/aws/batcher/trigger-state-store';
import { Coordinator, type CoordinatorAnswer } from '../../lambda/aws/coordinator/coordinator';
import { CoordinatorStore } from '../../lambda/aws/coordinator/coordinator-store';
import { DriftEvaluator } from '../../lambda/aws/drift/evaluator';
import { ReviewNotifier } from '../../lambda/aws/drift/review-notifier';
import { ViolationsReader } from '../../lambda/aws/drift/violations-reader';
import { BurstStore } from '../../lambda/aws/events/burst-store';
import { Debouncer } from '../../lambda/aws/events/debounce';
import { EventStarter } from '../../lambda/aws/events/event-starter';
import { JoinStore } from '../../lambda/aws/events/join-store';
import { startFakeLambda, startFakeSns, type InvokedFunction } from '../support/fake-aws-endpoints';
import { LOCAL_AWS_ENV, setEnv, startDynalite, startFakeSageMaker, startS3, type FakeSageMaker, type LocalService } from '../support/local-services';
import { createKeyedTable } from '../support/tables';

export const BATCH_TABLE = 'system-batches';
export const JOIN_TABLE = 'system-joins';
export const COORDINATOR_TABLE = 'system-coordinator';
export const MANIFEST_BUCKET = 'system-manifests';
export const MONITOR_BUCKET = 'system-model-monitor';
export const COORDINATOR_FUNCTION = 'system-coordinator-fn';
const DAY_MS = 86_400_000;

/** Time as every handler sees it: moved only by the model, and by the handlers' own waits. */
export class VirtualClock {
  constructor(private ms: number) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += Math.max(0, ms);
  }
  /**
   * A `pause` dependency: waiting moves the clock instead of the process sleeping. Rounded up to 100 ms,
   * so that a handler's unseeded jitter (the batcher's Math.random) cannot change a seed's replay.
   */
  readonly pause = async (ms: number): Promise<void> => {
    this.advance(Math.ceil(ms / 100) * 100);
  };
}

/** What a fault kills: the invocation, not the service. A Lambda or EventBridge retry delivers it again. */
export class Crash extends Error {
  constructor(readonly site: string, readonly when: 'before' | 'after') {
    super(`injected crash ${when} ${site}`);
    this.name = 'Crash';
  }
}

/** Seeded crash injection between side effects: before a call, or after it succeeded (its reply lost). */
export class Faults {
  enabled = false;
  readonly injected: string[] = [];
  /** A scripted crash: consulted on every call, also while random faults are off; returns when to crash, if at all. */
  script?: (site: string, command: unknown) => 'before' | 'after' | undefined;
  constructor(
    private readonly random: () => number,
    readonly crashProbability: number,
  ) {}

  /** Wraps `client.send` so that a chosen call crashes before it is made or after it succeeded. */
  wrap<C extends { send: unknown }>(client: C, site: string): C {
    const send = (client.send as (command: unknown, ...rest: unknown[]) => Promise<unknown>).bind(client);
    (client as { send: unknown }).send = async (command: unknown, ...rest: unknown[]): Promise<unknown> => {
      const name = `${site}.${(command as { constructor: { name: string } }).constructor.name.replace(/Command$/, '')}`;
      const scripted = this.script?.(name, command);
      const roll = this.enabled ? this.random() : 1;
      if (scripted === 'before' || roll < this.crashProbability / 2) throw this.crash(name, 'before');
      const result = await send(command, ...rest);
      if (scripted === 'after' || roll < this.crashProbability) throw this.crash(name, 'after');
      return result;
    };
    return client;
  }

  private crash(site: string, when: 'before' | 'after'): Crash {
    this.injected.push(`${when} ${site}`);
    return new Crash(site, when);
  }
}

/** The local stand-ins for AWS, with the SDK pointed at them through its standard endpoint variables. */
export interface Services {
  readonly sagemaker: FakeSageMaker;
  /** The clock SageMaker stamps its runs with: the system's virtual clock once a system is built. */
  readonly sagemakerTime: { now: () => number };
  readonly sns: Awaited<ReturnType<typeof startFakeSns>>;
  readonly lambda: Awaited<ReturnType<typeof startFakeLambda>>;
  /** The functions the fake Lambda endpoint serves, by name; a system registers its coordinator here. */
  readonly functions: Record<string, InvokedFunction>;
  readonly dynamo: DynamoDBClient;
  readonly s3: S3Client;
  stop(): Promise<void>;
}

export async function startServices(): Promise<Services> {
  const functions: Record<string, InvokedFunction> = {};
  const sagemakerTime = { now: () => Date.now() };
  const [dynamoService, s3Service, sagemaker, sns, lambda] = await Promise.all([
    startDynalite(),
    startS3(),
    startFakeSageMaker({ now: () => sagemakerTime.now() }),
    startFakeSns(),
    startFakeLambda(functions),
  ]);
  const restoreEnv = setEnv({
    ...LOCAL_AWS_ENV,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoService.endpoint,
    AWS_ENDPOINT_URL_S3: s3Service.endpoint,
    AWS_ENDPOINT_URL_SAGEMAKER: sagemaker.endpoint,
    AWS_ENDPOINT_URL_SNS: sns.endpoint,
    AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
    AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  const dynamo = new DynamoDBClient({});
  const s3 = new S3Client({ forcePathStyle: true });
  await Promise.all([BATCH_TABLE, JOIN_TABLE, COORDINATOR_TABLE].map((table) => createKeyedTable(dynamo, table)));
  await Promise.all([MANIFEST_BUCKET, MONITOR_BUCKET].map((bucket) => s3.send(new CreateBucketCommand({ Bucket: bucket }))));
  const services: LocalService[] = [dynamoService, s3Service, sagemaker, sns, lambda];
  return {
    sagemaker,
    sagemakerTime,
    sns,
    lambda,
    functions,
    dynamo,
    s3,
    async stop() {
      dynamo.destroy();
      s3.destroy();
      await Promise.all(services.map((service) => service.close()));
      restoreEnv();
    },
  };
}

/** What the batcher reported that the invariants need: which batches gave up for good (and raised the alarm). */
export interface BatcherReports {
  readonly finalFailures: BatchId[];
}

/** Every answer the coordinator function returned, with the input it answered. */
export interface CoordinatorExchange {
  readonly input: Readonly<Record<string, unknown>>;
  readonly answer: CoordinatorAnswer;
}

/** The composed system: one object per handler, as one warm Lambda container of each function holds it. */
export interface System {
  readonly batcher: Batcher;
  readonly events: EventStarter;
  /** The events function's debounced triggers: immediate deliveries and the delay queue's copies. */
  readonly debouncer: Debouncer;
  readonly drift: DriftEvaluator;
  readonly coordinator: Coordinator;
  readonly coordinatorStore: CoordinatorStore;
  /** Sends a start request to the coordinator function through the Lambda Invoke API, as a scheduled trigger does. */
  readonly coordinatorClient: CoordinatorClient;
  readonly batcherReports: BatcherReports;
  readonly exchanges: CoordinatorExchange[];
  /** Successful StartPipelineExecution replies, with the virtual time they were made at. */
  readonly starts: Array<{ readonly executionArn: string; readonly atMs: number }>;
}

export const SYSTEM_POLICY_DEFAULTS = { costModel: { baseCost: 150, gbPerIncrement: 100 }, timeZone: 'UTC' } as const;

/**
 * Builds every handler object of the system. The one place that knows the handlers' constructors:
 * when they change, only this function changes.
 */
export function buildSystem(services: Services, clock: VirtualClock, faults: Faults, policyInput: Partial<CoordinatorPolicy>, random: () => number): System {
  const policy = parsePolicy({ ...SYSTEM_POLICY_DEFAULTS, ...policyInput });
  if (!policy.ok) throw new Error(`policy ${policy.error.field} ${policy.error.problem}`);
  const starts: System['starts'] = [];
  services.sagemakerTime.now = clock.now;
  const dynamo = (site: string) => faults.wrap(new DynamoDBClient({}), site);
  const sageMaker = (site: string) => {
    const client = faults.wrap(new SageMakerClient({ maxAttempts: 1 }), site);
    const send = client.send.bind(client) as (command: unknown) => Promise<{ PipelineExecutionArn?: string }>;
    (client as { send: unknown }).send = async (command: unknown) => {
      const reply = await send(command);
      if (reply.PipelineExecutionArn) starts.push({ executionArn: reply.PipelineExecutionArn, atMs: clock.now() });
      return reply;
    };
    return client;
  };
  const launchers = (site: string) =>
    new Launchers(new PipelineStarter(sageMaker(`${site}.sagemaker`)), new CoordinatorClient(faults.wrap(new LambdaClient({ maxAttempts: 1 }), `${site}.lambda`)));

  const batcherReports: BatcherReports = { finalFailures: [] };
  const batcherDynamo = dynamo('batcher.dynamodb');
  const batcher = new Batcher({
    state: new TriggerStateStore(batcherDynamo, BATCH_TABLE),
    records: new BatchRecordStore(batcherDynamo, BATCH_TABLE),
    chunks: new ChunkStore(batcherDynamo, BATCH_TABLE),
    manifests: new ManifestWriter(faults.wrap(new S3Client({ forcePathStyle: true }), 'batcher.s3')),
    launchers: launchers('batcher'),
    observer: {
      duplicate() {},
      accepted() {},
      sealed() {},
      started() {},
      startFailed: (_config: BatchTriggerConfig, batch: BatchId, _attempt: number, _error: unknown, final: boolean) => {
        if (final) batcherReports.finalFailures.push(batch);
      },
      deferred() {},
      oldestBatchAge() {},
    },
    now: clock.now,
    newEpoch: () => 'epoch',
    pause: clock.pause,
  });

  const eventsDynamo = dynamo('events.dynamodb');
  const eventLaunchers = launchers('events');
  const events = new EventStarter({ joins: new JoinStore(eventsDynamo, JOIN_TABLE, clock.now), launchers: eventLaunchers, now: clock.now, pause: clock.pause, random });
  const debouncer = new Debouncer({ bursts: new BurstStore(eventsDynamo, JOIN_TABLE, clock.now), launchers: eventLaunchers, now: clock.now, pause: clock.pause, random });

  const drift = new DriftEvaluator({
    reader: new ViolationsReader(faults.wrap(new S3Client({ forcePathStyle: true }), 'drift.s3')),
    launchers: launchers('drift'),
    notifier: new ReviewNotifier(faults.wrap(new SNSClient({}), 'drift.sns')),
    observer: { scored() {}, unreadable() {} },
  });

  const coordinatorStore = new CoordinatorStore(dynamo('coordinator.dynamodb'), COORDINATOR_TABLE, 90 * DAY_MS);
  let invocation = 0;
  const coordinator = new Coordinator({
    store: coordinatorStore,
    starter: new PipelineStarter(sageMaker('coordinator.sagemaker')),
    notifier: new ApprovalNotifier(faults.wrap(new SNSClient({}), 'coordinator.sns'), 'arn:aws:sns:eu-west-1:123456789012:system-approvals'),
    policy: policy.value,
    observer: { decided() {} },
    functionName: COORDINATOR_FUNCTION,
    now: clock.now,
    owner: () => `invocation-${++invocation}`,
    pause: clock.pause,
    random,
  });

  const exchanges: CoordinatorExchange[] = [];
  // The coordinator function's handler, reduced to its dispatch: what lambda/aws/coordinator/index.ts does with a request.
  services.functions[COORDINATOR_FUNCTION] = async (payload) => {
    if (!isRecord(payload) || payload.action !== 'request') throw new Error('the system sends only start requests through Invoke');
    const request = parseStartRequest(payload.request);
    if (!request.ok) return { status: 'rejected', error: request.error };
    const answer = await coordinator.request(request.value);
    exchanges.push({ input: payload.request as Record<string, unknown>, answer });
    return answer;
  };

  return {
    batcher,
    events,
    debouncer,
    drift,
    coordinator,
    coordinatorStore: new CoordinatorStore(new DynamoDBClient({}), COORDINATOR_TABLE, 90 * DAY_MS),
    coordinatorClient: new CoordinatorClient(faults.wrap(new LambdaClient({ maxAttempts: 1 }), 'scheduler.lambda')),
    batcherReports,
    exchanges,
    starts,
  };
}
