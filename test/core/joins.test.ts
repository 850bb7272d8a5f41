import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { EMPTY_JOIN_STATE, latestOccurrence, recordOccurrence, settleJoin, type JoinDecision, type JoinState, type Occurrence } from '../../lambda/core/joins';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WINDOW = 6 * HOUR;
const T0 = Date.UTC(2024, 0, 29, 12);
const AB = ['model.added', 'features_ready'];

const at = (atMs: number, eventId: string, data: unknown = { eventId }): Occurrence => ({ eventId, atMs, data });

function incomplete(decision: JoinDecision): Extract<JoinDecision, { complete: false }> {
  if (decision.complete) throw new Error(`expected an incomplete join, got ${JSON.stringify(decision)}`);
  return decision;
}

function complete(decision: JoinDecision): Extract<JoinDecision, { complete: true }> {
  if (!decision.complete) throw new Error(`expected a complete join, waiting for ${decision.waitingFor.join(', ')}`);
  return decision;
}

describe('recordOccurrence', () => {
  test('A then B within the window completes with both and resets the state', () => {
    const first = incomplete(recordOccurrence(EMPTY_JOIN_STATE, AB, 'model.added', at(T0, 'a1'), WINDOW, T0));
    expect(first).toMatchObject({ waitingFor: ['features_ready'], expired: [], state: { version: 1, occurrences: { 'model.added': at(T0, 'a1') } } });

    const second = complete(recordOccurrence(first.state, AB, 'features_ready', at(T0 + HOUR, 'b1'), WINDOW, T0 + HOUR));
    expect(second.joined).toEqual({ 'model.added': at(T0, 'a1'), features_ready: at(T0 + HOUR, 'b1') });
    expect(second.state).toMatchObject({ version: 2, occurrences: {} });
  });

  test('the order of arrival does not matter', () => {
    const first = recordOccurrence(EMPTY_JOIN_STATE, AB, 'features_ready', at(T0, 'b1'), WINDOW, T0);
    expect(complete(recordOccurrence(first.state, AB, 'model.added', at(T0 + MINUTE, 'a1'), WINDOW, T0 + MINUTE)).joined).toHaveProperty('features_ready.eventId', 'b1');
  });

  test("yesterday's A with today's B does not complete: A expired and is dropped", () => {
    const yesterday = recordOccurrence(EMPTY_JOIN_STATE, AB, 'model.added', at(T0 - DAY, 'a1'), WINDOW, T0 - DAY);
    const today = incomplete(recordOccurrence(yesterday.state, AB, 'features_ready', at(T0, 'b1'), WINDOW, T0));
    expect(today).toMatchObject({ waitingFor: ['model.added'], expired: ['model.added'], state: { version: 2, occurrences: { features_ready: at(T0, 'b1') } } });
  });

  test('an occurrence exactly at the window edge still counts', () => {
    const first = recordOccurrence(EMPTY_JOIN_STATE, AB, 'model.added', at(T0 - WINDOW, 'a1'), WINDOW, T0 - WINDOW);
    expect(recordOccurrence(first.state, AB, 'features_ready', at(T0, 'b1'), WINDOW, T0).complete).toBe(true);
  });

  test('an occurrence that arrives already older than the window is ignored and reported expired', () => {
    const late = incomplete(recordOccurrence(EMPTY_JOIN_STATE, AB, 'model.added', at(T0 - DAY, 'a1'), WINDOW, T0));
    expect(late).toEqual({ complete: false, state: EMPTY_JOIN_STATE, waitingFor: AB, expired: ['model.added'] });
  });

  test('a duplicate changes nothing: same state object, same version', () => {
    const first = recordOccurrence(EMPTY_JOIN_STATE, AB, 'model.added', at(T0, 'a1'), WINDOW, T0);
    const again = incomplete(recordOccurrence(first.state, AB, 'model.added', at(T0, 'a1'), WINDOW, T0 + MINUTE));
    expect(again.state).toBe(first.state);
  });

  test('an older occurrence delivered out of order changes nothing; a newer one replaces', () => {
    const first = recordOccurrence(EMPTY_JOIN_STATE, AB, 'model.added', at(T0, 'a2'), WINDOW, T0);
    expect(recordOccurrence(first.state, AB, 'model.added', at(T0 - MINUTE, 'a1'), WINDOW, T0).state).toBe(first.state);
    const newer = recordOccurrence(first.state, AB, 'model.added', at(T0 + MINUTE, 'a3'), WINDOW, T0 + MINUTE);
    expect(newer.state).toEqual({ version: 2, occurrences: { 'model.added': at(T0 + MINUTE, 'a3') } });
  });

  test('a redelivery of a consumed occurrence after the start cannot start the join again', () => {
    const a = recordOccurrence(EMPTY_JOIN_STATE, AB, 'model.added', at(T0, 'a1'), WINDOW, T0);
    const started = complete(recordOccurrence(a.state, AB, 'features_ready', at(T0 + MINUTE, 'b1'), WINDOW, T0 + MINUTE));
    const redelivered = recordOccurrence(started.state, AB, 'features_ready', at(T0 + MINUTE, 'b1'), WINDOW, T0 + 2 * MINUTE);
    expect(redelivered.state).toBe(started.state);
    const freshA = incomplete(recordOccurrence(redelivered.state, AB, 'model.added', at(T0 + 3 * MINUTE, 'a2'), WINDOW, T0 + 3 * MINUTE));
    expect(freshA.waitingFor).toEqual(['features_ready']);
  });

  test('a completed join stays pending until settled: a redelivery returns it again, a new occurrence is recorded, and nothing else completes', () => {
    const a = recordOccurrence(EMPTY_JOIN_STATE, AB, 'model.added', at(T0, 'a1'), WINDOW, T0);
    const started = complete(recordOccurrence(a.state, AB, 'features_ready', at(T0 + MINUTE, 'b1'), WINDOW, T0 + MINUTE));
    expect(started.state.pending).toEqual(started.joined);

    const retried = incomplete(recordOccurrence(started.state, AB, 'features_ready', at(T0 + MINUTE, 'b1'), WINDOW, T0 + 2 * MINUTE));
    const a2 = incomplete(recordOccurrence(started.state, AB, 'model.added', at(T0 + 3 * MINUTE, 'a2'), WINDOW, T0 + 3 * MINUTE));
    const b2 = incomplete(recordOccurrence(a2.state, AB, 'features_ready', at(T0 + 4 * MINUTE, 'b2'), WINDOW, T0 + 4 * MINUTE));

    expect(retried.pending).toEqual(started.joined);
    expect(retried.state).toBe(started.state);
    expect(a2.pending).toEqual(started.joined);
    expect(b2).toMatchObject({ waitingFor: [], pending: started.joined, state: { occurrences: { 'model.added': at(T0 + 3 * MINUTE, 'a2'), features_ready: at(T0 + 4 * MINUTE, 'b2') } } });
  });

  test('settleJoin gives up the pending occurrences once; the next arrival completes what accumulated meanwhile', () => {
    const a = recordOccurrence(EMPTY_JOIN_STATE, AB, 'model.added', at(T0, 'a1'), WINDOW, T0);
    const started = complete(recordOccurrence(a.state, AB, 'features_ready', at(T0 + MINUTE, 'b1'), WINDOW, T0 + MINUTE));
    const meanwhile = recordOccurrence(recordOccurrence(started.state, AB, 'model.added', at(T0 + 2 * MINUTE, 'a2'), WINDOW, T0 + 2 * MINUTE).state, AB, 'features_ready', at(T0 + 3 * MINUTE, 'b2'), WINDOW, T0 + 3 * MINUTE);

    const settled = settleJoin(meanwhile.state, started.joined);

    expect(settled).toMatchObject({ version: meanwhile.state.version + 1, occurrences: meanwhile.state.occurrences });
    expect(settled.pending).toBeUndefined();
    expect(settleJoin(settled, started.joined)).toBe(settled);
    expect(settleJoin(meanwhile.state, { 'model.added': at(T0, 'other'), features_ready: at(T0, 'b1') })).toBe(meanwhile.state);
    const next = complete(recordOccurrence(settled, AB, 'features_ready', at(T0 + 3 * MINUTE, 'b2'), WINDOW, T0 + 4 * MINUTE));
    expect(next.joined).toEqual({ 'model.added': at(T0 + 2 * MINUTE, 'a2'), features_ready: at(T0 + 3 * MINUTE, 'b2') });
    expect(latestOccurrence(next.joined).eventId).toBe('b2');
  });

  test('a single-event join starts once per occurrence, not once per delivery', () => {
    const started = complete(recordOccurrence(EMPTY_JOIN_STATE, ['model.added'], 'model.added', at(T0, 'a1'), WINDOW, T0));
    expect(recordOccurrence(started.state, ['model.added'], 'model.added', at(T0, 'a1'), WINDOW, T0).complete).toBe(false);
  });

  test('three-event joins wait for all three, in any order', () => {
    const names = ['a', 'b', 'c'];
    const afterA = recordOccurrence(EMPTY_JOIN_STATE, names, 'a', at(T0, 'a1'), WINDOW, T0);
    const afterC = incomplete(recordOccurrence(afterA.state, names, 'c', at(T0 + HOUR, 'c1'), WINDOW, T0 + HOUR));
    expect(afterC.waitingFor).toEqual(['b']);
    const afterB = complete(recordOccurrence(afterC.state, names, 'b', at(T0 + 2 * HOUR, 'b1'), WINDOW, T0 + 2 * HOUR));
    expect(Object.keys(afterB.joined).sort()).toEqual(names);
  });

  test('a three-event join loses its first event when the window passes before the last arrives', () => {
    const names = ['a', 'b', 'c'];
    const afterA = recordOccurrence(EMPTY_JOIN_STATE, names, 'a', at(T0, 'a1'), WINDOW, T0);
    const afterB = recordOccurrence(afterA.state, names, 'b', at(T0 + 5 * HOUR, 'b1'), WINDOW, T0 + 5 * HOUR);
    const afterC = incomplete(recordOccurrence(afterB.state, names, 'c', at(T0 + 7 * HOUR, 'c1'), WINDOW, T0 + 7 * HOUR));
    expect(afterC).toMatchObject({ waitingFor: ['a'], expired: ['a'] });
  });

  test('an event outside the join changes nothing', () => {
    const decision = incomplete(recordOccurrence(EMPTY_JOIN_STATE, AB, 'model.deleted', at(T0, 'x'), WINDOW, T0));
    expect(decision.state).toBe(EMPTY_JOIN_STATE);
  });

  test.each<[string, readonly string[], number, number]>([
    ['no names', [], WINDOW, T0],
    ['a name twice', ['a', 'a'], WINDOW, T0],
    ['a zero window', AB, 0, T0],
    ['a time that is not finite', AB, WINDOW, Number.NaN],
  ])('refuses a configuration with %s', (_name, names, windowMs, nowMs) => {
    expect(() => recordOccurrence(EMPTY_JOIN_STATE, names, 'a', at(T0, 'a1'), windowMs, nowMs)).toThrow(RangeError);
  });
});

describe('recordOccurrence properties', () => {
  const NAMES = ['a', 'b', 'c', 'd'];
  const stepArb = fc.record({
    name: fc.constantFrom(...NAMES, 'other'),
    gapMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 * HOUR }), fc.integer({ min: 0, max: 2 * DAY })),
    // Occurrences arrive up to a day late, so some are older than the window or than what is stored.
    lagMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: DAY })),
    eventId: fc.integer({ min: 0, max: 5 }).map((id) => `e${id}`),
  });
  const scenarioArb = fc.record({
    names: fc.subarray(NAMES, { minLength: 1 }),
    windowMs: fc.integer({ min: 1, max: 2 * DAY }),
    steps: fc.array(stepArb, { maxLength: 40 }),
  });
  const stored = (state: JoinState) => ({ occurrences: state.occurrences, consumed: state.consumed });

  test('a complete join holds every name, each within the window; version changes iff the state does', () => {
    fc.assert(
      fc.property(scenarioArb, ({ names, windowMs, steps }) => {
        let state = EMPTY_JOIN_STATE;
        let nowMs = T0;
        for (const step of steps) {
          nowMs += step.gapMs;
          const occurrence = at(nowMs - step.lagMs, step.eventId);
          const decision = recordOccurrence(state, names, step.name, occurrence, windowMs, nowMs);
          if (decision.complete) {
            expect(Object.keys(decision.joined).sort()).toEqual([...names].sort());
            for (const joined of Object.values(decision.joined)) expect(joined.atMs).toBeGreaterThanOrEqual(nowMs - windowMs);
            expect(decision.state.occurrences).toEqual({});
          } else if (decision.pending === undefined) {
            expect(decision.waitingFor.length).toBeGreaterThan(0);
            for (const kept of Object.values(decision.state.occurrences)) expect(kept.atMs).toBeGreaterThanOrEqual(nowMs - windowMs);
          }
          const changed = !isDeepStrictEqual(stored(decision.state), stored(state));
          expect(decision.state.version).toBe(changed ? state.version + 1 : state.version);
          // The run of a completed join starts at once here; a pending join is covered above.
          state = decision.complete ? settleJoin(decision.state, decision.joined) : decision.state;
        }
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  test('recording the same occurrence twice in a row changes nothing the second time', () => {
    fc.assert(
      fc.property(scenarioArb, stepArb, ({ names, windowMs, steps }, last) => {
        let state = EMPTY_JOIN_STATE;
        let nowMs = T0;
        for (const step of steps) {
          nowMs += step.gapMs;
          state = recordOccurrence(state, names, step.name, at(nowMs - step.lagMs, step.eventId), windowMs, nowMs).state;
        }
        const occurrence = at(nowMs - last.lagMs, `${last.eventId}-last`);
        const once = recordOccurrence(state, names, last.name, occurrence, windowMs, nowMs);
        const twice = recordOccurrence(once.state, names, last.name, occurrence, windowMs, nowMs);
        expect(twice.complete).toBe(false);
        expect(twice.state).toBe(once.state);
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});
