import { request as httpRequest } from 'node:http';
import { UnknownFunctionError, startLocalLambda, type InvokeFunction, type LocalLambda } from './endpoints/lambda';
import type { LocalEndpoint } from './endpoints/loopback';
import { startLocalSageMaker, type LocalSageMaker, type LocalSageMakerOptions, type StartedRun } from './endpoints/sagemaker';
import { startLocalSns, type LocalSns, type PublishMessage } from './endpoints/sns';
import { startLocalSsm, type LocalSsm } from './endpoints/ssm';
import { startLocalEventReplays, type LocalEventReplays, type ReplayRequest } from './endpoints/event-replays';
import { startDynalite, startS3rver } from './endpoints/stores';
import type { SimulatedParameter, SimulatedTable } from './model';

export interface ServicesOptions {
  /** @default 'eu-west-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly account?: string;
  /** Runs a Lambda Invoke: the function host's. @default every function is unknown (ResourceNotFoundException) */
  readonly invoke?: InvokeFunction;
  /** Delivers an SNS Publish to the topic's subscribers. @default the message is only recorded */
  readonly publish?: PublishMessage;
  /** Told of each pipeline run SageMaker starts. */
  readonly onRunStarted?: (run: StartedRun) => void;
  /** Told of each EventBridge replay started (StartReplay). @default the replay is only recorded */
  readonly onReplayStarted?: (request: ReplayRequest) => void;
  /** A rule's state, as DescribeRule answers it. @default every rule is ENABLED */
  readonly ruleState?: (busName: string, ruleName: string) => string | undefined;
  /** Decides each StartPipelineExecution's outcome (a start, a failure, a throttle). @default every start succeeds */
  readonly startOutcome?: LocalSageMakerOptions['outcome'];
  /** The time SageMaker records a run's start at. @default Date.now, which reads the virtual clock while it is installed */
  readonly now?: () => number;
}

/** The local services a simulated app's functions talk to, until `stop()`. */
export interface Services {
  /** `AWS_ENDPOINT_URL_<SERVICE>` for each service: the variables the handlers' SDK clients read their endpoints from. */
  readonly environment: Readonly<Record<string, string>>;
  readonly dynamodb: LocalEndpoint;
  readonly s3: LocalEndpoint;
  readonly sagemaker: LocalSageMaker;
  readonly ssm: LocalSsm;
  readonly lambda: LocalLambda;
  readonly sns: LocalSns;
  /** EventBridge's StartReplay. */
  readonly eventReplays: LocalEventReplays;
  /** Creates each table in DynamoDB from its `CreateTable` input, named `tableName`. */
  createTables(tables: readonly Pick<SimulatedTable, 'tableName' | 'createTable'>[]): Promise<void>;
  createBuckets(bucketNames: readonly string[]): Promise<void>;
  /** Writes each parameter to Parameter Store as a String, as a deployment does. */
  putParameters(parameters: readonly SimulatedParameter[]): void;
  /** Stops every service and removes S3's objects; stopping twice is harmless. */
  stop(): Promise<void>;
}

/**
 * Starts DynamoDB (dynalite, in memory), S3 (s3rver, in a temporary directory) and the local SageMaker, SSM,
 * Lambda and SNS endpoints, each on its own loopback port. When one fails to start, those that did are stopped.
 */
export async function startServices(options: ServicesOptions = {}): Promise<Services> {
  const region = options.region ?? 'eu-west-1';
  const scope = { region, account: options.account };
  const invoke: InvokeFunction = options.invoke ?? (async (functionName) => {
    throw new UnknownFunctionError(functionName);
  });
  const starts = [
    startDynalite(),
    startS3rver(),
    startLocalSageMaker({ ...scope, now: options.now, onRunStarted: options.onRunStarted, outcome: options.startOutcome }),
    startLocalSsm(scope),
    startLocalLambda(invoke),
    startLocalSns(options.publish),
    startLocalEventReplays({ replay: options.onReplayStarted, ruleState: options.ruleState }),
  ] as const;
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed) {
    await Promise.allSettled(settled.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value.close() : undefined)));
    throw failed.reason;
  }
  const [dynamodb, s3, sagemaker, ssm, lambda, sns, eventReplays] = await Promise.all(starts);
  let stopping: Promise<void> | undefined;

  return {
    environment: {
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_SAGEMAKER: sagemaker.endpoint,
      AWS_ENDPOINT_URL_SSM: ssm.endpoint,
      AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
      AWS_ENDPOINT_URL_SNS: sns.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: eventReplays.endpoint,
    },
    dynamodb,
    s3,
    sagemaker,
    ssm,
    lambda,
    sns,
    eventReplays,
    createTables: async (tables) => {
      for (const table of tables) await createTable(dynamodb.endpoint, region, { ...table.createTable, TableName: table.tableName });
    },
    createBuckets: async (bucketNames) => {
      for (const name of bucketNames) await createBucket(s3.endpoint, name);
    },
    putParameters: (parameters) => parameters.forEach(({ name, value }) => ssm.put(name, value)),
    stop: () =>
      (stopping ??= (async () => {
        const closed = await Promise.allSettled([dynamodb, s3, sagemaker, ssm, lambda, sns, eventReplays].map((service) => service.close()));
        const failure = closed.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
        if (failure) throw failure.reason;
      })()),
  };
}

/** DynamoDB's CreateTable, sent without the SDK (which a user of the simulator need not have): dynalite checks no signature. */
async function createTable(endpoint: string, region: string, input: Readonly<Record<string, unknown>>): Promise<void> {
  const { status, body } = await send(endpoint, 'POST', '/', JSON.stringify(input), {
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-target': 'DynamoDB_20120810.CreateTable',
    'x-amz-date': '20000101T000000Z',
    authorization: `AWS4-HMAC-SHA256 Credential=S3RVER/20000101/${region}/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`,
  });
  if (status !== 200) throw new Error(`creating table ${String(input.TableName)} in the local DynamoDB failed (HTTP ${status}): ${body}`);
}

/** S3's CreateBucket, sent anonymously (s3rver accepts that) and path-style. */
async function createBucket(endpoint: string, bucketName: string): Promise<void> {
  const { status, body } = await send(endpoint, 'PUT', `/${encodeURIComponent(bucketName)}`, '', {});
  if (status !== 200) throw new Error(`creating bucket ${bucketName} in the local S3 failed (HTTP ${status}): ${body}`);
}

function send(endpoint: string, method: string, path: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(new URL(path, endpoint), { method, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}
