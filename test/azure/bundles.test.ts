import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../support/repository-boundary';
import { withTempDir } from '../support/temp-dir';
import { FAKE_AZURE_TIMEOUT, fixture, RESOURCE_GROUP, SUBSCRIPTION, TARGET, useFakeAzureML, captureEachTestLogs } from './function-harness';

/**
 * The Functions host's side of `@azure/functions` (`@azure/functions-core`, which the Node.js worker provides at run
 * time and the bundles leave external): it records what a bundle registers and hands back each function's handler.
 */
const CORE_STUB = `
const registered = [];
module.exports = {
  registered,
  registerFunction(metadata, callback) { registered.push({ metadata, callback }); return { dispose() {} }; },
  registerHook() { return { dispose() {} }; },
  setProgrammingModel() {},
  getProgrammingModel() { return undefined; },
  log() {},
};
`;

interface Registered {
  readonly metadata: { readonly name: string; readonly bindings: Record<string, { readonly type: string; readonly direction: string }> };
  readonly callback: (input: unknown, context: { invocationId: string }) => Promise<unknown>;
}

/** Loads the deployed bundle of `name` (assets/azure/<name>) as the worker would, beside the stub, and answers what it registered. */
function loadBundle(dir: string, name: string): Registered[] {
  const appDir = path.join(dir, name);
  fs.mkdirSync(path.join(appDir, 'node_modules', '@azure', 'functions-core'), { recursive: true });
  fs.writeFileSync(path.join(appDir, 'node_modules', '@azure', 'functions-core', 'index.js'), CORE_STUB);
  for (const file of ['index.js', 'host.json', 'package.json']) fs.copyFileSync(path.join(REPO_ROOT, 'assets', 'azure', name, file), path.join(appDir, file));
  const main = path.join(appDir, (JSON.parse(fs.readFileSync(path.join(appDir, 'package.json'), 'utf8')) as { main: string }).main);
  let registered: Registered[] = [];
  jest.isolateModules(() => {
    /* eslint-disable @typescript-eslint/no-require-imports -- the bundle is loaded as the worker loads it, and the stub read in the same registry */
    require(main);
    registered = (require(path.join(appDir, 'node_modules', '@azure', 'functions-core', 'index.js')) as { registered: Registered[] }).registered;
    /* eslint-enable @typescript-eslint/no-require-imports */
  });
  return registered;
}

const triggerTypes = (registered: readonly Registered[]): Record<string, string[]> =>
  Object.fromEntries(registered.map(({ metadata }) => [metadata.name, Object.values(metadata.bindings).filter((b) => b.direction === 'in').map((b) => b.type)]));

const UPSTREAM = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/features-ws`;

describe('the bundled Azure functions, as deployed: host.json, package.json, and the registrations the worker sees', () => {
  let dir = '';
  withTempDir('mlt-azure-bundle-', (created) => {
    dir = created;
  });
  const suite = useFakeAzureML(() => ({
    TRIGGER_SETTINGS: JSON.stringify({ triggerId: 'churn-chain', ...TARGET, upstream: { workspaceId: UPSTREAM, experimentNames: ['feature-build'], statuses: ['Completed'] } }),
  }));
  const logs = captureEachTestLogs();

  test('each package names its bundle as main and asks for the extension bundle the Event Grid trigger needs', () => {
    for (const name of ['batcher', 'chain', 'drift']) {
      const folder = path.join(REPO_ROOT, 'assets', 'azure', name);
      expect(JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8'))).toMatchObject({ main: 'index.js' });
      expect(JSON.parse(fs.readFileSync(path.join(folder, 'host.json'), 'utf8'))).toMatchObject({
        version: '2.0', extensionBundle: { id: 'Microsoft.Azure.Functions.ExtensionBundle' },
      });
      // Nothing but Node's own modules and the worker's core module is left to resolve at run time.
      const requires = [...fs.readFileSync(path.join(folder, 'index.js'), 'utf8').matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1]);
      expect(requires.filter((module) => module !== '@azure/functions-core' && !module.startsWith('node:') && !/^[a-z_]+$/.test(module))).toEqual([]);
    }
  });

  test('each bundle registers its functions by the names the constructs wire: Event Grid, timer or HTTP', () => {
    expect(triggerTypes(loadBundle(dir, 'batcher'))).toEqual({ batcher: ['eventGridTrigger'], flush: ['timerTrigger'] });
    expect(triggerTypes(loadBundle(dir, 'drift'))).toEqual({ drift: ['httpTrigger'] });
    expect(triggerTypes(loadBundle(dir, 'chain'))).toEqual({ chain: ['eventGridTrigger'] });
  }, FAKE_AZURE_TIMEOUT);

  test('the chain bundle, invoked as the worker invokes it, submits one job for a run\'s completion and fails the invocation while Azure ML throttles', async () => {
    const [chain] = loadBundle(dir, 'chain');
    suite.fake.failNext(429);

    await expect(chain.callback(fixture('run-completed.json'), { invocationId: 'invocation-1' })).rejects.toThrow(/must be retried/);
    const outcome = await chain.callback(fixture('run-completed.json'), { invocationId: 'invocation-2' });

    expect(outcome).toMatchObject({ status: 'created' });
    expect(suite.fake.jobs).toHaveLength(1);
    expect(suite.fake.jobs[0].correlationId).toBe(fixture<{ id: string }>('run-completed.json').id);
    expect(logs.lines.some((line) => line.triggerId === 'churn-chain' && line.decision === 'retry')).toBe(true);
  }, FAKE_AZURE_TIMEOUT);
});
