import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { startFakeAzureML, type FakeAzureML } from './fake-azure-ml';

/** How long one hook or test against the fake may take: each call crosses local HTTP servers, slow on a loaded machine. */
export const FAKE_AZURE_TIMEOUT = 30_000;

export const SUBSCRIPTION = '7f3c1a52-9d4e-4b8a-a1c6-2e5f8b0d9c31';
export const RESOURCE_GROUP = 'ml-prod';

/** What every Azure function's settings share: the churn model's training pipeline in the churn workspace. */
export const TARGET = {
  subscriptionId: SUBSCRIPTION,
  resourceGroup: RESOURCE_GROUP,
  workspace: 'churn-ws',
  experimentName: 'churn-retrain',
  pipelineName: 'churn-training',
  componentId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/churn-ws/components/churn-training/versions/3`,
  parameters: { Epochs: '20' },
};

/** A fixture of test/fixtures/azure, parsed afresh (tests may change their copy). */
export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'azure', name), 'utf8')) as T;
}

/** The started fake, read inside hooks and tests (it exists once the suite's beforeAll has run). */
export interface FakeAzureSuite {
  readonly fake: FakeAzureML;
}

/**
 * Runs the surrounding describe against one fake Azure ML: AZURE_ML_ENDPOINT, IDENTITY_ENDPOINT, IDENTITY_HEADER and
 * `env` set before all its tests, the fake reset and `env` set again before each (a test may change them), mocks
 * restored after each, and the environment restored and the fake closed after all.
 */
export function useFakeAzureML(env: () => Record<string, string>): FakeAzureSuite {
  let started: FakeAzureML | undefined;
  let previous: Record<string, string | undefined> = {};
  const values = (fake: FakeAzureML): Record<string, string> => ({
    ...env(), AZURE_ML_ENDPOINT: fake.endpoint, IDENTITY_ENDPOINT: fake.identityEndpoint, IDENTITY_HEADER: fake.identitySecret,
  });
  const suite: FakeAzureSuite = {
    get fake(): FakeAzureML {
      if (!started) throw new Error('the fake Azure ML is started in beforeAll');
      return started;
    },
  };
  beforeAll(async () => {
    started = await startFakeAzureML();
    const set = values(started);
    previous = Object.fromEntries(Object.keys(set).map((key) => [key, process.env[key]]));
    Object.assign(process.env, set);
  }, FAKE_AZURE_TIMEOUT);
  afterAll(async () => {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await started?.close();
  }, FAKE_AZURE_TIMEOUT);
  beforeEach(() => {
    suite.fake.reset();
    Object.assign(process.env, values(suite.fake));
  });
  afterEach(() => jest.restoreAllMocks());
  return suite;
}

/** The structured lines the functions wrote to stdout during the current test of the surrounding describe. */
export function captureEachTestLogs(): { readonly lines: Array<Record<string, unknown>> } {
  let lines: Array<Record<string, unknown>> = [];
  beforeEach(() => {
    const captured: Array<Record<string, unknown>> = [];
    lines = captured;
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      for (const line of String(chunk).split('\n').filter(Boolean)) captured.push(JSON.parse(line) as Record<string, unknown>);
      return true;
    });
  });
  return {
    get lines() {
      return lines;
    },
  };
}

/** The decision lines among them: every one must say which trigger decided and what it is correlated by. */
export function decisions(lines: ReadonlyArray<Record<string, unknown>>): Array<Record<string, unknown>> {
  return lines.filter((line) => line.decision !== undefined);
}

/**
 * Loads a function's entry point (`lambda/azure/<name>/index.ts`) in isolation, with `app` of @azure/functions
 * replaced by one that records what the entry point registers, and returns the handler it registered under `name`.
 * The rest of @azure/functions is the real one, so a test calls the handler with a real HttpRequest.
 */
export function registeredHandler<H>(folder: 'drift' | 'chain', trigger: 'http' | 'eventGrid', name: string): H {
  let registered: H | undefined;
  jest.isolateModules(() => {
    jest.doMock('@azure/functions', () => ({
      ...jest.requireActual<object>('@azure/functions'),
      app: {
        [trigger]: (functionName: string, options: { handler: H }) => {
          if (functionName === name) registered = options.handler;
        },
      },
    }));
    jest.requireActual(path.join(__dirname, '..', '..', 'lambda', 'azure', folder));
  });
  if (registered === undefined) throw new Error(`lambda/azure/${folder} registered no ${trigger} function '${name}'`);
  return registered;
}
