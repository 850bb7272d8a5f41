import { startAwsJsonEndpoint, type AwsJsonReply } from './aws-json';
import type { LocalEndpoint } from './loopback';

/** One request the local SSM received. */
export interface SsmCall {
  /** The `X-Amz-Target` header, e.g. `AmazonSSM.GetParametersByPath`. */
  readonly target: string;
  /** The path asked for (GetParametersByPath). */
  readonly path?: string;
  /** The names asked for (GetParameter, GetParameters). */
  readonly names?: readonly string[];
  readonly outcome: 'served' | 'ValidationException' | 'ThrottlingException' | 'ParameterNotFound' | 'UnknownOperationException';
}

export interface LocalSsmOptions {
  /** @default 'eu-west-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly account?: string;
}

/** A Parameter Store endpoint serving GetParameter, GetParameters, GetParametersByPath and GetParameterHistory over awsJson1_1. */
export interface LocalSsm extends LocalEndpoint {
  readonly calls: readonly SsmCall[];
  /** Writes (or overwrites) a String parameter, as a deployment does. */
  put(name: string, value: string): void;
  /** Answers the next `count` requests with ThrottlingException. */
  throttleNext(count: number): void;
  /** Drops the throttling still queued, so that the next request is served. */
  stopThrottling(): void;
}

interface Body {
  readonly Name?: unknown;
  readonly Names?: unknown;
  readonly Path?: unknown;
  readonly Recursive?: unknown;
  readonly MaxResults?: unknown;
  readonly NextToken?: unknown;
}

type Failure = Exclude<SsmCall['outcome'], 'served'>;

/** Starts a local SSM on an OS-assigned loopback port; point `AWS_ENDPOINT_URL_SSM` at it. */
export async function startLocalSsm(options: LocalSsmOptions = {}): Promise<LocalSsm> {
  const arnPrefix = `arn:aws:ssm:${options.region ?? 'eu-west-1'}:${options.account ?? '123456789012'}:parameter`;
  const parameters = new Map<string, { value: string; version: number; modifiedMs: number }>();
  /** Every version of each parameter, oldest first, as GetParameterHistory reads them (Parameter Store keeps the last 100). */
  const histories = new Map<string, { value: string; version: number; modifiedMs: number }[]>();
  const calls: SsmCall[] = [];
  let throttled = 0;

  const asked = (body: Body): Pick<SsmCall, 'path' | 'names'> => {
    if (typeof body.Path === 'string') return { path: body.Path };
    if (typeof body.Name === 'string') return { names: [body.Name] };
    if (Array.isArray(body.Names)) return { names: body.Names.filter((name): name is string => typeof name === 'string') };
    return {};
  };

  function fail(target: string, body: Body, outcome: Failure, message: string): AwsJsonReply {
    calls.push({ target, ...asked(body), outcome });
    return { status: 400, body: { __type: outcome, message }, error: outcome };
  }

  function served(target: string, body: Body, reply: object): AwsJsonReply {
    calls.push({ target, ...asked(body), outcome: 'served' });
    return { status: 200, body: reply };
  }

  function parameter(name: string): object {
    const { value, version, modifiedMs } = parameters.get(name)!;
    return { Name: name, Type: 'String', Value: value, Version: version, DataType: 'text', ARN: `${arnPrefix}${name}`, LastModifiedDate: modifiedMs / 1000 };
  }

  /** The parameters directly under `Path` (or all below it, `Recursive`), ten at most per page, in name order. */
  function byPath(target: string, body: Body): AwsJsonReply {
    const path = typeof body.Path === 'string' ? body.Path : undefined;
    const max = body.MaxResults ?? 10;
    if (path === undefined || !path.startsWith('/') || path.endsWith('/') || typeof max !== 'number' || max < 1 || max > 10) {
      return fail(target, body, 'ValidationException', 'Path must start with / and name a hierarchy; MaxResults is 1-10');
    }
    const children = [...parameters.keys()]
      .filter((name) => name.startsWith(`${path}/`) && (body.Recursive === true || !name.slice(path.length + 1).includes('/')))
      .sort();
    const from = typeof body.NextToken === 'string' ? Number(body.NextToken) : 0;
    const page = children.slice(from, from + max);
    return served(target, body, {
      Parameters: page.map(parameter),
      ...(from + max < children.length ? { NextToken: String(from + max) } : {}),
    });
  }

  function serve(target: string, rawBody: string): AwsJsonReply {
    let body: Body = {};
    try {
      body = JSON.parse(rawBody || '{}') as Body;
    } catch {
      return fail(target, {}, 'ValidationException', 'Body is not JSON');
    }
    if (throttled > 0) {
      throttled--;
      return fail(target, body, 'ThrottlingException', 'Rate exceeded');
    }
    switch (target) {
      case 'AmazonSSM.GetParametersByPath':
        return byPath(target, body);
      case 'AmazonSSM.GetParameter': {
        if (typeof body.Name !== 'string') return fail(target, body, 'ValidationException', 'Name is required');
        if (!parameters.has(body.Name)) return fail(target, body, 'ParameterNotFound', `Parameter ${body.Name} not found.`);
        return served(target, body, { Parameter: parameter(body.Name) });
      }
      case 'AmazonSSM.GetParameters': {
        const names = asked(body).names ?? [];
        if (names.length < 1 || names.length > 10) return fail(target, body, 'ValidationException', 'Names holds 1 to 10 names');
        return served(target, body, {
          Parameters: names.filter((name) => parameters.has(name)).map(parameter),
          InvalidParameters: names.filter((name) => !parameters.has(name)),
        });
      }
      case 'AmazonSSM.GetParameterHistory': {
        if (typeof body.Name !== 'string') return fail(target, body, 'ValidationException', 'Name is required');
        const history = histories.get(body.Name);
        if (!history) return fail(target, body, 'ParameterNotFound', `Parameter ${body.Name} not found.`);
        const max = body.MaxResults ?? 50;
        if (typeof max !== 'number' || max < 1 || max > 50) return fail(target, body, 'ValidationException', 'MaxResults is 1-50');
        const from = typeof body.NextToken === 'string' ? Number(body.NextToken) : 0;
        return served(target, body, {
          Parameters: history.slice(from, from + max).map(({ value, version, modifiedMs }) => ({
            Name: body.Name, Type: 'String', Value: value, Version: version, DataType: 'text', LastModifiedDate: modifiedMs / 1000, Tier: 'Standard', Labels: [], Policies: [],
          })),
          ...(from + max < history.length ? { NextToken: String(from + max) } : {}),
        });
      }
      default:
        return fail(target, body, 'UnknownOperationException', `Unknown operation ${target}`);
    }
  }

  const { endpoint, close } = await startAwsJsonEndpoint(serve);

  return {
    endpoint,
    calls,
    put: (name, value) => {
      const written = { value, version: (parameters.get(name)?.version ?? 0) + 1, modifiedMs: Date.now() };
      parameters.set(name, written);
      const history = histories.get(name) ?? [];
      history.push(written);
      histories.set(name, history.slice(-100));
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
