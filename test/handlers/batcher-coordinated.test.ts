import { createKeyedTable } from '../support/tables';
import { createdObject, LocalAws, objectCreated, triggerConfig } from '../support/batcher-env';
import { startFakeLambda } from '../support/fake-aws-endpoints';
import { startFakeSsm, TEST_CONFIG_PATH, type FakeSsm } from '../support/fake-ssm';
import { setEnv } from '../support/local-services';

const HOUR = 3_600_000;
jest.setTimeout(30_000);

describe('batcher routed through a retraining coordinator', () => {
  let local: LocalAws;
  let lambda: Awaited<ReturnType<typeof startFakeLambda>>;
  let ssm: FakeSsm;
  let restore: () => void;
  let clock: number;
  const now = () => clock;
  const functions: Record<string, (payload: unknown) => Promise<unknown>> = {};

  beforeAll(async () => {
    local = await LocalAws.start();
    const coordinator: { handler?: typeof import('../../lambda/aws/coordinator').handler } = {};
    functions['coordinator-fn'] = (payload) => coordinator.handler!(payload);
    [lambda, ssm] = await Promise.all([startFakeLambda(functions), startFakeSsm()]);
    restore = setEnv({
      AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
      AWS_ENDPOINT_URL_SSM: ssm.endpoint,
      TRIGGER_CONFIG_PATH: TEST_CONFIG_PATH,
      TRIGGER_CONFIG_VERSION: 'coordinated-deployment',
      COORDINATOR_TABLE_NAME: 'coordinator-table',
      COORDINATOR_POLICY: JSON.stringify({ minIntervalMs: 6 * HOUR, maxDailyRuns: 4, dailyBudget: 1000, costModel: { baseCost: 150, gbPerIncrement: 100 }, timeZone: 'UTC' }),
    });
    await createKeyedTable(local.dynamo, 'coordinator-table');
    coordinator.handler = (await import('../../lambda/aws/coordinator')).handler;
  });
  afterAll(async () => {
    await Promise.all([lambda.close(), ssm.close()]);
    restore();
    await local.stop();
  });
  beforeEach(() => {
    clock = Date.parse('2027-03-01T10:00:00Z');
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => jest.restoreAllMocks());

  test('the first batch starts through the coordinator; the next one, inside the cooldown, waits without using an attempt', async () => {
    const trigger = triggerConfig({ triggerId: 'coordinated', pipelineName: 'coordinated-pipeline', batchSize: 1, maxStartAttempts: 1, coordinatorFunction: 'coordinator-fn', priority: 3 });
    const deferrals: string[] = [];
    const batcher = local.batcher(now, { deferred: (_c, _b, reason) => deferrals.push(reason) });

    await batcher.arrive(trigger, createdObject('labels/one.parquet', '01'));
    await batcher.arrive(trigger, createdObject('labels/two.parquet', '02'));

    const started = local.sagemaker.executions.filter((e) => e.pipelineName === 'coordinated-pipeline');
    expect(started).toHaveLength(1);
    expect(started[0].parameters).toMatchObject({ ObjectCount: '1', TriggerType: 'data-arrival', TriggerPriority: '3', RunSequence: '1' });
    expect(deferrals).toEqual(['cooldown']);
    const headers = (await local.items()).filter((item) => String(item.pk).startsWith('B#coordinated#') && item.sk === 'H');
    const waiting = headers.find((h) => h.status === 'RETRY');
    // maxStartAttempts is 1: a deferral that used the attempt would have failed the batch.
    expect(waiting).toMatchObject({ attempts: 0, lastDecision: 'cooldown', nextAttemptAt: expect.any(Number) });
    expect(waiting!.nextAttemptAt as number).toBeGreaterThan(Date.now() + 5 * HOUR);
    const requests = lambda.invocations.map((i) => (i.payload as { request: { requestId: string; correlationId: string } }).request);
    expect(requests).toEqual([
      expect.objectContaining({ requestId: expect.stringMatching(/^batch#[0-9a-f]{40}$/), correlationId: expect.stringMatching(/^batch:coordinated#.+#1$/) }),
      expect.objectContaining({ requestId: expect.stringMatching(/^batch#[0-9a-f]{40}$/), correlationId: expect.stringMatching(/^batch:coordinated#.+#2$/) }),
    ]);
    expect(requests[0].requestId).not.toBe(requests[1].requestId);
  });

  test('a critical trigger passes the cooldown the coordinator applies to the pipeline', async () => {
    const routine = triggerConfig({ triggerId: 'routine', pipelineName: 'shared-pipeline', batchSize: 1, coordinatorFunction: 'coordinator-fn', priority: 3 });
    const critical = triggerConfig({ triggerId: 'critical', pipelineName: 'shared-pipeline', batchSize: 1, coordinatorFunction: 'coordinator-fn', priority: 1 });
    const batcher = local.batcher(now);

    await batcher.arrive(routine, createdObject('labels/r.parquet', '03'));
    await batcher.arrive(critical, createdObject('labels/c.parquet', '04'));

    expect(local.sagemaker.executions.filter((e) => e.pipelineName === 'shared-pipeline').map((e) => e.parameters.TriggerPriority)).toEqual(['3', '1']);
  });

  test('a batch the cooldown deferred starts once the cooldown is over: the flush after delayUntil asks again and the coordinator decides afresh', async () => {
    // Prepare: a coordinator with a two-second cooldown, on real time, and the batcher's clock on real time too.
    const restorePolicy = setEnv({ COORDINATOR_POLICY: JSON.stringify({ minIntervalMs: 2000, maxDailyRuns: 10, dailyBudget: 10_000, costModel: { baseCost: 150, gbPerIncrement: 100 }, timeZone: 'UTC' }) });
    await jest.isolateModulesAsync(async () => {
      const quick = (await import('../../lambda/aws/coordinator')).handler;
      functions['quick-coordinator-fn'] = (payload) => quick(payload);
    });
    restorePolicy();
    clock = Date.now();
    const trigger = triggerConfig({ triggerId: 'deferred', pipelineName: 'deferred-pipeline', batchSize: 1, maxStartAttempts: 1, coordinatorFunction: 'quick-coordinator-fn', priority: 3 });
    const batcher = local.batcher(now);
    const started = () => local.sagemaker.executions.filter((e) => e.pipelineName === 'deferred-pipeline');
    await batcher.arrive(trigger, createdObject('labels/first.parquet', '11'));
    await batcher.arrive(trigger, createdObject('labels/second.parquet', '12'));
    const header = async (generation: number) => (await local.items()).find((item) => item.pk === `B#deferred#epoch-1#${generation}` && item.sk === 'H');
    const deferredUntil = (await header(2))?.nextAttemptAt as number;

    // Act: a flush before the cooldown is over, then one after it.
    await batcher.flush(trigger);
    const beforeItEnded = started().length;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, deferredUntil - Date.now()) + 50));
    clock = Date.now();
    await batcher.flush(trigger);

    // Assess: the deferred batch started after the cooldown, once, asking with the request id it first asked with.
    expect(beforeItEnded).toBe(1);
    expect(started()).toHaveLength(2);
    expect(started()[1].parameters).toMatchObject({ ObjectCount: '1' });
    const asked = lambda.invocations
      .filter((i) => i.name === 'quick-coordinator-fn')
      .map((i) => (i.payload as { request: { requestId: string; correlationId: string } }).request)
      .filter((request) => request.correlationId.endsWith('#2'));
    expect(asked.length).toBeGreaterThanOrEqual(2);
    expect(new Set(asked.map((request) => request.requestId)).size).toBe(1);
    expect((await header(2))?.status).toBe('STARTED');
  }, 60_000);

  test.each(['start-failed', 'rejected'])('a batch whose run the coordinator answers %s counts a failed attempt and ends FAILED, not deferred forever', async (reason) => {
    // Prepare: a coordinator that tried and failed (or whose operator rejected the run).
    functions[`${reason}-fn`] = async (payload) => ({ requestId: (payload as { request: { requestId: string } }).request.requestId, start: false, reason });
    const trigger = triggerConfig({ triggerId: `answered-${reason}`, pipelineName: 'answered-pipeline', batchSize: 1, maxStartAttempts: 1, coordinatorFunction: `${reason}-fn` });
    const failures: boolean[] = [];
    const batcher = local.batcher(now, { startFailed: (_c, _b, _attempt, _error, final) => failures.push(final) });

    // Act
    await batcher.arrive(trigger, createdObject(`labels/${reason}.parquet`, '21'));

    // Assess: the attempt failed and, attempts spent, the batch is FAILED (its alarm counts it) with the answer as its error.
    const header = (await local.items()).find((item) => String(item.pk).startsWith(`B#answered-${reason}#`) && item.sk === 'H');
    expect(header).toMatchObject({ status: 'FAILED', attempts: 1, lastError: expect.stringContaining(reason) });
    expect(failures).toEqual([true]);
  }, 30_000);
  test('a forged priority in the invocation does not pass the cooldown: the coordinator is asked with the deployed priority (fix for "configuration travels in the payload")', async () => {
    // Prepare: a routine trigger as deployed, and the batcher function as deployed, reading it from Parameter Store.
    const deployed = triggerConfig({ triggerId: 'forged-priority', pipelineName: 'forged-priority-pipeline', batchSize: 1, maxStartAttempts: 1, coordinatorFunction: 'coordinator-fn', priority: 3 });
    ssm.put(`${TEST_CONFIG_PATH}${deployed.triggerId}`, JSON.stringify({ [deployed.triggerId]: deployed }));
    const { handler } = await import('../../lambda/aws/batcher');
    const forged = { ...deployed, priority: 1, pipelineName: 'attacker-pipeline', parameters: { DatasetUri: 's3://attacker-bucket/x' }, manifestBucket: 'attacker-bucket', coordinatorFunction: undefined };

    // Act: the first object starts a run; the second claims to be critical, inside the cooldown.
    const results = [
      await handler({ triggerId: deployed.triggerId, event: objectCreated('labels/routine.parquet', '31') }),
      await handler({ triggerId: deployed.triggerId, trigger: forged, event: objectCreated('labels/forged.parquet', '32') }),
    ];

    // Assess: one run, as deployed; the second batch waits out the cooldown, asked for at priority 3.
    expect(results.map((result) => ('status' in result ? result.status : result))).toEqual(['accepted', 'accepted']);
    const runs = local.sagemaker.executions.filter((e) => e.pipelineName === 'forged-priority-pipeline');
    expect(runs).toHaveLength(1);
    expect(runs[0].parameters).toMatchObject({ TriggerPriority: '3', TrainingMode: 'data-arrival' });
    expect(local.sagemaker.calls.filter((call) => call.pipelineName === 'attacker-pipeline')).toEqual([]);
    const asked = lambda.invocations
      .map((i) => (i.payload as { request: { correlationId: string; priority: number; pipelineName: string } }).request)
      .filter((request) => request.correlationId.startsWith('batch:forged-priority#'));
    expect(asked.map((request) => [request.pipelineName, request.priority])).toEqual([
      ['forged-priority-pipeline', 3],
      ['forged-priority-pipeline', 3],
    ]);
    const header = (await local.items()).find((item) => String(item.pk).startsWith('B#forged-priority#') && String(item.pk).endsWith('#2') && item.sk === 'H');
    expect(header).toMatchObject({ status: 'RETRY', lastDecision: 'cooldown' });
  });
});
