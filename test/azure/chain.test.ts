import { InvocationContext, type EventGridEvent, type EventGridHandler } from '@azure/functions';
import { AzureMLJobs } from '../../lambda/azure/adapters/azure-ml-jobs';
import { RedeliveryRequested, settle, type Outcome } from '../../lambda/azure/adapters/functions-host';
import { ManagedIdentityTokenSource } from '../../lambda/azure/adapters/managed-identity';
import { chainHandler } from '../../lambda/azure/chain/handler';
import { parseAzureChainSettings } from '../../lambda/core/contracts/azure-functions';
import { PIPELINE_JOB_ID_PATTERN, pipelineJobId } from '../../lambda/core/pipeline-job';
import { captureEachTestLogs, decisions, FAKE_AZURE_TIMEOUT, fixture, registeredHandler, RESOURCE_GROUP, SUBSCRIPTION, TARGET, useFakeAzureML } from './function-harness';

const UPSTREAM = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/features-ws`;
const SETTINGS = {
  triggerId: 'churn-chain',
  ...TARGET,
  upstream: { workspaceId: UPSTREAM, experimentNames: ['feature-build'], statuses: ['Completed'] },
};
const RUN_ID = 'feature-build_1772431200_3b9e2f10';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests reach deep into fixtures to break them

const completed = (change: (event: Json) => void = () => undefined): Json => {
  const event = fixture<Json>('run-completed.json');
  change(event);
  return event;
};
const statusChanged = (runStatus: unknown, change: (event: Json) => void = () => undefined): Json => {
  const event = fixture<Json>('run-status-changed.json');
  event.data.runStatus = runStatus;
  change(event);
  return event;
};
const jobName = (status: string) => pipelineJobId('churn-chain', 'chain', [UPSTREAM.toLowerCase(), RUN_ID, status]);

describe('pipelineJobId with the chain kind', () => {
  test('chain ids carry the letter c, and the ids of the existing kinds are unchanged (pinned before chain was added)', () => {
    expect(pipelineJobId('churn-nightly', 'scheduled', ['118'])).toBe('churn-nightly-s-3d319e46c50d7bd931688bc4c7760dd7');
    expect(pipelineJobId('churn-drift', 'drift', ['a', '1'])).toBe('churn-drift-d-e45572c603aa26ea40bc4e9f11659bcf');
    expect(pipelineJobId('churn-chain', 'chain', ['x'])).toBe('churn-chain-c-e9b588fa33e31a8e1a92d40ade5d9565');
  });
});

describe('chain function (upstream workspace -> Event Grid -> this function) against the fake Azure ML', () => {
  const suite = useFakeAzureML(() => ({ TRIGGER_SETTINGS: JSON.stringify(SETTINGS) }));
  const logs = captureEachTestLogs();
  const handle = chainHandler({ jobs: new AzureMLJobs(new ManagedIdentityTokenSource(Date.now)) });
  const withStatuses = (statuses: string[]) => chainHandler({
    jobs: new AzureMLJobs(new ManagedIdentityTokenSource(Date.now)),
    settings: () => parseAzureChainSettings({ ...SETTINGS, upstream: { ...SETTINGS.upstream, statuses } }),
  });

  test('RunCompleted and RunStatusChanged(Completed) of one run give one job with the upstream run\'s parameters', async () => {
    const first = settle(await handle(completed(), 'invocation-1'));
    const second = settle(await handle(statusChanged('Completed'), 'invocation-2'));

    expect(jobName('Completed')).toMatch(PIPELINE_JOB_ID_PATTERN);
    expect(jobName('Completed')).toMatch(/^churn-chain-c-[0-9a-f]{32}$/);
    expect(first).toMatchObject({ status: 'created', pipelineJob: jobName('Completed') });
    expect(second).toMatchObject({ status: 'already-existed', pipelineJob: jobName('Completed') });
    expect(suite.fake.jobs).toHaveLength(1);
    expect(suite.fake.jobs[0].body).toMatchObject({
      properties: {
        jobType: 'Pipeline', experimentName: 'churn-retrain', componentId: TARGET.componentId,
        inputs: {
          Epochs: { jobInputType: 'literal', value: '20' },
          UpstreamRunId: { jobInputType: 'literal', value: RUN_ID },
          UpstreamExperiment: { jobInputType: 'literal', value: 'feature-build' },
          UpstreamStatus: { jobInputType: 'literal', value: 'Completed' },
        },
        tags: { 'ml-trigger-id': 'churn-chain', 'ml-trigger-type': 'chain' },
      },
    });
    expect(suite.fake.jobs[0].correlationId).toBe(completed().id);
    expect(decisions(logs.lines)).toEqual([
      expect.objectContaining({ triggerId: 'churn-chain', correlationId: completed().id, decision: 'created', reason: expect.stringContaining(RUN_ID) }),
      expect.objectContaining({ triggerId: 'churn-chain', correlationId: statusChanged('Completed').id, decision: 'already-existed' }),
    ]);
  }, FAKE_AZURE_TIMEOUT);

  test('the topic matches the upstream workspace id without regard to case', async () => {
    const outcome = await handle(completed((e) => {
      e.topic = UPSTREAM.toLowerCase();
    }), 'invocation-3');

    expect(outcome).toMatchObject({ status: 'created', pipelineJob: jobName('Completed') });
  }, FAKE_AZURE_TIMEOUT);

  test('a failed run (runStatus "failed", as the documented sample spells it) is ignored unless Failed is listed', async () => {
    const unlisted = await handle(statusChanged('failed'), 'invocation-4');
    const listed = await withStatuses(['Completed', 'Failed'])(statusChanged('failed'), 'invocation-5');

    expect(unlisted).toMatchObject({ status: 'ignored', reason: "status 'failed' is not one of Completed" });
    expect(listed).toMatchObject({ status: 'created', pipelineJob: jobName('Failed') });
    expect(suite.fake.jobs).toHaveLength(1);
    expect(suite.fake.jobs[0].body).toMatchObject({ properties: { inputs: { UpstreamStatus: { value: 'Failed' } } } });
  }, FAKE_AZURE_TIMEOUT);

  test('a run that is still running is ignored, and so is a completion when only Failed is listed', async () => {
    const running = await handle(statusChanged('Running'), 'invocation-6');
    const completion = await withStatuses(['Failed'])(completed(), 'invocation-7');

    expect(running).toMatchObject({ status: 'ignored', reason: expect.stringContaining("'Running'") });
    expect(completion).toMatchObject({ status: 'ignored', reason: "status 'Completed' is not one of Failed" });
    expect(suite.fake.putAttempts).toHaveLength(0);
  }, FAKE_AZURE_TIMEOUT);

  test('a run of an unlisted experiment is ignored with the reason', async () => {
    const outcome = settle(await handle(completed((e) => {
      e.data.experimentName = 'ad-hoc-notebook';
    }), 'invocation-8'));

    expect(outcome).toEqual({ status: 'ignored', reason: "experiment 'ad-hoc-notebook' is not one of feature-build" });
    expect(suite.fake.putAttempts).toHaveLength(0);
    expect(decisions(logs.lines)).toEqual([expect.objectContaining({ triggerId: 'churn-chain', correlationId: completed().id, decision: 'ignored', reason: outcome.reason })]);
  }, FAKE_AZURE_TIMEOUT);

  test('another event type of the upstream workspace is ignored', async () => {
    const outcome = await handle(completed((e) => {
      e.eventType = 'Microsoft.MachineLearningServices.ModelRegistered';
      e.data = { ModelName: 'churn', ModelVersion: 20 };
    }), 'invocation-9');

    expect(outcome).toMatchObject({ status: 'ignored', reason: expect.stringContaining('ModelRegistered') });
    expect(suite.fake.putAttempts).toHaveLength(0);
  }, FAKE_AZURE_TIMEOUT);

  test('an event of another workspace is rejected naming event.topic, and submits nothing', async () => {
    const outcome = settle(await handle(completed((e) => {
      e.topic = UPSTREAM.replace('features-ws', 'other-ws');
    }), 'invocation-10'));

    expect(outcome).toMatchObject({ status: 'rejected', error: { field: 'event.topic' } });
    expect(suite.fake.putAttempts).toHaveLength(0);
    expect(decisions(logs.lines)).toEqual([expect.objectContaining({ triggerId: 'churn-chain', correlationId: completed().id, decision: 'rejected', field: 'event.topic' })]);
  }, FAKE_AZURE_TIMEOUT);

  test('five concurrent deliveries of one completion create one job', async () => {
    suite.fake.delayPuts(150);
    const deliveries = [completed(), statusChanged('Completed'), completed(), statusChanged('Completed'), completed()];

    const outcomes = await Promise.all(deliveries.map((event, index) => handle(event, `invocation-c${index}`)));

    // They raced: more than one got past Jobs - Get before the job existed, and the fake still holds one job.
    expect(suite.fake.putAttempts.length).toBeGreaterThan(1);
    expect(suite.fake.jobs).toHaveLength(1);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['already-existed', 'already-existed', 'already-existed', 'already-existed', 'created']);
    expect(new Set(outcomes.map((outcome) => outcome.pipelineJob))).toEqual(new Set([jobName('Completed')]));
  }, FAKE_AZURE_TIMEOUT);

  test.each([
    ['a string', 'event', 'not an event'],
    ['an event without a topic', 'event.topic', completed((e) => {
      delete e.topic;
    })],
    ['an event time that is not a time', 'event.eventTime', completed((e) => {
      e.eventTime = '26/06/2017';
    })],
    ['an event without data', 'event.data', completed((e) => {
      e.data = null;
    })],
    ['a run without an id', 'event.data.runId', completed((e) => {
      delete e.data.runId;
    })],
    ['a run without an experiment name', 'event.data.experimentName', completed((e) => {
      e.data.experimentName = 42;
    })],
    ['a status change without a status', 'event.data.runStatus', statusChanged(undefined)],
  ])('%s is rejected naming %s, and submits nothing', async (_what, field, event) => {
    const outcome = settle(await handle(event, 'invocation-11'));

    expect(outcome).toMatchObject({ status: 'rejected', error: { field } });
    expect(suite.fake.putAttempts).toHaveLength(0);
    expect(decisions(logs.lines)).toEqual([expect.objectContaining({ triggerId: 'churn-chain', correlationId: expect.any(String), decision: 'rejected', field })]);
  }, FAKE_AZURE_TIMEOUT);

  test('429 fails the invocation so Event Grid redelivers, and the redelivery creates exactly one job', async () => {
    suite.fake.failNext(429);

    const first = await handle(completed(), 'invocation-12');
    const again = await handle(completed(), 'invocation-13');

    expect(() => settle(first)).toThrow(RedeliveryRequested);
    expect(settle(again)).toMatchObject({ status: 'created', pipelineJob: jobName('Completed') });
    expect(suite.fake.jobs).toHaveLength(1);
  }, FAKE_AZURE_TIMEOUT);

  test('400 is final: failed, and the invocation completes', async () => {
    suite.fake.failNext(400);

    const outcome = settle(await handle(completed(), 'invocation-14'));

    expect(outcome).toMatchObject({ status: 'failed', error: { status: 'UserError' } });
    expect(suite.fake.jobs).toHaveLength(0);
  }, FAKE_AZURE_TIMEOUT);

  test('403 (a role assignment not yet in effect) fails the invocation, and the redelivery creates the job', async () => {
    suite.fake.failNext(403);

    await expect(handle(completed(), 'invocation-15a').then(settle)).rejects.toBeInstanceOf(RedeliveryRequested);
    const outcome = settle(await handle(completed(), 'invocation-15b'));

    expect(outcome).toMatchObject({ status: 'created' });
    expect(suite.fake.jobs).toHaveLength(1);
  }, FAKE_AZURE_TIMEOUT);

  test('settings that do not parse fail the invocation naming the setting, and submit nothing', async () => {
    process.env.TRIGGER_SETTINGS = JSON.stringify({ ...SETTINGS, upstream: { ...SETTINGS.upstream, statuses: ['Succeeded'] } });

    const outcome: Outcome = await handle(completed(), 'invocation-15');

    expect(() => settle(outcome)).toThrow(RedeliveryRequested);
    expect(outcome).toMatchObject({ status: 'misconfigured', error: { field: 'TRIGGER_SETTINGS.upstream.statuses[0]' } });
    expect(suite.fake.putAttempts).toHaveLength(0);
  }, FAKE_AZURE_TIMEOUT);

  test('through the entry point (app.eventGrid): a completion completes the invocation, a 429 fails it', async () => {
    const eventGrid = registeredHandler<EventGridHandler>('chain', 'eventGrid', 'chain');
    const context = new InvocationContext({ invocationId: 'host-invocation-2', functionName: 'chain' });
    suite.fake.failNext(429);

    const failed = await Promise.resolve(eventGrid(completed() as EventGridEvent, context)).then(() => undefined, (e: unknown) => e);
    const completedOutcome = await eventGrid(completed() as EventGridEvent, context);

    // The entry point is loaded in its own module registry, so its RedeliveryRequested is another copy of the class.
    expect(failed).toMatchObject({ name: 'RedeliveryRequested', outcome: { status: 'retry', error: { status: 'TooManyRequests' } } });
    expect(completedOutcome).toMatchObject({ status: 'created', pipelineJob: jobName('Completed') });
    expect(suite.fake.jobs).toHaveLength(1);
  }, FAKE_AZURE_TIMEOUT);
});
