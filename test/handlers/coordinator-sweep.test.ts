import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { StartRequest } from '../../lambda/core/coordination';
import { PipelineStarter } from '../../lambda/aws/adapters/pipeline-starter';
import { Coordinator } from '../../lambda/aws/coordinator/coordinator';
import { REQUEST_LEASE_MS, type CoordinatorDeps } from '../../lambda/aws/coordinator/coordinator-steps';
import type { CoordinatorStore } from '../../lambda/aws/coordinator/coordinator-store';
import { CoordinatorWorld, HOUR, T0 } from '../support/handler-coordinator';
import { SERVICES_TIMEOUT } from '../support/handler-harness';

jest.setTimeout(SERVICES_TIMEOUT);

/**
 * Nobody asks again here: a single event, a chain, a drift report or a schedule tick asks once. The
 * coordinator's own sweep must start, or decide for good, every request it deferred.
 */
describe('the coordinator sweeps its waiting requests (dynalite, SageMaker, SNS)', () => {
  let world: CoordinatorWorld;
  let table = 0;

  beforeAll(async () => {
    world = await CoordinatorWorld.start();
  });
  afterAll(() => world.stop());

  /** A coordinator on a table of its own, so that one test's sweep never touches another's requests. */
  async function gate(overrides: Partial<CoordinatorDeps> = {}): Promise<{ coordinator: Coordinator; store: CoordinatorStore; deps: CoordinatorDeps }> {
    world.clock = T0;
    const store = await world.store(`sweep-${++table}`);
    const deps = world.deps(store, overrides);
    return { coordinator: new Coordinator(deps), store, deps };
  }
  /** SageMaker's starter, whose first `kills` calls die (as a killed runtime) before they reach SageMaker. */
  const dyingStarter = (kills: number): Pick<PipelineStarter, 'start'> => {
    const real = new PipelineStarter(new SageMakerClient({ maxAttempts: 1 }));
    let left = kills;
    return {
      start: async (request) => {
        if (left-- > 0) throw Object.assign(new Error('Runtime exited with error: signal: killed'), { name: 'ThrottlingException' });
        return real.start(request);
      },
    };
  };
  const ask = (pipelineName: string, requestId: string, extra: Partial<StartRequest> = {}): StartRequest => ({
    requestId, pipelineName, triggerType: 'event', reason: 'an event arrived', priority: 3, ...extra,
  });
  const executionsOf = (pipelineName: string) => world.executionsOf(pipelineName);

  test('a request deferred by the cooldown waits until its time, then the sweep starts it once and takes it off the list', async () => {
    const { coordinator, store } = await gate();
    await coordinator.request(ask('cooled-pipeline', 'first'));
    world.clock = T0 + HOUR;
    const deferred = await coordinator.request(ask('cooled-pipeline', 'evt-2'));

    world.clock = T0 + 5 * HOUR;
    const early = await coordinator.sweep();
    world.clock = deferred.delayUntilMs! + 1;
    const due = await coordinator.sweep();
    const again = await coordinator.sweep();

    expect(deferred).toMatchObject({ start: false, reason: 'cooldown' });
    expect(early).toEqual({ waiting: 1, asked: 0, started: 0, settled: 0, failed: 0 });
    expect(due).toEqual({ waiting: 1, asked: 1, started: 1, settled: 0, failed: 0 });
    expect(again).toEqual({ waiting: 0, asked: 0, started: 0, settled: 0, failed: 0 });
    expect(executionsOf('cooled-pipeline').map((e) => e.parameters.RunSequence)).toEqual(['1', '2']);
    expect((await store.decisions('cooled-pipeline', 0, world.clock)).map((d) => [d.requestId, d.outcome])).toEqual([
      ['first', 'started'], ['evt-2', 'suppressed'], ['evt-2', 'started'],
    ]);
    // The trigger asking again later is answered with the run the sweep started.
    await expect(coordinator.request(ask('cooled-pipeline', 'evt-2'))).resolves.toMatchObject({ start: true, executionArn: executionsOf('cooled-pipeline')[1].executionArn });
  });

  test('requests deferred together start one per cooldown, the most urgent first, and each is logged each time it is decided', async () => {
    const { coordinator, store } = await gate();
    await coordinator.request(ask('queued-pipeline', 'first'));
    world.clock = T0 + HOUR;
    await coordinator.request(ask('queued-pipeline', 'routine', { priority: 4 }));
    await coordinator.request(ask('queued-pipeline', 'urgent', { priority: 3 }));

    world.clock = T0 + 6 * HOUR + 1;
    await coordinator.sweep();
    world.clock = T0 + 12 * HOUR + 2;
    await coordinator.sweep();

    expect(executionsOf('queued-pipeline').map((e) => e.parameters.TriggerPriority)).toEqual(['3', '3', '4']);
    const decisions = await store.decisions('queued-pipeline', 0, world.clock);
    const outcomesOf = (requestId: string) => decisions.filter((d) => d.requestId === requestId).map((d) => d.outcome);
    expect(outcomesOf('urgent')).toEqual(['suppressed', 'started']);
    expect(outcomesOf('routine')).toEqual(['suppressed', 'suppressed', 'started']);
    expect(await store.waiting()).toEqual([]);
  });

  test('a request held back by a pending approval is decided again by the sweep once an operator answered', async () => {
    const { coordinator } = await gate();
    await coordinator.request(ask('held-pipeline', 'needs-ok', { requireApproval: true }));
    await coordinator.request(ask('held-pipeline', 'evt-9'));

    const whileParked = await coordinator.sweep();
    await coordinator.answerApproval('held-pipeline', 'needs-ok', false);
    const afterAnswer = await coordinator.sweep();

    expect(whileParked).toMatchObject({ waiting: 2, asked: 0 });
    expect(afterAnswer).toMatchObject({ waiting: 1, asked: 1, started: 1 });
    expect(executionsOf('held-pipeline')).toHaveLength(1);
  });

  test('a start decided and reserved whose invocation died before starting is started by the sweep once the lease is over', async () => {
    const dying = dyingStarter(1);
    const { coordinator, store } = await gate({ starter: dying });

    await expect(coordinator.request(ask('orphan-pipeline', 'evt-1'))).rejects.toThrow(/killed/);
    const withinLease = await coordinator.sweep();
    world.clock += REQUEST_LEASE_MS + 1;
    const afterLease = await coordinator.sweep();

    expect(withinLease).toMatchObject({ waiting: 1, asked: 0 });
    expect(afterLease).toMatchObject({ asked: 1, started: 1 });
    expect(executionsOf('orphan-pipeline')).toHaveLength(1);
    const state = await store.readState('orphan-pipeline');
    expect([state.runsToday, state.sequence]).toEqual([1, 1]);
    expect((await store.decisions('orphan-pipeline', 0, world.clock)).map((d) => d.outcome)).toEqual(['failed', 'started']);
  });

  test('an approval notice that failed to publish is sent by the sweep, once, and the parked request leaves the list when rejected', async () => {
    const { coordinator, store } = await gate({ notifier: world.flakyNotifier(1) });
    const sent = () => world.sns.messages.filter((m) => m.message.includes('notice-pipeline')).length;

    await expect(coordinator.request(ask('notice-pipeline', 'big-one', { requireApproval: true }))).rejects.toThrow(/SNS unavailable/);
    await coordinator.sweep();
    await coordinator.sweep();
    const noticesBeforeAnswer = sent();
    await coordinator.answerApproval('notice-pipeline', 'big-one', false);

    expect(noticesBeforeAnswer).toBe(1);
    expect(await store.waiting()).toEqual([]);
    expect(executionsOf('notice-pipeline')).toHaveLength(0);
  });

  test('a request refused for good leaves the list at once', async () => {
    const { coordinator, store } = await gate();
    world.sagemaker.failNext(1, 'accessDenied');

    const refused = await coordinator.request(ask('refused-pipeline', 'evt-1'));

    expect(refused).toMatchObject({ reason: 'start-failed' });
    expect(await store.waiting()).toEqual([]);
  });

  test('a request whose start is throttled does not hold back the others, and the next sweep after its lease starts it', async () => {
    const { coordinator, store } = await gate();
    for (const pipeline of ['throttled-pipeline', 'patient-pipeline']) await coordinator.request(ask(pipeline, 'first'));
    world.clock = T0 + HOUR;
    await coordinator.request(ask('throttled-pipeline', 'a-2', { priority: 3 }));
    await coordinator.request(ask('patient-pipeline', 'b-2', { priority: 4 }));

    world.clock = T0 + 7 * HOUR;
    world.sagemaker.failNext(1, 'throttle');
    const first = await coordinator.sweep();
    world.clock += REQUEST_LEASE_MS + 1;
    const second = await coordinator.sweep();

    expect(first).toEqual({ waiting: 2, asked: 2, started: 1, settled: 0, failed: 1 });
    expect(second).toEqual({ waiting: 1, asked: 1, started: 1, settled: 0, failed: 0 });
    expect(executionsOf('throttled-pipeline')).toHaveLength(2);
    expect(executionsOf('patient-pipeline')).toHaveLength(2);
    expect(await store.waiting()).toEqual([]);
    const state = await store.readState('throttled-pipeline');
    expect([state.runsToday, state.sequence]).toEqual([2, 2]);
  });

  test('a redelivery while the first delivery is still starting the run waits for it: one start, one decision record', async () => {
    const real = new PipelineStarter(new SageMakerClient({ maxAttempts: 1 }));
    let release: () => void = () => undefined;
    const gateOpen = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const slow = { start: async (request: Parameters<PipelineStarter['start']>[0]) => {
      calls++;
      await gateOpen;
      return real.start(request);
    } };
    const { coordinator, store } = await gate({ starter: slow });

    const first = coordinator.request(ask('slow-pipeline', 'evt-1'));
    while (calls === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const redelivered = coordinator.request(ask('slow-pipeline', 'evt-1'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    const answers = await Promise.all([first, redelivered]);

    expect(calls).toBe(1);
    expect(answers[1]).toMatchObject({ start: true, executionArn: answers[0].executionArn });
    expect((await store.decisions('slow-pipeline', 0, world.clock)).map((d) => d.outcome)).toEqual(['started']);
  });
  test('a withdrawn start decided but never made is released and never started by the sweep; a made one is answered with its run', async () => {
    const dying = dyingStarter(1);
    const { coordinator, store } = await gate({ starter: dying });
    await expect(coordinator.request(ask('withdrawn-pipeline', 'batch-1'))).rejects.toThrow(/killed/);
    await coordinator.request(ask('kept-pipeline', 'batch-2'));

    const withdrawn = await coordinator.withdraw('withdrawn-pipeline', 'batch-1');
    const kept = await coordinator.withdraw('kept-pipeline', 'batch-2');
    const never = await coordinator.withdraw('kept-pipeline', 'never-asked');
    world.clock += 2 * HOUR;
    await coordinator.sweep();
    const askedAgain = await coordinator.request(ask('withdrawn-pipeline', 'batch-1'));
    const askedLater = await coordinator.request(ask('kept-pipeline', 'never-asked'));

    expect(withdrawn).toMatchObject({ start: false, reason: 'withdrawn' });
    expect(kept).toMatchObject({ start: true, executionArn: executionsOf('kept-pipeline')[0].executionArn });
    expect(never).toMatchObject({ start: false, reason: 'withdrawn' });
    expect(executionsOf('withdrawn-pipeline')).toHaveLength(0);
    expect(askedAgain).toMatchObject({ start: false, reason: 'withdrawn' });
    expect(askedLater).toMatchObject({ start: false, reason: 'withdrawn' });
    const state = await store.readState('withdrawn-pipeline');
    expect([state.runsToday, state.spentToday]).toEqual([0, 0]);
    expect((await store.decisions('withdrawn-pipeline', 0, world.clock)).map((d) => d.outcome)).toEqual(['failed', 'withdrawn']);
    expect(await store.waiting()).toEqual([]);
  });
});
