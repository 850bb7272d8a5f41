import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribePipelineCommand,
  ResourceNotFound,
  SageMakerClient,
  StartPipelineExecutionCommand,
  type StartPipelineExecutionCommandInput,
} from '@aws-sdk/client-sagemaker';
import {
  LOCAL_AWS_ENV,
  setEnv,
  startDynalite,
  startFakeSageMaker,
  startS3,
  type FakeSageMaker,
  type LocalService,
} from './local-services';

const TOKEN = 'a'.repeat(32);
const EXECUTION_ARN = /^arn:aws:sagemaker:eu-west-1:123456789012:pipeline\/churn-training\/execution\/[a-z0-9]{12}$/;

function startInput(overrides: Partial<StartPipelineExecutionCommandInput> = {}): StartPipelineExecutionCommandInput {
  return { PipelineName: 'churn-training', ClientRequestToken: TOKEN, ...overrides };
}

/** Runs `act` and returns what it threw, so a test can assess the error's name and metadata. */
async function errorFrom(act: () => Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await act();
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('startFakeSageMaker with the real SageMakerClient', () => {
  let sagemaker: FakeSageMaker;
  let restoreEnv: () => void;
  const clients: SageMakerClient[] = [];
  const newClient = (maxAttempts?: number): SageMakerClient => {
    const client = new SageMakerClient(maxAttempts === undefined ? {} : { maxAttempts });
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    sagemaker = await startFakeSageMaker();
    restoreEnv = setEnv({ ...LOCAL_AWS_ENV, AWS_ENDPOINT_URL_SAGEMAKER: sagemaker.endpoint });
  });

  afterEach(async () => {
    clients.splice(0).forEach((client) => client.destroy());
    restoreEnv();
    await sagemaker.close();
  });

  it('starts an execution, returns its ARN and records the call and the execution', async () => {
    const input = startInput({
      PipelineParameters: [{ Name: 'TrainingDate', Value: '2024-06-01' }],
      PipelineExecutionDisplayName: 'drift-2024-06-01',
      PipelineExecutionDescription: 'drift alarm fired',
    });

    const output = await newClient().send(new StartPipelineExecutionCommand(input));

    expect(output.PipelineExecutionArn).toMatch(EXECUTION_ARN);
    const recorded = {
      pipelineName: 'churn-training',
      clientRequestToken: TOKEN,
      parameters: { TrainingDate: '2024-06-01' },
      displayName: 'drift-2024-06-01',
      description: 'drift alarm fired',
    };
    expect(sagemaker.calls).toEqual([{ target: 'SageMaker.StartPipelineExecution', ...recorded, outcome: 'started' }]);
    expect(sagemaker.executions).toEqual([{ executionArn: output.PipelineExecutionArn, ...recorded }]);
  });

  it('returns the same ARN for a repeated ClientRequestToken and starts only one execution', async () => {
    const client = newClient();

    const first = await client.send(new StartPipelineExecutionCommand(startInput()));
    const second = await client.send(new StartPipelineExecutionCommand(startInput()));

    expect(second.PipelineExecutionArn).toBe(first.PipelineExecutionArn);
    expect(sagemaker.calls.map((call) => call.outcome)).toEqual(['started', 'duplicate']);
    expect(sagemaker.executions).toHaveLength(1);
  });

  it('gets a throttled start retried by the SDK with default retries', async () => {
    sagemaker.failNext(1, 'throttle');

    const output = await newClient().send(new StartPipelineExecutionCommand(startInput()));

    expect(output.PipelineExecutionArn).toMatch(EXECUTION_ARN);
    expect(sagemaker.calls.map((call) => call.outcome)).toEqual(['ThrottlingException', 'started']);
    expect(sagemaker.executions).toHaveLength(1);
  });

  it('gets an internal failure (HTTP 500) retried by the SDK with default retries', async () => {
    sagemaker.failNext(1, 'internal');

    await newClient().send(new StartPipelineExecutionCommand(startInput()));

    expect(sagemaker.calls.map((call) => call.outcome)).toEqual(['InternalFailure', 'started']);
    expect(sagemaker.executions).toHaveLength(1);
  });

  it('surfaces access denied as AccessDeniedException without a retry', async () => {
    sagemaker.failNext(1, 'accessDenied');

    const error = await errorFrom(() => newClient(3).send(new StartPipelineExecutionCommand(startInput())));

    expect(error.name).toBe('AccessDeniedException');
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(sagemaker.calls.map((call) => call.outcome)).toEqual(['AccessDeniedException']);
    expect(sagemaker.executions).toHaveLength(0);
  });

  it('gives up with ThrottlingException once the client runs out of attempts', async () => {
    sagemaker.failNext(3, 'throttle');

    const error = await errorFrom(() => newClient(2).send(new StartPipelineExecutionCommand(startInput())));

    expect(error.name).toBe('ThrottlingException');
    expect(sagemaker.calls).toHaveLength(2);
    expect(sagemaker.executions).toHaveLength(0);
  });

  it('fails requests as the injected random source decides', async () => {
    const draws = [0.2, 0.9];
    sagemaker.failWithProbability(0.5, 'internal', () => draws.shift() ?? 1);
    const client = newClient(1);

    const error = await errorFrom(() => client.send(new StartPipelineExecutionCommand(startInput())));
    const output = await client.send(new StartPipelineExecutionCommand(startInput()));

    expect(error.name).toBe('InternalFailure');
    expect(error.$metadata?.httpStatusCode).toBe(500);
    expect(output.PipelineExecutionArn).toMatch(EXECUTION_ARN);
    expect(sagemaker.calls.map((call) => call.outcome)).toEqual(['InternalFailure', 'started']);
  });

  it.each<[string, Partial<StartPipelineExecutionCommandInput>]>([
    ['a ClientRequestToken shorter than 32 characters', { ClientRequestToken: 'short-token' }],
    ['a ClientRequestToken longer than 128 characters', { ClientRequestToken: 'b'.repeat(129) }],
    ['a parameter value longer than 1024 characters', { PipelineParameters: [{ Name: 'Query', Value: 'x'.repeat(1025) }] }],
    [
      'more than 200 parameters',
      { PipelineParameters: Array.from({ length: 201 }, (_, i) => ({ Name: `P${i}`, Value: 'v' })) },
    ],
    ['a display name outside SageMaker\'s pattern', { PipelineExecutionDisplayName: 'drift_2024' }],
  ])('rejects %s with ValidationException and starts nothing', async (_case, overrides) => {
    const client = newClient();

    const error = await errorFrom(() => client.send(new StartPipelineExecutionCommand(startInput(overrides))));

    expect(error.name).toBe('ValidationException');
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(sagemaker.calls.map((call) => call.outcome)).toEqual(['ValidationException']);
    expect(sagemaker.executions).toHaveLength(0);
  });

  it('accepts 200 parameters with 1024-character values', async () => {
    const parameters = Array.from({ length: 200 }, (_, i) => ({ Name: `P${i}`, Value: 'x'.repeat(1024) }));

    await newClient().send(new StartPipelineExecutionCommand(startInput({ PipelineParameters: parameters })));

    expect(Object.keys(sagemaker.executions[0].parameters)).toHaveLength(200);
  });

  it('rejects an unregistered pipeline with the modelled ResourceNotFound error once pipelines are registered', async () => {
    sagemaker.registerPipeline('churn-training');
    const client = newClient();

    const error = await errorFrom(() => client.send(new StartPipelineExecutionCommand(startInput({ PipelineName: 'other' }))));
    const started = await client.send(new StartPipelineExecutionCommand(startInput()));

    expect(error).toBeInstanceOf(ResourceNotFound);
    expect(error.name).toBe('ResourceNotFound');
    expect(started.PipelineExecutionArn).toMatch(EXECUTION_ARN);
    expect(sagemaker.executions.map((execution) => execution.pipelineName)).toEqual(['churn-training']);
  });

  it('answers any other operation with UnknownOperationException', async () => {
    const error = await errorFrom(() => newClient().send(new DescribePipelineCommand({ PipelineName: 'churn-training' })));

    expect(error.name).toBe('UnknownOperationException');
    expect(sagemaker.calls).toEqual([
      { target: 'SageMaker.DescribePipeline', pipelineName: 'churn-training', parameters: {}, outcome: 'UnknownOperationException' },
    ]);
  });
});

describe('startDynalite', () => {
  let dynamo: LocalService;
  let restoreEnv: () => void;

  beforeEach(async () => {
    dynamo = await startDynalite();
    restoreEnv = setEnv({ ...LOCAL_AWS_ENV, AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint });
  });

  afterEach(async () => {
    restoreEnv();
    await dynamo.close();
  });

  it('serves a CreateTable, PutItem, GetItem round trip to the real DynamoDBClient', async () => {
    const client = new DynamoDBClient({});
    await client.send(
      new CreateTableCommand({
        TableName: 'decisions',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );

    await client.send(new PutItemCommand({ TableName: 'decisions', Item: { pk: { S: 'run-1' }, count: { N: '3' } } }));
    const output = await client.send(new GetItemCommand({ TableName: 'decisions', Key: { pk: { S: 'run-1' } } }));

    expect(output.Item).toEqual({ pk: { S: 'run-1' }, count: { N: '3' } });
    client.destroy();
  });
});

describe('startS3', () => {
  let s3: LocalService;
  let restoreEnv: () => void;

  beforeEach(async () => {
    s3 = await startS3();
    restoreEnv = setEnv({ ...LOCAL_AWS_ENV, AWS_ENDPOINT_URL_S3: s3.endpoint });
  });

  afterEach(async () => {
    restoreEnv();
    await s3.close();
  });

  it('serves a path-style CreateBucket, PutObject, GetObject round trip with only AWS_ENDPOINT_URL_S3 set', async () => {
    const client = new S3Client({});
    const requested: string[] = [];
    client.middlewareStack.add(
      (next) => async (args) => {
        if (hasHostAndPath(args.request)) requested.push(`${args.request.hostname}${args.request.path}`);
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordRequestedUrl' },
    );
    await client.send(new CreateBucketCommand({ Bucket: 'training-data' }));

    await client.send(new PutObjectCommand({ Bucket: 'training-data', Key: 'day/1.csv', Body: 'a,b\n1,2\n' }));
    const output = await client.send(new GetObjectCommand({ Bucket: 'training-data', Key: 'day/1.csv' }));

    expect(await output.Body?.transformToString()).toBe('a,b\n1,2\n');
    expect(requested).toEqual([
      '127.0.0.1/training-data/',
      '127.0.0.1/training-data/day/1.csv',
      '127.0.0.1/training-data/day/1.csv',
    ]);
    client.destroy();
  });
});

function hasHostAndPath(request: unknown): request is { hostname: string; path: string } {
  return typeof request === 'object' && request !== null && 'hostname' in request && 'path' in request;
}
