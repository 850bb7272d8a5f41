import { TEST_CONFIG_PATH } from '../support/fake-ssm';
import { quietStdoutPerTest, running, SERVICES_TIMEOUT } from '../support/handler-harness';
import { busEvent, EventTriggerWorld, trigger } from '../support/handler-event-triggers';

jest.setTimeout(SERVICES_TIMEOUT);

const MINUTE = 60_000;
const QUIET_SECONDS = 300;
const queueArnOf = (triggerId: string) => `arn:aws:sqs:eu-west-1:123456789012:Events-Debounce${triggerId.replace(/[^A-Za-z0-9]/g, '')}`;

/** A trigger of `model.added` that waits five quiet minutes after a burst, reading its events back from its own queue. */
const debounced = (triggerId: string, extra: Record<string, unknown> = {}) =>
  trigger(triggerId, { debounceSeconds: QUIET_SECONDS, debounceQueueArn: queueArnOf(triggerId), parameters: { ModelId: '{{ event.model_id }}' }, ...extra });

/** What the rule sends the function, and what the delay queue holds a quiet period later. */
type Delivery = { readonly triggerId: string; readonly event: ReturnType<typeof busEvent> };

let messages = 0;
/** The delay queue's copy of `delivery` as Lambda's poller hands it over: taken by SQS at `sentAtMs`. */
function delayedCopy(delivery: Delivery, sentAtMs: number, queueArn = queueArnOf(delivery.triggerId)) {
  return {
    messageId: `m-${++messages}`,
    receiptHandle: `r-${messages}`,
    body: JSON.stringify(delivery),
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(sentAtMs), SenderId: 'AIDAEVENTS', ApproximateFirstReceiveTimestamp: String(sentAtMs) },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'eu-west-1',
  };
}

describe('debounced event trigger function against DynamoDB (dynalite) and SageMaker', () => {
  const world = running(new EventTriggerWorld());
  quietStdoutPerTest();
  const realNow = Date.now;
  let offsetMs = 0;
  /** The function's clock, moved on by `ms` from the real time (never back within a test). */
  const at = (ms: number) => {
    offsetMs = ms;
    return realNow() + ms;
  };
  beforeEach(() => {
    offsetMs = 0;
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() + offsetMs);
  });
  afterEach(() => jest.restoreAllMocks());

  /** The immediate delivery of `model.added` with `modelId` to the trigger, published at `offset` on the function's clock; what the queue will send back. */
  async function immediately(config: ReturnType<typeof debounced>, eventId: string, offset: number) {
    const sentAtMs = at(offset);
    const event = busEvent('model.added', { event_id: eventId, data: { model_id: eventId } }, new Date(sentAtMs).toISOString());
    const outcome = await world.handler({ trigger: config, event });
    return { outcome, delivery: { triggerId: config.triggerId, event }, sentAtMs };
  }

  /** The delay queue's batch at `offset` on the function's clock. */
  const fromQueue = (offset: number, ...records: unknown[]) => {
    at(offset);
    return world.lambdaHandler({ Records: records });
  };

  test('a burst of three events starts one run, a quiet period after the last, with the last event\'s parameters', async () => {
    // Prepare
    const config = debounced('burst');
    const sent = [await immediately(config, 'm1', 0), await immediately(config, 'm2', 2 * MINUTE), await immediately(config, 'm3', 4 * MINUTE)];

    // Act
    const first = await fromQueue(5 * MINUTE, delayedCopy(sent[0].delivery, sent[0].sentAtMs));
    const second = await fromQueue(7 * MINUTE, delayedCopy(sent[1].delivery, sent[1].sentAtMs));
    const last = await fromQueue(9 * MINUTE, delayedCopy(sent[2].delivery, sent[2].sentAtMs));

    // Assess
    expect(sent.map((s) => s.outcome)).toEqual([
      expect.objectContaining({ status: 'debouncing', recorded: 'latest', events: 1 }),
      expect.objectContaining({ status: 'debouncing', recorded: 'latest', events: 2 }),
      expect.objectContaining({ status: 'debouncing', recorded: 'latest', events: 3, firstEventId: 'm1' }),
    ]);
    expect(first).toEqual({ status: 'received', batchItemFailures: [], outcomes: [{ status: 'superseded' }] });
    expect(second).toEqual({ status: 'received', batchItemFailures: [], outcomes: [{ status: 'superseded' }] });
    expect(last).toEqual({ status: 'received', batchItemFailures: [], outcomes: [expect.objectContaining({ status: 'started', events: 3 })] });
    expect(world.runsOf('burst').map((run) => run.parameters)).toEqual([{ ModelId: 'm3' }]);
  });

  test('after the start, redeliveries of the burst\'s events, immediate or delayed, change nothing', async () => {
    // Prepare
    const config = debounced('redelivered');
    const a = await immediately(config, 'r1', 0);
    const b = await immediately(config, 'r2', MINUTE);
    await fromQueue(6 * MINUTE, delayedCopy(b.delivery, b.sentAtMs));

    // Act
    const delayedAgain = await fromQueue(7 * MINUTE, delayedCopy(b.delivery, b.sentAtMs), delayedCopy(a.delivery, a.sentAtMs));
    at(8 * MINUTE);
    const immediateAgain = await world.handler({ trigger: config, event: a.delivery.event });

    // Assess
    expect(delayedAgain).toEqual({ status: 'received', batchItemFailures: [], outcomes: [{ status: 'consumed' }, { status: 'consumed' }] });
    expect(immediateAgain).toEqual({ status: 'unchanged' });
    expect(world.runsOf('redelivered')).toHaveLength(1);
  });

  test('a late redelivery of an event of an earlier burst, after a later burst started, starts nothing', async () => {
    // Prepare: e1's burst starts, then e2's, ten quiet periods later
    const config = debounced('late');
    const early = await immediately(config, 'e1', 0);
    const startedEarly = await fromQueue(5 * MINUTE, delayedCopy(early.delivery, early.sentAtMs));
    const later = await immediately(config, 'e2', 50 * MINUTE);
    const startedLater = await fromQueue(55 * MINUTE, delayedCopy(later.delivery, later.sentAtMs));

    // Act: EventBridge retries e1's delivery, both to the function and into the delay queue
    const redeliveredAtMs = at(60 * MINUTE);
    const immediateAgain = await world.handler({ trigger: config, event: early.delivery.event });
    const delayedAgain = await fromQueue(65 * MINUTE, delayedCopy(early.delivery, redeliveredAtMs));

    // Assess
    expect([startedEarly, startedLater]).toEqual([
      { status: 'received', batchItemFailures: [], outcomes: [expect.objectContaining({ status: 'started', events: 1 })] },
      { status: 'received', batchItemFailures: [], outcomes: [expect.objectContaining({ status: 'started', events: 1 })] },
    ]);
    expect(immediateAgain).toEqual({ status: 'unchanged' });
    expect(delayedAgain).toEqual({ status: 'received', batchItemFailures: [], outcomes: [{ status: 'consumed' }] });
    expect(world.runsOf('late').map((run) => run.parameters)).toEqual([{ ModelId: 'e1' }, { ModelId: 'e2' }]);
  });

  test('a delayed copy forged before the quiet period is over starts nothing, whatever time it claims; the real one starts the run', async () => {
    // Prepare
    const config = debounced('forged');
    const sent = await immediately(config, 'f1', 0);

    // Act
    const forged = await fromQueue(MINUTE, delayedCopy(sent.delivery, sent.sentAtMs - 60 * MINUTE));
    const runsAfterForgery = world.runsOf('forged').length;
    const real = await fromQueue(5 * MINUTE, delayedCopy(sent.delivery, sent.sentAtMs));

    // Assess
    expect(forged).toMatchObject({ batchItemFailures: [{ itemIdentifier: expect.any(String) }], outcomes: [{ status: 'quiet' }] });
    const { dueAtMs } = (forged as unknown as { outcomes: [{ dueAtMs: number }] }).outcomes[0];
    expect(dueAtMs - sent.sentAtMs).toBeGreaterThanOrEqual(QUIET_SECONDS * 1000 - 30_000);
    expect(runsAfterForgery).toBe(0);
    expect(real).toMatchObject({ batchItemFailures: [], outcomes: [{ status: 'started' }] });
    expect(world.runsOf('forged')).toHaveLength(1);
  });

  test('a start that fails keeps the burst: the message comes again and its retry starts it once, with the same token', async () => {
    // Prepare
    const config = debounced('retried');
    const sent = await immediately(config, 't1', 0);
    const copy = delayedCopy(sent.delivery, sent.sentAtMs);
    world.sagemaker.failNext(1, 'accessDenied');

    // Act
    const failed = await fromQueue(5 * MINUTE, copy);
    const retried = await fromQueue(8 * MINUTE, copy);

    // Assess
    expect(failed).toEqual({ status: 'received', batchItemFailures: [{ itemIdentifier: copy.messageId }], outcomes: [] });
    expect(retried).toMatchObject({ batchItemFailures: [], outcomes: [{ status: 'started' }] });
    const tokens = world.sagemaker.calls.filter((call) => call.pipelineName === 'pipeline-retried').map((call) => [call.outcome, call.clientRequestToken]);
    expect(tokens).toEqual([['AccessDeniedException', tokens[0][1]], ['started', tokens[0][1]]]);
    expect(world.runsOf('retried')).toHaveLength(1);
  });

  test('a burst the coordinator defers stays pending and is asked for again with the same request id', async () => {
    // Prepare
    const config = debounced('deferred', { coordinatorFunction: 'join-coordinator' });
    const sent = await immediately(config, 'c1', 0);
    const copy = delayedCopy(sent.delivery, sent.sentAtMs);
    world.coordinatorAnswers.push({ start: false, reason: 'cooldown', delayUntilMs: realNow() + 10 * MINUTE });
    const asked = () => world.lambda.invocations.filter((i) => JSON.stringify(i.payload).includes('trigger deferred')).map((i) => (i.payload as { request: { requestId: string } }).request.requestId);

    // Act
    const deferred = await fromQueue(5 * MINUTE, copy);
    world.coordinatorAnswers.push({ start: true, reason: 'accepted', executionArn: 'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/p/execution/debounced' });
    const reasked = await fromQueue(20 * MINUTE, copy);
    const afterwards = await fromQueue(21 * MINUTE, copy);

    // Assess
    expect(deferred).toMatchObject({ batchItemFailures: [], outcomes: [{ status: 'deferred', reason: 'cooldown' }] });
    expect(reasked).toMatchObject({ batchItemFailures: [], outcomes: [{ status: 'started' }] });
    expect(afterwards).toMatchObject({ outcomes: [{ status: 'consumed' }] });
    expect(asked()).toEqual([asked()[0], asked()[0]]);
  });

  test('a burst due while an earlier deferred one still waits for its start comes again, and both start in order once the coordinator agrees', async () => {
    // Prepare
    const config = debounced('queued', { coordinatorFunction: 'join-coordinator' });
    const asked = () => world.lambda.invocations.filter((i) => JSON.stringify(i.payload).includes('trigger queued')).map((i) => (i.payload as { request: { requestId: string } }).request.requestId);
    const first = await immediately(config, 'q1', 0);
    await fromQueue(5 * MINUTE, delayedCopy(first.delivery, first.sentAtMs));
    const second = await immediately(config, 'q2', 10 * MINUTE);
    const secondCopy = delayedCopy(second.delivery, second.sentAtMs);

    // Act
    const waiting = await fromQueue(15 * MINUTE, secondCopy);
    world.coordinatorAnswers.push(
      { start: true, reason: 'accepted', executionArn: 'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/p/execution/first' },
      { start: true, reason: 'accepted', executionArn: 'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/p/execution/second' },
    );
    const retried = await fromQueue(18 * MINUTE, secondCopy);

    // Assess
    expect(waiting).toMatchObject({ batchItemFailures: [{ itemIdentifier: secondCopy.messageId }], outcomes: [{ status: 'waiting' }] });
    expect(retried).toMatchObject({ batchItemFailures: [], outcomes: [{ status: 'started', executionArn: expect.stringMatching(/second$/) }] });
    const [firstId, , , secondId] = asked();
    expect(asked()).toEqual([firstId, firstId, firstId, secondId]);
    expect(secondId).not.toBe(firstId);
  });

  test('a batch that is no list, a message without its SentTimestamp or with a body that is no JSON, is rejected naming the field', async () => {
    // Prepare
    const record = (extra: Record<string, unknown>) => ({ ...delayedCopy({ triggerId: 'any', event: busEvent('model.added', {}) }, realNow()), ...extra });

    // Act
    const noList = await world.lambdaHandler({ Records: 'all of them' });
    const bad = await world.lambdaHandler({ Records: [record({ attributes: {} }), record({ body: '{"triggerId":' }), record({ eventSource: 'aws:sns' }), 'text'] });

    // Assess
    expect(noList).toMatchObject({ status: 'rejected', error: { field: 'Records' } });
    expect(bad).toMatchObject({
      batchItemFailures: [],
      outcomes: [
        { status: 'rejected', error: { field: 'Records[0].attributes.SentTimestamp' } },
        { status: 'rejected', error: { field: 'Records[1].body' } },
        { status: 'rejected', error: { field: 'Records[2].eventSource' } },
        { status: 'rejected', error: { field: 'Records[3]' } },
      ],
    });
  });

  test('the copy of an event whose immediate delivery was lost starts its burst a quiet period after the queue took it', async () => {
    // Prepare
    const config = debounced('lost');
    const sentAtMs = at(0);
    world.ssm.put(`${TEST_CONFIG_PATH}lost`, JSON.stringify({ lost: config }));
    process.env.TRIGGER_CONFIG_VERSION = 'lost-deployed';
    const delivery = { triggerId: 'lost', event: busEvent('model.added', { event_id: 'l1', data: { model_id: 'l1' } }) };

    // Act
    const outcome = await fromQueue(5 * MINUTE, delayedCopy(delivery, sentAtMs));

    // Assess
    expect(outcome).toMatchObject({ batchItemFailures: [], outcomes: [{ status: 'started' }] });
    expect(world.runsOf('lost').map((run) => run.parameters)).toEqual([{ ModelId: 'l1' }]);
  });

  test("a message from a queue other than the trigger's own delay queue is rejected naming eventSourceARN, and starts nothing", async () => {
    // Prepare
    const config = debounced('foreign');
    const sent = await immediately(config, 'x1', 0);
    const foreign = delayedCopy(sent.delivery, sent.sentAtMs, 'arn:aws:sqs:eu-west-1:123456789012:someone-elses-queue');

    // Act
    const outcome = await fromQueue(10 * MINUTE, foreign);

    // Assess
    expect(outcome).toEqual({
      status: 'received',
      batchItemFailures: [],
      outcomes: [{ status: 'rejected', error: { field: 'Records[0].eventSourceARN', problem: expect.stringContaining('must be the delay queue of trigger foreign') } }],
    });
    expect(world.runsOf('foreign')).toEqual([]);
  });

  test('a message naming a trigger that is not debounced, or an event its rule would drop, is rejected naming the field', async () => {
    // Prepare
    const plain = trigger('plain', {});
    await world.handler({ trigger: plain, event: busEvent('model.added', { event_id: 'p0', data: {} }) });
    const config = debounced('filtered');
    const sent = await immediately(config, 'y1', 0);
    const otherEvent = { ...sent.delivery, event: busEvent('model.removed', { event_id: 'y2', data: {} }) };

    // Act
    const outcome = await fromQueue(10 * MINUTE, delayedCopy({ triggerId: 'plain', event: sent.delivery.event }, sent.sentAtMs, queueArnOf('filtered')), delayedCopy(otherEvent, sent.sentAtMs));

    // Assess
    expect(outcome).toMatchObject({
      batchItemFailures: [],
      outcomes: [{ status: 'rejected', error: { field: 'Records[0].eventSourceARN' } }, { status: 'rejected', error: { field: 'Records[1].body.event' } }],
    });
    expect(world.runsOf('plain')).toHaveLength(1);
    expect(world.runsOf('filtered')).toEqual([]);
  });
});
