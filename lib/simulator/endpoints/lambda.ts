import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback, once, readBody, type LocalEndpoint } from './loopback';

/** Lambda's `X-Amz-Invocation-Type`: wait for the result, queue the event, or only check the call. */
export type InvocationType = 'RequestResponse' | 'Event' | 'DryRun';

/** What a function answered: its result, or the message (and type) of what it threw. */
export interface InvocationResult {
  readonly payload?: unknown;
  readonly error?: string;
  /** @default 'Error' */
  readonly errorType?: string;
}

/**
 * Runs one invocation of the named function (a name, never an ARN or a qualified name). An `Event` invocation
 * is answered 202 once this resolves, so the callback decides whether it runs now or is queued for later.
 * Throw `UnknownFunctionError` for a function that does not exist.
 */
export type InvokeFunction = (functionName: string, payload: unknown, invocationType: InvocationType) => Promise<InvocationResult>;

/** Thrown by an `InvokeFunction` for a function it does not know; the caller gets ResourceNotFoundException. */
export class UnknownFunctionError extends Error {
  constructor(readonly functionName: string) {
    super(`Function not found: ${functionName}`);
    this.name = 'UnknownFunctionError';
  }
}

export interface RecordedInvocation {
  readonly functionName: string;
  readonly invocationType: InvocationType;
  readonly payload: unknown;
}

/** Lambda's Invoke API on 127.0.0.1, handing each invocation to a callback and recording it. */
export interface LocalLambda extends LocalEndpoint {
  readonly invocations: readonly RecordedInvocation[];
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations(?:\?.*)?$/;
const INVOCATION_TYPES: readonly string[] = ['RequestResponse', 'Event', 'DryRun'];

/**
 * Starts Lambda's Invoke API (REST JSON: POST /2015-03-31/functions/{name}/invocations) on an OS-assigned
 * loopback port; point `AWS_ENDPOINT_URL_LAMBDA` at it. A function that throws is answered as Lambda answers
 * it: status 200 with `X-Amz-Function-Error: Unhandled` and `{ errorType, errorMessage }`.
 */
export async function startLocalLambda(invoke: InvokeFunction): Promise<LocalLambda> {
  const invocations: RecordedInvocation[] = [];

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      const text = body === undefined ? '' : JSON.stringify(body);
      response.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
      response.end(text);
    };
    const fail = (status: number, type: string, message: string): void =>
      reply(status, { Type: status < 500 ? 'User' : 'Service', message }, { 'x-amzn-errortype': type });

    const text = await readBody(request);
    const match = request.method === 'POST' ? INVOKE_PATH.exec(request.url ?? '') : null;
    if (!match) return fail(404, 'UnknownOperationException', `Unknown operation ${request.method} ${request.url}`);
    const functionName = functionNameOf(decodeURIComponent(match[1]));
    const invocationType = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (!INVOCATION_TYPES.includes(invocationType)) return fail(400, 'InvalidParameterValueException', `Invalid InvocationType ${invocationType}`);
    let payload: unknown;
    try {
      payload = text === '' ? null : JSON.parse(text);
    } catch {
      return fail(400, 'InvalidRequestContentException', 'Could not parse request body into json');
    }
    if (invocationType === 'DryRun') return reply(204, undefined);

    const recorded: RecordedInvocation = { functionName, invocationType: invocationType as InvocationType, payload };
    invocations.push(recorded);
    let result: InvocationResult;
    try {
      result = await invoke(functionName, payload, recorded.invocationType);
    } catch (error) {
      if (error instanceof UnknownFunctionError) {
        invocations.splice(invocations.indexOf(recorded), 1);
        return fail(404, 'ResourceNotFoundException', error.message);
      }
      return fail(500, 'ServiceException', error instanceof Error ? error.message : String(error));
    }
    if (invocationType === 'Event') return reply(202, undefined);
    if (result.error !== undefined) {
      const failure = { errorType: result.errorType ?? 'Error', errorMessage: result.error };
      return reply(200, failure, { 'x-amz-function-error': 'Unhandled', 'x-amz-executed-version': '$LATEST' });
    }
    return reply(200, result.payload ?? null, { 'x-amz-executed-version': '$LATEST' });
  }

  const server = createServer((request, response) => void answer(request, response));
  const endpoint = await listenOnLoopback(server);
  return { endpoint, invocations, close: once(() => closeServer(server)) };
}

/** The function's name from a name, a partial ARN or an ARN, each with or without a qualifier. */
export function functionNameOf(nameOrArn: string): string {
  return /^(?:arn:[^:]+:lambda:[^:]*:\d{12}:function:|\d{12}:function:)?([^:]+)/.exec(nameOrArn)?.[1] ?? nameOrArn;
}
