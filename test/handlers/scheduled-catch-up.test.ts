import { LambdaClient } from '@aws-sdk/client-lambda';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { GetParameterHistoryCommand, GetParametersByPathCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { CoordinatorClient } from '../../lambda/aws/adapters/coordinator-client';
import { Launchers } from '../../lambda/aws/adapters/launcher';
import { PipelineStarter } from '../../lambda/aws/adapters/pipeline-starter';
import { ConfigurationHistory } from '../../lambda/aws/adapters/configuration-history';
import { ScheduledCatchUp, type FollowedTrigger } from '../../lambda/aws/scheduled/catch-up';
import type { CatchUpResult } from '../../lambda/aws/scheduled';
import { RecentExecutions } from '../../lambda/aws/scheduled/recent-executions';
import { parseScheduledCheckConfig } from '../../lambda/core/contracts/scheduled-check';
import { asDeployed, TEST_CONFIG_PATH } from '../support/fake-ssm';
import { HandlerServices, quietStdoutPerTest, SERVICES_TIMEOUT } from '../support/handler-harness';

jest.setTimeout(SERVICES_TIMEOUT);

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const COORDINATOR = 'catch-up-coordinator';

/**
 * Parameter Store's side, as a deployment leaves it: every version of each configuration parameter under
 * the path with when it was written. The local SageMaker is real; this keeps the history's times in the test's hands.
 */
class ConfigurationVersions implements Pick<SSMClient, 'send'> {
  private readonly parameters = new Map<string, { value: string; atMs: number }[]>();

  write(name: string, configs: Record<string, unknown>, atMs: number): void {
    this.parameters.set(name, [...(this.parameters.get(name) ?? []), { value: JSON.stringify(configs), atMs }]);
  }

  current(): Map<string, ReturnType<typeof parseScheduledCheckConfig>> {
    const configs = new Map<string, ReturnType<typeof parseScheduledCheckConfig>>();
    for (const versions of this.parameters.values()) {
      for (const [triggerId, config] of Object.entries(JSON.parse(versions[versions.length - 1].value))) configs.set(triggerId, parseScheduledCheckConfig(config));
    }
    return configs;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK's overloaded send, answered per command
  send = (async (command: unknown): Promise<any> => {
    if (command instanceof GetParametersByPathCommand) {
      const names = [...this.parameters.keys()].filter((name) => name.startsWith(`${command.input.Path}/`));
      return { Parameters: names.map((Name) => ({ Name, Value: this.parameters.get(Name)!.at(-1)!.value })) };
    }
    if (command instanceof GetParameterHistoryCommand) {
      const versions = this.parameters.get(command.input.Name!) ?? [];
      return { Parameters: versions.map(({ value, atMs }, index) => ({ Name: command.input.Name, Value: value, Version: index + 1, LastModifiedDate: new Date(atMs) })) };
    }
    throw new Error(`unexpected command ${(command as object).constructor.name}`);
  }) as Pick<SSMClient, 'send'>['send'];
}

/** A nightly trigger's configuration in Berlin as the deployment writes it, with its catch-up. */
function nightly(triggerId: string, enabled: boolean, extra: Record<string, unknown> = {}) {
  return {
    triggerId,
    pipelineName: `pipeline-${triggerId}`,
    schedule: 'cron(0 3 * * ? *)',
    parameters: { TrainingMode: 'scheduled' },
    ...(enabled ? {} : { enabled: false }),
    whenReEnabled: { mode: 'catch-up', maxAgeSeconds: 7 * 86_400, timeZone: 'Europe/Berlin' },
    ...extra,
  };
}

/** A trigger that was off from `disabledAgoMs` until `enabledAgoMs` before now, each change its own deployment. */
function offThenOn(ssm: ConfigurationVersions, triggerId: string, disabledAgoMs: number, enabledAgoMs: number, extra: Record<string, unknown> = {}): void {
  const name = `${TEST_CONFIG_PATH}configs-${triggerId}`;
  const now = Date.now();
  ssm.write(name, { [triggerId]: nightly(triggerId, true, extra) }, now - 30 * 86_400_000);
  ssm.write(name, { [triggerId]: nightly(triggerId, false, extra) }, now - disabledAgoMs);
  ssm.write(name, { [triggerId]: nightly(triggerId, true, extra) }, now - enabledAgoMs);
}

function outcomeOf(followed: readonly FollowedTrigger[], triggerId: string) {
  const found = followed.find((trigger) => trigger.triggerId === triggerId);
  if (!found || !('outcome' in found)) throw new Error(`no outcome for ${triggerId}: ${JSON.stringify(found)}`);
  return found.outcome;
}

describe('scheduled catch-up against SageMaker', () => {
  const coordinatorAnswers: unknown[] = [];
  let services: HandlerServices;
  let handler: typeof import('../../lambda/aws/scheduled').handler;

  beforeAll(async () => {
    services = await HandlerServices.start({
      ssm: true,
      lambda: { [COORDINATOR]: async () => coordinatorAnswers.shift() ?? { start: false, reason: 'cooldown' } },
      env: { TRIGGER_CONFIG_PATH: TEST_CONFIG_PATH, TRIGGER_CONFIG_VERSION: 'catch-up-deployment' },
    });
    ({ handler } = await import('../../lambda/aws/scheduled'));
  }, SERVICES_TIMEOUT);
  afterAll(() => services.stop(), SERVICES_TIMEOUT);
  quietStdoutPerTest();

  const runsOf = (triggerId: string) => services.sagemaker.executions.filter((e) => e.pipelineName === `pipeline-${triggerId}`);

  function catchUpWith(ssm: ConfigurationVersions): ScheduledCatchUp {
    const launchers = new Launchers(new PipelineStarter(new SageMakerClient({})), new CoordinatorClient(new LambdaClient({})));
    const history = new ConfigurationHistory(ssm, () => ({ path: TEST_CONFIG_PATH, version: 'catch-up-deployment' }));
    return new ScheduledCatchUp({ history, executions: new RecentExecutions(new SageMakerClient({})), launchers, now: () => Date.now() });
  }

  test('starts one run for the nights missed over three days, however often and however concurrently the change is delivered', async () => {
    // Prepare: off for three days, on again a minute ago: two or three nights missed, by the time of day
    const ssm = new ConfigurationVersions();
    offThenOn(ssm, 'three-nights', 3 * 86_400_000, MINUTE);
    const catchUp = catchUpWith(ssm);

    // Act
    const [first, second] = await Promise.all([catchUp.follow(ssm.current()), catchUp.follow(ssm.current())]);
    const redelivered = await catchUp.follow(ssm.current());

    // Assess
    expect(runsOf('three-nights')).toHaveLength(1);
    const run = runsOf('three-nights')[0];
    expect(run).toMatchObject({ parameters: { TrainingMode: 'scheduled' }, description: expect.stringMatching(/catch-up of schedule cron\(0 3 \* \* \? \*\): missed firing .* \(latest of [23]\)/) });
    const outcomes = [first, second, redelivered].map((followed) => outcomeOf(followed, 'three-nights'));
    for (const outcome of outcomes) expect(['started', 'not-needed']).toContain(outcome.status);
    expect(outcomes.filter((outcome) => outcome.status === 'started').map((outcome) => 'executionArn' in outcome && outcome.executionArn)).toContain(run.executionArn);
    expect(outcomeOf(redelivered, 'three-nights')).toMatchObject({ status: 'not-needed', execution: { executionArn: run.executionArn } });
  });

  test('starts nothing when an execution started after the latest missed firing, naming it', async () => {
    // Prepare: off for two days; the pipeline ran (by hand) half a minute ago, after any firing missed until a minute ago
    const ssm = new ConfigurationVersions();
    offThenOn(ssm, 'ran-since', 2 * 86_400_000, MINUTE);
    const executionArn = services.sagemaker.addPastExecution({ pipelineName: 'pipeline-ran-since', startedAt: Date.now() - 30_000, status: 'Succeeded' });

    // Act
    const outcome = outcomeOf(await catchUpWith(ssm).follow(ssm.current()), 'ran-since');

    // Assess
    expect(outcome).toMatchObject({ status: 'not-needed', execution: { executionArn, status: 'Succeeded' } });
    expect(runsOf('ran-since')).toEqual([]);
  });

  test('starts nothing when no firing fell while the trigger was off', async () => {
    // Prepare: a daily rate off for two hours, less than its interval
    const ssm = new ConfigurationVersions();
    offThenOn(ssm, 'nothing-missed', 2 * HOUR, MINUTE, { schedule: 'rate(1 day)' });

    // Act
    const outcome = outcomeOf(await catchUpWith(ssm).follow(ssm.current()), 'nothing-missed');

    // Assess
    expect(outcome).toMatchObject({ status: 'nothing', reason: 'nothing-missed' });
    expect(runsOf('nothing-missed')).toEqual([]);
  });

  test('does nothing when the trigger was disabled again before the change was seen', async () => {
    // Prepare
    const ssm = new ConfigurationVersions();
    offThenOn(ssm, 'off-again', 3 * 86_400_000, 2 * MINUTE);
    ssm.write(`${TEST_CONFIG_PATH}configs-off-again`, { 'off-again': nightly('off-again', false) }, Date.now() - MINUTE);

    // Act
    const outcome = outcomeOf(await catchUpWith(ssm).follow(ssm.current()), 'off-again');

    // Assess
    expect(outcome).toEqual({ status: 'nothing', reason: 'still-disabled' });
    expect(runsOf('off-again')).toEqual([]);
  });

  test('behind a coordinator, asks it like a firing: triggerType scheduled, a reason naming the catch-up and the missed firing', async () => {
    // Prepare
    const ssm = new ConfigurationVersions();
    offThenOn(ssm, 'coordinated', 2 * 86_400_000, MINUTE, { coordinatorFunction: COORDINATOR, priority: 2 });
    coordinatorAnswers.push({ start: false, reason: 'cooldown', delayUntilMs: Date.now() + HOUR });
    const asked = services.lambda.invocations.length;

    // Act
    const outcome = outcomeOf(await catchUpWith(ssm).follow(ssm.current()), 'coordinated');

    // Assess: the coordinator keeps the request, and nothing withdraws it
    const payloads = services.lambda.invocations.slice(asked).map((call) => call.payload as { action: string; request: { triggerType: string; reason: string; priority: number; requestId: string } });
    expect(payloads).toHaveLength(1);
    expect(payloads[0]).toMatchObject({ action: 'request', request: { triggerType: 'scheduled', priority: 2, reason: expect.stringMatching(/^catch-up of schedule .*: missed firing \d{4}-/) } });
    expect(outcome).toMatchObject({ status: 'deferred', reason: 'cooldown', requestId: payloads[0].request.requestId });
    expect(runsOf('coordinated')).toEqual([]);
  });

  test("the rule's fixed input reads the configurations and their history from Parameter Store, and starts nothing a moment's disabling did not miss", async () => {
    // Prepare: the deployment wrote the trigger off, then on again (real SSM client, local Parameter Store)
    const name = `${TEST_CONFIG_PATH}configs-deployed`;
    services.ssm.put(name, JSON.stringify({ deployed: nightly('deployed', false, { schedule: 'rate(1 day)' }) }));
    services.ssm.put(name, JSON.stringify({ deployed: nightly('deployed', true, { schedule: 'rate(1 day)' }) }));

    // Act
    const outcome = await handler({ configurationChanged: 'read-the-configurations' });

    // Assess
    expect(outcome).toMatchObject({ status: 'configurations-followed' });
    const followed = (outcome as CatchUpResult).configurationChanged;
    expect(outcomeOf(followed, 'deployed')).toMatchObject({ status: 'nothing', reason: 'nothing-missed' });
    expect(services.ssm.calls.some((call) => call.target === 'AmazonSSM.GetParameterHistory' && call.names?.includes(name))).toBe(true);
    expect(runsOf('deployed')).toEqual([]);
  });

  test('a firing naming a trigger written only for its catch-up is refused: its schedule starts its runs itself', async () => {
    // Prepare
    const runs = services.sagemaker.executions.length;

    // Act
    const outcome = await asDeployed(services.ssm, handler)({ trigger: nightly('catch-up-only', true), scheduledTime: `${new Date().toISOString().slice(0, 19)}Z` });

    // Assess
    expect(outcome).toMatchObject({ status: 'rejected', error: { field: 'triggerId', problem: expect.stringContaining('has no check') } });
    expect(services.sagemaker.executions).toHaveLength(runs);
  });

  test.each([
    ['another value', { configurationChanged: 'start-everything' }],
    ['an extra field', { configurationChanged: 'read-the-configurations', triggerId: 'three-nights', disabledAt: '2020-01-01T00:00:00Z' }],
    ['a forged trigger', { trigger: nightly('forged', true), configurationChanged: 'read-the-configurations' }],
  ])('an invocation with %s is no configuration change: it is refused and starts nothing', async (_what, input) => {
    // Prepare
    const runs = services.sagemaker.executions.length;
    const ssmCalls = services.ssm.calls.filter((call) => call.target === 'AmazonSSM.GetParameterHistory').length;

    // Act
    const outcome = await handler(input);

    // Assess
    expect(outcome).toMatchObject({ status: 'rejected' });
    expect(services.sagemaker.executions).toHaveLength(runs);
    expect(services.ssm.calls.filter((call) => call.target === 'AmazonSSM.GetParameterHistory')).toHaveLength(ssmCalls);
  });
});
