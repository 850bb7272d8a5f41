import {
  DescribePipelineCommand,
  ResourceNotFound,
  SageMakerClient,
  StartPipelineExecutionCommand,
  type StartPipelineExecutionCommandInput,
} from '@aws-sdk/client-sagemaker';
import { startFakeSageMaker } from './fake-sagemaker';
import { LOCAL_SERVICE_TIMEOUT, serviceForEachTest } from './local-services';
import { errorFrom } from './thrown';

jest.setTimeout(LOCAL_SERVICE_TIMEOUT);

const TOKEN = 'a'.repeat(32);
const EXECUTION_ARN = /^arn:aws:sagemaker:eu-west-1:123456789012:pipeline\/churn-training\/execution\/[a-z0-9]{12}$/;

function startInput(overrides: Partial<StartPipelineExecutionCommandInput> = {}): StartPipelineExecutionCommandInput {
  return { PipelineName: 'churn-training', ClientRequestToken: TOKEN, ...overrides };
}


describe('startFakeSageMaker with the real SageMakerClient', () => {
  const fake = serviceForEachTest(startFakeSageMaker, 'AWS_ENDPOINT_URL_SAGEMAKER');
  const clients: SageMakerClient[] = [];
  const newClient = (maxAttempts?: number): SageMakerClient => {
    const client = new SageMakerClient(maxAttempts === undefined ? {} : { maxAttempts });
    clients.push(client);
    return client;
  };

  afterEach(() => clients.splice(0).forEach((client) => client.destroy()));

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
    expect(fake.service.calls).toEqual([{ target: 'SageMaker.StartPipelineExecution', ...recorded, outcome: 'started' }]);
    expect(fake.service.executions).toEqual([{ executionArn: output.PipelineExecutionArn, ...recorded }]);
  });

  it('returns the same ARN for a repeated ClientRequestToken and starts only one execution', async () => {
    const client = newClient();

    const first = await client.send(new StartPipelineExecutionCommand(startInput()));
    const second = await client.send(new StartPipelineExecutionCommand(startInput()));

    expect(second.PipelineExecutionArn).toBe(first.PipelineExecutionArn);
    expect(fake.service.calls.map((call) => call.outcome)).toEqual(['started', 'duplicate']);
    expect(fake.service.executions).toHaveLength(1);
  });

  it('gets a throttled start retried by the SDK with default retries', async () => {
    fake.service.failNext(1, 'throttle');

    const output = await newClient().send(new StartPipelineExecutionCommand(startInput()));

    expect(output.PipelineExecutionArn).toMatch(EXECUTION_ARN);
    expect(fake.service.calls.map((call) => call.outcome)).toEqual(['ThrottlingException', 'started']);
    expect(fake.service.executions).toHaveLength(1);
  });

  it('gets an internal failure (HTTP 500) retried by the SDK with default retries', async () => {
    fake.service.failNext(1, 'internal');

    await newClient().send(new StartPipelineExecutionCommand(startInput()));

    expect(fake.service.calls.map((call) => call.outcome)).toEqual(['InternalFailure', 'started']);
    expect(fake.service.executions).toHaveLength(1);
  });

  it('surfaces access denied as AccessDeniedException without a retry', async () => {
    fake.service.failNext(1, 'accessDenied');

    const error = await errorFrom(() => newClient(3).send(new StartPipelineExecutionCommand(startInput())));

    expect(error.name).toBe('AccessDeniedException');
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(fake.service.calls.map((call) => call.outcome)).toEqual(['AccessDeniedException']);
    expect(fake.service.executions).toHaveLength(0);
  });

  it('gives up with ThrottlingException once the client runs out of attempts', async () => {
    fake.service.failNext(3, 'throttle');

    const error = await errorFrom(() => newClient(2).send(new StartPipelineExecutionCommand(startInput())));

    expect(error.name).toBe('ThrottlingException');
    expect(fake.service.calls).toHaveLength(2);
    expect(fake.service.executions).toHaveLength(0);
  });

  it('fails requests as the injected random source decides', async () => {
    const draws = [0.2, 0.9];
    fake.service.failWithProbability(0.5, 'internal', () => draws.shift() ?? 1);
    const client = newClient(1);

    const error = await errorFrom(() => client.send(new StartPipelineExecutionCommand(startInput())));
    const output = await client.send(new StartPipelineExecutionCommand(startInput()));

    expect(error.name).toBe('InternalFailure');
    expect(error.$metadata?.httpStatusCode).toBe(500);
    expect(output.PipelineExecutionArn).toMatch(EXECUTION_ARN);
    expect(fake.service.calls.map((call) => call.outcome)).toEqual(['InternalFailure', 'started']);
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
    expect(fake.service.calls.map((call) => call.outcome)).toEqual(['ValidationException']);
    expect(fake.service.executions).toHaveLength(0);
  });

  it('accepts 200 parameters with 1024-character values', async () => {
    const parameters = Array.from({ length: 200 }, (_, i) => ({ Name: `P${i}`, Value: 'x'.repeat(1024) }));

    await newClient().send(new StartPipelineExecutionCommand(startInput({ PipelineParameters: parameters })));

    expect(Object.keys(fake.service.executions[0].parameters)).toHaveLength(200);
  });

  it('rejects an unregistered pipeline with the modelled ResourceNotFound error once pipelines are registered', async () => {
    fake.service.registerPipeline('churn-training');
    const client = newClient();

    const error = await errorFrom(() => client.send(new StartPipelineExecutionCommand(startInput({ PipelineName: 'other' }))));
    const started = await client.send(new StartPipelineExecutionCommand(startInput()));

    expect(error).toBeInstanceOf(ResourceNotFound);
    expect(error.name).toBe('ResourceNotFound');
    expect(started.PipelineExecutionArn).toMatch(EXECUTION_ARN);
    expect(fake.service.executions.map((execution) => execution.pipelineName)).toEqual(['churn-training']);
  });

  it('answers any other operation with UnknownOperationException', async () => {
    const error = await errorFrom(() => newClient().send(new DescribePipelineCommand({ PipelineName: 'churn-training' })));

    expect(error.name).toBe('UnknownOperationException');
    expect(fake.service.calls).toEqual([
      { target: 'SageMaker.DescribePipeline', pipelineName: 'churn-training', parameters: {}, outcome: 'UnknownOperationException' },
    ]);
  });
});
