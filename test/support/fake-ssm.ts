import { createHash } from 'node:crypto';
import { startAwsJsonEndpoint, type AwsJsonReply } from './aws-json-endpoint';
import type { LocalService } from './local-services';

/** One request the fake SSM received. */
export interface SsmCall {
  /** The `X-Amz-Target` header, e.g. `AmazonSSM.GetParametersByPath`. */
  readonly target: string;
  /** The path asked for. */
  readonly path?: string;
  readonly outcome: 'served' | 'ValidationException' | 'ThrottlingException' | 'UnknownOperationException';
}

/** A Parameter Store endpoint serving GetParametersByPath over awsJson1_1, with parameters the test writes. */
export interface FakeSsm extends LocalService {
  readonly calls: SsmCall[];
  /** Writes (or overwrites) a String parameter, as a deployment does. */
  put(name: string, value: string): void;
  /** Answers the next `count` requests with ThrottlingException. */
  throttleNext(count: number): void;
  /** Drops the throttling still queued, so that the next request is served. */
  stopThrottling(): void;
}

/** Starts a fake SSM on an OS-assigned loopback port; point `AWS_ENDPOINT_URL_SSM` at it. */
export async function startFakeSsm(): Promise<FakeSsm> {
  const parameters = new Map<string, { value: string; version: number }>();
  const calls: SsmCall[] = [];
  let throttled = 0;

  function fail(target: string, path: string | undefined, outcome: Exclude<SsmCall['outcome'], 'served'>, message: string): AwsJsonReply {
    calls.push({ target, path, outcome });
    return { status: 400, body: { __type: outcome, message }, error: outcome };
  }

  /** The parameters directly under `Path` (not recursive), ten at most per page, in name order, as the API pages them. */
  function serve(target: string, rawBody: string): AwsJsonReply {
    let body: { Path?: unknown; Recursive?: unknown; MaxResults?: unknown; NextToken?: unknown } = {};
    try {
      body = JSON.parse(rawBody || '{}') as typeof body;
    } catch {
      return fail(target, undefined, 'ValidationException', 'Body is not JSON');
    }
    const path = typeof body.Path === 'string' ? body.Path : undefined;
    if (throttled > 0) {
      throttled--;
      return fail(target, path, 'ThrottlingException', 'Rate exceeded');
    }
    if (target !== 'AmazonSSM.GetParametersByPath') return fail(target, path, 'UnknownOperationException', `Unknown operation ${target}`);
    const max = body.MaxResults ?? 10;
    if (path === undefined || !path.startsWith('/') || path.endsWith('/') || typeof max !== 'number' || max < 1 || max > 10) {
      return fail(target, path, 'ValidationException', 'Path must start with / and name a hierarchy; MaxResults is 1-10');
    }
    const children = [...parameters.keys()].filter((name) => name.startsWith(`${path}/`) && (body.Recursive === true || !name.slice(path.length + 1).includes('/'))).sort();
    const from = typeof body.NextToken === 'string' ? Number(body.NextToken) : 0;
    const page = children.slice(from, from + max);
    calls.push({ target, path, outcome: 'served' });
    return {
      status: 200,
      body: {
        Parameters: page.map((name) => ({
          Name: name,
          Type: 'String',
          Value: parameters.get(name)!.value,
          Version: parameters.get(name)!.version,
          DataType: 'text',
          ARN: `arn:aws:ssm:eu-west-1:123456789012:parameter${name}`,
          LastModifiedDate: Date.now() / 1000,
        })),
        ...(from + max < children.length ? { NextToken: String(from + max) } : {}),
      },
    };
  }

  const { endpoint, close } = await startAwsJsonEndpoint(serve);

  return {
    endpoint,
    calls,
    put: (name, value) => {
      parameters.set(name, { value, version: (parameters.get(name)?.version ?? 0) + 1 });
    },
    throttleNext: (count) => {
      throttled += count;
    },
    stopThrottling: () => {
      throttled = 0;
    },
    close,
  };
}

/** The path the handler tests' functions read configurations from, as `TRIGGER_CONFIG_PATH`. */
export const TEST_CONFIG_PATH = '/cdk-ml-triggers/test-stack/';

/**
 * A handler as deployed: `{ trigger, event }` becomes what the deployment writes (the trigger's
 * configuration, in the fake SSM under `TEST_CONFIG_PATH`) and what the rule sends (`{ triggerId, event }`).
 * A changed configuration bumps `TRIGGER_CONFIG_VERSION`, as a deployment that changes one does.
 * Any other input reaches the handler unchanged.
 */
export function asDeployed<R>(ssm: FakeSsm, handler: (input: unknown) => Promise<R>): (input: unknown) => Promise<R> {
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
