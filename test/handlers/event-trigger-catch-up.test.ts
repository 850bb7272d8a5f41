import { spawnSync } from 'node:child_process';
import { GetParameterHistoryCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CONFIGURATION_CHANGED } from '../../lambda/core/contracts/re-enable';
import type { EventCatchUpJson } from '../../lambda/core/contracts/event-catch-up';
import { EVENT_CATCH_UP_LIMITS } from '../../lambda/core/contracts/event-catch-up';
import { replayName } from '../../lambda/core/event-catch-up';
import { startLocalEventReplays, type LocalEventReplays } from '../../lib/simulator/endpoints/event-replays';
import { deploy } from '../support/handler-deployment';
import { TEST_CONFIG_PATH } from '../support/fake-ssm';
import { quietStdoutPerTest, running, SERVICES_TIMEOUT } from '../support/handler-harness';
import { busEvent, EventTriggerWorld, HOUR, trigger } from '../support/handler-event-triggers';

jest.setTimeout(SERVICES_TIMEOUT);

const ACCOUNT = 'arn:aws:events:eu-west-1:123456789012';

/** A catching-up trigger's configuration as deployed, on (or `enabled: false`). */
function catchingUp(triggerId: string, catchUp: Partial<EventCatchUpJson> = {}, extra: Record<string, unknown> = {}) {
  const whenReEnabled: EventCatchUpJson = {
    mode: 'catch-up',
    maxEvents: 100,
    maxAgeSeconds: 86_400,
    archiveArn: `${ACCOUNT}:archive/churn-archive`,
    busArn: `${ACCOUNT}:event-bus/ml-triggers.churn.main`,
    ruleArn: `${ACCOUNT}:rule/ml-triggers.churn.main/mle-${triggerId}`,
    ...catchUp,
  };
  return { ...trigger(triggerId, { parameters: { ModelId: "{{ event.model_id | default: 'none' }}" }, ...extra }), whenReEnabled };
}

/** A replayed copy of a bus event: the same id and time, and the replay's name. */
const replayed = (event: ReturnType<typeof busEvent>, replay: string) => ({ ...event, 'replay-name': replay });

/** botocore's report on a StartReplay request body as sent: an empty string when it would accept it. */
function startReplayProblems(body: unknown): string {
  const script = `
import json, sys
import botocore.session, botocore.validate
shape = botocore.session.get_session().get_service_model('events').operation_model('StartReplay').input_shape
print(json.dumps(botocore.validate.ParamValidator().validate(json.load(sys.stdin), shape).generate_report()))
`;
  const run = spawnSync('python3', ['-c', script], { input: JSON.stringify(body), encoding: 'utf8', timeout: 55_000 });
  if (run.status !== 0) throw new Error(`python3 with botocore failed: ${run.stderr || run.error?.message}`);
  return JSON.parse(run.stdout) as string;
}

describe('event trigger function catching up on re-enable, against DynamoDB (dynalite), SSM and EventBridge stand-ins', () => {
  let replays: LocalEventReplays;
  let restoreEndpoint: string | undefined;
  /** DescribeRule's answer by rule name; ENABLED for a rule not listed. */
  const ruleStates = new Map<string, string>();
  beforeAll(async () => {
    replays = await startLocalEventReplays({ ruleState: (_bus, name) => ruleStates.get(name) ?? 'ENABLED' });
    restoreEndpoint = process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
    process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = replays.endpoint;
  }, SERVICES_TIMEOUT);
  afterAll(async () => {
    if (restoreEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
    else process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = restoreEndpoint;
    await replays.close();
  }, SERVICES_TIMEOUT);
  const world = running(new EventTriggerWorld());
  quietStdoutPerTest();

  /** Deploys the trigger on, off, and on again, a few milliseconds apart: the off time is when Parameter Store wrote the off version. */
  async function offAndOnAgain(config: ReturnType<typeof catchingUp>): Promise<{ offMs: number }> {
    deploy(world.ssm, config, `${config.triggerId}-on`);
    await pause(5);
    deploy(world.ssm, { ...config, enabled: false }, `${config.triggerId}-off`);
    await pause(5);
    deploy(world.ssm, config, `${config.triggerId}-on-again`);
    const ssm = new SSMClient({});
    const history = await ssm.send(new GetParameterHistoryCommand({ Name: `${TEST_CONFIG_PATH}${config.triggerId}` }));
    ssm.destroy();
    return { offMs: history.Parameters![1].LastModifiedDate!.getTime() };
  }

  const requestsFor = (triggerId: string) => replays.requests.filter((request) => request.ReplayName.startsWith(`${triggerId}.`));

  test('starts one replay of the off period, to the trigger\'s rule alone, however often and however concurrently the change is delivered', async () => {
    // Prepare
    const config = catchingUp('once');
    const { offMs } = await offAndOnAgain(config);

    // Act
    const answers = await Promise.all([world.lambdaHandler(CONFIGURATION_CHANGED), world.lambdaHandler(CONFIGURATION_CHANGED)]);
    const again = await world.lambdaHandler(CONFIGURATION_CHANGED);

    // Assess
    const name = replayName('once', offMs);
    expect([...answers, again].map((answer) => (answer as { replays: number }).replays).sort()).toEqual([0, 0, 1]);
    expect([...replays.started.keys()].filter((started) => started.startsWith('once.'))).toEqual([name]);
    const [request] = requestsFor('once');
    expect(request).toMatchObject({
      ReplayName: name,
      EventSourceArn: config.whenReEnabled.archiveArn,
      Destination: { Arn: config.whenReEnabled.busArn, FilterArns: [config.whenReEnabled.ruleArn] },
    });
    // Widened by the edge margin before the off time; seconds on the wire.
    expect(request.EventStartTimeMs).toBeCloseTo(offMs - EVENT_CATCH_UP_LIMITS.edgeMarginMs, -3);
    expect(request.EventEndTimeMs).toBeLessThanOrEqual(Date.now());
    expect(startReplayProblems({ ...request.body, EventStartTime: 1, EventEndTime: 2 })).toBe('');
  });

  test('waits for the rule, which the deployment enables after writing the configuration, before it starts the replay', async () => {
    // Prepare: the rule is still disabled when the change arrives, and enabled three seconds later.
    const config = catchingUp('late-rule');
    ruleStates.set('mle-late-rule', 'DISABLED');
    const { offMs } = await offAndOnAgain(config);
    let enabledAtMs = 0;
    const enable = setTimeout(() => {
      enabledAtMs = Date.now();
      ruleStates.set('mle-late-rule', 'ENABLED');
    }, 3000);

    // Act
    const answer = await world.lambdaHandler(CONFIGURATION_CHANGED);
    clearTimeout(enable);

    // Assess
    expect(answer).toEqual({ status: 'followed', replays: 1 });
    expect([...replays.started.keys()]).toContain(replayName('late-rule', offMs));
    expect(enabledAtMs).toBeGreaterThan(0);
    expect(replays.started.get(replayName('late-rule', offMs))!.EventEndTimeMs).toBeGreaterThanOrEqual(Math.floor(enabledAtMs / 1000) * 1000);
  });

  test('a forged invocation changes nothing: the replays come from the parameter history, never from the input', async () => {
    // Prepare: a trigger that was never off.
    deploy(world.ssm, catchingUp('never-off'), 'never-off');
    const before = replays.requests.length;

    // Act
    const answer = await world.lambdaHandler({
      ...CONFIGURATION_CHANGED,
      triggerId: 'never-off',
      ReplayName: 'forged',
      EventStartTime: 0,
      Destination: { Arn: `${ACCOUNT}:event-bus/default` },
    });

    // Assess
    expect(answer).toEqual({ status: 'followed', replays: 0 });
    expect(replays.requests.slice(before).filter((request) => request.ReplayName.startsWith('never-off') || request.ReplayName === 'forged')).toEqual([]);
  });

  test('an event delivered before the rule went off and replayed again starts once, and does not count against the replay\'s bound', async () => {
    // Prepare: the trigger catches up at most one event per replay.
    const config = catchingUp('seen-live', { maxEvents: 1 });
    deploy(world.ssm, config, 'seen-live');
    const live = busEvent('model.added', { event_id: 'seen-1', data: { model_id: 'm1' } });
    const other = busEvent('model.added', { event_id: 'seen-2', data: { model_id: 'm2' } });

    // Act
    const first = await world.lambdaHandler({ triggerId: 'seen-live', event: live });
    const duplicate = await world.lambdaHandler({ triggerId: 'seen-live', event: replayed(live, 'seen-live.r1') });
    const next = await world.lambdaHandler({ triggerId: 'seen-live', event: replayed(other, 'seen-live.r1') });

    // Assess
    expect(first).toMatchObject({ status: 'started' });
    expect(duplicate).toEqual({ status: 'unchanged' });
    expect(next).toMatchObject({ status: 'started' });
    expect(world.runsOf('seen-live').map((run) => run.parameters)).toEqual([{ ModelId: 'm1' }, { ModelId: 'm2' }]);
  });

  test('a replay admits at most maxEvents events: the rest are dropped, and a redelivered admitted event is not counted again', async () => {
    // Prepare
    const config = catchingUp('bounded', { maxEvents: 2 });
    deploy(world.ssm, config, 'bounded');
    const published = [1, 2, 3, 4].map((n) => busEvent('model.added', { event_id: `bounded-${n}`, data: { model_id: `m${n}` } }));

    // Act
    const outcomes = [];
    for (const event of published) outcomes.push(await world.lambdaHandler({ triggerId: 'bounded', event: replayed(event, 'bounded.r1') }));
    const redelivered = await world.lambdaHandler({ triggerId: 'bounded', event: replayed(published[0], 'bounded.r1') });
    const anotherReplay = await world.lambdaHandler({ triggerId: 'bounded', event: replayed(published[3], 'bounded.r2') });

    // Assess
    expect(outcomes.map((outcome) => (outcome as { status: string }).status)).toEqual(['started', 'started', 'unchanged', 'unchanged']);
    expect(redelivered).toEqual({ status: 'unchanged' });
    expect(anotherReplay).toMatchObject({ status: 'started' });
    expect(world.runsOf('bounded').map((run) => run.parameters)).toEqual([{ ModelId: 'm1' }, { ModelId: 'm2' }, { ModelId: 'm4' }]);
    const counter = (await world.joinItems()).find((item) => item.pk?.S === 'C#bounded' && item.sk?.S === 'R#bounded.r1');
    expect(counter).toMatchObject({ admitted: { N: '2' }, dropped: { N: '2' } });
  });

  test('replayed events complete the join they would have completed when published, however long ago within maxAge', async () => {
    // Prepare: a one-hour join whose two events were published three hours ago, ten minutes apart.
    const config = catchingUp('late-join', {}, { mode: 'join', events: ['data.updated', 'features.ready'], windowSeconds: 3600, pattern: { source: ['ml-triggers.churn.main'], 'detail-type': ['data.updated', 'features.ready'] }, parameters: {} });
    deploy(world.ssm, config, 'late-join');
    const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
    const data = busEvent('data.updated', { event_id: 'late-1', data: {} }, at(3 * HOUR));
    const features = busEvent('features.ready', { event_id: 'late-2', data: {} }, at(3 * HOUR - 10 * 60_000));

    // Act
    const first = await world.lambdaHandler({ triggerId: 'late-join', event: replayed(data, 'late-join.r1') });
    const second = await world.lambdaHandler({ triggerId: 'late-join', event: replayed(features, 'late-join.r1') });

    // Assess
    expect(first).toMatchObject({ status: 'waiting' });
    expect(second).toMatchObject({ status: 'started' });
    expect(world.runsOf('late-join')).toHaveLength(1);
  });

  test('a trigger that skips is untouched: a replayed event reaches its normal path, and nothing is remembered', async () => {
    // Prepare
    const config = trigger('skips', { parameters: {} });
    deploy(world.ssm, config, 'skips');

    // Act
    const answer = await world.lambdaHandler({ triggerId: 'skips', event: replayed(busEvent('model.added', { event_id: 'skip-1', data: {} }), 'operator-replay') });

    // Assess
    expect(answer).toMatchObject({ status: 'started' });
    expect((await world.joinItems()).filter((item) => item.pk?.S === 'C#skips')).toEqual([]);
  });
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
