import { ListPipelineExecutionsCommand, SageMakerClient, type ListPipelineExecutionsCommandInput } from '@aws-sdk/client-sagemaker';
import { startLocalSageMaker, type LocalSageMaker } from '../../lib/simulator/endpoints/sagemaker';
import { errorFrom } from '../support/thrown';

jest.setTimeout(30_000);

const T0 = Date.parse('2027-03-01T00:00:00Z');
const HOUR = 3_600_000;

describe('the local SageMaker answers ListPipelineExecutions as the service model states it', () => {
  let sagemaker: LocalSageMaker;
  let client: SageMakerClient;
  const arns: string[] = [];

  beforeAll(async () => {
    sagemaker = await startLocalSageMaker();
    client = new SageMakerClient({ endpoint: sagemaker.endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    // 25 executions of churn, an hour apart, every fifth one failed; one of another pipeline
    for (let i = 0; i < 25; i++) arns.push(sagemaker.addPastExecution({ pipelineName: 'churn', startedAt: T0 + i * HOUR, status: i % 5 === 0 ? 'Failed' : 'Succeeded' }));
    sagemaker.addPastExecution({ pipelineName: 'other', startedAt: T0, status: 'Succeeded' });
  });
  afterAll(async () => {
    client.destroy();
    await sagemaker.close();
  });

  const list = (input: Omit<ListPipelineExecutionsCommandInput, 'PipelineName'> & { PipelineName?: string }) =>
    client.send(new ListPipelineExecutionsCommand({ PipelineName: 'churn', ...input }));

  test('newest first by default, ten to a page, each with its status and start time', async () => {
    // Act
    const page = await list({});

    // Assess
    expect(page.PipelineExecutionSummaries?.map((s) => s.PipelineExecutionArn)).toEqual(arns.slice(15).reverse());
    expect(page.PipelineExecutionSummaries?.[0]).toMatchObject({ PipelineExecutionStatus: 'Succeeded', StartTime: new Date(T0 + 24 * HOUR) });
    expect(page.PipelineExecutionSummaries?.[4]).toMatchObject({ PipelineExecutionStatus: 'Failed', StartTime: new Date(T0 + 20 * HOUR) });
    expect(page.NextToken).toEqual(expect.any(String));
  });

  test('CreatedAfter, CreatedBefore, SortOrder and MaxResults narrow and order the list; NextToken pages through it', async () => {
    // Prepare
    const query = { CreatedAfter: new Date(T0 + 10 * HOUR), CreatedBefore: new Date(T0 + 20 * HOUR), SortBy: 'CreationTime' as const, SortOrder: 'Ascending' as const, MaxResults: 4 };

    // Act
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await list({ ...query, ...(nextToken ? { NextToken: nextToken } : {}) });
      seen.push(...(page.PipelineExecutionSummaries ?? []).map((s) => s.PipelineExecutionArn!));
      nextToken = page.NextToken;
      pages++;
    } while (nextToken);

    // Assess
    expect(seen).toEqual(arns.slice(10, 20));
    expect(pages).toBe(3);
  });

  test.each([
    ['MaxResults above 100', { MaxResults: 101 }, /maxResults/],
    ['MaxResults of 0', { MaxResults: 0 }, /maxResults/],
    ['an unknown SortOrder', { SortOrder: 'Sideways' as never }, /sortOrder/],
    ['a NextToken of another query', { NextToken: Buffer.from(JSON.stringify({ offset: 10, query: 'x' })).toString('base64') }, /nextToken/],
  ])('refuses %s with a ValidationException', async (_name, input, field) => {
    // Act
    const error = await errorFrom(() => list(input));

    // Assess
    expect(error).toMatchObject({ name: 'ValidationException', message: expect.stringMatching(field) });
  });
});
