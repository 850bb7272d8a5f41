import type { Context } from 'aws-lambda';
import { HandlerShell, JsonSetting, SettingError } from '../../lambda/aws/adapters/handler-shell';
import { accept, isRecord, reject } from '../../lambda/core/result';
import { LOCAL_AWS_ENV, setEnv } from '../support/local-services';

type Line = Record<string, unknown>;

const CONTEXT: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'shell-fn',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:shell-fn',
  memoryLimitInMB: '256',
  awsRequestId: 'request-1',
  logGroupName: '/aws/lambda/shell-fn',
  logStreamName: 'stream',
  getRemainingTimeInMillis: () => 1000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

/** A setting parser that wants `{ limit: <number> }`, and takes an absent setting as limit 5. */
const parseLimit = (value: unknown) => {
  if (value === undefined) return accept({ limit: 5 });
  if (!isRecord(value)) return reject<{ limit: number }>('settings', 'must be an object');
  return typeof value.limit === 'number' ? accept({ limit: value.limit }) : reject<{ limit: number }>('limit', 'must be a number');
};

describe('handler shell', () => {
  let restore: () => void;
  let written: string[];
  const lines = (): Line[] => written.flatMap((chunk) => chunk.split('\n')).filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Line);
  const errors = () => lines().filter((line) => line.level === 'ERROR');
  const emf = () => lines().filter((line) => '_aws' in line);

  beforeAll(() => {
    restore = setEnv({ ...LOCAL_AWS_ENV, POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_METRICS_NAMESPACE: 'ShellTest', AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1' });
  });
  afterAll(() => restore());
  beforeEach(() => {
    written = [];
    // Powertools writes errors to stderr, everything else (EMF included) to stdout.
    for (const stream of [process.stdout, process.stderr]) {
      jest.spyOn(stream, 'write').mockImplementation((chunk) => {
        written.push(String(chunk));
        return true;
      });
    }
  });
  afterEach(() => jest.restoreAllMocks());

  const shell = () =>
    new HandlerShell({ serviceName: 'ShellTest', defaultDimensions: { TriggerType: 'Test' }, rejectionMetric: 'ThingsRejected', rejectionMessage: 'rejected a thing' });

  test('a rejection logs the field and the problem with the context, counts the rejection metric under the default dimensions, and answers the rejected shape', async () => {
    // Prepare
    const subject = shell();
    const handler = subject.handler(async () => subject.reject({ field: 'event.id', problem: 'must be a string' }));

    // Act
    const answer = await handler({}, CONTEXT);

    // Assess
    expect(answer).toEqual({ status: 'rejected', error: { field: 'event.id', problem: 'must be a string' } });
    expect(errors()).toEqual([
      expect.objectContaining({ level: 'ERROR', message: 'rejected a thing', field: 'event.id', problem: 'must be a string', service: 'ShellTest', function_request_id: 'request-1' }),
    ]);
    expect(emf()).toEqual([expect.objectContaining({ ThingsRejected: 1, TriggerType: 'Test', service: 'ShellTest' })]);
  });

  test('an unexpected error is logged and thrown again, and the metrics stored before it are still flushed', async () => {
    // Prepare
    const subject = shell();
    const handler = subject.handler(async () => {
      subject.metrics.addMetric('EventsReceived', 'Count', 1);
      throw new Error('table is gone');
    });

    // Act
    const invocation = handler({}, CONTEXT);

    // Assess
    await expect(invocation).rejects.toThrow('table is gone');
    expect(errors()).toEqual([expect.objectContaining({ level: 'ERROR', message: 'the invocation failed', error: expect.objectContaining({ message: 'table is gone' }) })]);
    expect(emf()).toEqual([expect.objectContaining({ EventsReceived: 1 })]);
  });

  test('a setting that is not JSON is read without throwing, and fails the invocation with an error naming the setting', async () => {
    // Prepare: reading the setting, like a module's initialization, must not throw.
    const subject = shell();
    const setting = new JsonSetting('LIMITS', parseLimit, { LIMITS: '{"limit": 3,' });
    const handler = subject.handler(async () => subject.setting(setting).limit);

    // Act
    const invocation = handler({}, CONTEXT);

    // Assess
    await expect(invocation).rejects.toThrow(SettingError);
    await expect(invocation).rejects.toThrow(/^setting LIMITS is not JSON: /);
    expect(errors()).toEqual([
      expect.objectContaining({ level: 'ERROR', message: 'a setting of the deployment cannot be used', field: 'LIMITS', problem: expect.stringMatching(/^is not JSON: /) }),
    ]);
    expect(emf()).toEqual([]); // not a rejection: the function's Errors metric and its retries report it
  });

  test("a parser's error is named under the setting, an absent setting is the parser's default, and the text is parsed once", () => {
    // Prepare
    let parses = 0;
    const counting = (value: unknown) => {
      parses += 1;
      return parseLimit(value);
    };
    const invalid = new JsonSetting('LIMITS', counting, { LIMITS: '{"limit":"many"}' });
    const notAnObject = new JsonSetting('LIMITS', parseLimit, { LIMITS: '[]' });
    const absent = new JsonSetting('LIMITS', parseLimit, {});
    const blank = new JsonSetting('LIMITS', parseLimit, { LIMITS: ' ' });

    // Act
    const reads = [invalid.read(), invalid.read()];

    // Assess
    expect(reads).toEqual([
      { ok: false, error: { field: 'LIMITS.limit', problem: 'must be a number' } },
      { ok: false, error: { field: 'LIMITS.limit', problem: 'must be a number' } },
    ]);
    expect(parses).toBe(1);
    expect(notAnObject.read()).toEqual({ ok: false, error: { field: 'LIMITS.settings', problem: 'must be an object' } });
    expect(absent.read()).toEqual({ ok: true, value: { limit: 5 } });
    expect(blank.read()).toEqual({ ok: true, value: { limit: 5 } });
  });

  test('the text is taken from the environment when the setting is made, as a module does at initialization', () => {
    // Prepare
    const env: NodeJS.ProcessEnv = { LIMITS: '{"limit":7}' };
    const setting = new JsonSetting('LIMITS', parseLimit, env);

    // Act
    env.LIMITS = '{"limit":8}';

    // Assess
    expect(setting.read()).toEqual({ ok: true, value: { limit: 7 } });
  });
});

describe('handlers deployed with a bad setting', () => {
  beforeEach(() => jest.spyOn(process.stdout, 'write').mockImplementation(() => true));
  afterEach(() => jest.restoreAllMocks());

  /** Loads a handler module fresh, with `env` set while it initializes and while it is invoked. */
  async function invokeWith(module: 'coordinator' | 'drift' | 'guardrail', env: Record<string, string>, input: unknown): Promise<unknown> {
    const restore = setEnv({ ...LOCAL_AWS_ENV, POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_NAMESPACE: 'ShellTest', AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1', ...env });
    try {
      let handler: ((input: unknown) => Promise<unknown>) | undefined;
      await jest.isolateModulesAsync(async () => {
        // Loading is the function's initialization: it must not throw whatever the setting holds.
        ({ handler } = (await import(`../../lambda/aws/${module}`)) as { handler: (input: unknown) => Promise<unknown> });
      });
      return await handler!(input);
    } finally {
      restore();
    }
  }

  test.each([
    ['coordinator', { COORDINATOR_POLICY: '{"minIntervalMs":' }, { action: 'sweep' }, /^setting COORDINATOR_POLICY is not JSON/],
    ['coordinator', { COORDINATOR_POLICY: JSON.stringify({ maxDailyRuns: 'four' }) }, { action: 'sweep' }, /^setting COORDINATOR_POLICY\.\S+ /],
    ['drift', { DRIFT_SETTINGS: '{"triggerId":' }, { Records: [] }, /^setting DRIFT_SETTINGS is not JSON/],
    ['drift', {}, { Records: [] }, /^setting DRIFT_SETTINGS\.settings must be an object/],
    ['guardrail', { GUARDRAIL_DEFAULTS: '{oops' }, {}, /^setting GUARDRAIL_DEFAULTS is not JSON/],
    ['guardrail', { GUARDRAIL_DEFAULTS: JSON.stringify({ maxErrorConcentration: 2 }) }, {}, /^setting GUARDRAIL_DEFAULTS\.maxErrorConcentration must be between 0 and 1, got 2/],
  ] as const)('the %s loads with %j and fails the invocation naming the setting', async (module, env, input, message) => {
    // Act
    const invocation = invokeWith(module, env, input);

    // Assess
    await expect(invocation).rejects.toMatchObject({ name: 'SettingError' }); // the module's own copy of the class
    await expect(invocation).rejects.toThrow(message);
  });
});
