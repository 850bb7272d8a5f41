import { createServer, type Server } from 'node:http';
import { AzureMLError, AzureMLJobs, pipelineJobBody, type PipelineJobSubmission } from '../../lambda/azure/adapters/azure-ml-jobs';
import { submissionFailed } from '../../lambda/azure/adapters/functions-host';
import { ManagedIdentityError, ManagedIdentityTokenSource, TOKEN_EXPIRY_MARGIN_MS } from '../../lambda/azure/adapters/managed-identity';
import { parseAzureMLTarget, type AzureMLTarget } from '../../lambda/core/contracts/azure-functions';
import { captureEachTestLogs, FAKE_AZURE_TIMEOUT, TARGET, useFakeAzureML } from './function-harness';

const ARM = 'https://management.azure.com/';

function target(): AzureMLTarget {
  const parsed = parseAzureMLTarget({ triggerId: 'churn-adapters', ...TARGET });
  if (!parsed.ok) throw new Error(`${parsed.error.field} ${parsed.error.problem}`);
  return parsed.value;
}

function submission(name: string, correlationId = 'corr-0001'): PipelineJobSubmission {
  return { name, parameters: { Epochs: '20', Reason: 'test' }, tags: { 'ml-trigger-id': 'churn-adapters', 'ml-trigger-type': 'drift' }, correlationId };
}

/** What submit threw, so a test can look at every field of it. */
async function failureOf(promise: Promise<unknown>): Promise<AzureMLError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof AzureMLError)) throw new Error(`expected an AzureMLError, got ${String(error)}`);
  return error;
}

describe('ManagedIdentityTokenSource against the fake identity endpoint', () => {
  const suite = useFakeAzureML(() => ({}));
  captureEachTestLogs();

  test('a token is fetched once and then served from the cache until 5 minutes before it expires', async () => {
    let nowMs = Date.now();
    const tokens = new ManagedIdentityTokenSource(() => nowMs);
    const before = suite.fake.tokenRequests;

    const first = await tokens.token(ARM);
    const second = await tokens.token(ARM);
    // The fake's tokens expire in 86,399 s; the source uses one until the margin before that.
    nowMs += 86_399_000 - TOKEN_EXPIRY_MARGIN_MS - 5_000;
    const stillCached = await tokens.token(ARM);
    nowMs += 10_000;
    const refreshed = await tokens.token(ARM);

    expect(second).toBe(first);
    expect(stillCached).toBe(first);
    expect(refreshed).not.toBe(first);
    expect(suite.fake.tokenRequests - before).toBe(2);
  }, FAKE_AZURE_TIMEOUT);

  test('concurrent callers share one request to the identity endpoint', async () => {
    const tokens = new ManagedIdentityTokenSource(Date.now);
    const before = suite.fake.tokenRequests;

    const got = await Promise.all(Array.from({ length: 5 }, () => tokens.token(ARM)));

    expect(new Set(got).size).toBe(1);
    expect(suite.fake.tokenRequests - before).toBe(1);
  }, FAKE_AZURE_TIMEOUT);

  test('a refused token is a retryable ManagedIdentityError, and a submission failing on it asks for a retry', async () => {
    process.env.IDENTITY_HEADER = 'not-the-secret';
    const tokens = new ManagedIdentityTokenSource(Date.now);

    const error = await tokens.token(ARM).then(() => undefined, (e: unknown) => e);
    const outcome = submissionFailed(await new AzureMLJobs(tokens).submit(target(), submission('churn-no-token')).then(() => undefined, (e: unknown) => e));

    expect(error).toBeInstanceOf(ManagedIdentityError);
    expect(error).toMatchObject({ retryable: true, message: expect.stringContaining('HTTP 401') });
    expect(outcome.status).toBe('retry');
    expect(suite.fake.putAttempts).toHaveLength(0);
  }, FAKE_AZURE_TIMEOUT);

  test('without IDENTITY_ENDPOINT the source says the app has no managed identity, retryably', async () => {
    delete process.env.IDENTITY_ENDPOINT;

    const error = await new ManagedIdentityTokenSource(Date.now).token(ARM).then(() => undefined, (e: unknown) => e);

    expect(error).toBeInstanceOf(ManagedIdentityError);
    expect(error).toMatchObject({ retryable: true, message: expect.stringContaining('no managed identity') });
  }, FAKE_AZURE_TIMEOUT);
});

describe('AzureMLJobs against the fake Azure ML Jobs API', () => {
  const suite = useFakeAzureML(() => ({}));
  captureEachTestLogs();
  const jobs = new AzureMLJobs(new ManagedIdentityTokenSource(Date.now));

  test('the first submission creates the job; the second finds it with Jobs - Get and sends no PUT', async () => {
    const first = await jobs.submit(target(), submission('churn-adapters-d-0001'));
    const second = await jobs.submit(target(), submission('churn-adapters-d-0001'));

    expect(first).toEqual({
      name: 'churn-adapters-d-0001', alreadyExisted: false,
      id: `/subscriptions/${TARGET.subscriptionId}/resourceGroups/ml-prod/providers/Microsoft.MachineLearningServices/workspaces/churn-ws/jobs/churn-adapters-d-0001`,
    });
    expect(second).toEqual({ ...first, alreadyExisted: true });
    expect(suite.fake.jobs).toHaveLength(1);
    expect(suite.fake.putAttempts).toEqual(['churn-adapters-d-0001']);
  }, FAKE_AZURE_TIMEOUT);

  test('two submissions racing past Jobs - Get: the PUT answered 200 (the existing job) reads as already existed', async () => {
    suite.fake.delayPuts(150);

    const both = await Promise.all([jobs.submit(target(), submission('churn-adapters-d-race')), jobs.submit(target(), submission('churn-adapters-d-race'))]);

    expect(suite.fake.putAttempts).toHaveLength(2);
    expect(suite.fake.jobs).toHaveLength(1);
    expect(both.map((job) => job.alreadyExisted).sort()).toEqual([false, true]);
  }, FAKE_AZURE_TIMEOUT);

  test('the body is a PipelineJob copying the component with literal inputs, tags and the default compute', async () => {
    const withCompute = { ...target(), computeId: `/subscriptions/${TARGET.subscriptionId}/resourceGroups/ml-prod/providers/Microsoft.MachineLearningServices/workspaces/churn-ws/computes/cpu-cluster` };

    await jobs.submit(withCompute, submission('churn-adapters-d-body'));

    expect(suite.fake.jobs[0].body).toEqual({
      properties: {
        jobType: 'Pipeline',
        displayName: 'churn-training',
        experimentName: 'churn-retrain',
        componentId: TARGET.componentId,
        inputs: { Epochs: { jobInputType: 'literal', value: '20' }, Reason: { jobInputType: 'literal', value: 'test' } },
        settings: { default_compute: withCompute.computeId },
        tags: { 'ml-trigger-id': 'churn-adapters', 'ml-trigger-type': 'drift' },
      },
    });
    expect(suite.fake.jobs[0].body).toEqual(pipelineJobBody(withCompute, submission('churn-adapters-d-body')));
  }, FAKE_AZURE_TIMEOUT);

  test('the correlation id goes to Azure ML as x-ms-correlation-request-id', async () => {
    await jobs.submit(target(), submission('churn-adapters-d-corr', '/subscriptions/x/providers/Microsoft.AlertsManagement/alerts/42'));

    expect(suite.fake.jobs[0].correlationId).toBe('/subscriptions/x/providers/Microsoft.AlertsManagement/alerts/42');
  }, FAKE_AZURE_TIMEOUT);

  test('429 is a retryable AzureMLError carrying Retry-After as retryAfterMs 7000', async () => {
    suite.fake.failNext(429);

    const error = await failureOf(jobs.submit(target(), submission('churn-adapters-d-429')));

    expect(error).toMatchObject({ operation: 'Jobs - Get', httpStatus: 429, status: 'TooManyRequests', retryable: true, retryAfterMs: 7000 });
    expect(suite.fake.jobs).toHaveLength(0);
  }, FAKE_AZURE_TIMEOUT);

  test('a 503 is retryable and carries no Retry-After', async () => {
    suite.fake.failNext(503);

    const error = await failureOf(jobs.submit(target(), submission('churn-adapters-d-503')));

    expect(error).toMatchObject({ httpStatus: 503, status: 'InternalServerError', retryable: true, retryAfterMs: undefined });
  }, FAKE_AZURE_TIMEOUT);

  test('400 is not retryable, and a submission failing on it is final (failed)', async () => {
    suite.fake.failNext(400);

    const error = await failureOf(jobs.submit(target(), submission('churn-adapters-d-400')));

    expect(error).toMatchObject({ httpStatus: 400, status: 'UserError', retryable: false });
    expect(submissionFailed(error).status).toBe('failed');
  }, FAKE_AZURE_TIMEOUT);

  test('403 is retryable, as a role assignment takes minutes to take effect after a deploy: the submission is retried', async () => {
    suite.fake.failNext(403);

    const error = await failureOf(jobs.submit(target(), submission('churn-adapters-d-403')));

    expect(error).toMatchObject({ httpStatus: 403, status: 'AuthorizationFailed', retryable: true });
    expect(submissionFailed(error).status).toBe('retry');
  }, FAKE_AZURE_TIMEOUT);

  test('an endpoint that does not answer is a retryable error with httpStatus 0', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    process.env.AZURE_ML_ENDPOINT = `http://127.0.0.1:${port}`;

    const error = await failureOf(jobs.submit(target(), submission('churn-adapters-d-gone')));

    expect(error).toMatchObject({ httpStatus: 0, status: 'Unreachable', retryable: true });
  }, FAKE_AZURE_TIMEOUT);
});

describe('AzureMLJobs against an endpoint that answers a PUT with 409 Conflict', () => {
  let server: Server;
  const requests: string[] = [];
  let previous: string | undefined;
  beforeAll(async () => {
    server = createServer((request, response) => {
      requests.push(`${request.method} ${request.headers['x-ms-correlation-request-id']}`);
      const status = request.method === 'GET' ? 404 : 409;
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { code: status === 404 ? 'UserError' : 'Conflict', message: 'injected' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    previous = process.env.AZURE_ML_ENDPOINT;
    process.env.AZURE_ML_ENDPOINT = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }, FAKE_AZURE_TIMEOUT);
  afterAll(async () => {
    if (previous === undefined) delete process.env.AZURE_ML_ENDPOINT;
    else process.env.AZURE_ML_ENDPOINT = previous;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }, FAKE_AZURE_TIMEOUT);

  test('409 on Create Or Update reads as a job another delivery created', async () => {
    const jobs = new AzureMLJobs({ token: async () => 'static-token' });

    const job = await jobs.submit(target(), submission('churn-adapters-d-409', 'corr-409'));

    expect(job).toMatchObject({ name: 'churn-adapters-d-409', alreadyExisted: true });
    expect(requests).toEqual(['GET corr-409', 'PUT corr-409']);
  }, FAKE_AZURE_TIMEOUT);
});
