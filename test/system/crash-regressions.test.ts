/**
 * The bugs in lambda/ that the seeded system model found, each reduced to one scripted crash and kept as a
 * regression test now that they are fixed (commit 1b31b23).
 */
import type { BatchTriggerConfig } from '../../lambda/core/contracts/batch';
import { COORDINATOR_FUNCTION, Faults, MANIFEST_BUCKET, VirtualClock, buildSystem, startServices, type Services, type System } from './system';

const T0 = Date.parse('2027-03-01T06:00:00Z');
const HOUR = 3_600_000;

interface Command {
  readonly input?: { readonly Item?: { readonly pk?: { readonly S?: string } }; readonly UpdateExpression?: string; readonly ExpressionAttributeValues?: Record<string, { readonly S?: string }> };
}

/** Crashes the first call that `matches`, at `when`; afterwards every call goes through. */
function crashOnce(faults: Faults, when: 'before' | 'after', matches: (site: string, command: Command) => boolean): void {
  let armed = true;
  faults.script = (site, command) => {
    if (!armed || !matches(site, command as Command)) return undefined;
    armed = false;
    return when;
  };
}

const batch = (overrides: Partial<BatchTriggerConfig>): BatchTriggerConfig => ({
  triggerId: 'labels', pipelineName: 'shared-pipeline', source: { bucket: 'system-data' }, batchSize: 1, batchWindowSeconds: 1800, manifestBucket: MANIFEST_BUCKET,
  manifestPrefix: 'manifests/', manifestParameterName: 'ManifestS3Uri', countParameterName: 'ObjectCount', parameters: {}, maxStartAttempts: 1, ...overrides,
});
const object = (key: string) => ({ bucket: 'system-data', key, size: 1000, sequencer: '01', eventTime: new Date(T0).toISOString() });

describe('crashes the system model found bugs with, scripted one by one', () => {
  let services: Services;
  let clock: VirtualClock;
  let faults: Faults;
  let system: System;

  beforeEach(async () => {
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    services = await startServices();
    clock = new VirtualClock(T0);
    faults = new Faults(() => 1, 0);
    system = buildSystem(services, clock, faults, { minIntervalMs: 6 * HOUR, maxDailyRuns: 4, dailyBudget: 1000 }, () => 0.5);
  });
  afterEach(async () => {
    await services.stop();
    jest.restoreAllMocks();
  });

  /** Delivers like Lambda: again, later, after a crash. */
  async function deliver<T>(invoke: () => Promise<T>): Promise<T> {
    try {
      return await invoke();
    } catch {
      clock.advance(150_000);
      return invoke();
    }
  }

  test('a batch whose start failed for good raises its alarm even when the invocation dies right after recording FAILED', async () => {
    // Prepare: a direct trigger with one attempt; SageMaker refuses the start; the invocation dies as it forgets the batch.
    const trigger = batch({ triggerId: 'clicks', pipelineName: 'direct-pipeline' });
    services.sagemaker.failNext(1, 'accessDenied');
    crashOnce(faults, 'before', (site, command) => site === 'batcher.dynamodb.UpdateItem' && (command.input?.UpdateExpression ?? '').startsWith('REMOVE unfinished'));

    // Act
    await deliver(() => system.batcher.arrive(trigger, object('incoming/clicks/a.parquet')));
    await deliver(() => system.batcher.flush(trigger));

    // Assess: the batch is FAILED; its startFailed(final) (what raises the alarm) fired, at least once.
    expect(faults.injected).toHaveLength(1);
    expect(system.batcherReports.finalFailures).toContainEqual({ triggerId: 'clicks', epoch: 'epoch', generation: 1 });
  }, 60_000);

  test('a batch does not end FAILED when the coordinator started its run and only the reply was lost', async () => {
    // Prepare: a coordinated trigger with one attempt; the coordinator dies right after SageMaker started the run.
    const trigger = batch({ coordinatorFunction: COORDINATOR_FUNCTION, priority: 3 });
    crashOnce(faults, 'after', (site) => site === 'coordinator.sagemaker.StartPipelineExecution');

    // Act
    await deliver(() => system.batcher.arrive(trigger, object('incoming/labels/a.parquet')));
    await deliver(() => system.batcher.flush(trigger));

    // Assess: the run started, so the batch must not be FAILED.
    expect(faults.injected).toHaveLength(1);
    expect(services.sagemaker.executions).toHaveLength(1);
    expect(system.batcherReports.finalFailures).toEqual([]);
  }, 60_000);

  test('a start refused for good on its retry is not recorded failed when the first attempt made the run (its record lost)', async () => {
    // Prepare: a coordinated trigger with two attempts; the coordinator dies right after SageMaker started the run,
    // and SageMaker then refuses every further start of the pipeline for good (its role lost the permission).
    const trigger = batch({ coordinatorFunction: COORDINATOR_FUNCTION, priority: 3, maxStartAttempts: 2 });
    crashOnce(faults, 'after', (site) => site === 'coordinator.sagemaker.StartPipelineExecution');

    // Act: the object and its batch's first attempt; then, with starts refused, the flushes that retry it.
    await deliver(() => system.batcher.arrive(trigger, object('incoming/labels/refused.parquet')));
    services.sagemaker.failNext(5, 'accessDenied');
    for (let minute = 0; minute < 30; minute++) {
      clock.advance(60_000);
      await deliver(() => system.batcher.flush(trigger));
    }

    // Assess: one run, and the batch counts it as started: no FAILED batch, no alarm.
    expect(faults.injected).toHaveLength(1);
    expect(services.sagemaker.executions).toHaveLength(1);
    expect(system.batcherReports.finalFailures).toEqual([]);
  }, 60_000);

  test('a suppression answered to a redelivery has a decision record', async () => {
    // Prepare: one start, then a request inside the cooldown whose invocation dies before it logs the suppression.
    const ask = (requestId: string) => system.coordinatorClient.request(COORDINATOR_FUNCTION, {
      requestId, pipelineName: 'shared-pipeline', triggerType: 'scheduled', reason: 'scheduled', priority: 4, parameters: { ScheduledTime: requestId },
    });
    await ask('tick-1');
    clock.advance(HOUR);
    crashOnce(faults, 'before', (site, command) => site === 'coordinator.dynamodb.PutItem' && (command.input?.Item?.pk?.S ?? '').startsWith('D#'));

    // Act
    const answer = await deliver(() => ask('tick-2'));

    // Assess: the trigger was told "cooldown"; the log must say so.
    expect(faults.injected).toHaveLength(1);
    expect(answer).toMatchObject({ start: false, reason: 'cooldown' });
    const log = await system.coordinatorStore.decisions('shared-pipeline', 0, T0 + 24 * HOUR);
    expect(log.filter((record) => record.requestId === 'tick-2').map((record) => record.reason)).toEqual(['cooldown']);
  }, 60_000);

  test("a start refused and released, then made by the redelivery, is counted in the day's runs", async () => {
    // Prepare: SageMaker refuses the first start; the invocation dies after releasing it, before recording start-failed.
    services.sagemaker.failNext(1, 'accessDenied');
    crashOnce(faults, 'before', (site, command) => site === 'coordinator.dynamodb.UpdateItem' && JSON.stringify(command.input?.ExpressionAttributeValues ?? {}).includes('start-failed'));
    const ask = () => system.coordinatorClient.request(COORDINATOR_FUNCTION, {
      requestId: 'tick-1', pipelineName: 'shared-pipeline', triggerType: 'scheduled', reason: 'scheduled', priority: 4, parameters: { ScheduledTime: 'tick-1' },
    });

    // Act: the redelivery finds the decision still "start" and starts the run.
    const answer = await deliver(ask);

    // Assess: a run started, so the day counts one run and its cost.
    expect(faults.injected).toHaveLength(1);
    expect(answer).toMatchObject({ start: true });
    expect(services.sagemaker.executions).toHaveLength(1);
    const state = await system.coordinatorStore.readState('shared-pipeline');
    expect([state.runsToday, state.spentToday]).toEqual([1, 150]);
  }, 60_000);

  test('a rejection survives a crash right after it cleared the pending approval: the request is decided rejected', async () => {
    // Prepare: a request parked for approval; the rejecting invocation dies right after its state write.
    const ask = () => system.coordinatorClient.request(COORDINATOR_FUNCTION, {
      requestId: 'needs-ok', pipelineName: 'shared-pipeline', triggerType: 'drift', reason: 'high drift', priority: 2, requireApproval: true,
    });
    await ask();
    crashOnce(faults, 'after', (site, command) => site === 'coordinator.dynamodb.PutItem' && (command.input?.Item?.pk?.S ?? '').startsWith('P#'));

    // Act: the operator's rejection is delivered again; then the sweep and the trigger ask about the request.
    await deliver(() => system.coordinator.answerApproval('shared-pipeline', 'needs-ok', false));
    clock.advance(HOUR);
    await system.coordinator.sweep();
    const answer = await ask();

    // Assess: the request is rejected for good, and the log says so.
    expect(faults.injected).toHaveLength(1);
    expect(answer).toMatchObject({ start: false, reason: 'rejected' });
    const log = await system.coordinatorStore.decisions('shared-pipeline', 0, T0 + 24 * HOUR);
    expect(log.filter((record) => record.requestId === 'needs-ok').map((record) => record.outcome)).toContain('rejected');
  }, 60_000);
});
