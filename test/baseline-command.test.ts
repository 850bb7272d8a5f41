import { main as cli } from '../lib/cli';
import { startFakeLambda } from './support/fake-aws-endpoints';
import { LOCAL_AWS_ENV, setEnv } from './support/local-services';

jest.setTimeout(60_000);

describe('cdk-ml-triggers baseline', () => {
  const built = { sourceEtag: '"abc"', rows: 2000, features: 4, approximate: [] };
  let lambda: Awaited<ReturnType<typeof startFakeLambda>>;
  let restore: () => void;

  beforeAll(async () => {
    lambda = await startFakeLambda({
      'churn-monitor': async () => built,
      'refusing-monitor': async () => ({ status: 'rejected', error: { field: 'action', problem: 'must be one of the monitor\'s' } }),
    });
    restore = setEnv({ ...LOCAL_AWS_ENV, AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint, AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1' });
  }, 60_000);
  afterAll(async () => {
    restore();
    await lambda.close();
  }, 60_000);

  const run = async (...args: string[]) => {
    const output: string[] = [];
    const errors: string[] = [];
    const code = await cli(['baseline', ...args], (line) => output.push(line), () => 0, (line) => errors.push(line));
    return { code, output, errors };
  };

  test("asks the monitor's function to build its baseline again and prints what it read", async () => {
    // Act
    const { code, output } = await run('--function', 'churn-monitor');

    // Assess: the function was sent the baseline action and nothing else.
    expect(code).toBe(0);
    expect(JSON.parse(output.join('\n'))).toEqual(built);
    expect(lambda.invocations.at(-1)).toEqual({ name: 'churn-monitor', payload: { action: 'baseline' } });
  });

  test('exits 1 when the function refuses', async () => {
    // Act
    const { code } = await run('--function', 'refusing-monitor');

    // Assess
    expect(code).toBe(1);
  });

  test('without --function it is a usage error, and nothing is invoked', async () => {
    // Prepare
    const before = lambda.invocations.length;

    // Act
    const { code, errors } = await run();

    // Assess
    expect(code).toBe(2);
    expect(errors.join('\n')).toMatch(/^error: --function is required\nusage: cdk-ml-triggers baseline --function/);
    expect(lambda.invocations.length).toBe(before);
  });
});
