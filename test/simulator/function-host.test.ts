import * as fs from 'node:fs';
import * as path from 'node:path';
import { VirtualClock } from '../../lib/simulator/clock';
import { startLocalLambda, UnknownFunctionError, type LocalLambda } from '../../lib/simulator/endpoints/lambda';
import { FunctionHost, type HostedFunction } from '../../lib/simulator/function-host';
import { LOCAL_SERVICE_TIMEOUT } from '../support/local-services';
import { REPO_ROOT } from '../support/repository-boundary';
import { withTempDir } from '../support/temp-dir';

jest.setTimeout(LOCAL_SERVICE_TIMEOUT);

/** Bundle-like CommonJS files: each reads its environment at module scope, as a bundled handler's clients do. */
const BUNDLE: Readonly<Record<string, string>> = {
  'index.js': `
    const greeting = process.env.GREETING;
    let calls = 0;
    exports.handler = async (event, context) => {
      calls += 1;
      return { greeting, calls, event, seen: process.env.GREETING, functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
        requestId: context.awsRequestId, hostOnly: process.env.HOST_ONLY ?? null };
    };`,
  'chain.js': `
    const { InvokeCommand, LambdaClient } = require('@aws-sdk/client-lambda');
    const client = new LambdaClient({});
    exports.handler = async (event) => {
      if (!event.next) return { role: process.env.ROLE };
      const output = await client.send(new InvokeCommand({ FunctionName: event.next, Payload: JSON.stringify({}) }));
      return { inner: JSON.parse(Buffer.from(output.Payload).toString('utf8')), outerAfter: process.env.ROLE };
    };`,
  'failing.js': `
    exports.handler = async (event) => { if (event.fail) throw new TypeError('the event has no records'); return 'ok'; };
    exports.callbackHandler = (event, context, callback) => callback(new RangeError('callback failure'));`,
  'clock.js': `
    exports.handler = async (event, context) =>
      ({ now: Date.now(), iso: new Date().toISOString(), remaining: context.getRemainingTimeInMillis() });`,
};

describe('FunctionHost', () => {
  let codeDir = '';
  withTempDir('function-host-', (dir) => {
    codeDir = dir;
    for (const [file, source] of Object.entries(BUNDLE)) fs.writeFileSync(path.join(dir, file), source);
    // An unbundled function finds its SDK in node_modules beside its code.
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  }, 'all');

  const fn = (functionName: string, handler: string, environment: Record<string, string> = {}): HostedFunction =>
    ({ functionName, codeDir, handler, environment, timeoutSeconds: 30 });

  test('loads one bundle as a separate module for each function, each with its own environment and state', async () => {
    // Prepare
    const host = new FunctionHost();
    host.add(fn('english', 'index.handler', { GREETING: 'hello' }));
    host.add(fn('french', 'index.handler', { GREETING: 'bonjour' }));

    // Act
    const first = await host.invoke('english', { n: 1 });
    const second = await host.invoke('english', { n: 2 });
    const french = await host.invoke('french', { n: 3 });

    // Assess
    expect(first.result).toMatchObject({ greeting: 'hello', calls: 1, seen: 'hello', functionName: 'english', event: { n: 1 } });
    expect(second.result).toMatchObject({ greeting: 'hello', calls: 2 });
    expect(french.result).toMatchObject({ greeting: 'bonjour', calls: 1, seen: 'bonjour', functionName: 'french' });
  });

  test("runs the handler with exactly the function's environment and puts the caller's back afterwards", async () => {
    // Prepare
    const host = new FunctionHost({ environment: { AWS_ENDPOINT_URL_SNS: 'http://127.0.0.1:1' } });
    host.add(fn('english', 'index.handler', { GREETING: 'hello' }));
    process.env.HOST_ONLY = 'the caller';
    const before = { ...process.env };

    try {
      // Act
      const outcome = await host.invoke('english', {});

      // Assess
      expect(outcome.result).toMatchObject({ hostOnly: null, seen: 'hello' });
      expect(process.env).toEqual(before);
      expect(host.environmentOf('english')).toMatchObject({
        GREETING: 'hello', AWS_LAMBDA_FUNCTION_NAME: 'english', AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'S3RVER',
        POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1', AWS_ENDPOINT_URL_SNS: 'http://127.0.0.1:1',
      });
    } finally {
      delete process.env.HOST_ONLY;
    }
  });

  describe('with the local Lambda endpoint routing Invoke back into the host', () => {
    let lambda: LocalLambda | undefined;
    let host: FunctionHost;
    beforeEach(async () => {
      lambda = await startLocalLambda(async (name, payload) => {
        const { result, error } = await host.invoke(name, payload);
        return error ? { error: error.message, errorType: error.type } : { payload: result };
      });
      host = new FunctionHost({ environment: { AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint } });
    }, LOCAL_SERVICE_TIMEOUT);
    afterEach(() => lambda?.close(), LOCAL_SERVICE_TIMEOUT);

    test("runs a nested invocation with the inner function's environment and gives the outer its own back", async () => {
      // Prepare
      host.add(fn('outer', 'chain.handler', { ROLE: 'outer' }));
      host.add(fn('inner', 'chain.handler', { ROLE: 'inner' }));
      const before = { ...process.env };

      // Act
      const outcome = await host.invoke('outer', { next: 'inner' });

      // Assess
      expect(outcome).toEqual({ result: { inner: { role: 'inner' }, outerAfter: 'outer' } });
      expect(lambda?.invocations).toEqual([{ functionName: 'inner', invocationType: 'RequestResponse', payload: {} }]);
      expect(process.env).toEqual(before);
    });

    test("answers an inner function's failure as Lambda does, without failing the outer one", async () => {
      // Prepare
      host.add(fn('outer', 'chain.handler', { ROLE: 'outer' }));
      host.add(fn('inner', 'failing.callbackHandler'));

      // Act
      const outcome = await host.invoke('outer', { next: 'inner' });

      // Assess
      expect(outcome.result).toEqual({ inner: { errorType: 'RangeError', errorMessage: 'callback failure' }, outerAfter: 'outer' });
    });
  });

  test('gives what a handler throws as its error and keeps serving invocations', async () => {
    // Prepare
    const host = new FunctionHost();
    host.add(fn('strict', 'failing.handler'));
    host.add(fn('callback', 'failing.callbackHandler'));
    host.add(fn('missing', 'failing.absent'));

    // Act
    const thrown = await host.invoke('strict', { fail: true });
    const calledBack = await host.invoke('callback', {});
    const missing = await host.invoke('missing', {});
    const served = await host.invoke('strict', {});

    // Assess
    expect(thrown).toEqual({ error: { type: 'TypeError', message: 'the event has no records' } });
    expect(calledBack).toEqual({ error: { type: 'RangeError', message: 'callback failure' } });
    expect(missing).toEqual({ error: { type: 'Runtime.HandlerNotFound', message: 'failing.absent is undefined or not exported' } });
    expect(served).toEqual({ result: 'ok' });
  });

  test('refuses a function it does not host with UnknownFunctionError', async () => {
    // Prepare
    const host = new FunctionHost();

    // Act
    const invoking = host.invoke('nobody', {});

    // Assess
    await expect(invoking).rejects.toThrow(UnknownFunctionError);
  });

  test('gives each invocation the next request id', async () => {
    // Prepare
    const host = new FunctionHost();
    host.add(fn('english', 'index.handler'));

    // Act
    const ids = [(await host.invoke('english', {})).result, (await host.invoke('english', {})).result].map((r) => (r as { requestId: string }).requestId);

    // Assess
    expect(ids).toEqual(['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002']);
  });

  test("shows a handler the virtual clock's time and measures its deadline in it", async () => {
    // Prepare
    const clock = new VirtualClock(Date.UTC(2024, 0, 15, 12));
    const host = new FunctionHost({ now: () => clock.now() });
    host.add(fn('clock', 'clock.handler'));
    clock.install();

    try {
      // Act
      const outcome = await host.invoke('clock', {});

      // Assess
      expect(outcome).toEqual({ result: { now: Date.UTC(2024, 0, 15, 12), iso: '2024-01-15T12:00:00.000Z', remaining: 30_000 } });
    } finally {
      clock.uninstall();
    }
  });
});
