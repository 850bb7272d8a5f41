import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PublishError, publishEvent, publishEvents, safePublish, type BusTarget } from '../lib/publish';
import { detectPlatform } from '../lib/publish/platform';
import { startFakeEventBridge, type FakeEventBridge } from './support/fake-eventbridge';
import { LOCAL_AWS_ENV, setEnv } from './support/local-services';

const FIXTURE = path.resolve(__dirname, 'fixtures/events/platform-model-added.json');
const modelAdded = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, unknown>;
const target: BusTarget = { eventBusName: 'ml-triggers-demo-main', source: 'ml-triggers.demo.main' };
const isModelAdded = (entry: { detailType?: string }): boolean => entry.detailType === 'model.added';

/** Every environment variable `safePublish` reads, unset: the tests may run in CI, on ECS or in Lambda themselves. */
const PLATFORM_SIGNALS_UNSET = Object.fromEntries([
  'ML_TRIGGERS_PUBLISH', 'AWS_LAMBDA_FUNCTION_NAME', 'ECS_CONTAINER_METADATA_URI_V4', 'ECS_CONTAINER_METADATA_URI', 'AWS_EXECUTION_ENV',
  'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  'TRAINING_JOB_NAME', 'TRAINING_JOB_ARN', 'CODEBUILD_BUILD_ID', 'GITHUB_ACTIONS', 'CI',
].map((name) => [name, undefined]));

let fake: FakeEventBridge;
let restoreEnv: () => void;

beforeAll(async () => {
  fake = await startFakeEventBridge();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset();
  restoreEnv = setEnv({
    ...LOCAL_AWS_ENV,
    AWS_ENDPOINT_URL_EVENTBRIDGE: fake.endpoint,
    ...PLATFORM_SIGNALS_UNSET,
  });
});
afterEach(() => restoreEnv());

async function publishError(promise: Promise<unknown>): Promise<PublishError> {
  const error = await promise.then(() => undefined, (reason: unknown) => reason);
  if (!(error instanceof PublishError)) throw new Error(`expected a PublishError, got ${String(error)}`);
  return error;
}

describe('publishEvent', () => {
  test('sends the fixture as model.added with Source, DetailType and Detail exactly', async () => {
    const { eventId } = await publishEvent(target, 'model.added', modelAdded);

    expect(fake.accepted).toEqual([{
      eventId,
      eventBusName: 'ml-triggers-demo-main',
      source: 'ml-triggers.demo.main',
      detailType: 'model.added',
      detail: JSON.stringify(modelAdded),
      time: undefined,
      resources: [],
    }]);
  });

  test('passes time and resources through', async () => {
    const resources = ['arn:aws:sagemaker:eu-west-1:123456789012:model-package/llama/1'];

    await publishEvent(target, 'model.added', modelAdded, { time: new Date('2024-01-29T12:00:00Z'), resources });

    expect(fake.accepted).toMatchObject([{ time: '2024-01-29T12:00:00.000Z', resources }]);
  });

  test.each(['ThrottlingException', 'InternalFailure', 'InternalException'])('retries an entry PutEvents answered with %s and publishes it once', async (code) => {
    fake.failEntries(isModelAdded, code, 1);

    const { eventId } = await publishEvent(target, 'model.added', modelAdded);

    expect(fake.calls.map((call) => call.answers)).toEqual([[code], [eventId]]);
    expect(fake.accepted).toHaveLength(1);
  });

  test('gives up on a retryable entry error after 3 attempts', async () => {
    fake.failEntries(isModelAdded, 'InternalFailure', 5);

    const error = await publishError(publishEvent(target, 'model.added', modelAdded));

    expect(error).toMatchObject({ code: 'InternalFailure', entryIndex: 0 });
    expect(fake.calls).toHaveLength(3);
    expect(fake.accepted).toHaveLength(0);
  });

  test('reports a non-retryable entry error at once', async () => {
    fake.failEntries(isModelAdded, 'MalformedDetail', 1);

    const error = await publishError(publishEvent(target, 'model.added', modelAdded));

    expect(error.code).toBe('MalformedDetail');
    expect(error.message).toMatch(/'model.added' on bus 'ml-triggers-demo-main' \(1 attempt\): MalformedDetail/);
    expect(fake.calls).toHaveLength(1);
  });

  test('publishes once when the SDK retries a throttled PutEvents call', async () => {
    fake.failCalls(1, 'throttle');

    await publishEvent(target, 'model.added', modelAdded);

    expect(fake.calls.map((call) => call.outcome)).toEqual(['ThrottlingException', 'answered']);
    expect(fake.accepted).toHaveLength(1);
  });

  test('reports a PutEvents call that keeps failing as PublishError with the SDK error name', async () => {
    fake.failCalls(1, 'internal');
    const client = new EventBridgeClient({ maxAttempts: 1 });

    const error = await publishError(publishEvent(target, 'model.added', modelAdded, { client }));

    expect(error).toMatchObject({ code: 'InternalException', entryIndex: 0 });
    expect(fake.accepted).toHaveLength(0);
  });

  test.each([['that is empty', ''], ['of 129 characters', 'a'.repeat(129)], ['with a space', 'model added'], ['with a slash', 'model/added'],
    ['with non-ASCII letters', 'modèle.ajouté']])('rejects a name %s before sending', async (_label, name) => {
    const error = await publishError(publishEvent(target, name, modelAdded));

    expect(error.code).toBe('InvalidName');
    expect(fake.calls).toHaveLength(0);
  });

  const circular: Record<string, unknown> = {};
  circular.self = circular;
  test.each<[string, unknown]>([
    ['null', null], ['an array', [modelAdded]], ['a string', 'model.added'], ['a number', 42],
    ['a cyclic object', circular], ['an object holding a BigInt', { size: BigInt(1) }], ['a Date', new Date(0)],
  ])('rejects %s as payload before sending', async (_label, payload) => {
    const error = await publishError(publishEvent(target, 'model.added', payload as Record<string, unknown>));

    expect(error.code).toBe('InvalidPayload');
    expect(fake.calls).toHaveLength(0);
  });
});

describe('entry size check', () => {
  // Entry size as the EventBridge User Guide defines it, "Calculating Amazon EventBridge PutEvents event entry size"
  // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html): Time counts 14 bytes when set;
  // Source, DetailType, Detail and each Resources item count the bytes of their UTF-8 form. Limit: 1 MB = 1,048,576 since 29 January 2026 (AWS Compute Blog, payloads up to 1 MB).
  const time = new Date('2024-01-29T12:00:00Z');
  const resources = ['arn:aws:sagemaker:eu-west-1:123456789012:model/llama-3-2-1b'];
  const documentedSize = (payload: Record<string, unknown>): number =>
    14 + [target.source, 'model.added', JSON.stringify(payload), ...resources].reduce((sum, text) => sum + Buffer.byteLength(text, 'utf8'), 0);
  /** A payload whose entry has exactly `bytes` bytes; 'é' is 2 bytes in UTF-8, so characters are not bytes. */
  const payloadOfSize = (bytes: number): Record<string, unknown> => {
    const base = { ...modelAdded, note: 'é'.repeat(1000), pad: '' };
    return { ...base, pad: 'x'.repeat(bytes - documentedSize(base)) };
  };

  test('rejects an entry one byte over 1 MB before sending', async () => {
    const payload = payloadOfSize(1_048_577);
    expect(documentedSize(payload)).toBe(1_048_577);

    const error = await publishError(publishEvent(target, 'model.added', payload, { time, resources }));

    expect(error.code).toBe('EntryTooLarge');
    expect(error.message).toContain('1048577 bytes');
    expect(fake.calls).toHaveLength(0);
  });

  test('accepts an entry one byte under 1 MB', async () => {
    const payload = payloadOfSize(1_048_575);
    expect(documentedSize(payload)).toBe(1_048_575);

    await publishEvent(target, 'model.added', payload, { time, resources });

    expect(fake.accepted.map((entry) => entry.detail)).toEqual([JSON.stringify(payload)]);
  });
});

describe('publishEvents', () => {
  test('splits 23 events into calls of 10, 10 and 3 and keeps their order', async () => {
    const events = Array.from({ length: 23 }, (_, n) => ({ name: 'model.added', payload: { ...modelAdded, sequence: n } }));

    const results = await publishEvents(target, events);

    expect(fake.calls.map((call) => call.entries.length)).toEqual([10, 10, 3]);
    expect(fake.accepted.map((entry) => JSON.parse(entry.detail ?? '{}').sequence)).toEqual(events.map((_, n) => n));
    expect(results).toEqual(fake.accepted.map(({ eventId }) => ({ eventId })));
  });

  // PutEvents: "You can batch multiple event entries into one request for efficiency. However, the total entry size must
  // be less than 1MB" (EventBridge API Reference, PutEvents, as the model of @aws-sdk/client-eventbridge 3.1169.0 words
  // it), each entry's size counted by the formula of "Calculating PutEvents event entry size".
  const entryBytes = (entry: { source?: string; detailType?: string; detail?: string }): number =>
    [entry.source, entry.detailType, entry.detail].reduce((sum, text) => sum + Buffer.byteLength(text ?? '', 'utf8'), 0);
  /** An event whose entry (no time, no resources) has exactly `bytes` bytes. */
  const eventOfSize = (sequence: number, bytes: number): { name: string; payload: Record<string, unknown> } => {
    const base = { sequence, pad: '' };
    const overhead = entryBytes({ source: target.source, detailType: 'model.added', detail: JSON.stringify(base) });
    return { name: 'model.added', payload: { sequence, pad: 'x'.repeat(bytes - overhead) } };
  };

  test('splits calls by size too: no PutEvents request carries more than 1 MB of entries', async () => {
    const events = Array.from({ length: 5 }, (_, n) => eventOfSize(n, 400_000));

    const results = await publishEvents(target, events);

    expect(fake.calls.map((call) => call.entries.length)).toEqual([2, 2, 1]);
    expect(fake.calls.every((call) => call.entries.reduce((sum, entry) => sum + entryBytes(entry), 0) <= 1_048_576)).toBe(true);
    expect(fake.accepted.map((entry) => JSON.parse(entry.detail ?? '{}').sequence)).toEqual([0, 1, 2, 3, 4]);
    expect(results).toEqual(fake.accepted.map(({ eventId }) => ({ eventId })));
  });

  test('puts two entries one byte under 1 MB together in one call, and one byte over in two', async () => {
    await publishEvents(target, [eventOfSize(0, 524_288), eventOfSize(1, 524_287)]);
    const together = fake.calls.map((call) => call.entries.length);
    fake.reset();

    await publishEvents(target, [eventOfSize(0, 524_288), eventOfSize(1, 524_289)]);

    expect(together).toEqual([2]);
    expect(fake.calls.map((call) => call.entries.length)).toEqual([1, 1]);
  });

  test('reports an event over 1 MB as EntryTooLarge without sending it, and publishes the others in one call', async () => {
    const events = [eventOfSize(0, 1_000), eventOfSize(1, 1_048_577), eventOfSize(2, 1_000)];

    const results = await publishEvents(target, events);

    expect(results[1]).toMatchObject({ code: 'EntryTooLarge', entryIndex: 1, message: expect.stringContaining('1048577 bytes') });
    expect(fake.calls.map((call) => call.entries.map((entry) => JSON.parse(entry.detail ?? '{}').sequence))).toEqual([[0, 2]]);
    expect([results[0], results[2]]).toEqual(fake.accepted.map(({ eventId }) => ({ eventId })));
  });

  test('reports each failed event individually and publishes the rest', async () => {
    const events = ['model.added', 'model.deployed', 'model.retired', 'model archived'].map((name) => ({ name, payload: modelAdded }));
    fake.failEntries((entry) => entry.detailType === 'model.deployed', 'ThrottlingException', 1);
    fake.failEntries((entry) => entry.detailType === 'model.retired', 'MalformedDetail', 1);

    const results = await publishEvents(target, events);

    expect(results).toHaveLength(4);
    expect(results.slice(0, 2)).toEqual(fake.accepted.map(({ eventId }) => ({ eventId })));
    expect(results[2]).toMatchObject({ code: 'MalformedDetail', entryIndex: 2 });
    expect(results[3]).toMatchObject({ code: 'InvalidName', entryIndex: 3 });
    expect(fake.calls.map((call) => call.entries.map((entry) => entry.detailType))).toEqual([
      ['model.added', 'model.deployed', 'model.retired'],
      ['model.deployed'],
    ]);
  });

  test('fails every event of a failed call and still sends the next call', async () => {
    const events = Array.from({ length: 12 }, (_, n) => ({ name: 'model.added', payload: { sequence: n } }));
    fake.failCalls(1, 'internal');

    const results = await publishEvents(target, events, { client: new EventBridgeClient({ maxAttempts: 1 }) });

    expect(results.slice(0, 10).map((result) => result instanceof PublishError && result.entryIndex)).toEqual(events.slice(0, 10).map((_, n) => n));
    expect(fake.accepted.map((entry) => entry.detail)).toEqual(['{"sequence":10}', '{"sequence":11}']);
  });
});

describe('safePublish', () => {
  test('sends nothing outside a deployed environment, and says how to publish anyway', async () => {
    const result = await safePublish(target, 'model.added', modelAdded);

    expect(result).toEqual({ published: false, reason: expect.stringMatching(/^not a deployed environment: .*ML_TRIGGERS_PUBLISH=always/) });
    expect(fake.calls).toHaveLength(0);
  });

  test.each<[string, Record<string, string>]>([
    ['in Lambda', { AWS_LAMBDA_FUNCTION_NAME: 'model-registry' }],
    ['in ECS (metadata endpoint v4)', { ECS_CONTAINER_METADATA_URI_V4: 'http://169.254.170.2/v4/task' }],
    ['in ECS (metadata endpoint v3)', { ECS_CONTAINER_METADATA_URI: 'http://169.254.170.2/v3/task' }],
    ['on Fargate (AWS_EXECUTION_ENV)', { AWS_EXECUTION_ENV: 'AWS_ECS_FARGATE' }],
    ['on EKS with IAM roles for service accounts', {
      AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/model-registry', AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token',
    }],
    ['on EKS with Pod Identity', {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials',
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token',
    }],
    ['in a SageMaker training job', { TRAINING_JOB_NAME: 'churn-2024-01-29', TRAINING_JOB_ARN: 'arn:aws:sagemaker:eu-west-1:123456789012:training-job/churn-2024-01-29' }],
    ['on EC2 with ML_TRIGGERS_PUBLISH=always', { ML_TRIGGERS_PUBLISH: 'always' }],
    ['with ML_TRIGGERS_PUBLISH=true (the older spelling of always)', { ML_TRIGGERS_PUBLISH: 'true' }],
  ])('publishes %s', async (_label, env) => {
    setEnv(env);

    const result = await safePublish(target, 'model.added', modelAdded);

    expect(result).toEqual({ published: true, eventId: fake.accepted[0]?.eventId });
  });

  test.each<[string, Record<string, string>, RegExp]>([
    ['in GitHub Actions', { GITHUB_ACTIONS: 'true', CI: 'true' }, /GitHub Actions \(GITHUB_ACTIONS\)/],
    ['in CodeBuild', { CODEBUILD_BUILD_ID: 'model-registry:0f3c' }, /AWS CodeBuild \(CODEBUILD_BUILD_ID\)/],
    ['in another CI service', { CI: 'true' }, /a CI service \(CI\)/],
    ['in a CI runner that itself runs on EKS', { CI: 'true', AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/runner', AWS_WEB_IDENTITY_TOKEN_FILE: '/token' }, /a CI service/],
    ['on a bare EC2 instance (no environment signal; IMDS is not probed)', {}, /^not a deployed environment/],
  ])('sends nothing %s unless told to', async (_label, env, reason) => {
    setEnv(env);

    const result = await safePublish(target, 'model.added', modelAdded);
    setEnv({ ML_TRIGGERS_PUBLISH: 'always' });
    const overridden = await safePublish(target, 'model.added', modelAdded);

    expect(result).toEqual({ published: false, reason: expect.stringMatching(reason) });
    expect(overridden).toEqual({ published: true, eventId: fake.accepted[0]?.eventId });
    expect(fake.accepted).toHaveLength(1);
  });

  test('publishes when options.mode, options.deployed or options.isDeployed says so', async () => {
    await safePublish(target, 'model.added', modelAdded, { mode: 'always' });
    await safePublish(target, 'model.added', modelAdded, { deployed: true });
    await safePublish(target, 'model.added', modelAdded, { isDeployed: () => true });

    expect(fake.accepted).toHaveLength(3);
  });

  test('options.mode never wins over Lambda detection and over ML_TRIGGERS_PUBLISH=always', async () => {
    setEnv({ AWS_LAMBDA_FUNCTION_NAME: 'model-registry', ML_TRIGGERS_PUBLISH: 'always' });

    const result = await safePublish(target, 'model.added', modelAdded, { mode: 'never' });
    const deployedFalse = await safePublish(target, 'model.added', modelAdded, { deployed: false });

    expect(result).toEqual({ published: false, reason: "options.mode is 'never'" });
    expect(deployedFalse).toEqual({ published: false, reason: "options.mode is 'never'" });
    expect(fake.calls).toHaveLength(0);
  });

  test.each(['never', 'false', ' NEVER '])('ML_TRIGGERS_PUBLISH=%s wins over Lambda detection and options.mode always', async (value) => {
    setEnv({ ML_TRIGGERS_PUBLISH: value, AWS_LAMBDA_FUNCTION_NAME: 'model-registry' });

    const result = await safePublish(target, 'model.added', modelAdded, { mode: 'always' });

    expect(result).toEqual({ published: false, reason: `ML_TRIGGERS_PUBLISH=${value.trim()} disables publishing` });
    expect(fake.calls).toHaveLength(0);
  });

  test('ML_TRIGGERS_PUBLISH=auto leaves the decision to the detection', async () => {
    setEnv({ ML_TRIGGERS_PUBLISH: 'auto' });
    const local = await safePublish(target, 'model.added', modelAdded);
    setEnv({ AWS_LAMBDA_FUNCTION_NAME: 'model-registry' });
    const inLambda = await safePublish(target, 'model.added', modelAdded);

    expect(local.published).toBe(false);
    expect(inLambda.published).toBe(true);
  });

  test('rejects an ML_TRIGGERS_PUBLISH it does not know, naming the value and the accepted ones', async () => {
    setEnv({ ML_TRIGGERS_PUBLISH: 'alwyas', AWS_LAMBDA_FUNCTION_NAME: 'model-registry' });

    const error = await publishError(safePublish(target, 'model.added', modelAdded));

    expect(error.code).toBe('InvalidSetting');
    expect(error.message).toBe("ML_TRIGGERS_PUBLISH must be always, never or auto, got 'alwyas'");
    expect(fake.calls).toHaveLength(0);
  });

  test('rejects an invalid event even when it would not send it', async () => {
    const error = await publishError(safePublish(target, 'model added', modelAdded));

    expect(error.code).toBe('InvalidName');
  });
});

describe('detectPlatform', () => {
  const noFiles = (): boolean => false;
  const onlyFile = (expected: string) => (file: string): boolean => file === expected;

  test.each<[string, NodeJS.ProcessEnv, (file: string) => boolean, { name: string; deployed: boolean; signal: string }]>([
    ['Lambda', { AWS_LAMBDA_FUNCTION_NAME: 'f' }, noFiles, { name: 'AWS Lambda', deployed: true, signal: 'AWS_LAMBDA_FUNCTION_NAME' }],
    ['ECS', { ECS_CONTAINER_METADATA_URI_V4: 'http://169.254.170.2/v4/t' }, noFiles, { name: 'Amazon ECS', deployed: true, signal: 'ECS_CONTAINER_METADATA_URI_V4' }],
    ['Fargate', { AWS_EXECUTION_ENV: 'AWS_ECS_FARGATE' }, noFiles, { name: 'Amazon ECS', deployed: true, signal: 'AWS_EXECUTION_ENV' }],
    ['EKS (IRSA)', { AWS_ROLE_ARN: 'arn', AWS_WEB_IDENTITY_TOKEN_FILE: '/t' }, noFiles,
      { name: 'Amazon EKS (IAM roles for service accounts)', deployed: true, signal: 'AWS_WEB_IDENTITY_TOKEN_FILE' }],
    ['EKS (Pod Identity)', { AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials', AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '/t' }, noFiles,
      { name: 'Amazon EKS (Pod Identity)', deployed: true, signal: 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE' }],
    ['a SageMaker training job', { TRAINING_JOB_ARN: 'arn' }, noFiles, { name: 'an Amazon SageMaker training job', deployed: true, signal: 'TRAINING_JOB_ARN' }],
    ['a SageMaker processing job', {}, onlyFile('/opt/ml/config/processingjobconfig.json'),
      { name: 'an Amazon SageMaker processing job', deployed: true, signal: '/opt/ml/config/processingjobconfig.json' }],
    ['a SageMaker notebook instance or Studio app', {}, onlyFile('/opt/ml/metadata/resource-metadata.json'),
      { name: 'a SageMaker notebook or Studio app', deployed: false, signal: '/opt/ml/metadata/resource-metadata.json' }],
    ['a SageMaker notebook job (it runs as a training job)', { TRAINING_JOB_NAME: 'nb-job' }, onlyFile('/opt/ml/metadata/resource-metadata.json'),
      { name: 'an Amazon SageMaker training job', deployed: true, signal: 'TRAINING_JOB_NAME' }],
    ['CodeBuild', { CODEBUILD_BUILD_ID: 'p:1' }, noFiles, { name: 'AWS CodeBuild', deployed: false, signal: 'CODEBUILD_BUILD_ID' }],
    ['GitHub Actions', { GITHUB_ACTIONS: 'true', CI: 'true' }, noFiles, { name: 'GitHub Actions', deployed: false, signal: 'GITHUB_ACTIONS' }],
    ['a CI service', { CI: '1' }, noFiles, { name: 'a CI service', deployed: false, signal: 'CI' }],
  ])('recognises %s', (_label, env, fileExists, platform) => {
    expect(detectPlatform(env, fileExists)).toEqual(platform);
  });

  test.each<[string, NodeJS.ProcessEnv]>([
    ['nothing', {}], ['CI=false', { CI: 'false' }], ['GITHUB_ACTIONS=false', { GITHUB_ACTIONS: 'false' }],
    ['only AWS_ROLE_ARN (a profile, not IRSA)', { AWS_ROLE_ARN: 'arn' }], ['AWS_EXECUTION_ENV of another platform', { AWS_EXECUTION_ENV: 'CloudShell' }],
  ])('recognises no platform from %s', (_label, env) => {
    expect(detectPlatform(env, () => false)).toBeUndefined();
  });

  test('looks at files only when no environment variable told', () => {
    const looked: string[] = [];

    detectPlatform({ AWS_LAMBDA_FUNCTION_NAME: 'f' }, (file) => looked.push(file) > 0);

    expect(looked).toEqual([]);
  });
});
