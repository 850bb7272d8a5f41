import { correlationIdOf, requestIdOf, scheduledRequestId, startTokenOf, type LaunchRequest } from '../../lambda/core/launch';
import { parseStartRequest, type StartRequest } from '../../lambda/core/coordination';
import { Launchers } from '../../lambda/aws/adapters/launcher';
import type { CoordinatorReply } from '../../lambda/aws/adapters/coordinator-client';
import type { StartRequest as SageMakerStart } from '../../lambda/aws/adapters/pipeline-starter';

const request = (overrides: Partial<LaunchRequest> = {}): LaunchRequest => ({
  triggerType: 'event',
  triggerId: 'auto-deploy-1a2b3c4d',
  occasion: 'event#evt_abc123',
  pipelineName: 'deploy-pipeline',
  parameters: [{ Name: 'ModelId', Value: 'model_xyz' }],
  priority: 2,
  reason: 'event trigger auto-deploy: event#evt_abc123',
  displayName: 'event-trigger',
  ...overrides,
});

/** Records what reaches SageMaker and the coordinator, answering as told. */
function recording(reply: CoordinatorReply = { start: true, reason: 'allowed', executionArn: 'arn:run/1' }) {
  const starts: SageMakerStart[] = [];
  const asked: Array<{ fn: string; request: StartRequest }> = [];
  const withdrawn: Array<{ fn: string; pipelineName: string; requestId: string }> = [];
  const launchers = new Launchers(
    { start: async (start) => (starts.push(start), `arn:run/${starts.length}`), find: async () => undefined },
    {
      request: async (fn, sent) => (asked.push({ fn, request: sent }), reply),
      withdraw: async (fn, pipelineName, requestId) => (withdrawn.push({ fn, pipelineName, requestId }), reply),
    },
  );
  return { starts, asked, withdrawn, launchers };
}

describe('one start path: identities are derived in one place', () => {
  test('the same occasion gives the same request id, token and correlation id; another occasion or trigger gives others', () => {
    const id = requestIdOf('event', 'trigger-a', 'event#1');

    expect(requestIdOf('event', 'trigger-a', 'event#1')).toBe(id);
    expect(requestIdOf('event', 'trigger-a', 'event#2')).not.toBe(id);
    expect(requestIdOf('event', 'trigger-b', 'event#1')).not.toBe(id);
    expect(requestIdOf('drift', 'trigger-a', 'event#1')).not.toBe(id);
    expect(startTokenOf('p', id)).toMatch(/^[0-9a-f]{64}$/);
    expect(startTokenOf('q', id)).not.toBe(startTokenOf('p', id));
  });

  test('every derived request id passes the coordinator\'s own parser', () => {
    const ids = [
      requestIdOf('data-arrival', 'labels-trigger', 'labels-trigger#epoch-1#7'),
      requestIdOf('drift', 'Stack/Drift', 's3://reports/endpoint/schedule/2027/03/01/10/constraint_violations.json'),
      scheduledRequestId('0123456789ab', '2027-03-01T10:00:00Z'),
    ];
    for (const requestId of ids) {
      expect(parseStartRequest({ requestId, pipelineName: 'p', triggerType: 'manual', reason: 'r', priority: 3 })).toMatchObject({ ok: true });
    }
  });

  test('a correlation id is printable, without spaces, and at most 256 characters', () => {
    const correlation = correlationIdOf('event', `join#a b\tc${'x'.repeat(400)}`);

    expect(correlation).toMatch(/^evt:join#a\+b\+cx+$/);
    expect(correlation).toHaveLength(256);
  });
});

describe('Launchers', () => {
  test('a route without a coordinator starts directly with the derived token, display name and correlation id', async () => {
    const { starts, asked, launchers } = recording();

    const outcome = await launchers.for({}).launch(request());

    const requestId = requestIdOf('event', 'auto-deploy-1a2b3c4d', 'event#evt_abc123');
    expect(outcome).toEqual({ status: 'started', requestId, executionArn: 'arn:run/1' });
    expect(asked).toEqual([]);
    expect(starts).toEqual([
      {
        pipelineName: 'deploy-pipeline',
        clientRequestToken: startTokenOf('deploy-pipeline', requestId),
        parameters: [{ Name: 'ModelId', Value: 'model_xyz' }],
        displayName: 'event-trigger',
        description: 'event trigger auto-deploy: event#evt_abc123',
        correlationId: 'evt:event#evt_abc123',
      },
    ]);
  });

  test('a coordinated route asks its coordinator with the same request id the direct route would have started with', async () => {
    const { starts, asked, launchers } = recording();

    const outcome = await launchers.for({ coordinatorFunction: 'arn:coordinator', priority: 2 }).launch(request({ dataSizeGb: 1.5, requireApproval: true }));

    const requestId = requestIdOf('event', 'auto-deploy-1a2b3c4d', 'event#evt_abc123');
    expect(outcome).toEqual({ status: 'started', requestId, executionArn: 'arn:run/1' });
    expect(starts).toEqual([]);
    expect(asked).toEqual([
      {
        fn: 'arn:coordinator',
        request: {
          requestId,
          pipelineName: 'deploy-pipeline',
          triggerType: 'event',
          reason: 'event trigger auto-deploy: event#evt_abc123',
          priority: 2,
          dataSizeGb: 1.5,
          requireApproval: true,
          correlationId: 'evt:event#evt_abc123',
          parameters: { ModelId: 'model_xyz' },
        },
      },
    ]);
    expect(parseStartRequest(asked[0].request)).toMatchObject({ ok: true });
  });

  test('a deferral keeps its date; start-failed and rejected are refusals, which no later asking changes', async () => {
    const deferred = await recording({ start: false, reason: 'cooldown', delayUntilMs: 1_000 }).launchers.for({ coordinatorFunction: 'c' }).launch(request());
    const parked = await recording({ start: false, reason: 'pending-approval' }).launchers.for({ coordinatorFunction: 'c' }).launch(request());
    const failed = await recording({ start: false, reason: 'start-failed', error: 'AccessDeniedException: no' }).launchers.for({ coordinatorFunction: 'c' }).launch(request());
    const rejected = await recording({ start: false, reason: 'rejected' }).launchers.for({ coordinatorFunction: 'c' }).launch(request());

    expect(deferred).toMatchObject({ status: 'deferred', reason: 'cooldown', delayUntilMs: 1_000 });
    expect(parked).toMatchObject({ status: 'deferred', reason: 'pending-approval' });
    expect(parked).not.toHaveProperty('delayUntilMs');
    expect(failed).toMatchObject({ status: 'refused', reason: 'start-failed', error: 'AccessDeniedException: no' });
    expect(rejected).toMatchObject({ status: 'refused', reason: 'rejected' });
  });

  test('one launcher per route: asking twice for the same coordinator gives the same launcher', () => {
    const { launchers } = recording();

    expect(launchers.for({ coordinatorFunction: 'a' })).toBe(launchers.for({ coordinatorFunction: 'a', priority: 1 }));
    expect(launchers.for({ coordinatorFunction: 'a' })).not.toBe(launchers.for({ coordinatorFunction: 'b' }));
    expect(launchers.for({})).toBe(launchers.for({ priority: 2 }));
  });

  test('withdrawing names the same request id; a coordinator withdraws, a direct route finds nothing to keep; the answer is a start or a refusal', async () => {
    const gone = recording({ start: false, reason: 'withdrawn' });
    const ran = recording({ start: true, reason: 'started', executionArn: 'arn:run/9' });
    const busy = recording({ start: false, reason: 'cooldown', delayUntilMs: 5 });

    const refused = await gone.launchers.for({ coordinatorFunction: 'c' }).withdraw!(request());
    const started = await ran.launchers.for({ coordinatorFunction: 'c' }).withdraw!(request());

    const requestId = requestIdOf('event', 'auto-deploy-1a2b3c4d', 'event#evt_abc123');
    expect(refused).toEqual({ status: 'refused', requestId, reason: 'withdrawn' });
    expect(started).toEqual({ status: 'started', requestId, executionArn: 'arn:run/9' });
    expect(gone.withdrawn).toEqual([{ fn: 'c', pipelineName: 'deploy-pipeline', requestId }]);
    await expect(busy.launchers.for({ coordinatorFunction: 'c' }).withdraw!(request())).rejects.toThrow(/could not withdraw/);
    await expect(gone.launchers.for({}).withdraw!(request())).resolves.toEqual({ status: 'refused', requestId, reason: 'withdrawn' });
  });
});
