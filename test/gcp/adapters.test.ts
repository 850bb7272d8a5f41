import { MetadataTokenSource, metadataTokenUrl, TOKEN_EXPIRY_MARGIN_MS } from '../../lambda/gcp/adapters/metadata-token';
import { GoogleApiError, isRetryableAnswer } from '../../lambda/gcp/adapters/google-rest';
import { parsePushRequest } from '../../lambda/gcp/adapters/pubsub-push';
import { VertexApiError, VertexPipelines } from '../../lambda/gcp/adapters/vertex-pipelines';
import { PIPELINE_JOB_ID_PATTERN, pipelineJobId } from '../../lambda/core/pipeline-job';
import type { FakeGoogle } from './fake-google';
import { fakeGoogleEnv } from './function-call';

describe('GCP adapters against the fake metadata server and Vertex AI', () => {
  let google: FakeGoogle;
  let restore: () => Promise<void>;
  const request = {
    project: 'ml-prod-481', region: 'us-central1', pipelineJobId: 'churn-s-0123', displayName: 'churn', templateUri: 'gs://b/t.yaml',
    parameterValues: { Epochs: '20' },
  };

  beforeAll(async () => {
    ({ google, restore } = await fakeGoogleEnv({}));
  });
  afterAll(async () => restore());
  beforeEach(() => {
    google.reset();
    google.setTokenLifetime(3599);
  });

  test('the metadata server refuses a token request without Metadata-Flavor: Google, as the real one does', async () => {
    const bare = await fetch(metadataTokenUrl());
    const flavoured = await fetch(metadataTokenUrl(), { headers: { 'Metadata-Flavor': 'Google' } });

    expect(bare.status).toBe(403);
    expect(await flavoured.json()).toEqual({ access_token: expect.any(String), expires_in: 3599, token_type: 'Bearer' });
  });

  test('a token is reused until 60 s before it expires, then fetched again; concurrent callers share one request', async () => {
    let now = 1_000_000;
    const tokens = new MetadataTokenSource(() => now);
    google.setTokenLifetime(300);
    const before = google.tokenRequests;

    const [a, b] = await Promise.all([tokens.token(), tokens.token()]);
    now += 300_000 - TOKEN_EXPIRY_MARGIN_MS - 1;
    const c = await tokens.token();
    now += 1;
    const d = await tokens.token();

    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(d).not.toBe(a);
    expect(google.tokenRequests - before).toBe(2);
  });

  test('a metadata server that cannot be reached is a retryable error', async () => {
    const saved = process.env.GCE_METADATA_HOST;
    process.env.GCE_METADATA_HOST = '127.0.0.1:1';
    try {
      await expect(new MetadataTokenSource(Date.now).token()).rejects.toMatchObject({ name: 'MetadataTokenError', retryable: true });
    } finally {
      process.env.GCE_METADATA_HOST = saved;
    }
  });

  test('pipelineJobs.create sends only the fields it was given, with the bearer token', async () => {
    const created = await new VertexPipelines(new MetadataTokenSource(Date.now)).createPipelineJob(request);

    expect(created).toEqual({ name: 'projects/123456789012/locations/us-central1/pipelineJobs/churn-s-0123', alreadyExisted: false });
    expect(google.jobs[0].body).toEqual({ displayName: 'churn', templateUri: 'gs://b/t.yaml', runtimeConfig: { parameterValues: { Epochs: '20' } } });
  });

  test('409 ALREADY_EXISTS is the existing job; 409 ABORTED is a retryable error', async () => {
    const pipelines = new VertexPipelines(new MetadataTokenSource(Date.now));
    await pipelines.createPipelineJob(request);

    const again = await pipelines.createPipelineJob(request);
    google.failNext(409);
    const aborted = pipelines.createPipelineJob({ ...request, pipelineJobId: 'churn-s-0124' });

    expect(again).toEqual({ name: 'projects/ml-prod-481/locations/us-central1/pipelineJobs/churn-s-0123', alreadyExisted: true });
    await expect(aborted).rejects.toMatchObject({ httpStatus: 409, status: 'ABORTED', retryable: true });
  });

  test('errors name Google\'s status and message, and mark 403 as not retryable', async () => {
    google.failNext(403);

    const error = await new VertexPipelines(new MetadataTokenSource(Date.now)).createPipelineJob(request).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(VertexApiError);
    expect(error).toMatchObject({ status: 'PERMISSION_DENIED', retryable: false, message: expect.stringMatching(/PERMISSION_DENIED \(HTTP 403\): Injected failure 403/) });
  });

  test('an error is a GoogleApiError that keeps Google\'s error body', async () => {
    google.failNext(429);

    const error = await new VertexPipelines(new MetadataTokenSource(Date.now)).createPipelineJob(request).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(GoogleApiError);
    expect(error).toMatchObject({ httpStatus: 429, retryable: true, googleError: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'Injected failure 429.' } });
  });

  test.each<[number, string, boolean]>([
    [0, 'UNAVAILABLE', true], [400, 'INVALID_ARGUMENT', false], [403, 'PERMISSION_DENIED', false], [404, 'NOT_FOUND', false],
    [408, 'HTTP_408', true], [409, 'ALREADY_EXISTS', false], [409, 'ABORTED', true], [412, 'FAILED_PRECONDITION', false],
    [429, 'RESOURCE_EXHAUSTED', true], [500, 'INTERNAL', true], [503, 'UNAVAILABLE', true],
  ])('HTTP %i %s is retryable: %s', (httpStatus, status, retryable) => {
    expect(isRetryableAnswer(httpStatus, status)).toBe(retryable);
  });

  test('an id Vertex would refuse is refused before any request', async () => {
    const create = new VertexPipelines(new MetadataTokenSource(Date.now)).createPipelineJob({ ...request, pipelineJobId: '9-Bad_Id' });

    await expect(create).rejects.toMatchObject({ status: 'INVALID_ARGUMENT', retryable: false });
    expect(google.createAttempts).toHaveLength(0);
  });
});

describe('pipeline job ids', () => {
  test.each(['churn-nightly', '2024_Q1-Retrain', '---', '_', 'A'.repeat(64)])('the id for trigger %p is valid for Vertex and deterministic', (triggerId) => {
    const id = pipelineJobId(triggerId, 'scheduled', ['118']);

    expect(id).toMatch(PIPELINE_JOB_ID_PATTERN);
    expect(id.length).toBeLessThan(128);
    expect(pipelineJobId(triggerId, 'scheduled', ['118'])).toBe(id);
    expect(pipelineJobId(triggerId, 'scheduled', ['119'])).not.toBe(id);
    expect(pipelineJobId(triggerId, 'drift', ['118'])).not.toBe(id);
  });

  test('event identities cannot collide by shifting a separator', () => {
    expect(pipelineJobId('t', 'drift', ['a#b', 'c'])).not.toBe(pipelineJobId('t', 'drift', ['a', 'b#c']));
  });
});

describe('Pub/Sub push requests', () => {
  const message = { data: Buffer.from('{"a":1}').toString('base64'), message_id: '42', publish_time: '2026-03-02T06:00:00.5Z', attributes: { k: 'v' } };

  test('reads the snake_case spellings push also sends, decodes the data and keeps the subscription', () => {
    expect(parsePushRequest({ message, subscription: 'projects/p/subscriptions/s' })).toEqual({
      ok: true,
      value: { messageId: '42', publishTime: '2026-03-02T06:00:00.5Z', attributes: { k: 'v' }, data: '{"a":1}', subscription: 'projects/p/subscriptions/s' },
    });
  });

  test('reads a body that arrives as unparsed JSON text', () => {
    expect(parsePushRequest(JSON.stringify({ message })).ok).toBe(true);
  });

  test.each([
    [{ message: { ...message, publish_time: 'yesterday' } }, 'message.publishTime'],
    [{ message: { ...message, data: Buffer.from([0xff, 0xfe]).toString('base64') } }, 'message.data'],
    ['{"message":', 'body'],
  ])('names %# the field %s', (body, field) => {
    expect(parsePushRequest(body)).toEqual({ ok: false, error: { field, problem: expect.any(String) } });
  });
});
