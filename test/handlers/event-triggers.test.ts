import { createKeyedTable } from '../support/tables';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { CoordinatorClient } from '../../lambda/adapters/coordinator-client';
import { Launchers } from '../../lambda/adapters/launcher';
import { PipelineStarter } from '../../lambda/adapters/pipeline-starter';
import type { JoinState } from '../../lambda/core/joins';
import { EventStarter, parseEventTriggerConfig, parseReceivedEvent } from '../../lambda/events/event-starter';
import { JoinStore, type JoinDocuments } from '../../lambda/events/join-store';
import type { VersionedDocument } from '../../lambda/adapters/versioned-document';
import { startFakeLambda } from '../support/fake-aws-endpoints';
import { LOCAL_AWS_ENV, setEnv, startDynalite, startFakeSageMaker, type FakeSageMaker, type LocalService } from '../support/local-services';

type Handler = typeof import('../../lambda/events').handler;
const FIXTURES = path.resolve(__dirname, '../fixtures');
const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
const HOUR = 3_600_000;
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
  return { version: '0', id, 'detail-type': name, source: 'ml-triggers.churn.main', account: '123456789012', time, region: 'eu-west-1', resources: [], detail };
}

describe('event trigger function against DynamoDB (dynalite) and SageMaker', () => {
  let dynamo: LocalService;
  let sagemaker: FakeSageMaker;
  let restore: () => void;
  let handler: Handler;
  let lambda: Awaited<ReturnType<typeof startFakeLambda>>;
  /** What the scripted coordinator answers next, in order; it defers when the script is empty. */
  const coordinatorAnswers: unknown[] = [];

  beforeAll(async () => {
    [dynamo, sagemaker, lambda] = await Promise.all([
      startDynalite(),
      startFakeSageMaker(),
      startFakeLambda({ 'join-coordinator': async () => coordinatorAnswers.shift() ?? { start: false, reason: 'cooldown', delayUntilMs: Date.now() + HOUR } }),
    ]);
    restore = setEnv({
      ...LOCAL_AWS_ENV,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
      AWS_ENDPOINT_URL_SAGEMAKER: sagemaker.endpoint,
      JOIN_TABLE_NAME: 'joins',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_NAMESPACE: 'MLTriggers',
      AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1',
    });
    const client = new DynamoDBClient({});
    await createKeyedTable(client, 'joins');
    ({ handler } = await import('../../lambda/events'));
  });
  afterAll(async () => {
    await Promise.all([dynamo.close(), sagemaker.close(), lambda.close()]);
    restore();
  });
  beforeEach(() => jest.spyOn(process.stdout, 'write').mockImplementation(() => true));
  afterEach(() => jest.restoreAllMocks());

  const trigger = (triggerId: string, extra: Record<string, unknown>) => ({
    triggerId,
    pipelineName: `pipeline-${triggerId}`,
    mode: 'event',
    events: ['model.added'],
    parameters: {},
    ...extra,
  });
  const runsOf = (triggerId: string) => sagemaker.executions.filter((e) => e.pipelineName === `pipeline-${triggerId}`);

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
    const config = trigger('chain', { mode: 'chain', events: [], parameters: { Upstream: '{{ event.pipelineExecutionDisplayName }}' } });
    const succeeded = fixture('events/sagemaker-pipeline-execution-status-change.json');

    await handler({ trigger: config, event: succeeded });
    await handler({ trigger: config, event: { ...succeeded, id: 'sent-again' } });

    expect(runsOf('chain').map((e) => e.parameters)).toEqual([
      { Upstream: 'event-driven-2024-01-29-12', UpstreamExecutionArn: 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/training-pipeline/execution/6xn1ypxw2k5c' },
    ]);
  });

  test.each<[string, unknown, string]>([
    ['no detail', { trigger: trigger('bad', {}), event: { id: 'x', 'detail-type': 'model.added', time: new Date().toISOString() } }, 'event.detail'],
    ['an unknown mode', { trigger: trigger('bad', { mode: 'sometimes' }), event: busEvent('model.added', {}) }, 'trigger.mode'],
    ['a broken template', { trigger: trigger('bad', { parameters: { X: '{{ event.x' } }), event: busEvent('model.added', {}) }, 'trigger.parameters.X'],
  ])('an input with %s is rejected naming the field', async (_what, input, field) => {
    const result = await handler(input);

    expect(result).toMatchObject({ status: 'rejected', error: { field: expect.stringContaining(field) } });
  });
});
