import { createHash } from 'node:crypto';
import type { LocalSsm } from '../../lib/simulator/endpoints/ssm';

// The local SSM ships with the simulator; the tests start the same one under the name they know it by.
export { startLocalSsm as startFakeSsm, type LocalSsm as FakeSsm, type SsmCall } from '../../lib/simulator/endpoints/ssm';

/** The path the handler tests' functions read configurations from, as `TRIGGER_CONFIG_PATH`. */
export const TEST_CONFIG_PATH = '/cdk-ml-triggers/test-stack/';

/**
 * A handler as deployed: `{ trigger, event }` becomes what the deployment writes (the trigger's
 * configuration, in the fake SSM under `TEST_CONFIG_PATH`) and what the rule sends (`{ triggerId, event }`).
 * A changed configuration bumps `TRIGGER_CONFIG_VERSION`, as a deployment that changes one does.
 * Any other input reaches the handler unchanged.
 */
export function asDeployed<R>(ssm: LocalSsm, handler: (input: unknown) => Promise<R>): (input: unknown) => Promise<R> {
  return (input) => {
    if (typeof input !== 'object' || input === null || !('trigger' in input)) return handler(input);
    const { trigger, ...rest } = input as { trigger: unknown; [key: string]: unknown };
    const triggerId = typeof trigger === 'object' && trigger !== null && typeof (trigger as { triggerId?: unknown }).triggerId === 'string'
      ? (trigger as { triggerId: string }).triggerId
      : 'unnamed-trigger';
    const value = JSON.stringify(trigger);
    ssm.put(`${TEST_CONFIG_PATH}${triggerId}`, JSON.stringify({ [triggerId]: trigger }));
    const version = createHash('sha256').update(`${triggerId}\n${value}`).digest('hex').slice(0, 16);
    process.env.TRIGGER_CONFIG_PATH = TEST_CONFIG_PATH;
    process.env.TRIGGER_CONFIG_VERSION = version;
    return handler({ triggerId, ...rest });
  };
}
