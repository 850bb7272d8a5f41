import { createKeyedTable } from '../support/tables';
import { createdObject, LocalAws, triggerConfig } from '../support/batcher-env';
import { startFakeLambda } from '../support/fake-aws-endpoints';
import { setEnv } from '../support/local-services';

const HOUR = 3_600_000;

describe('batcher routed through a retraining coordinator', () => {
  let local: LocalAws;
  let lambda: Awaited<ReturnType<typeof startFakeLambda>>;
  let restore: () => void;
  let clock: number;
  const now = () => clock;

  beforeAll(async () => {
    local = await LocalAws.start();
    const coordinator: { handler?: typeof import('../../lambda/coordinator').handler } = {};
    lambda = await startFakeLambda({ 'coordinator-fn': (payload) => coordinator.handler!(payload) });
    restore = setEnv({
      AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
      COORDINATOR_TABLE_NAME: 'coordinator-table',
      COORDINATOR_POLICY: JSON.stringify({ minIntervalMs: 6 * HOUR, maxDailyRuns: 4, dailyBudget: 1000, costModel: { baseCost: 150, gbPerIncrement: 100 }, timeZone: 'UTC' }),
    });
    await createKeyedTable(local.dynamo, 'coordinator-table');
    coordinator.handler = (await import('../../lambda/coordinator')).handler;
  });
  afterAll(async () => {
    await lambda.close();
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
    expect(lambda.invocations.map((i) => (i.payload as { request: { requestId: string } }).request.requestId)).toEqual([
      expect.stringMatching(/^coordinated#.+#1$/),
      expect.stringMatching(/^coordinated#.+#2$/),
    ]);
  });

  test('a critical trigger passes the cooldown the coordinator applies to the pipeline', async () => {
    const routine = triggerConfig({ triggerId: 'routine', pipelineName: 'shared-pipeline', batchSize: 1, coordinatorFunction: 'coordinator-fn', priority: 3 });
    const critical = triggerConfig({ triggerId: 'critical', pipelineName: 'shared-pipeline', batchSize: 1, coordinatorFunction: 'coordinator-fn', priority: 1 });
    const batcher = local.batcher(now);

    await batcher.arrive(routine, createdObject('labels/r.parquet', '03'));
    await batcher.arrive(critical, createdObject('labels/c.parquet', '04'));

    expect(local.sagemaker.executions.filter((e) => e.pipelineName === 'shared-pipeline').map((e) => e.parameters.TriggerPriority)).toEqual(['3', '1']);
  });
});
