import { handler } from '../../lambda/gcp/scheduled';
import { PIPELINE_JOB_ID_PATTERN, pipelineJobId } from '../../lambda/core/pipeline-job';
import { PROJECT_NUMBER } from './fake-google';
import { call, captureEachTestLogs, FAKE_GOOGLE_TIMEOUT, pushBody, useFakeGoogle } from './function-call';
import { SCHEDULED_CONFIG } from './trigger-configs';

const CONFIG = {
  ...SCHEDULED_CONFIG,
  pipelineServiceAccount: 'pipelines@ml-prod-481.iam.gserviceaccount.com',
  pipelineRoot: 'gs://ml-prod-481-pipelines/root',
  parameters: { Epochs: '20', TrainingImage: 'europe-docker.pkg.dev/ml-prod-481/train/churn:3.1' },
};
const firing = { triggerId: 'churn-nightly', scheduledTime: '2026-03-02T06:00:00Z' };

describe('scheduled function (Cloud Scheduler -> Pub/Sub push) against a fake Vertex AI and metadata server', () => {
  const fake = useFakeGoogle(() => ({ TRIGGER_CONFIG: JSON.stringify(CONFIG) }));
  const logs = captureEachTestLogs();

  test('creates exactly one pipeline job with the documented URL, body, parameters and a valid deterministic id', async () => {
    const answer = await call(handler, pushBody(firing, '11800000001'));

    const expectedId = pipelineJobId('churn-nightly', 'scheduled', ['11800000001']);
    expect(expectedId).toMatch(PIPELINE_JOB_ID_PATTERN);
    expect(expectedId).toMatch(/^churn-nightly-s-[0-9a-f]{32}$/);
    expect(fake.google.jobs).toHaveLength(1);
    expect(fake.google.jobs[0].url).toBe(`/v1/projects/ml-prod-481/locations/europe-west4/pipelineJobs?pipelineJobId=${expectedId}`);
    expect(fake.google.jobs[0].body).toEqual({
      displayName: 'churn-training',
      templateUri: CONFIG.templateUri,
      runtimeConfig: { parameterValues: CONFIG.parameters, gcsOutputDirectory: 'gs://ml-prod-481-pipelines/root' },
      serviceAccount: CONFIG.pipelineServiceAccount,
      labels: { 'ml-trigger-id': 'churn-nightly', 'ml-trigger-type': 'scheduled' },
    });
    expect(answer).toEqual({
      status: 200,
      body: { status: 'created', pipelineJobId: expectedId, pipelineJob: `projects/${PROJECT_NUMBER}/locations/europe-west4/pipelineJobs/${expectedId}` },
    });
    expect(logs.lines).toContainEqual(expect.objectContaining({ severity: 'INFO', message: 'created the pipeline job', messageId: '11800000001' }));
  }, FAKE_GOOGLE_TIMEOUT);

  test('a redelivery of the same firing creates nothing new and answers 200 already-existed', async () => {
    const first = await call(handler, pushBody(firing, '11800000002'));
    const again = await call(handler, pushBody(firing, '11800000002'));

    expect(fake.google.createAttempts).toHaveLength(2);
    expect(fake.google.jobs).toHaveLength(1);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'already-existed', pipelineJobId: first.body.pipelineJobId });
    expect(again.body.pipelineJob).toBe(`projects/ml-prod-481/locations/europe-west4/pipelineJobs/${String(first.body.pipelineJobId)}`);
  }, FAKE_GOOGLE_TIMEOUT);

  test('the next firing (a new message id) creates a second job under a different id', async () => {
    await call(handler, pushBody(firing, '11800000003'));
    await call(handler, pushBody(firing, '11800000004'));

    expect(fake.google.jobs.map((j) => j.pipelineJobId)).toEqual([
      pipelineJobId('churn-nightly', 'scheduled', ['11800000003']), pipelineJobId('churn-nightly', 'scheduled', ['11800000004']),
    ]);
  }, FAKE_GOOGLE_TIMEOUT);

  test.each([500, 503, 429, 409] as const)('a transient Vertex AI %i answers 500 so that Pub/Sub redelivers, and the redelivery creates the job once', async (code) => {
    fake.google.failNext(code);

    const failed = await call(handler, pushBody(firing, '11800000005'));
    const retried = await call(handler, pushBody(firing, '11800000005'));

    expect(failed.status).toBe(500);
    expect(failed.body).toMatchObject({ status: 'retry', error: { status: expect.stringMatching(/INTERNAL|UNAVAILABLE|RESOURCE_EXHAUSTED|ABORTED/) } });
    expect(retried.body).toMatchObject({ status: 'created' });
    expect(fake.google.jobs).toHaveLength(1);
  }, FAKE_GOOGLE_TIMEOUT);

  test('a permanent refusal (403 PERMISSION_DENIED) answers 200 failed with an ERROR log, as redelivery cannot help', async () => {
    fake.google.failNext(403);

    const answer = await call(handler, pushBody(firing, '11800000006'));

    expect(answer).toEqual({ status: 200, body: { status: 'failed', error: { status: 'PERMISSION_DENIED', message: expect.stringContaining('Injected failure 403') } } });
    expect(fake.google.jobs).toHaveLength(0);
    expect(logs.lines).toContainEqual(expect.objectContaining({ severity: 'ERROR', retryable: false, triggerId: 'churn-nightly' }));
  }, FAKE_GOOGLE_TIMEOUT);

  test.each([
    ['no message', { subscription: 'projects/p/subscriptions/s' }, 'message'],
    ['no data', { message: { messageId: '1', publishTime: '2026-03-02T06:00:00Z' } }, 'message.data'],
    ['data that is not base64', { message: { data: 'not base64!', messageId: '1', publishTime: '2026-03-02T06:00:00Z' } }, 'message.data'],
    ['no message id', { message: { data: 'e30=', publishTime: '2026-03-02T06:00:00Z' } }, 'message.messageId'],
    ['a non-string attribute', { message: { data: 'e30=', messageId: '1', publishTime: '2026-03-02T06:00:00Z', attributes: { a: 1 } } }, 'message.attributes'],
    ['data that is not JSON', pushBody('{"triggerId":', '7'), 'message.data'],
    ['data without triggerId', pushBody({ scheduledTime: '2026-03-02T06:00:00Z' }, '8'), 'message.data.triggerId'],
    ['a firing for another trigger', pushBody({ triggerId: 'fraud-weekly' }, '9'), 'message.data.triggerId'],
    ['a scheduledTime that is not a time', pushBody({ triggerId: 'churn-nightly', scheduledTime: 'tomorrow' }, '10'), 'message.data.scheduledTime'],
    ['a body that is an array', [], 'body'],
  ])('a push request with %s answers 200 rejected naming %s, logs it and creates nothing', async (_case, body, field) => {
    const answer = await call(handler, body);

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: 'rejected', error: { field, problem: expect.any(String) } });
    expect(fake.google.createAttempts).toHaveLength(0);
    expect(logs.lines).toContainEqual(expect.objectContaining({ severity: 'ERROR', field, message: expect.stringContaining(field) }));
  }, FAKE_GOOGLE_TIMEOUT);

  test.each([
    [{ ...CONFIG, region: 'evil.example.com/x' }, 'TRIGGER_CONFIG.region'],
    [{ ...CONFIG, parameters: { 'bad name': 'x' } }, 'TRIGGER_CONFIG.parameters.bad name'],
    [{ ...CONFIG, templateUri: undefined }, 'TRIGGER_CONFIG.templateUri'],
  ])('invalid settings answer 500 misconfigured naming %#, so the firing waits in the dead-letter topic', async (config, field) => {
    process.env.TRIGGER_CONFIG = JSON.stringify(config);

    const answer = await call(handler, pushBody(firing, '11800000011'));

    expect(answer).toEqual({ status: 500, body: { status: 'misconfigured', error: { field, problem: expect.any(String) } } });
    expect(fake.google.createAttempts).toHaveLength(0);
    expect(logs.lines).toContainEqual(expect.objectContaining({ severity: 'CRITICAL', field }));
  }, FAKE_GOOGLE_TIMEOUT);
});
