import { createKeyedTable } from '../support/tables';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
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
import { startFakeLambda } from '../support/fake-aws-endpoints';
import { asDeployed, startFakeSsm, TEST_CONFIG_PATH, type FakeSsm } from '../support/fake-ssm';
import { LOCAL_AWS_ENV, setEnv, startDynalite, startFakeSageMaker, type FakeSageMaker, type LocalService } from '../support/local-services';

type Handler = typeof import('../../lambda/aws/events').handler;
const FIXTURES = path.resolve(__dirname, '../fixtures');
const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
const HOUR = 3_600_000;
const BUS_SOURCE = 'ml-triggers.churn.main';
const EXECUTION_STATUS_CHANGE = 'SageMaker Model Building Pipeline Execution Status Change';
jest.setTimeout(30_000);

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

/** A platform event as the bus delivers it: the published payload is the EventBridge event's detail. */
function busEvent(name: string, detail: Record<string, unknown>, time = new Date().toISOString(), id = `eb-${Math.random().toString(36).slice(2)}`) {
  return { version: '0', id, 'detail-type': name, source: BUS_SOURCE, account: '123456789012', time, region: 'eu-west-1', resources: [], detail };
}

describe('event trigger function against DynamoDB (dynalite) and SageMaker', () => {
  let dynamo: LocalService;
  let sagemaker: FakeSageMaker;
  let ssm: FakeSsm;
  let restore: () => void;
  /** The function as deployed: it receives `{ triggerId, event }` and reads the configuration itself. */
  let lambdaHandler: Handler;
  /** The same function, taking `{ trigger, event }`: the configuration is deployed first, then only the id is sent. */
  let handler: (input: unknown) => ReturnType<Handler>;
  let lambda: Awaited<ReturnType<typeof startFakeLambda>>;
  let joinTable: DynamoDBClient;
  /** What the scripted coordinator answers next, in order; it defers when the script is empty. */
  const coordinatorAnswers: unknown[] = [];

  beforeAll(async () => {
    [dynamo, sagemaker, ssm, lambda] = await Promise.all([
      startDynalite(),
      startFakeSageMaker(),
      startFakeSsm(),
      startFakeLambda({ 'join-coordinator': async () => coordinatorAnswers.shift() ?? { start: false, reason: 'cooldown', delayUntilMs: Date.now() + HOUR } }),
    ]);
    restore = setEnv({
      ...LOCAL_AWS_ENV,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
      AWS_ENDPOINT_URL_SAGEMAKER: sagemaker.endpoint,
      AWS_ENDPOINT_URL_SSM: ssm.endpoint,
      TRIGGER_CONFIG_PATH: TEST_CONFIG_PATH,
      TRIGGER_CONFIG_VERSION: 'first-deployment',
      JOIN_TABLE_NAME: 'joins',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_NAMESPACE: 'MLTriggers',
      AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1',
    });
    joinTable = new DynamoDBClient({});
    await createKeyedTable(joinTable, 'joins');
    ({ handler: lambdaHandler } = await import('../../lambda/aws/events'));
    handler = asDeployed(ssm, (input) => lambdaHandler(input));
  });
  afterAll(async () => {
    joinTable.destroy();
    await Promise.all([dynamo.close(), sagemaker.close(), ssm.close(), lambda.close()]);
    restore();
  });
  beforeEach(() => jest.spyOn(process.stdout, 'write').mockImplementation(() => true));
  afterEach(() => jest.restoreAllMocks());

  /** A trigger's configuration as deployed; its rule's pattern passes the bus's events of the trigger's names unless `extra` says otherwise. */
  const trigger = (triggerId: string, extra: Record<string, unknown>) => {
    const events = (extra.events as string[] | undefined) ?? ['model.added'];
    return {
      triggerId,
      pipelineName: `pipeline-${triggerId}`,
      pattern: { source: [BUS_SOURCE], 'detail-type': events },
      mode: 'event',
      events,
      parameters: {},
      ...extra,
    };
  };
  const runsOf = (triggerId: string) => sagemaker.executions.filter((e) => e.pipelineName === `pipeline-${triggerId}`);
  const joinItems = async () => (await joinTable.send(new ScanCommand({ TableName: 'joins', ConsistentRead: true }))).Items ?? [];
  /** The requests that read the deployment's configurations: every page of every load of the path. */
  const configReads = () => ssm.calls.filter((call) => call.path === TEST_CONFIG_PATH.slice(0, -1));
  /** Writes a trigger's configuration as a deployment does, and names that deployment in the function's environment. */
  const deploy = (config: { triggerId: string }, version = `deployment-of-${config.triggerId}`) => {
    ssm.put(`${TEST_CONFIG_PATH}${config.triggerId}`, JSON.stringify({ [config.triggerId]: config }));
    process.env.TRIGGER_CONFIG_VERSION = version;
  };

  test('the model.added fixture starts the pipeline with parameters rendered from its data, once however often it is delivered', async () => {
    const config = trigger('auto-deploy', { parameters: { ModelId: '{{ event.model_id }}', DeploymentName: '{{ event.model_name }}-auto', Team: "{{ event.team | default: 'ml' }}" } });
    const event = busEvent('model.added', fixture('events/platform-model-added.json'));

    const first = await handler({ trigger: config, event });
    const again = await handler({ trigger: config, event: { ...event, id: 'a-redelivery-with-another-eventbridge-id' } });

    expect(first).toMatchObject({ status: 'started' });
    expect(again).toEqual(first);
    expect(runsOf('auto-deploy').map((e) => e.parameters)).toEqual([{ ModelId: 'model_xyz789', DeploymentName: 'Llama-3.2-1B-auto', Team: 'ml' }]);
    // The platform's event id follows the start into the run's description.
    expect(runsOf('auto-deploy')[0].description).toMatch(/\[correlation evt:event#evt_abc123\]$/);
  });

  test('publishes EMF metrics: events received, start requests, and the latency from the event to the start', async () => {
    const written: string[] = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const sent = new Date(Date.now() - 5_000).toISOString();

    await handler({ trigger: trigger('metrics', {}), event: busEvent('model.added', { event_id: 'evt_metrics', data: {} }, sent) });

    const emf = written.flatMap((chunk) => chunk.split('\n')).filter((line) => line.includes('CloudWatchMetrics')).map((line) => JSON.parse(line));
    expect(emf[0]).toMatchObject({ service: 'EventTriggers', TriggerType: 'Event', EventsReceived: 1, StartRequests: 1 });
    expect(emf[0]._aws.CloudWatchMetrics[0].Namespace).toBe('MLTriggers');
    expect(emf[0].EventToStartLatency).toBeGreaterThanOrEqual(5_000);
  });

  test('a field the event lacks, with no default, rejects the event naming the parameter, and starts nothing', async () => {
    const config = trigger('missing-field', { parameters: { Dataset: '{{ event.dataset_uri }}' } });

    const result = await handler({ trigger: config, event: busEvent('model.added', fixture('events/platform-model-added.json')) });

    expect(result).toMatchObject({ status: 'rejected', error: { field: expect.stringContaining('Dataset'), problem: expect.stringContaining('dataset_uri') } });
    expect(runsOf('missing-field')).toEqual([]);
  });

  test('event content cannot inject: template text in a value stays literal, and object internals are never read', async () => {
    const config = trigger('injection', { parameters: { Name: '{{ event.model_name }}', Proto: "{{ event.__proto__ | default: 'none' }}" } });
    const detail = { event_id: 'evt_inject', data: { model_name: '{{ event.secret }}', secret: 'do-not-leak' } };

    await handler({ trigger: config, event: busEvent('model.added', detail) });

    expect(runsOf('injection').map((e) => e.parameters)).toEqual([{ Name: '{{ event.secret }}', Proto: 'none' }]);
  });

  test('a rendered value over SageMaker\'s 1,024 characters is rejected, naming the parameter', async () => {
    const config = trigger('too-long', { parameters: { Notes: '{{ event.notes }}' } });

    const result = await handler({ trigger: config, event: busEvent('model.added', { event_id: 'evt_long', data: { notes: 'x'.repeat(2000) } }) });

    expect(result).toMatchObject({ status: 'rejected', error: { field: expect.stringContaining('Notes') } });
    expect(runsOf('too-long')).toEqual([]);
  });

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
      const a = await handler({ trigger: join('join-ok'), event: busEvent('data_updated', { event_id: 'd1', data: { dataset: 's3://d/1' } }, new Date(now - 2 * HOUR).toISOString()) });
      const b = await handler({ trigger: join('join-ok'), event: busEvent('features_ready', { event_id: 'f1', data: { version: '7' } }, new Date(now).toISOString()) });
      const aAgain = await handler({ trigger: join('join-ok'), event: busEvent('data_updated', { event_id: 'd2', data: { dataset: 's3://d/2' } }) });

      expect(a).toMatchObject({ status: 'waiting', waitingFor: ['features_ready'] });
      expect(b).toMatchObject({ status: 'started' });
      expect(aAgain).toMatchObject({ status: 'waiting', waitingFor: ['features_ready'] });
      expect(runsOf('join-ok').map((e) => e.parameters)).toEqual([{ Dataset: 's3://d/1', FeatureVersion: '7' }]);
    });

    test('an event from the future (its publisher sets the time) is rejected naming event.time, and the real events still join', async () => {
      const now = Date.now();
      const forged = await handler({ trigger: join('join-future'), event: busEvent('data_updated', { event_id: 'far', data: { dataset: 's3://attacker' } }, new Date(now + 365 * 24 * HOUR).toISOString()) });
      const a = await handler({ trigger: join('join-future'), event: busEvent('data_updated', { event_id: 'd', data: { dataset: 's3://real' } }, new Date(now).toISOString()) });
      const b = await handler({ trigger: join('join-future'), event: busEvent('features_ready', { event_id: 'f', data: { version: '3' } }, new Date(now).toISOString()) });

      expect(forged).toMatchObject({ status: 'rejected', error: { field: 'event.time' } });
      expect([a.status, b.status]).toEqual(['waiting', 'started']);
      expect(runsOf('join-future').map((e) => e.parameters)).toEqual([{ Dataset: 's3://real', FeatureVersion: '3' }]);
    });

    test('a few minutes of clock skew between publisher and function are allowed', async () => {
      const ahead = new Date(Date.now() + 2 * 60_000).toISOString();

      const outcome = await handler({ trigger: join('join-skew'), event: busEvent('data_updated', { event_id: 'd', data: { dataset: 's3://d' } }, ahead) });

      expect(outcome).toMatchObject({ status: 'waiting' });
    });

    test("yesterday's event never pairs with today's", async () => {
      const now = Date.now();
      await handler({ trigger: join('join-stale'), event: busEvent('data_updated', { event_id: 'old', data: { dataset: 's3://old' } }, new Date(now - 25 * HOUR).toISOString()) });

      const b = await handler({ trigger: join('join-stale'), event: busEvent('features_ready', { event_id: 'f', data: { version: '1' } }, new Date(now).toISOString()) });

      expect(b).toMatchObject({ status: 'waiting', waitingFor: ['data_updated'] });
      expect(runsOf('join-stale')).toEqual([]);
    });

    test('concurrent, repeated arrivals of both events start exactly one run', async () => {
      const now = new Date().toISOString();
      const a = busEvent('data_updated', { event_id: 'ca', data: { dataset: 's3://c' } }, now);
      const b = busEvent('features_ready', { event_id: 'cb', data: { version: '3' } }, now);

      await Promise.all([a, b, a, b, a, b, b, a].map((event) => handler({ trigger: join('join-race'), event })));

      expect(runsOf('join-race')).toHaveLength(1);
    });

    test('a start that fails keeps the join: the retry of the same event starts it once, with the same token', async () => {
      const now = new Date().toISOString();
      await handler({ trigger: join('join-retry'), event: busEvent('data_updated', { event_id: 'rd', data: { dataset: 's3://r' } }, now) });
      const completing = busEvent('features_ready', { event_id: 'rf', data: { version: '4' } }, now);
      sagemaker.failNext(1, 'accessDenied');

      const failed = handler({ trigger: join('join-retry'), event: completing });
      await expect(failed).rejects.toThrow();
      const retried = await handler({ trigger: join('join-retry'), event: completing });
      const redelivered = await handler({ trigger: join('join-retry'), event: completing });

      expect(retried).toMatchObject({ status: 'started' });
      expect(redelivered).toMatchObject({ status: 'unchanged' });
      expect(runsOf('join-retry').map((e) => e.parameters)).toEqual([{ Dataset: 's3://r', FeatureVersion: '4' }]);
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

      expect(runsOf('join-crash')).toHaveLength(1);
      expect(retried).toEqual({ status: 'started', executionArn: runsOf('join-crash')[0].executionArn, requestId: expect.any(String) });
      expect(fresh).toMatchObject({ status: 'waiting', waitingFor: ['features_ready'] });
    });

    test('a join the coordinator defers keeps its occurrences and re-asks with the same request id on the next occurrence', async () => {
      const coordinated = { ...join('join-deferred'), coordinatorFunction: 'join-coordinator' };
      const now = new Date().toISOString();
      const asked = () => lambda.invocations.filter((i) => JSON.stringify(i.payload).includes('join trigger join-deferred')).map((i) => (i.payload as { request: { requestId: string } }).request.requestId);
      await handler({ trigger: coordinated, event: busEvent('data_updated', { event_id: 'dd', data: { dataset: 's3://deferred' } }, now) });
      coordinatorAnswers.push({ start: false, reason: 'cooldown', delayUntilMs: Date.now() - 1 });

      const deferred = await handler({ trigger: coordinated, event: busEvent('features_ready', { event_id: 'df', data: { version: '6' } }, now) });
      coordinatorAnswers.push({ start: true, reason: 'accepted', executionArn: 'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/p/execution/deferred' });
      const reasked = await handler({ trigger: coordinated, event: busEvent('data_updated', { event_id: 'dd2', data: { dataset: 's3://later' } }) });

      expect(deferred).toMatchObject({ status: 'deferred', reason: 'cooldown' });
      expect(reasked).toMatchObject({ status: 'started', requestId: (deferred as { requestId: string }).requestId });
      expect(asked()).toEqual([(deferred as { requestId: string }).requestId, (deferred as { requestId: string }).requestId]);
      const requests = lambda.invocations.filter((i) => JSON.stringify(i.payload).includes('join trigger join-deferred')).map((i) => (i.payload as { request: { parameters: unknown } }).request.parameters);
      expect(requests[1]).toEqual(requests[0]);
      expect(requests[0]).toEqual({ Dataset: 's3://deferred', FeatureVersion: '6' });
    });

    test('a completed join whose template can never render is rejected naming the parameter, starts nothing, and frees the join', async () => {
      const now = new Date().toISOString();
      await handler({ trigger: join('join-unrenderable'), event: busEvent('data_updated', { event_id: 'ud', data: {} }, now) });

      const rejected = await handler({ trigger: join('join-unrenderable'), event: busEvent('features_ready', { event_id: 'uf', data: { version: '1' } }, now) });
      const redelivered = await handler({ trigger: join('join-unrenderable'), event: busEvent('features_ready', { event_id: 'uf', data: { version: '1' } }, now) });
      await handler({ trigger: join('join-unrenderable'), event: busEvent('data_updated', { event_id: 'ud2', data: { dataset: 's3://ok' } }) });
      const next = await handler({ trigger: join('join-unrenderable'), event: busEvent('features_ready', { event_id: 'uf2', data: { version: '2' } }) });

      expect(rejected).toMatchObject({ status: 'rejected', error: { field: expect.stringContaining('Dataset') } });
      expect(redelivered).toMatchObject({ status: 'unchanged' });
      expect(next).toMatchObject({ status: 'started' });
      expect(runsOf('join-unrenderable').map((e) => e.parameters)).toEqual([{ Dataset: 's3://ok', FeatureVersion: '2' }]);
    });
  });

  test('a chain starts after the upstream execution succeeded, passing its ARN; a repeated status change starts nothing new', async () => {
    const config = trigger('chain', {
      mode: 'chain',
      events: [],
      // The rule of a chain after training-pipeline: SageMaker sends the ARN in lower case.
      pattern: {
        source: ['aws.sagemaker'],
        'detail-type': [EXECUTION_STATUS_CHANGE],
        detail: { pipelineArn: [{ 'equals-ignore-case': 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/Training-Pipeline' }], currentPipelineExecutionStatus: ['Succeeded'] },
      },
      parameters: { Upstream: '{{ event.pipelineExecutionDisplayName }}' },
    });
    const succeeded = fixture('events/sagemaker-pipeline-execution-status-change.json');

    await handler({ trigger: config, event: succeeded });
    await handler({ trigger: config, event: { ...succeeded, id: 'sent-again' } });

    expect(runsOf('chain').map((e) => e.parameters)).toEqual([
      { Upstream: 'event-driven-2024-01-29-12', UpstreamExecutionArn: 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/training-pipeline/execution/6xn1ypxw2k5c' },
    ]);
  });

  test.each<[string, unknown, string]>([
    ['no trigger id', { event: busEvent('model.added', {}) }, 'triggerId'],
    ['no pattern deployed', { trigger: { ...trigger('bad', {}), pattern: undefined }, event: busEvent('model.added', {}) }, 'trigger.pattern'],
    ['no detail', { trigger: trigger('bad', {}), event: { id: 'x', 'detail-type': 'model.added', time: new Date().toISOString() } }, 'event.detail'],
    ['an unknown mode', { trigger: trigger('bad', { mode: 'sometimes' }), event: busEvent('model.added', {}) }, 'trigger.mode'],
    ['a broken template', { trigger: trigger('bad', { parameters: { X: '{{ event.x' } }), event: busEvent('model.added', {}) }, 'trigger.parameters.X'],
  ])('an input with %s is rejected naming the field', async (_what, input, field) => {
    const result = await handler(input);

    expect(result).toMatchObject({ status: 'rejected', error: { field: expect.stringContaining(field) } });
  });
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
      deploy(deployed);
      const event = busEvent('model.added', fixture('events/platform-model-added.json'));

      // Act
      const result = await lambdaHandler({ triggerId: deployed.triggerId, trigger: forgedTrigger(deployed), event });

      // Assess
      expect(result).toMatchObject({ status: 'started' });
      expect(runsOf('forged-event').map((e) => e.parameters)).toEqual([{ ModelId: 'model_xyz789' }]);
      expect(sagemaker.calls.filter((call) => call.pipelineName === 'attacker-pipeline')).toEqual([]);
      expect(lambda.invocations.filter((i) => JSON.stringify(i.payload).includes('forged-event'))).toEqual([]);
    });

    test.each<[string, unknown]>([
      ['an id no trigger was deployed under', 'no-such-trigger'],
      ['a path as the id', 'a/../b'],
      ['an id of 65 characters', 'x'.repeat(65)],
      ['a number as the id', 42],
    ])('%s is rejected naming triggerId: nothing starts and nothing is written', async (_what, triggerId) => {
      // Prepare: this deployment's configurations already read (by an earlier invocation, here one of another
      // unknown id); a join's configuration is what the forger sends along, so that an accepted event would be written.
      await lambdaHandler({ triggerId: 'earlier-unknown-id', event: busEvent('data_updated', { event_id: 'earlier', data: {} }) });
      const forged = forgedTrigger(trigger(String(triggerId), { mode: 'join', events: ['data_updated', 'features_ready'], windowSeconds: 3600 }));
      const itemsBefore = await joinItems();
      const callsBefore = sagemaker.calls.length;
      const ssmCallsBefore = ssm.calls.length;

      // Act
      const result = await lambdaHandler({ triggerId, trigger: forged, event: busEvent('data_updated', { event_id: 'forged', data: {} }) });

      // Assess: no id, known to be no trigger or malformed, costs an SSM call.
      expect(result).toEqual({ status: 'rejected', error: { field: 'triggerId', problem: expect.any(String) } });
      expect(sagemaker.calls.length).toBe(callsBefore);
      expect(await joinItems()).toEqual(itemsBefore);
      expect(ssm.calls.length - ssmCallsBefore).toBe(0);
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
      deploy(deployed);
      const itemsBefore = await joinItems();

      // Act: the event outside the pattern, then one inside it.
      const result = await lambdaHandler({ triggerId: deployed.triggerId, event });
      const runsAfterRejection = runsOf(deployed.triggerId).length;
      const control = await lambdaHandler({ triggerId: deployed.triggerId, event: busEvent('model.added', { event_id: 'passes', data: { team: 'ml' } }) });

      // Assess
      expect(result).toEqual({ status: 'rejected', error: { field: 'event', problem: expect.any(String) } });
      expect(runsAfterRejection).toBe(0);
      expect(await joinItems()).toEqual(itemsBefore);
      expect(control).toMatchObject({ status: 'started' });
      expect(runsOf(deployed.triggerId).map((e) => e.parameters)).toEqual([{ Team: 'ml' }]);
    });

    test('a chain rejects a status change of another pipeline or another status, which its rule would not pass', async () => {
      // Prepare
      const deployed = trigger('chain-pattern', {
        mode: 'chain',
        events: [],
        pattern: {
          source: ['aws.sagemaker'],
          'detail-type': [EXECUTION_STATUS_CHANGE],
          detail: { pipelineArn: [{ 'equals-ignore-case': 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/training-pipeline' }], currentPipelineExecutionStatus: ['Succeeded'] },
        },
      });
      deploy(deployed);
      const succeeded = fixture('events/sagemaker-pipeline-execution-status-change.json');
      const otherPipeline = { ...succeeded, id: 'other-pipeline', detail: { ...succeeded.detail, pipelineArn: 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/attacker-pipeline' } };
      const failed = { ...succeeded, id: 'failed', detail: { ...succeeded.detail, currentPipelineExecutionStatus: 'Failed' } };

      // Act
      const results = [await lambdaHandler({ triggerId: deployed.triggerId, event: otherPipeline }), await lambdaHandler({ triggerId: deployed.triggerId, event: failed })];

      // Assess
      expect(results).toEqual([
        { status: 'rejected', error: { field: 'event', problem: expect.any(String) } },
        { status: 'rejected', error: { field: 'event', problem: expect.any(String) } },
      ]);
      expect(runsOf('chain-pattern')).toEqual([]);
    });

    test('events read the configurations once per deployment; a new deployment version reads them again', async () => {
      // Prepare
      const deployed = trigger('cached-event', { parameters: { Id: '{{ event.id }}' } });
      deploy(deployed, 'cache-deployment-1');
      const before = configReads().length;

      // Act: one event, four more and an unknown id under the same deployment, then one event under the next.
      const event = (i: number) => busEvent('model.added', { event_id: `cached-${i}`, data: { id: `${i}` } });
      const results = [await lambdaHandler({ triggerId: deployed.triggerId, event: event(0) })];
      const oneLoad = configReads().length - before;
      for (let i = 1; i < 5; i++) results.push(await lambdaHandler({ triggerId: deployed.triggerId, event: event(i) }));
      const unknown = await lambdaHandler({ triggerId: 'never-deployed', event: event(9) });
      const underFirst = configReads().length - before;
      deploy(deployed, 'cache-deployment-2');
      results.push(await lambdaHandler({ triggerId: deployed.triggerId, event: event(5) }));

      // Assess: a load is one call per page of ten configurations, however many earlier tests deployed.
      expect(results.map((result) => result.status)).toEqual(Array(6).fill('started'));
      expect(unknown).toEqual({ status: 'rejected', error: { field: 'triggerId', problem: expect.any(String) } });
      expect(oneLoad).toBeGreaterThanOrEqual(1);
      expect(underFirst).toBe(oneLoad);
      expect(configReads().slice(before).map((call) => call.outcome)).toEqual(Array(2 * oneLoad).fill('served'));
    });

    test('a throttled configuration read throws, so Lambda retries, and starts nothing; the retry starts the run', async () => {
      // Prepare: a join trigger whose configuration is not cached yet, and SSM throttling every request.
      const deployed = trigger('throttled-event', { mode: 'join', events: ['data_updated', 'features_ready'], windowSeconds: 3600 });
      deploy(deployed);
      const now = new Date().toISOString();
      await lambdaHandler({ triggerId: deployed.triggerId, event: busEvent('data_updated', { event_id: 'td', data: {} }, now) });
      process.env.TRIGGER_CONFIG_VERSION = 'throttled-redeployment';
      const itemsBefore = await joinItems();
      const completing = { triggerId: deployed.triggerId, event: busEvent('features_ready', { event_id: 'tf', data: {} }, now) };
      const ssmCallsBefore = ssm.calls.length;
      ssm.throttleNext(100);

      // Act
      await expect(lambdaHandler(completing)).rejects.toMatchObject({ name: 'ThrottlingException' });
      const itemsAfterFailure = await joinItems();
      const runsAfterFailure = runsOf('throttled-event').length;
      ssm.stopThrottling();
      const retried = await lambdaHandler(completing);

      // Assess
      expect(ssm.calls.slice(ssmCallsBefore).some((call) => call.outcome === 'ThrottlingException')).toBe(true);
      expect(itemsAfterFailure).toEqual(itemsBefore);
      expect(runsAfterFailure).toBe(0);
      expect(retried).toMatchObject({ status: 'started' });
      expect(runsOf('throttled-event')).toHaveLength(1);
    });
  });
});
