import { startLocalLambda, UnknownFunctionError, type LocalLambda } from '../../lib/simulator/endpoints/lambda';
import type { LocalEndpoint } from '../../lib/simulator/endpoints/loopback';
import { startLocalSns, type LocalSns } from '../../lib/simulator/endpoints/sns';

export type InvokedFunction = (payload: unknown) => Promise<unknown>;

/** An invocation the test's Lambda stand-in ran: the function's name and its payload. */
export interface TestInvocation {
  readonly name: string;
  readonly payload: unknown;
}

/**
 * The simulator's local Lambda, running registered functions in this process, so the real SDK client reaches
 * them through AWS_ENDPOINT_URL_LAMBDA. A function that throws answers like Lambda: status 200 with
 * `X-Amz-Function-Error: Unhandled`.
 */
export async function startFakeLambda(
  functions: Readonly<Record<string, InvokedFunction>>,
): Promise<LocalEndpoint & { invocations: TestInvocation[]; readonly local: LocalLambda }> {
  const invocations: TestInvocation[] = [];
  const local = await startLocalLambda(async (name, payload) => {
    const fn = Object.prototype.hasOwnProperty.call(functions, name) ? functions[name] : undefined;
    if (!fn) throw new UnknownFunctionError(name);
    invocations.push({ name, payload });
    try {
      return { payload: await fn(payload) };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  });
  return { endpoint: local.endpoint, close: local.close, invocations, local };
}

/** The simulator's local SNS, recording each published message and delivering it nowhere. */
export function startFakeSns(): Promise<LocalSns> {
  return startLocalSns();
}
