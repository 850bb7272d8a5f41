import { LambdaClient } from '@aws-sdk/client-lambda';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { CoordinatorClient } from '../../lambda/aws/adapters/coordinator-client';
import { Launchers } from '../../lambda/aws/adapters/launcher';
import { PipelineStarter } from '../../lambda/aws/adapters/pipeline-starter';
import { ScheduledChecker } from '../../lambda/aws/scheduled/checker';
import { parseScheduledCheckConfig } from '../../lambda/core/contracts/scheduled-check';
import { parseFiring } from '../../lambda/core/scheduled-check';
import { asDeployed, TEST_CONFIG_PATH } from '../support/fake-ssm';
import { HandlerServices, quietStdoutPerTest, SERVICES_TIMEOUT } from '../support/handler-harness';
import type { PipelineExecutionStatus } from '../../lib/simulator/endpoints/sagemaker';

jest.setTimeout(SERVICES_TIMEOUT);

type CheckHandler = typeof import('../../lambda/aws/scheduled').handler;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const COORDINATOR = 'check-coordinator';

/** A scheduled check's configuration as deployed: at least every 7 days, checked hourly. */
function check(triggerId: string, extra: Record<string, unknown> = {}) {
  return { triggerId, pipelineName: `pipeline-${triggerId}`, withinSeconds: 7 * 86_400, schedule: 'rate(1 hour)', parameters: { TrainingMode: 'deadline' }, ...extra };
}

/** Scheduler's `<aws.scheduler.scheduled-time>` for a firing `agoMs` before now, on a whole hour. */
function firedAgo(agoMs = 0): string {
  return `${new Date(Math.floor((Date.now() - agoMs) / HOUR) * HOUR).toISOString().slice(0, 19)}Z`;
}

describe('scheduled check function against SageMaker and SSM', () => {
  const coordinatorAnswers: unknown[] = [];
  let services: HandlerServices;
  let handler: (input: unknown) => ReturnType<CheckHandler>;

  beforeAll(async () => {
    services = await HandlerServices.start({
      ssm: true,
      lambda: { [COORDINATOR]: async () => coordinatorAnswers.shift() ?? { start: false, reason: 'withdrawn' } },
      env: { TRIGGER_CONFIG_PATH: TEST_CONFIG_PATH, TRIGGER_CONFIG_VERSION: 'first-deployment' },
    });
    const { handler: lambdaHandler } = await import('../../lambda/aws/scheduled');
    handler = asDeployed(services.ssm, lambdaHandler);
  }, SERVICES_TIMEOUT);
  afterAll(() => services.stop(), SERVICES_TIMEOUT);
  quietStdoutPerTest();

  const runsOf = (triggerId: string) => services.sagemaker.executions.filter((e) => e.pipelineName === `pipeline-${triggerId}`);

  test('skips the firing when the pipeline ran 2 days ago, naming that execution', async () => {
    // Prepare
    const executionArn = services.sagemaker.addPastExecution({ pipelineName: 'pipeline-ran-recently', startedAt: Date.now() - 2 * DAY, status: 'Succeeded' });

    // Act
    const outcome = await handler({ trigger: check('ran-recently'), scheduledTime: firedAgo() });

    // Assess
    expect(outcome).toMatchObject({ status: 'skipped', execution: { executionArn, status: 'Succeeded' } });
    expect(runsOf('ran-recently')).toEqual([]);
  });

  test('starts one run with the static parameters when nothing ran within 7 days', async () => {
    // Prepare
    services.sagemaker.addPastExecution({ pipelineName: 'pipeline-overdue', startedAt: Date.now() - 8 * DAY, status: 'Succeeded' });

    // Act
    const outcome = await handler({ trigger: check('overdue'), scheduledTime: firedAgo() });

    // Assess
    expect(outcome).toMatchObject({ status: 'started', requestId: expect.stringMatching(/^sched#/) });
    expect(runsOf('overdue')).toHaveLength(1);
    expect(runsOf('overdue')[0]).toMatchObject({ parameters: { TrainingMode: 'deadline' }, description: expect.stringMatching(/\[correlation sched:firing#/) });
  });

  test('a duplicate delivery of one firing asks with the same request id and starts one run', async () => {
    // Prepare
    const firing = { trigger: check('duplicate'), scheduledTime: firedAgo() };

    // Act
    const [first, second] = await Promise.all([handler(firing), handler(firing)]);
    const redelivered = await handler(firing);

    // Assess: the one run, which a delivery either started (with the one request id) or found
    expect(runsOf('duplicate')).toHaveLength(1);
    const { executionArn } = runsOf('duplicate')[0];
    const started = [first, second].filter((outcome) => outcome.status === 'started');
    expect(started.length).toBeGreaterThan(0);
    for (const outcome of started) expect(outcome).toEqual({ ...started[0], executionArn });
    for (const outcome of [first, second, redelivered].filter((o) => o.status !== 'started')) {
      expect(outcome).toMatchObject({ status: 'skipped', execution: { executionArn, status: 'Executing' } });
    }
  });

  test('when the listing lags behind a start, a second delivery of the firing asks with the same token and starts nothing new', async () => {
    // Prepare: a look-back that does not see the run yet, the real launcher against SageMaker
    const lagging = { newest: async () => ({ complete: true as const }) };
    const launchers = new Launchers(new PipelineStarter(new SageMakerClient({})), new CoordinatorClient(new LambdaClient({})));
    const checker = new ScheduledChecker({ executions: lagging, launchers, now: () => Date.now() });
    const config = parseScheduledCheckConfig(check('lagging'));
    const firing = parseFiring(firedAgo(), Date.now());
    if (!config.ok || !firing.ok) throw new Error('the fixture does not parse');

    // Act
    const first = await checker.check(config.value, firing.value);
    const second = await checker.check(config.value, firing.value);

    // Assess
    expect(second).toEqual(first);
    expect(services.sagemaker.calls.filter((call) => call.pipelineName === 'pipeline-lagging').map((call) => call.outcome)).toEqual(['started', 'duplicate']);
    expect(runsOf('lagging')).toHaveLength(1);
  });

  test('the next firing of the schedule asks with another request id', async () => {
    // Prepare
    const first = await handler({ trigger: check('next-firing'), scheduledTime: firedAgo(HOUR) });
    services.sagemaker.setStatus(runsOf('next-firing')[0].executionArn, 'Failed', 'AlgorithmError');

    // Act
    const next = await handler({ trigger: check('next-firing'), scheduledTime: firedAgo() });

    // Assess
    expect(next).toMatchObject({ status: 'started' });
    expect((next as { requestId: string }).requestId).not.toEqual((first as { requestId: string }).requestId);
    expect(runsOf('next-firing')).toHaveLength(2);
  });

  test.each<[PipelineExecutionStatus, string]>([
    ['Executing', 'skipped'],
    ['Stopping', 'skipped'],
    ['Succeeded', 'skipped'],
    ['Failed', 'started'],
    ['Stopped', 'started'],
  ])('an execution within the window that is %s: the firing is %s', async (status, expected) => {
    // Prepare
    const triggerId = `only-${status.toLowerCase()}`;
    services.sagemaker.addPastExecution({ pipelineName: `pipeline-${triggerId}`, startedAt: Date.now() - DAY, status });

    // Act
    const outcome = await handler({ trigger: check(triggerId), scheduledTime: firedAgo() });

    // Assess
    expect(outcome).toMatchObject({ status: expected });
    expect(runsOf(triggerId)).toHaveLength(expected === 'started' ? 1 : 0);
  });

  test('pages past newer failed executions to the succeeded one behind them', async () => {
    // Prepare: 130 failures within the last day, behind them a success 3 days ago
    const succeeded = services.sagemaker.addPastExecution({ pipelineName: 'pipeline-paging', startedAt: Date.now() - 3 * DAY, status: 'Succeeded' });
    for (let i = 0; i < 130; i++) services.sagemaker.addPastExecution({ pipelineName: 'pipeline-paging', startedAt: Date.now() - DAY + i * 60_000, status: 'Failed' });

    // Act
    const outcome = await handler({ trigger: check('paging'), scheduledTime: firedAgo() });

    // Assess
    expect(outcome).toMatchObject({ status: 'skipped', execution: { executionArn: succeeded } });
    expect(runsOf('paging')).toEqual([]);
  });

  test('starts nothing, and says so, when more executions than a check reads fall within the window and none counts', async () => {
    // Prepare: 1,001 failures within the last day
    for (let i = 0; i < 1001; i++) services.sagemaker.addPastExecution({ pipelineName: 'pipeline-failing', startedAt: Date.now() - DAY + i * 1000, status: 'Failed' });

    // Act
    const outcome = await handler({ trigger: check('failing'), scheduledTime: firedAgo() });

    // Assess
    expect(outcome).toMatchObject({ status: 'skipped', reason: 'look-back-exhausted', read: 1000 });
    expect(runsOf('failing')).toEqual([]);
  });

  test('through a coordinator: starts what it starts, and withdraws what it would only start later', async () => {
    // Prepare
    const config = check('coordinated', { coordinatorFunction: COORDINATOR, priority: 4 });
    coordinatorAnswers.push({ start: false, reason: 'cooldown', delayUntilMs: Date.now() + HOUR }, { start: false, reason: 'withdrawn' });
    coordinatorAnswers.push({ start: true, reason: 'started', executionArn: 'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/pipeline-coordinated/execution/c1' });
    const asked = services.lambda.invocations.length;

    // Act
    const deferred = await handler({ trigger: config, scheduledTime: firedAgo(HOUR) });
    const started = await handler({ trigger: config, scheduledTime: firedAgo() });

    // Assess
    expect(deferred).toMatchObject({ status: 'withdrawn', reason: 'cooldown' });
    expect(started).toMatchObject({ status: 'started', executionArn: expect.stringMatching(/execution\/c1$/) });
    const payloads = services.lambda.invocations.slice(asked).map((call) => call.payload as { action: string; request?: { requestId: string; priority: number; triggerType: string } });
    expect(payloads.map((p) => p.action)).toEqual(['request', 'withdraw', 'request']);
    expect(payloads[0].request).toMatchObject({ triggerType: 'scheduled', priority: 4 });
    expect(payloads[1]).toMatchObject({ requestId: payloads[0].request!.requestId });
  });

  test('an invocation that names its own pipeline, window or parameters gets the deployed ones', async () => {
    // Prepare
    services.sagemaker.addPastExecution({ pipelineName: 'pipeline-forged-extra', startedAt: Date.now() - 2 * DAY, status: 'Succeeded' });
    const forged = { pipelineName: 'pipeline-attacker', withinSeconds: 60, parameters: { TrainingMode: 'attacker' }, coordinatorFunction: 'attacker' };

    // Act
    const outcome = await handler({ trigger: check('forged-extra'), scheduledTime: firedAgo(), ...forged });

    // Assess: the deployed 7-day window holds the run 2 days ago, and nothing ran anywhere
    expect(outcome).toMatchObject({ status: 'skipped' });
    expect(services.sagemaker.executions.filter((e) => e.pipelineName === 'pipeline-attacker' || e.pipelineName === 'pipeline-forged-extra')).toEqual([]);
  });

  test.each([
    ['an id that names no trigger', { triggerId: 'no-such-trigger', scheduledTime: firedAgo() }, 'triggerId'],
    ['a time in the future', { trigger: check('forged-future'), scheduledTime: firedAgo(-2 * DAY) }, 'scheduledTime'],
    ['a time older than any delivery', { trigger: check('forged-old'), scheduledTime: firedAgo(3 * DAY) }, 'scheduledTime'],
    ['a time that does not exist', { trigger: check('forged-date'), scheduledTime: '2027-02-30T10:00:00Z' }, 'scheduledTime'],
    ['no object', 'start it', 'input'],
  ])('rejects %s naming the field, and starts nothing', async (_name, input, field) => {
    // Prepare
    const before = services.sagemaker.executions.length;

    // Act
    const outcome = await handler(input);

    // Assess
    expect(outcome).toMatchObject({ status: 'rejected', error: { field } });
    expect(services.sagemaker.executions).toHaveLength(before);
  });
});
