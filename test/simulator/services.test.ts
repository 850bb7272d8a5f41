import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient, StartPipelineExecutionCommand } from '@aws-sdk/client-sagemaker';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, GetParameterHistoryCommand, GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { VirtualClock } from '../../lib/simulator/clock';
import type { StartedRun } from '../../lib/simulator/endpoints/sagemaker';
import { startServices, type Services } from '../../lib/simulator/services';
import { LOCAL_SERVICE_TIMEOUT } from '../support/local-services';
import { errorFrom } from '../support/thrown';

jest.setTimeout(LOCAL_SERVICE_TIMEOUT);

const TOKEN = 'simulated-token-0000000000000000-1';
const local = (endpoint: string) => ({ endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });


describe('startServices', () => {
  const clock = new VirtualClock(Date.UTC(2024, 5, 1));
  const started: StartedRun[] = [];
  const published: string[] = [];
  let services: Services;
  const clients: Array<{ destroy(): void }> = [];
  const client = <C extends { destroy(): void }>(created: C): C => {
    clients.push(created);
    return created;
  };

  beforeAll(async () => {
    services = await startServices({
      now: () => clock.now(),
      onRunStarted: (run) => started.push(run),
      publish: async (topicArn, message, subject) => void published.push(`${topicArn} ${subject ?? '-'} ${message}`),
      startOutcome: ({ pipelineName }) => (pipelineName === 'sim-broken-pipeline' ? 'internal' : 'succeed'),
    });
  }, LOCAL_SERVICE_TIMEOUT);
  afterAll(() => services?.stop(), LOCAL_SERVICE_TIMEOUT);
  afterEach(() => clients.splice(0).forEach((created) => created.destroy()));

  test('names every endpoint as the AWS_ENDPOINT_URL_<SERVICE> variable the SDK reads, on the loopback address', () => {
    // Assess
    expect(Object.keys(services.environment).sort()).toEqual([
      'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_EVENTBRIDGE', 'AWS_ENDPOINT_URL_LAMBDA', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_SAGEMAKER', 'AWS_ENDPOINT_URL_SNS', 'AWS_ENDPOINT_URL_SSM',
    ]);
    for (const endpoint of Object.values(services.environment)) expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test('creates a table from its CreateTable input and serves a put and get through the real DynamoDBClient', async () => {
    // Prepare
    await services.createTables([{
      tableName: 'sim-decisions',
      createTable: {
        TableName: 'ignored-for-the-physical-name',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
        BillingMode: 'PAY_PER_REQUEST',
      },
    }]);
    const dynamodb = client(new DynamoDBClient(local(services.environment.AWS_ENDPOINT_URL_DYNAMODB)));

    // Act
    await dynamodb.send(new PutItemCommand({ TableName: 'sim-decisions', Item: { pk: { S: 'trigger#a' }, sk: { S: 'run#1' }, n: { N: '2' } } }));
    const output = await dynamodb.send(new GetItemCommand({ TableName: 'sim-decisions', Key: { pk: { S: 'trigger#a' }, sk: { S: 'run#1' } } }));

    // Assess
    expect(output.Item).toEqual({ pk: { S: 'trigger#a' }, sk: { S: 'run#1' }, n: { N: '2' } });
  });

  test('reports a table DynamoDB refuses, naming it', async () => {
    // Act
    const creating = services.createTables([{ tableName: 'sim-broken', createTable: { KeySchema: [] } }]);

    // Assess
    await expect(creating).rejects.toThrow(/creating table sim-broken in the local DynamoDB failed \(HTTP 400\)/);
  });

  test('creates buckets that the real S3Client writes to and reads from', async () => {
    // Prepare
    await services.createBuckets(['sim-training-data']);
    const s3 = client(new S3Client(local(services.environment.AWS_ENDPOINT_URL_S3)));

    // Act
    await s3.send(new PutObjectCommand({ Bucket: 'sim-training-data', Key: 'day/1.csv', Body: 'a,b\n' }));
    const output = await s3.send(new GetObjectCommand({ Bucket: 'sim-training-data', Key: 'day/1.csv' }));

    // Assess
    expect(await output.Body?.transformToString()).toBe('a,b\n');
  });

  test('serves the parameters it was given to GetParameter and GetParametersByPath', async () => {
    // Prepare
    services.putParameters([{ name: '/sim/config/a', value: '{"a":1}' }, { name: '/sim/config/b', value: '{"b":2}' }]);
    const ssm = client(new SSMClient(local(services.environment.AWS_ENDPOINT_URL_SSM)));

    // Act
    const one = await ssm.send(new GetParameterCommand({ Name: '/sim/config/a' }));
    const all = await ssm.send(new GetParametersByPathCommand({ Path: '/sim/config' }));
    const missing = await errorFrom(() => ssm.send(new GetParameterCommand({ Name: '/sim/config/none' })));

    // Assess
    expect(one.Parameter?.Value).toBe('{"a":1}');
    expect(all.Parameters?.map((parameter) => parameter.Name)).toEqual(['/sim/config/a', '/sim/config/b']);
    expect(missing.name).toBe('ParameterNotFound');
  });

  test('keeps every version of a parameter, oldest first, for GetParameterHistory', async () => {
    // Prepare
    services.putParameters([{ name: '/sim/history/a', value: '{"v":1}' }]);
    services.putParameters([{ name: '/sim/history/a', value: '{"v":2}' }]);
    const ssm = client(new SSMClient(local(services.environment.AWS_ENDPOINT_URL_SSM)));

    // Act
    const history = await ssm.send(new GetParameterHistoryCommand({ Name: '/sim/history/a' }));
    const current = await ssm.send(new GetParameterCommand({ Name: '/sim/history/a' }));
    const missing = await errorFrom(() => ssm.send(new GetParameterHistoryCommand({ Name: '/sim/history/none' })));

    // Assess
    expect(history.Parameters?.map((version) => [version.Version, version.Value])).toEqual([[1, '{"v":1}'], [2, '{"v":2}']]);
    expect(current.Parameter?.LastModifiedDate).toEqual(history.Parameters?.[1].LastModifiedDate);
    expect(missing.name).toBe('ParameterNotFound');
  });

  test('hands a published message to the publish callback and records it', async () => {
    // Prepare
    const sns = client(new SNSClient(local(services.environment.AWS_ENDPOINT_URL_SNS)));
    const topicArn = 'arn:aws:sns:eu-west-1:123456789012:sim-approvals';

    // Act
    await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: 'Approve', Message: '{"run":1}' }));

    // Assess
    expect(published).toEqual([`${topicArn} Approve {"run":1}`]);
    expect(services.sns.messages).toEqual([{ topicArn, subject: 'Approve', message: '{"run":1}' }]);
  });

  test('answers Invoke of a function nobody hosts with ResourceNotFoundException', async () => {
    // Prepare
    const lambda = client(new LambdaClient(local(services.environment.AWS_ENDPOINT_URL_LAMBDA)));

    // Act
    const error = await errorFrom(() => lambda.send(new InvokeCommand({ FunctionName: 'nobody' })));

    // Assess
    expect(error.name).toBe('ResourceNotFoundException');
  });

  describe('SageMaker, through the real SageMakerClient', () => {
    test('records a start once per ClientRequestToken, at virtual time, and tells the caller the run started', async () => {
      // Prepare
      const sagemaker = client(new SageMakerClient(local(services.environment.AWS_ENDPOINT_URL_SAGEMAKER)));
      const input = {
        PipelineName: 'sim-training', ClientRequestToken: TOKEN, PipelineExecutionDescription: 'trigger a: 3 objects',
        PipelineParameters: [{ Name: 'TrainingDate', Value: '2024-06-01' }],
      };
      clock.set(Date.UTC(2024, 5, 1, 6));

      // Act
      const first = await sagemaker.send(new StartPipelineExecutionCommand(input));
      clock.advance(60_000);
      const again = await sagemaker.send(new StartPipelineExecutionCommand(input));

      // Assess
      expect(again.PipelineExecutionArn).toBe(first.PipelineExecutionArn);
      const execution = {
        executionArn: first.PipelineExecutionArn, pipelineName: 'sim-training', clientRequestToken: TOKEN,
        parameters: { TrainingDate: '2024-06-01' }, description: 'trigger a: 3 objects',
      };
      expect(services.sagemaker.runs).toEqual([{ execution, startedAt: Date.UTC(2024, 5, 1, 6) }]);
      expect(started).toEqual(services.sagemaker.runs);
      expect(services.sagemaker.calls.map((call) => call.outcome)).toEqual(['started', 'duplicate']);
    });

    test('fails and throttles starts on demand, starting nothing until a start is served', async () => {
      // Prepare
      const sagemaker = client(new SageMakerClient({ ...local(services.environment.AWS_ENDPOINT_URL_SAGEMAKER), maxAttempts: 1 }));
      const input = { PipelineName: 'sim-other', ClientRequestToken: `${TOKEN}-other` };
      const runsBefore = services.sagemaker.runs.length;
      services.sagemaker.failNext(1, 'internal');
      services.sagemaker.failNext(1, 'throttle');

      // Act
      const failed = await errorFrom(() => sagemaker.send(new StartPipelineExecutionCommand(input)));
      const throttled = await errorFrom(() => sagemaker.send(new StartPipelineExecutionCommand(input)));
      const served = await sagemaker.send(new StartPipelineExecutionCommand(input));

      // Assess
      expect([failed.name, throttled.name]).toEqual(['InternalFailure', 'ThrottlingException']);
      expect(served.PipelineExecutionArn).toMatch(/^arn:aws:sagemaker:eu-west-1:123456789012:pipeline\/sim-other\/execution\/[0-9a-f]{12}$/);
      expect(services.sagemaker.runs.length - runsBefore).toBe(1);
    });

    test('fails every start of a pipeline the outcome callback fails', async () => {
      // Prepare
      const sagemaker = client(new SageMakerClient({ ...local(services.environment.AWS_ENDPOINT_URL_SAGEMAKER), maxAttempts: 2 }));
      const callsBefore = services.sagemaker.calls.length;

      // Act
      const error = await errorFrom(() => sagemaker.send(new StartPipelineExecutionCommand({ PipelineName: 'sim-broken-pipeline', ClientRequestToken: `${TOKEN}-broken` })));

      // Assess
      expect(error.name).toBe('InternalFailure');
      expect(services.sagemaker.calls.slice(callsBefore).map((call) => call.outcome)).toEqual(['InternalFailure', 'InternalFailure']);
      expect(services.sagemaker.executions.filter((execution) => execution.pipelineName === 'sim-broken-pipeline')).toEqual([]);
    });
  });

  test('stops every service, and stopping again is harmless', async () => {
    // Prepare
    const own = await startServices();

    // Act
    await own.stop();
    await own.stop();

    // Assess
    const dynamodb = client(new DynamoDBClient({ ...local(own.environment.AWS_ENDPOINT_URL_DYNAMODB), maxAttempts: 1 }));
    await expect(dynamodb.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'x' } } }))).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('without dynalite installed', () => {
  afterEach(() => jest.dontMock('dynalite'));

  test('startServices fails with the command that installs the local services', async () => {
    // Prepare
    jest.doMock('dynalite', () => {
      throw Object.assign(new Error("Cannot find module 'dynalite'"), { code: 'MODULE_NOT_FOUND' });
    });
    let start: typeof startServices = startServices;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh module registry sees the missing package
      start = (require('../../lib/simulator/services') as typeof import('../../lib/simulator/services')).startServices;
    });

    // Act
    const starting = start();

    // Assess
    await expect(starting).rejects.toThrow("'dynalite' is not installed. Install both with: npm install --save-dev dynalite s3rver");
  });
});
