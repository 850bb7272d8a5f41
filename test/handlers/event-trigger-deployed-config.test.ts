import { configReads, deploy, invokeThrottledThenRetry } from '../support/handler-deployment';
import { quietStdoutPerTest, running, SERVICES_TIMEOUT } from '../support/handler-harness';
import { BUS_SOURCE, busEvent, chainAfter, EventTriggerWorld, fixture, trigger } from '../support/handler-event-triggers';

jest.setTimeout(SERVICES_TIMEOUT);

describe('event trigger function against DynamoDB (dynalite) and SageMaker', () => {
  const world = running(new EventTriggerWorld());
  quietStdoutPerTest();

  describe('the configuration is the deployed one, never one the invocation carries (fix for "configuration travels in the payload")', () => {
    /** What a forger sends along with a real trigger id: another pipeline, its own data, top priority, its own bucket, a pattern passing anything. */
    const forgedTrigger = (deployed: ReturnType<typeof trigger>) => ({
      ...deployed,
      pipelineName: 'attacker-pipeline',
      parameters: { DatasetUri: 's3://attacker-bucket/x' },
      priority: 1,
      manifestBucket: 'attacker-bucket',
      pattern: { source: [{ exists: true }] },
    });

    test('a forged trigger object in the invocation is ignored: the run uses the deployed pipeline and parameters', async () => {
      // Prepare
      const deployed = trigger('forged-event', { parameters: { ModelId: '{{ event.model_id }}' } });
      deploy(world.ssm, deployed);
      const event = busEvent('model.added', fixture('events/platform-model-added.json'));

      // Act
      const result = await world.lambdaHandler({ triggerId: deployed.triggerId, trigger: forgedTrigger(deployed), event });

      // Assess
      expect(result).toMatchObject({ status: 'started' });
      expect(world.runsOf('forged-event').map((e) => e.parameters)).toEqual([{ ModelId: 'model_xyz789' }]);
      expect(world.sagemaker.calls.filter((call) => call.pipelineName === 'attacker-pipeline')).toEqual([]);
      expect(world.lambda.invocations.filter((i) => JSON.stringify(i.payload).includes('forged-event'))).toEqual([]);
    });

    test.each<[string, unknown]>([
      ['an id no trigger was deployed under', 'no-such-trigger'],
      ['a path as the id', 'a/../b'],
      ['an id of 65 characters', 'x'.repeat(65)],
      ['a number as the id', 42],
    ])('%s is rejected naming triggerId: nothing starts and nothing is written', async (_what, triggerId) => {
      // Prepare: this deployment's configurations already read (by an earlier invocation, here one of another
      // unknown id); a join's configuration is what the forger sends along, so that an accepted event would be written.
      await world.lambdaHandler({ triggerId: 'earlier-unknown-id', event: busEvent('data_updated', { event_id: 'earlier', data: {} }) });
      const forged = forgedTrigger(trigger(String(triggerId), { mode: 'join', events: ['data_updated', 'features_ready'], windowSeconds: 3600 }));
      const itemsBefore = await world.joinItems();
      const callsBefore = world.sagemaker.calls.length;
      const ssmCallsBefore = world.ssm.calls.length;

      // Act
      const result = await world.lambdaHandler({ triggerId, trigger: forged, event: busEvent('data_updated', { event_id: 'forged', data: {} }) });

      // Assess: no id, known to be no trigger or malformed, costs an SSM call.
      expect(result).toEqual({ status: 'rejected', error: { field: 'triggerId', problem: expect.any(String) } });
      expect(world.sagemaker.calls.length).toBe(callsBefore);
      expect(await world.joinItems()).toEqual(itemsBefore);
      expect(world.ssm.calls.length - ssmCallsBefore).toBe(0);
    });

    test.each<[string, Record<string, unknown>]>([
      ['another source', { ...busEvent('model.added', { event_id: 'other-source', data: { team: 'ml' } }), source: 'attacker.source' }],
      ['another detail-type', busEvent('model.deleted', { event_id: 'other-type', data: { team: 'ml' } })],
      ['data the filter does not pass', busEvent('model.added', { event_id: 'other-team', data: { team: 'attacker' } })],
      ['no data for the filter', busEvent('model.added', { event_id: 'no-team', data: {} })],
    ])('an event with %s, which the rule would not pass, is rejected naming event: nothing starts', async (what, event) => {
      // Prepare: a trigger whose rule passes model.added from the bus for team ml only.
      const deployed = trigger(`pattern-${what.replace(/[^a-z]/gi, '').slice(0, 40)}`, {
        pattern: { source: [BUS_SOURCE], 'detail-type': ['model.added'], detail: { data: { team: ['ml'] } } },
        parameters: { Team: '{{ event.team | default: \'none\' }}' },
      });
      deploy(world.ssm, deployed);
      const itemsBefore = await world.joinItems();

      // Act: the event outside the pattern, then one inside it.
      const result = await world.lambdaHandler({ triggerId: deployed.triggerId, event });
      const runsAfterRejection = world.runsOf(deployed.triggerId).length;
      const control = await world.lambdaHandler({ triggerId: deployed.triggerId, event: busEvent('model.added', { event_id: 'passes', data: { team: 'ml' } }) });

      // Assess
      expect(result).toEqual({ status: 'rejected', error: { field: 'event', problem: expect.any(String) } });
      expect(runsAfterRejection).toBe(0);
      expect(await world.joinItems()).toEqual(itemsBefore);
      expect(control).toMatchObject({ status: 'started' });
      expect(world.runsOf(deployed.triggerId).map((e) => e.parameters)).toEqual([{ Team: 'ml' }]);
    });

    test('a chain rejects a status change of another pipeline or another status, which its rule would not pass', async () => {
      // Prepare
      const deployed = chainAfter('chain-pattern', 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/training-pipeline');
      deploy(world.ssm, deployed);
      const succeeded = fixture('events/sagemaker-pipeline-execution-status-change.json');
      const otherPipeline = { ...succeeded, id: 'other-pipeline', detail: { ...succeeded.detail, pipelineArn: 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/attacker-pipeline' } };
      const failed = { ...succeeded, id: 'failed', detail: { ...succeeded.detail, currentPipelineExecutionStatus: 'Failed' } };

      // Act
      const results = [await world.lambdaHandler({ triggerId: deployed.triggerId, event: otherPipeline }), await world.lambdaHandler({ triggerId: deployed.triggerId, event: failed })];

      // Assess
      expect(results).toEqual([
        { status: 'rejected', error: { field: 'event', problem: expect.any(String) } },
        { status: 'rejected', error: { field: 'event', problem: expect.any(String) } },
      ]);
      expect(world.runsOf('chain-pattern')).toEqual([]);
    });

    test('events read the configurations once per deployment; a new deployment version reads them again', async () => {
      // Prepare
      const deployed = trigger('cached-event', { parameters: { Id: '{{ event.id }}' } });
      deploy(world.ssm, deployed, 'cache-deployment-1');
      const before = configReads(world.ssm).length;

      // Act: one event, four more and an unknown id under the same deployment, then one event under the next.
      const event = (i: number) => busEvent('model.added', { event_id: `cached-${i}`, data: { id: `${i}` } });
      const results = [await world.lambdaHandler({ triggerId: deployed.triggerId, event: event(0) })];
      const oneLoad = configReads(world.ssm).length - before;
      for (let i = 1; i < 5; i++) results.push(await world.lambdaHandler({ triggerId: deployed.triggerId, event: event(i) }));
      const unknown = await world.lambdaHandler({ triggerId: 'never-deployed', event: event(9) });
      const underFirst = configReads(world.ssm).length - before;
      deploy(world.ssm, deployed, 'cache-deployment-2');
      results.push(await world.lambdaHandler({ triggerId: deployed.triggerId, event: event(5) }));

      // Assess: a load is one call per page of ten configurations, however many earlier tests deployed.
      expect(results.map((result) => result.status)).toEqual(Array(6).fill('started'));
      expect(unknown).toEqual({ status: 'rejected', error: { field: 'triggerId', problem: expect.any(String) } });
      expect(oneLoad).toBeGreaterThanOrEqual(1);
      expect(underFirst).toBe(oneLoad);
      expect(configReads(world.ssm).slice(before).map((call) => call.outcome)).toEqual(Array(2 * oneLoad).fill('served'));
    });

    test('a throttled configuration read throws, so Lambda retries, and starts nothing; the retry starts the run', async () => {
      // Prepare: a join trigger whose configuration is not cached yet.
      const deployed = trigger('throttled-event', { mode: 'join', events: ['data_updated', 'features_ready'], windowSeconds: 3600 });
      deploy(world.ssm, deployed);
      const now = new Date().toISOString();
      await world.lambdaHandler({ triggerId: deployed.triggerId, event: busEvent('data_updated', { event_id: 'td', data: {} }, now) });
      process.env.TRIGGER_CONFIG_VERSION = 'throttled-redeployment';
      const itemsBefore = await world.joinItems();
      const completing = { triggerId: deployed.triggerId, event: busEvent('features_ready', { event_id: 'tf', data: {} }, now) };

      // Act: the completing event while SSM throttles, then Lambda's retry.
      const { throttled, afterFailure, retried } = await invokeThrottledThenRetry(world.ssm, () => world.lambdaHandler(completing), async () => ({
        items: await world.joinItems(),
        runs: world.runsOf('throttled-event').length,
      }));

      // Assess
      expect(throttled).toBe(true);
      expect(afterFailure).toEqual({ items: itemsBefore, runs: 0 });
      expect(retried).toMatchObject({ status: 'started' });
      expect(world.runsOf('throttled-event')).toHaveLength(1);
    });
  });
});
