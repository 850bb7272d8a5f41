import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { sha256 } from '../../lambda/core/batching';
import type { StartRequest } from '../../lambda/core/coordination';
import { explainDecisions } from '../../lambda/core/explain';
import type { ApprovalNotifier } from '../../lambda/aws/adapters/approval-notifier';
import { PipelineStarter } from '../../lambda/aws/adapters/pipeline-starter';
import { Coordinator } from '../../lambda/aws/coordinator/coordinator';
import { REQUEST_LEASE_MS } from '../../lambda/aws/coordinator/coordinator-steps';
import { CoordinatorStore } from '../../lambda/aws/coordinator/coordinator-store';
import { CoordinatorWorld, HOUR, RETENTION_MS, T0 } from '../support/handler-coordinator';
import { SERVICES_TIMEOUT } from '../support/handler-harness';

jest.setTimeout(SERVICES_TIMEOUT);

const TABLE = 'coordinator-guarantees';

describe('the coordinator never loses a request and never charges twice (dynalite, SageMaker, SNS)', () => {
  let world: CoordinatorWorld;
  let store: CoordinatorStore;

  beforeAll(async () => {
    world = await CoordinatorWorld.start();
    store = await world.store(TABLE);
  });
  afterAll(() => world.stop());
  beforeEach(() => {
    world.clock = T0;
  });

  type Notifier = Pick<ApprovalNotifier, 'notify'>;
  type Starter = Pick<PipelineStarter, 'start'>;
  // Two SDK attempts per start: a start throttled twice fails past its retries.
  const sageMakerStarter = new PipelineStarter(new SageMakerClient({ maxAttempts: 2 }));
  const deps = (notifier?: Notifier, starter: Starter = sageMakerStarter) => world.deps(store, { starter, ...(notifier ? { notifier } : {}) });
  const coordinator = (notifier?: Notifier, starter?: Starter) => new Coordinator(deps(notifier, starter));
  const ask = (pipelineName: string, requestId: string, extra: Partial<StartRequest> = {}): StartRequest => ({
    requestId, pipelineName, triggerType: 'data-arrival', reason: 'a batch completed', priority: 3, ...extra,
  });
  const executionsOf = (pipelineName: string) => world.executionsOf(pipelineName);
  const log = (pipelineName: string) => store.decisions(pipelineName, 0, T0 + 400 * 24 * HOUR);

  test('a request deferred by the cooldown is answered from the record before delayUntil and decided afresh after it', async () => {
    const gate = coordinator();
    await gate.request(ask('deferred-pipeline', 'first'));
    world.clock = T0 + HOUR;
    const deferred = await gate.request(ask('deferred-pipeline', 'batch-7'));

    world.clock = T0 + 2 * HOUR;
    const early = await gate.request(ask('deferred-pipeline', 'batch-7'));
    world.clock = deferred.delayUntilMs! + 1;
    const late = await gate.request(ask('deferred-pipeline', 'batch-7'));

    expect(deferred).toMatchObject({ start: false, reason: 'cooldown', delayUntilMs: T0 + 6 * HOUR });
    expect(early).toEqual(deferred);
    expect(late).toMatchObject({ start: true, reason: 'started', sequence: 2 });
    expect(executionsOf('deferred-pipeline')).toHaveLength(2);
    expect((await log('deferred-pipeline')).map((d) => [d.requestId, d.outcome])).toEqual([
      ['first', 'started'], ['batch-7', 'suppressed'], ['batch-7', 'started'],
    ]);
  });

  test('a request held back by pending-approval is decided afresh once the approval was answered', async () => {
    const gate = coordinator();
    await gate.request(ask('held-pipeline', 'needs-ok', { requireApproval: true }));
    const held = await gate.request(ask('held-pipeline', 'batch-1'));
    const stillHeld = await gate.request(ask('held-pipeline', 'batch-1'));

    await gate.answerApproval('held-pipeline', 'needs-ok', false);
    const after = await gate.request(ask('held-pipeline', 'batch-1'));

    expect(held).toMatchObject({ start: false, reason: 'pending-approval' });
    expect(stillHeld).toEqual(held);
    expect(after).toMatchObject({ start: true, reason: 'started' });
    expect(executionsOf('held-pipeline')).toHaveLength(1);
  });

  test('a start refused with AccessDenied releases the reservation, logs the failure with its error, and leaves no phantom cooldown', async () => {
    const gate = coordinator();
    world.sagemaker.failNext(1, 'accessDenied');

    const failed = await gate.request(ask('denied-pipeline', 'd1'));
    const next = await gate.request(ask('denied-pipeline', 'd2'));

    expect(failed).toMatchObject({ start: false, reason: 'start-failed', error: expect.stringContaining('AccessDenied') });
    expect(next).toMatchObject({ start: true, reason: 'started' });
    const state = await store.readState('denied-pipeline');
    expect([state.runsToday, state.spentToday]).toEqual([1, 150]);
    const records = await log('denied-pipeline');
    expect(records.map((d) => [d.requestId, d.outcome])).toEqual([['d1', 'failed'], ['d2', 'started']]);
    expect(records[0].error).toContain('AccessDenied');
    expect(explainDecisions('denied-pipeline', 0, T0 + HOUR, records).lines[1]).toContain('failed to start: AccessDenied');
  });

  test('a start throttled past retries keeps its reservation; the retry starts it once with the same token', async () => {
    const gate = coordinator();
    world.sagemaker.failNext(2, 'throttle');

    await expect(gate.request(ask('throttled-pipeline', 't1'))).rejects.toThrow(/Rate exceeded/);
    const reserved = await store.readState('throttled-pipeline');
    const retried = await gate.request(ask('throttled-pipeline', 't1'));

    expect(reserved.runsToday).toBe(1);
    expect(retried).toMatchObject({ start: true, reason: 'started', sequence: 1, executionArn: expect.any(String) });
    expect(executionsOf('throttled-pipeline').map((e) => e.clientRequestToken)).toEqual([sha256('throttled-pipeline#t1')]);
    expect((await store.readState('throttled-pipeline')).runsToday).toBe(1);
    expect((await log('throttled-pipeline')).map((d) => d.outcome)).toEqual(['failed', 'started']);
  });

  test('a redelivery after a crash between reserve and start completes the start with the same token', async () => {
    let crashes = 1;
    const crashingStarter: Starter = {
      start: async (run) => {
        if (crashes-- > 0) throw new Error('Runtime exited with error: signal: killed');
        return sageMakerStarter.start(run);
      },
    };
    const crashing = coordinator(undefined, crashingStarter);

    await expect(crashing.request(ask('crash-pipeline', 'c1'))).rejects.toThrow(/killed/);
    const redelivered = await coordinator().request(ask('crash-pipeline', 'c1'));

    expect(redelivered).toMatchObject({ start: true, sequence: 1 });
    expect(executionsOf('crash-pipeline').map((e) => e.clientRequestToken)).toEqual([sha256('crash-pipeline#c1')]);
    expect((await store.readState('crash-pipeline')).runsToday).toBe(1);
  });

  test('a redelivery after a crash between the reservation and its decision record starts the reserved run, charged once', async () => {
    let crashes = 1;
    class CrashingStore extends CoordinatorStore {
      override async recordRequestDecision(pipeline: string, requestId: string, decision: Readonly<Record<string, unknown>>): Promise<void> {
        if (crashes-- > 0) throw new Error('Runtime exited with error: signal: killed');
        return super.recordRequestDecision(pipeline, requestId, decision);
      }
    }
    const crashing = new Coordinator({ ...deps(), store: new CrashingStore(world.client, TABLE, RETENTION_MS) });

    await expect(crashing.request(ask('reserved-pipeline', 'r1'))).rejects.toThrow(/killed/);
    world.clock += REQUEST_LEASE_MS + 1;
    const redelivered = await coordinator().request(ask('reserved-pipeline', 'r1'));

    expect(redelivered).toMatchObject({ start: true, sequence: 1 });
    expect(executionsOf('reserved-pipeline').map((e) => e.clientRequestToken)).toEqual([sha256('reserved-pipeline#r1')]);
    const state = await store.readState('reserved-pipeline');
    expect([state.runsToday, state.sequence]).toEqual([1, 1]);
    expect((await log('reserved-pipeline')).map((d) => d.outcome)).toEqual(['started']);
  });

  test('an approval notice that failed to publish is sent again when the request is redelivered, and only until it was sent', async () => {
    const gate = coordinator(world.flakyNotifier(1));
    const sentFor = () => world.sns.messages.filter((m) => m.message.includes('Request: lost-notice')).length;

    await expect(gate.request(ask('notice-pipeline', 'lost-notice', { requireApproval: true }))).rejects.toThrow(/SNS unavailable/);
    const redelivered = await gate.request(ask('notice-pipeline', 'lost-notice', { requireApproval: true }));
    const sentAfterRedelivery = sentFor();
    await gate.request(ask('notice-pipeline', 'lost-notice', { requireApproval: true }));

    expect(redelivered).toMatchObject({ start: false, reason: 'awaiting-approval' });
    expect(sentAfterRedelivery).toBe(1);
    expect(sentFor()).toBe(1);
  });

  test('an approved request starts with its own token', async () => {
    const gate = coordinator();
    await gate.request(ask('approved-pipeline', 'drift-high', { requireApproval: true, triggerType: 'drift', priority: 2 }));

    const approved = await gate.answerApproval('approved-pipeline', 'drift-high', true);

    expect(approved).toMatchObject({ start: true, reason: 'approved' });
    expect(executionsOf('approved-pipeline').map((e) => e.clientRequestToken)).toEqual([sha256('approved-pipeline#drift-high')]);
  });

  test('32 concurrent requests that may all start are all decided, and the counters equal the runs started', async () => {
    const gate = coordinator();

    const settled = await Promise.allSettled(Array.from({ length: 32 }, (_, i) => gate.request(ask('busy-pipeline', `busy-${i}`, { priority: 1 }))));

    expect(settled.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
    const answers = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    expect(answers.filter((a) => a.start)).toHaveLength(32); // priority 1 passes cooldown, cap and budget
    const state = await store.readState('busy-pipeline');
    expect([state.runsToday, state.spentToday, state.sequence]).toEqual([32, 4800, 32]);
    expect(executionsOf('busy-pipeline')).toHaveLength(32);
    expect(await log('busy-pipeline')).toHaveLength(32);
  });
});
