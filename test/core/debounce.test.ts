import { parseEventTriggerConfig } from '../../lambda/core/contracts/event-trigger';
import {
  DEBOUNCE_SLACK_MS,
  EMPTY_DEBOUNCE_STATE,
  MAX_KEPT_IDS,
  burstKey,
  decideDelayed,
  recordBurstEvent,
  settleBurst,
  type BurstEvent,
  type DebounceState,
} from '../../lambda/core/debounce';

const MINUTE = 60_000;
const QUIET = 5 * MINUTE;
const T0 = Date.UTC(2024, 0, 29, 12);

/** An event received at `receivedAtMs`; its own time (the same in every delivery) is its first receipt unless given. */
const received = (eventId: string, receivedAtMs: number, atMs = receivedAtMs): BurstEvent => ({ eventId, receivedAtMs, data: { eventId }, atMs });

/** The state after recording `events` in order, as their immediate deliveries do. */
function recordAll(events: readonly BurstEvent[], state: DebounceState = EMPTY_DEBOUNCE_STATE): DebounceState {
  return events.reduce((current, event) => recordBurstEvent(current, event).state, state);
}

describe('recordBurstEvent', () => {
  test('the first event opens a burst; later ones join it and the one received last is its latest', () => {
    // Prepare
    const events = [received('a', T0), received('b', T0 + 2 * MINUTE), received('c', T0 + 4 * MINUTE)];

    // Act
    const state = recordAll(events);

    // Assess
    expect(state).toEqual({
      version: 3,
      burst: { firstEventId: 'a', firstReceivedAtMs: T0, latest: events[2], count: 3, eventIds: ['a', 'b', 'c'], latestAtMs: T0 + 4 * MINUTE },
    });
  });

  test('the state does not depend on the order deliveries are recorded in, ties broken by event id', () => {
    // Prepare
    const events = [received('b', T0), received('a', T0), received('c', T0 - MINUTE)];

    // Act
    const forwards = recordAll(events).burst;
    const backwards = recordAll([...events].reverse()).burst;

    // Assess
    expect(forwards?.latest.eventId).toBe('b');
    expect(backwards?.latest.eventId).toBe('b');
    expect(backwards?.count).toBe(forwards?.count);
  });

  test('a redelivery changes nothing: it neither counts twice nor moves the burst\'s end', () => {
    // Prepare
    const state = recordAll([received('a', T0), received('b', T0 + MINUTE)]);

    // Act
    const again = recordBurstEvent(state, received('a', T0 + 3 * MINUTE));

    // Assess
    expect(again).toEqual({ state, recorded: 'duplicate' });
  });

  test('an event received earlier than the latest only joins the burst', () => {
    // Prepare
    const state = recordAll([received('b', T0 + MINUTE)]);

    // Act
    const { state: next, recorded } = recordBurstEvent(state, received('a', T0));

    // Assess
    expect(recorded).toBe('joined');
    expect(next.burst).toMatchObject({ latest: { eventId: 'b' }, count: 2 });
  });

  test('keeps at most MAX_KEPT_IDS ids, still counting the events past them, and long ids as their digest', () => {
    // Prepare
    const events = Array.from({ length: MAX_KEPT_IDS + 5 }, (_, i) => received(`${'x'.repeat(70)}${i}`, T0 + i));

    // Act
    const burst = recordAll(events).burst!;

    // Assess
    expect(burst.count).toBe(MAX_KEPT_IDS + 5);
    expect(burst.eventIds).toHaveLength(MAX_KEPT_IDS);
    expect(burst.eventIds.every((id) => /^sha256:[0-9a-f]{40}$/.test(id))).toBe(true);
  });
});

describe('decideDelayed', () => {
  const burstOfThree = () => recordAll([received('a', T0), received('b', T0 + 2 * MINUTE), received('c', T0 + 4 * MINUTE)]);

  test("the copies of a burst's earlier events are superseded; the latest's copy starts it a quiet period after it", () => {
    // Prepare
    const state = burstOfThree();

    // Act
    const first = decideDelayed(state, received('a', T0), QUIET, T0 + QUIET);
    const second = decideDelayed(first.state, received('b', T0 + 2 * MINUTE), QUIET, T0 + 2 * MINUTE + QUIET);
    const last = decideDelayed(second.state, received('c', T0 + 4 * MINUTE), QUIET, T0 + 4 * MINUTE + QUIET);

    // Assess
    expect(first.decision).toEqual({ kind: 'superseded', latestEventId: 'c' });
    expect(second.decision).toEqual({ kind: 'superseded', latestEventId: 'c' });
    expect(last.decision).toEqual({ kind: 'start', burst: state.burst });
    expect(last.state).toEqual({ version: state.version + 1, pending: state.burst });
  });

  test('an early copy of the latest event waits: it is due a quiet period after the receipt, less the slack', () => {
    // Prepare
    const state = burstOfThree();
    const dueAtMs = T0 + 4 * MINUTE + QUIET - DEBOUNCE_SLACK_MS;

    // Act
    const early = decideDelayed(state, received('c', T0 + 4 * MINUTE), QUIET, dueAtMs - 1);
    const onTime = decideDelayed(state, received('c', T0 + 4 * MINUTE), QUIET, dueAtMs);

    // Assess
    expect(early).toEqual({ state, decision: { kind: 'quiet', dueAtMs } });
    expect(onTime.decision.kind).toBe('start');
  });

  test('a copy claiming an earlier receipt cannot pull the burst\'s end forward', () => {
    // Prepare
    const state = burstOfThree();

    // Act
    const forged = decideDelayed(state, received('c', T0 - 60 * MINUTE), QUIET, T0 + 5 * MINUTE);

    // Assess
    expect(forged.decision).toEqual({ kind: 'quiet', dueAtMs: T0 + 4 * MINUTE + QUIET - DEBOUNCE_SLACK_MS });
  });

  test('the copy of an event whose immediate delivery was lost records it and starts its burst', () => {
    // Act
    const { state, decision } = decideDelayed(EMPTY_DEBOUNCE_STATE, received('lost', T0), QUIET, T0 + QUIET);

    // Assess
    expect(decision).toMatchObject({ kind: 'start', burst: { firstEventId: 'lost', latest: { eventId: 'lost' }, count: 1 } });
    expect(state.pending?.latest.eventId).toBe('lost');
  });

  test('a pending burst is asked for again before anything else starts, and a settled one consumes its events', () => {
    // Prepare
    const started = decideDelayed(burstOfThree(), received('c', T0 + 4 * MINUTE), QUIET, T0 + 9 * MINUTE);
    if (started.decision.kind !== 'start') throw new Error('expected a start');
    const newer = recordBurstEvent(started.state, received('d', T0 + 10 * MINUTE)).state;

    // Act
    const retried = decideDelayed(newer, received('c', T0 + 4 * MINUTE), QUIET, T0 + 12 * MINUTE);
    const settled = settleBurst(retried.state, started.decision.burst);
    const redelivered = decideDelayed(settled, received('c', T0 + 4 * MINUTE), QUIET, T0 + 13 * MINUTE);

    // Assess
    expect(retried.decision).toEqual({ kind: 'pending', burst: started.decision.burst, holdsEvent: true });
    expect(settled).toEqual({ version: newer.version + 1, burst: newer.burst, consumed: ['a', 'b', 'c'], consumedThroughMs: T0 + 4 * MINUTE });
    expect(redelivered).toEqual({ state: settled, decision: { kind: 'consumed' } });
    expect(recordBurstEvent(settled, received('a', T0 + 20 * MINUTE))).toEqual({ state: settled, recorded: 'consumed' });
  });

  test('a late redelivery of an event of an earlier burst, after a later burst started, starts nothing', () => {
    // Prepare: a's burst starts and settles, then b's, ten quiet periods later
    const a = received('a', T0);
    const b = received('b', T0 + 10 * QUIET);
    const startedA = decideDelayed(recordAll([a]), a, QUIET, T0 + QUIET);
    if (startedA.decision.kind !== 'start') throw new Error('expected a start');
    const settledA = settleBurst(startedA.state, startedA.decision.burst);
    const startedB = decideDelayed(recordAll([b], settledA), b, QUIET, b.receivedAtMs + QUIET);
    if (startedB.decision.kind !== 'start') throw new Error('expected a start');
    const settledB = settleBurst(startedB.state, startedB.decision.burst);
    const late = received('a', T0 + 11 * QUIET, a.atMs);

    // Act
    const recorded = recordBurstEvent(settledB, late);
    const delayed = decideDelayed(recorded.state, late, QUIET, late.receivedAtMs + QUIET);

    // Assess
    expect(settledB.consumed).toEqual(['b']);
    expect(recorded).toEqual({ state: settledB, recorded: 'consumed' });
    expect(delayed).toEqual({ state: settledB, decision: { kind: 'consumed' } });
  });

  test('an event at or before the latest event time of a started burst is consumed; a later one opens a burst', () => {
    // Prepare
    const started = decideDelayed(burstOfThree(), received('c', T0 + 4 * MINUTE), QUIET, T0 + 9 * MINUTE);
    if (started.decision.kind !== 'start') throw new Error('expected a start');
    const settled = settleBurst(started.state, started.decision.burst);

    // Act
    const whilePending = recordBurstEvent(started.state, received('late', T0 + 10 * MINUTE, T0 + 4 * MINUTE));
    const atHorizon = recordBurstEvent(settled, received('late', T0 + 10 * MINUTE, T0 + 4 * MINUTE));
    const afterHorizon = recordBurstEvent(settled, received('new', T0 + 10 * MINUTE, T0 + 4 * MINUTE + 1));

    // Assess
    expect(settled.consumedThroughMs).toBe(T0 + 4 * MINUTE);
    expect(whilePending).toEqual({ state: started.state, recorded: 'consumed' });
    expect(atHorizon).toEqual({ state: settled, recorded: 'consumed' });
    expect(afterHorizon.recorded).toBe('latest');
  });

  test('the horizon never moves back, and a state stored without event times still opens, starts and settles bursts', () => {
    // Prepare: stored before event times were kept: no horizon, a pending burst without its latest event time
    const { latestAtMs: _unknown, ...oldBurst } = burstOfThree().burst!;
    const old: DebounceState = { version: 7, pending: oldBurst, consumed: ['z'] };
    const ahead: DebounceState = { ...old, consumedThroughMs: T0 + 60 * MINUTE };

    // Act
    const settledOld = settleBurst(old, oldBurst);
    const settledAhead = settleBurst(ahead, oldBurst);
    const next = decideDelayed(settledOld, received('d', T0 + 10 * MINUTE), QUIET, T0 + 15 * MINUTE);

    // Assess
    expect(settledOld).toEqual({ version: 8, consumed: ['a', 'b', 'c'] });
    expect(settledAhead.consumedThroughMs).toBe(T0 + 60 * MINUTE);
    expect(next.decision).toMatchObject({ kind: 'start', burst: { firstEventId: 'd', latestAtMs: T0 + 10 * MINUTE } });
  });

  test('settling a burst that is no longer pending changes nothing', () => {
    // Prepare
    const state = burstOfThree();

    // Act
    const settled = settleBurst(state, state.burst!);

    // Assess
    expect(settled).toBe(state);
  });

  test('the key of a burst names its first and latest events and the latest receipt', () => {
    expect(burstKey(burstOfThree().burst!)).toBe(`a..c@${T0 + 4 * MINUTE}`);
  });

  test('a short quiet period allows half of itself as slack, never all of it', () => {
    // Prepare
    const state = recordAll([received('a', T0)]);

    // Act
    const early = decideDelayed(state, received('a', T0), 10_000, T0 + 4_999);
    const due = decideDelayed(state, received('a', T0), 10_000, T0 + 5_000);

    // Assess
    expect(early.decision).toEqual({ kind: 'quiet', dueAtMs: T0 + 5_000 });
    expect(due.decision.kind).toBe('start');
  });

  test('refuses a quiet period or a time that is not a finite number', () => {
    expect(() => decideDelayed(EMPTY_DEBOUNCE_STATE, received('a', T0), 0, T0)).toThrow(RangeError);
    expect(() => decideDelayed(EMPTY_DEBOUNCE_STATE, received('a', T0), QUIET, Number.NaN)).toThrow(RangeError);
    expect(() => recordBurstEvent(EMPTY_DEBOUNCE_STATE, received('a', Number.POSITIVE_INFINITY))).toThrow(RangeError);
    expect(() => recordBurstEvent(EMPTY_DEBOUNCE_STATE, received('a', T0, Number.NaN))).toThrow(RangeError);
  });
});

describe('the debounce in the event trigger contract', () => {
  const config = (extra: Record<string, unknown>) => ({
    triggerId: 'debounced',
    pipelineName: 'p',
    pattern: { source: ['s'] },
    mode: 'event',
    events: ['model.added'],
    parameters: {},
    ...extra,
  });
  const queueArn = 'arn:aws:sqs:eu-west-1:123456789012:Events-DebounceQueue1A2B';

  test('reads the quiet period and the queue of a named-event trigger', () => {
    const parsed = parseEventTriggerConfig(config({ debounceSeconds: 300, debounceQueueArn: queueArn }));

    expect(parsed).toMatchObject({ ok: true, value: { debounceSeconds: 300, debounceQueueArn: queueArn } });
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['a quiet period under ten seconds', { debounceSeconds: 5, debounceQueueArn: queueArn }, 'trigger.debounceSeconds'],
    ["a quiet period past SQS's largest delay", { debounceSeconds: 901, debounceQueueArn: queueArn }, 'trigger.debounceSeconds'],
    ['a fraction of a second', { debounceSeconds: 30.5, debounceQueueArn: queueArn }, 'trigger.debounceSeconds'],
    ['no queue', { debounceSeconds: 300 }, 'trigger.debounceQueueArn'],
    ['a queue that is not an SQS ARN', { debounceSeconds: 300, debounceQueueArn: 'arn:aws:sns:eu-west-1:123456789012:t' }, 'trigger.debounceQueueArn'],
    ['a join', { mode: 'join', events: ['a', 'b'], debounceSeconds: 300, debounceQueueArn: queueArn }, 'trigger.debounceSeconds'],
  ])('refuses %s, naming the field', (_, extra, field) => {
    const parsed = parseEventTriggerConfig(config(extra));

    expect(parsed).toMatchObject({ ok: false, error: { field } });
  });
});
