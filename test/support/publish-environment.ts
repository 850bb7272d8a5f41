import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PublishError, type BusTarget } from '../../lib/publish';
import { startFakeEventBridge, type FakeEventBridge } from './fake-eventbridge';
import { LOCAL_AWS_ENV, setEnv } from './local-services';

const FIXTURE = path.resolve(__dirname, '../fixtures/events/platform-model-added.json');
export const modelAdded = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, unknown>;
export const target: BusTarget = { eventBusName: 'ml-triggers-demo-main', source: 'ml-triggers.demo.main' };
export const isModelAdded = (entry: { detailType?: string }): boolean => entry.detailType === 'model.added';

/** Every environment variable `safePublish` reads, unset: the tests may run in CI, on ECS or in Lambda themselves. */
const PLATFORM_SIGNALS_UNSET = Object.fromEntries([
  'ML_TRIGGERS_PUBLISH', 'AWS_LAMBDA_FUNCTION_NAME', 'ECS_CONTAINER_METADATA_URI_V4', 'ECS_CONTAINER_METADATA_URI', 'AWS_EXECUTION_ENV',
  'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  'TRAINING_JOB_NAME', 'TRAINING_JOB_ARN', 'CODEBUILD_BUILD_ID', 'GITHUB_ACTIONS', 'CI',
].map((name) => [name, undefined]));

/**
 * Starts a fake EventBridge for the test file and, around each test, points the SDK at it with every
 * platform signal unset. `onStarted` receives the fake once it listens.
 */
export function usePublishEnvironment(onStarted: (fake: FakeEventBridge) => void): void {
  let fake: FakeEventBridge;
  let restoreEnv: () => void;

  beforeAll(async () => {
    fake = await startFakeEventBridge();
    onStarted(fake);
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
}

export async function publishError(promise: Promise<unknown>): Promise<PublishError> {
  const error = await promise.then(() => undefined, (reason: unknown) => reason);
  if (!(error instanceof PublishError)) throw new Error(`expected a PublishError, got ${String(error)}`);
  return error;
}
