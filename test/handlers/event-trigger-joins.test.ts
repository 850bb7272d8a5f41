import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { CoordinatorClient } from '../../lambda/aws/adapters/coordinator-client';
import { Launchers } from '../../lambda/aws/adapters/launcher';
import { PipelineStarter } from '../../lambda/aws/adapters/pipeline-starter';
import type { JoinState } from '../../lambda/core/joins';
import { EventStarter, parseReceivedEvent } from '../../lambda/aws/events/event-starter';
import { parseEventTriggerConfig } from '../../lambda/core/contracts/event-trigger';
import { JoinStore, type JoinDocuments } from '../../lambda/aws/events/join-store';
import type { VersionedDocument } from '../../lambda/core/persistence';
import { quietStdoutPerTest, running, SERVICES_TIMEOUT } from '../support/handler-harness';
import { busEvent, EventTriggerWorld, HOUR, trigger } from '../support/handler-event-triggers';

jest.setTimeout(SERVICES_TIMEOUT);

/** The join store, crashing once on the write that gives up a pending join (after its run started). */
class CrashBeforeSettleStore implements JoinDocuments {
  private armed = true;
  constructor(private readonly inner: JoinDocuments) {}

  document(triggerId: string): VersionedDocument<JoinState> {
    const document = this.inner.document(triggerId);
    return {
      read: () => document.read(),
      write: async (next, expectedVersion) => {
        const stored = await document.read();
        if (this.armed && stored.pending !== undefined && next.pending === undefined) {
          this.armed = false;
          throw new Error('the function died before it gave up the join');
        }
        return document.write(next, expectedVersion);
      },
    };
  }
}

describe('event trigger function against DynamoDB (dynalite) and SageMaker', () => {
  const world = running(new EventTriggerWorld());
  quietStdoutPerTest();

  describe('joins', () => {
    const join = (triggerId: string) =>
      trigger(triggerId, {
        mode: 'join',
        events: ['data_updated', 'features_ready'],
        windowSeconds: 24 * 3600,
        parameters: { Dataset: '{{ events.data_updated.dataset }}', FeatureVersion: '{{ events.features_ready.version }}' },
      });

    test('starts once both events occurred within the window, with parameters from each; a start resets the join', async () => {
      const now = Date.now();
      const a = await world.handler({ trigger: join('join-ok'), event: busEvent('data_updated', { event_id: 'd1', data: { dataset: 's3://d/1' } }, new Date(now - 2 * HOUR).toISOString()) });
      const b = await world.handler({ trigger: join('join-ok'), event: busEvent('features_ready', { event_id: 'f1', data: { version: '7' } }, new Date(now).toISOString()) });
      const aAgain = await world.handler({ trigger: join('join-ok'), event: busEvent('data_updated', { event_id: 'd2', data: { dataset: 's3://d/2' } }) });

      expect(a).toMatchObject({ status: 'waiting', waitingFor: ['features_ready'] });
      expect(b).toMatchObject({ status: 'started' });
      expect(aAgain).toMatchObject({ status: 'waiting', waitingFor: ['features_ready'] });
      expect(world.runsOf('join-ok').map((e) => e.parameters)).toEqual([{ Dataset: 's3://d/1', FeatureVersion: '7' }]);
    });

    test('an event from the future (its publisher sets the time) is rejected naming event.time, and the real events still join', async () => {
      const now = Date.now();
      const forged = await world.handler({ trigger: join('join-future'), event: busEvent('data_updated', { event_id: 'far', data: { dataset: 's3://attacker' } }, new Date(now + 365 * 24 * HOUR).toISOString()) });
      const a = await world.handler({ trigger: join('join-future'), event: busEvent('data_updated', { event_id: 'd', data: { dataset: 's3://real' } }, new Date(now).toISOString()) });
      const b = await world.handler({ trigger: join('join-future'), event: busEvent('features_ready', { event_id: 'f', data: { version: '3' } }, new Date(now).toISOString()) });

      expect(forged).toMatchObject({ status: 'rejected', error: { field: 'event.time' } });
      expect([a.status, b.status]).toEqual(['waiting', 'started']);
      expect(world.runsOf('join-future').map((e) => e.parameters)).toEqual([{ Dataset: 's3://real', FeatureVersion: '3' }]);
    });

    test('a few minutes of clock skew between publisher and function are allowed', async () => {
      const ahead = new Date(Date.now() + 2 * 60_000).toISOString();

      const outcome = await world.handler({ trigger: join('join-skew'), event: busEvent('data_updated', { event_id: 'd', data: { dataset: 's3://d' } }, ahead) });

      expect(outcome).toMatchObject({ status: 'waiting' });
    });

    test("yesterday's event never pairs with today's", async () => {
      const now = Date.now();
      await world.handler({ trigger: join('join-stale'), event: busEvent('data_updated', { event_id: 'old', data: { dataset: 's3://old' } }, new Date(now - 25 * HOUR).toISOString()) });

      const b = await world.handler({ trigger: join('join-stale'), event: busEvent('features_ready', { event_id: 'f', data: { version: '1' } }, new Date(now).toISOString()) });

      expect(b).toMatchObject({ status: 'waiting', waitingFor: ['data_updated'] });
      expect(world.runsOf('join-stale')).toEqual([]);
    });

    test('concurrent, repeated arrivals of both events start exactly one run', async () => {
      const now = new Date().toISOString();
      const a = busEvent('data_updated', { event_id: 'ca', data: { dataset: 's3://c' } }, now);
      const b = busEvent('features_ready', { event_id: 'cb', data: { version: '3' } }, now);

      await Promise.all([a, b, a, b, a, b, b, a].map((event) => world.handler({ trigger: join('join-race'), event })));

      expect(world.runsOf('join-race')).toHaveLength(1);
    });

    test('a start that fails keeps the join: the retry of the same event starts it once, with the same token', async () => {
      const now = new Date().toISOString();
      await world.handler({ trigger: join('join-retry'), event: busEvent('data_updated', { event_id: 'rd', data: { dataset: 's3://r' } }, now) });
      const completing = busEvent('features_ready', { event_id: 'rf', data: { version: '4' } }, now);
      world.sagemaker.failNext(1, 'accessDenied');

      const failed = world.handler({ trigger: join('join-retry'), event: completing });
      await expect(failed).rejects.toThrow();
      const retried = await world.handler({ trigger: join('join-retry'), event: completing });
      const redelivered = await world.handler({ trigger: join('join-retry'), event: completing });

      expect(retried).toMatchObject({ status: 'started' });
      expect(redelivered).toMatchObject({ status: 'unchanged' });
      expect(world.runsOf('join-retry').map((e) => e.parameters)).toEqual([{ Dataset: 's3://r', FeatureVersion: '4' }]);
    });

    test('a crash between the start and giving up the join neither starts twice nor loses the join', async () => {
      const starter = new EventStarter({
        joins: new CrashBeforeSettleStore(new JoinStore(new DynamoDBClient({}), 'joins')),
        launchers: new Launchers(new PipelineStarter(new SageMakerClient({})), new CoordinatorClient(new LambdaClient({}))),
        now: () => Date.now(),
        pause: async () => undefined,
        random: Math.random,
      });
      const config = parseEventTriggerConfig(join('join-crash'));
      const parse = (event: unknown) => {
        const parsed = parseReceivedEvent(event);
        if (!parsed.ok) throw new Error(parsed.error.problem);
        return parsed.value;
      };
      if (!config.ok) throw new Error(config.error.problem);
      const now = new Date().toISOString();
      await starter.handle(config.value, parse(busEvent('data_updated', { event_id: 'xd', data: { dataset: 's3://x' } }, now)));
      const completing = parse(busEvent('features_ready', { event_id: 'xf', data: { version: '5' } }, now));

      await expect(starter.handle(config.value, completing)).rejects.toThrow('died');
      const retried = await starter.handle(config.value, completing);
      const fresh = await starter.handle(config.value, parse(busEvent('data_updated', { event_id: 'xd2', data: { dataset: 's3://x2' } })));

      expect(world.runsOf('join-crash')).toHaveLength(1);
      expect(retried).toEqual({ status: 'started', executionArn: world.runsOf('join-crash')[0].executionArn, requestId: expect.any(String) });
      expect(fresh).toMatchObject({ status: 'waiting', waitingFor: ['features_ready'] });
    });

    test('a join the coordinator defers keeps its occurrences and re-asks with the same request id on the next occurrence', async () => {
      const coordinated = { ...join('join-deferred'), coordinatorFunction: 'join-coordinator' };
      const now = new Date().toISOString();
      const asked = () => world.lambda.invocations.filter((i) => JSON.stringify(i.payload).includes('join trigger join-deferred')).map((i) => (i.payload as { request: { requestId: string } }).request.requestId);
      await world.handler({ trigger: coordinated, event: busEvent('data_updated', { event_id: 'dd', data: { dataset: 's3://deferred' } }, now) });
      world.coordinatorAnswers.push({ start: false, reason: 'cooldown', delayUntilMs: Date.now() - 1 });

      const deferred = await world.handler({ trigger: coordinated, event: busEvent('features_ready', { event_id: 'df', data: { version: '6' } }, now) });
      world.coordinatorAnswers.push({ start: true, reason: 'accepted', executionArn: 'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/p/execution/deferred' });
      const reasked = await world.handler({ trigger: coordinated, event: busEvent('data_updated', { event_id: 'dd2', data: { dataset: 's3://later' } }) });

      expect(deferred).toMatchObject({ status: 'deferred', reason: 'cooldown' });
      expect(reasked).toMatchObject({ status: 'started', requestId: (deferred as { requestId: string }).requestId });
      expect(asked()).toEqual([(deferred as { requestId: string }).requestId, (deferred as { requestId: string }).requestId]);
      const requests = world.lambda.invocations.filter((i) => JSON.stringify(i.payload).includes('join trigger join-deferred')).map((i) => (i.payload as { request: { parameters: unknown } }).request.parameters);
      expect(requests[1]).toEqual(requests[0]);
      expect(requests[0]).toEqual({ Dataset: 's3://deferred', FeatureVersion: '6' });
    });

    test('a completed join whose template can never render is rejected naming the parameter, starts nothing, and frees the join', async () => {
      const now = new Date().toISOString();
      await world.handler({ trigger: join('join-unrenderable'), event: busEvent('data_updated', { event_id: 'ud', data: {} }, now) });

      const rejected = await world.handler({ trigger: join('join-unrenderable'), event: busEvent('features_ready', { event_id: 'uf', data: { version: '1' } }, now) });
      const redelivered = await world.handler({ trigger: join('join-unrenderable'), event: busEvent('features_ready', { event_id: 'uf', data: { version: '1' } }, now) });
      await world.handler({ trigger: join('join-unrenderable'), event: busEvent('data_updated', { event_id: 'ud2', data: { dataset: 's3://ok' } }) });
      const next = await world.handler({ trigger: join('join-unrenderable'), event: busEvent('features_ready', { event_id: 'uf2', data: { version: '2' } }) });

      expect(rejected).toMatchObject({ status: 'rejected', error: { field: expect.stringContaining('Dataset') } });
      expect(redelivered).toMatchObject({ status: 'unchanged' });
      expect(next).toMatchObject({ status: 'started' });
      expect(world.runsOf('join-unrenderable').map((e) => e.parameters)).toEqual([{ Dataset: 's3://ok', FeatureVersion: '2' }]);
    });
  });
});
