import { TEST_CONFIG_PATH, type FakeSsm } from './fake-ssm';

/** Writes a trigger's configuration as a deployment does, and names that deployment in the function's environment. */
export function deploy<C extends { readonly triggerId: string }>(ssm: FakeSsm, config: C, version = `deployment-of-${config.triggerId}`): void {
  ssm.put(`${TEST_CONFIG_PATH}${config.triggerId}`, JSON.stringify({ [config.triggerId]: config }));
  process.env.TRIGGER_CONFIG_VERSION = version;
}

/** The requests that read the deployment's configurations: every page of every load of the path. */
export function configReads(ssm: FakeSsm): FakeSsm['calls'] {
  return ssm.calls.filter((call) => call.path === TEST_CONFIG_PATH.slice(0, -1));
}

/**
 * Invokes the function while SSM throttles every request, which must throw (so that Lambda retries), then
 * again once SSM serves, as Lambda's retry does. `observe` runs between the two.
 */
export async function invokeThrottledThenRetry<R, O>(ssm: FakeSsm, invoke: () => Promise<R>, observe: () => Promise<O>): Promise<{ readonly throttled: boolean; readonly afterFailure: O; readonly retried: R }> {
  const callsBefore = ssm.calls.length;
  ssm.throttleNext(100);
  await expect(invoke()).rejects.toMatchObject({ name: 'ThrottlingException' });
  const afterFailure = await observe();
  ssm.stopThrottling();
  const retried = await invoke();
  return { throttled: ssm.calls.slice(callsBefore).some((call) => call.outcome === 'ThrottlingException'), afterFailure, retried };
}
