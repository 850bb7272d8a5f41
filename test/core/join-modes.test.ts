import fc from 'fast-check';
import { EMPTY_JOIN_STATE, recordOccurrence, sequenceGaps, settleJoin, type JoinDecision, type JoinRule, type JoinState, type Occurrence } from '../../lambda/core/joins';
import { forEachPathProblem, JOIN_KEY_LIMITS, readJoinKey } from '../../lambda/core/join-keys';
import { absentEventProblem } from '../../lambda/core/join-templates';
import { parseParameterTemplates } from '../../lambda/core/templates';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const WINDOW = 6 * HOUR;
const T0 = Date.UTC(2024, 0, 29, 12);
const ABC = ['a', 'b', 'c'];

const at = (atMs: number, eventId: string): Occurrence => ({ eventId, atMs, data: { eventId } });

/** Records `name`'s occurrence at `atMs`, the clock reading the occurrence's own time. */
const record = (state: JoinState, names: readonly string[], name: string, occurrence: Occurrence, rule: JoinRule, nowMs = occurrence.atMs) =>
  recordOccurrence(state, names, name, occurrence, WINDOW, nowMs, rule);

function complete(decision: JoinDecision): Extract<JoinDecision, { complete: true }> {
  if (!decision.complete) throw new Error(`expected a complete join, waiting for ${decision.waitingFor.join(', ')}`);
  return decision;
}

function incomplete(decision: JoinDecision): Extract<JoinDecision, { complete: false }> {
  if (decision.complete) throw new Error(`expected an incomplete join, got ${JSON.stringify(decision.joined)}`);
  return decision;
}

describe('N of M joins', () => {
  test('two of three complete with the two that occurred, and the third is not waited for', () => {
    // Prepare
    const first = record(EMPTY_JOIN_STATE, ABC, 'a', at(T0, 'a1'), { minimum: 2 });

    // Act
    const second = complete(record(first.state, ABC, 'c', at(T0 + MINUTE, 'c1'), { minimum: 2 }));

    // Assess
    expect(incomplete(first).waitingFor).toEqual(['b', 'c']);
    expect(second.joined).toEqual({ a: at(T0, 'a1'), c: at(T0 + MINUTE, 'c1') });
    expect(second.state).toMatchObject({ occurrences: {}, consumed: { a: { eventId: 'a1' }, c: { eventId: 'c1' } } });
  });

  test('a start marks only the joined names: a redelivery of an occurrence consumed two starts ago still changes nothing', () => {
    // Prepare
    const rule = { minimum: 2 };
    const ab = complete(record(record(EMPTY_JOIN_STATE, ABC, 'a', at(T0, 'a1'), rule).state, ABC, 'b', at(T0, 'b1'), rule));
    const c = record(settleJoin(ab.state, ab.joined), ABC, 'c', at(T0 + MINUTE, 'c1'), rule);
    const ca = complete(record(c.state, ABC, 'a', at(T0 + 2 * MINUTE, 'a2'), rule));
    const settled = settleJoin(ca.state, ca.joined);

    // Act
    const redelivered = record(settled, ABC, 'b', at(T0, 'b1'), rule, T0 + 3 * MINUTE);

    // Assess
    expect(redelivered.state).toBe(settled);
    expect(settled.consumed).toEqual({ a: { eventId: 'a2', atMs: T0 + 2 * MINUTE }, b: { eventId: 'b1', atMs: T0 }, c: { eventId: 'c1', atMs: T0 + MINUTE } });
  });

  test('a minimum of one starts on each new occurrence of any name, once per occurrence', () => {
    // Prepare
    const first = complete(record(EMPTY_JOIN_STATE, ABC, 'b', at(T0, 'b1'), { minimum: 1 }));

    // Act
    const again = record(settleJoin(first.state, first.joined), ABC, 'b', at(T0, 'b1'), { minimum: 1 });

    // Assess
    expect(first.joined).toEqual({ b: at(T0, 'b1') });
    expect(again.complete).toBe(false);
  });

  test.each([0, 4, 1.5])('refuses a minimum of %s for three names', (minimum) => {
    expect(() => record(EMPTY_JOIN_STATE, ABC, 'a', at(T0, 'a1'), { minimum })).toThrow(RangeError);
  });

  test('the delivery order of the same occurrences does not change how many runs start, each with exactly the minimum, none twice', () => {
    const scenario = fc
      .record({ present: fc.subarray(['a', 'b', 'c', 'd'], { minLength: 1 }), minimum: fc.integer({ min: 1, max: 4 }), seed: fc.integer() })
      .chain(({ present, minimum }) =>
        fc.record({
          present: fc.constant(present),
          minimum: fc.constant(minimum),
          // Each occurrence delivered at least once, some twice, in any order.
          deliveries: fc.shuffledSubarray([...present, ...present], { minLength: present.length }).filter((list) => present.every((name) => list.includes(name))),
          offsets: fc.array(fc.integer({ min: 0, max: HOUR }), { minLength: present.length, maxLength: present.length }),
        }),
      );
    fc.assert(
      fc.property(scenario, ({ present, minimum, deliveries, offsets }) => {
        const names = ['a', 'b', 'c', 'd'];
        const occurrenceOf = (name: string) => at(T0 + offsets[present.indexOf(name)], `${name}1`);
        let state = EMPTY_JOIN_STATE;
        const joins: string[][] = [];
        for (const name of deliveries) {
          const decision = recordOccurrence(state, names, name, occurrenceOf(name), WINDOW, T0 + HOUR, { minimum });
          state = decision.state;
          if (decision.complete) {
            joins.push(Object.values(decision.joined).map((occurrence) => occurrence.eventId));
            state = settleJoin(state, decision.joined);
          }
        }
        expect(joins).toHaveLength(Math.floor(present.length / minimum));
        for (const joined of joins) expect(joined).toHaveLength(minimum);
        const all = joins.flat();
        expect(new Set(all).size).toBe(all.length);
      }),
      { seed: 11, numRuns: 300 },
    );
  });
});

describe('sequences', () => {
  const ordered: JoinRule = { ordered: true };
  const STEPS = ['data_updated', 'features_ready'];

  test('features_ready after data_updated completes', () => {
    // Prepare
    const first = record(EMPTY_JOIN_STATE, STEPS, 'data_updated', at(T0, 'd1'), ordered);

    // Act
    const second = complete(record(first.state, STEPS, 'features_ready', at(T0 + MINUTE, 'f1'), ordered));

    // Assess
    expect(second.joined).toEqual({ data_updated: at(T0, 'd1'), features_ready: at(T0 + MINUTE, 'f1') });
  });

  test('features_ready before data_updated does not complete, and waits for a features_ready after it', () => {
    // Prepare
    const first = record(EMPTY_JOIN_STATE, STEPS, 'features_ready', at(T0, 'f1'), ordered);

    // Act
    const second = incomplete(record(first.state, STEPS, 'data_updated', at(T0 + MINUTE, 'd1'), ordered));
    const third = complete(record(second.state, STEPS, 'features_ready', at(T0 + 2 * MINUTE, 'f2'), ordered));

    // Assess
    expect(second.waitingFor).toEqual(['features_ready']);
    expect(third.joined).toEqual({ data_updated: at(T0 + MINUTE, 'd1'), features_ready: at(T0 + 2 * MINUTE, 'f2') });
  });

  test('delivered out of order, the steps still complete by their event times', () => {
    // Prepare
    const late = record(EMPTY_JOIN_STATE, STEPS, 'features_ready', at(T0 + MINUTE, 'f1'), ordered, T0 + 2 * MINUTE);

    // Act
    const decision = complete(record(late.state, STEPS, 'data_updated', at(T0, 'd1'), ordered, T0 + 2 * MINUTE));

    // Assess
    expect(Object.keys(decision.joined)).toEqual(STEPS);
  });

  test('equal times are ordered by event id', () => {
    const d = record(EMPTY_JOIN_STATE, STEPS, 'data_updated', at(T0, 'e2'), ordered);
    expect(record(d.state, STEPS, 'features_ready', at(T0, 'e1'), ordered).complete).toBe(false);
    expect(record(d.state, STEPS, 'features_ready', at(T0, 'e3'), ordered).complete).toBe(true);
  });

  test('a later occurrence of an earlier step restarts the order from it: every later step must occur again after it', () => {
    // Prepare
    const s = ['a', 'b', 'c'];
    const a1 = record(EMPTY_JOIN_STATE, s, 'a', at(T0, 'a1'), ordered);
    const b1 = record(a1.state, s, 'b', at(T0 + MINUTE, 'b1'), ordered);

    // Act
    const a2 = incomplete(record(b1.state, s, 'a', at(T0 + 2 * MINUTE, 'a2'), ordered));
    const c1 = incomplete(record(a2.state, s, 'c', at(T0 + 3 * MINUTE, 'c1'), ordered));
    const b2 = incomplete(record(c1.state, s, 'b', at(T0 + 4 * MINUTE, 'b2'), ordered));
    const c2 = complete(record(b2.state, s, 'c', at(T0 + 5 * MINUTE, 'c2'), ordered));

    // Assess
    expect([a2.waitingFor, c1.waitingFor, b2.waitingFor]).toEqual([['b', 'c'], ['b'], ['c']]);
    expect(Object.values(c2.joined).map((o) => o.eventId)).toEqual(['a2', 'b2', 'c2']);
  });

  test('sequenceGaps names missing steps and steps not after the one before', () => {
    const latest = new Map([
      ['b', at(T0, 'b1')],
      ['c', at(T0 - MINUTE, 'c1')],
    ]);
    expect(sequenceGaps(['a', 'b', 'c'], latest)).toEqual(['a', 'c']);
  });

  test('refuses a minimum on an ordered join', () => {
    expect(() => record(EMPTY_JOIN_STATE, ABC, 'a', at(T0, 'a1'), { ordered: true, minimum: 2 })).toThrow(RangeError);
  });
});

describe('per-key joins', () => {
  const KEYS = ['m-1', 'm-2', 'm-3'];
  const NAMES = ['a', 'b'];
  const keyOf = (key: string) => {
    const read = readJoinKey({ model: { id: key } }, 'model.id');
    if (!read.ok) throw new Error(read.error.problem);
    return read.value.id;
  };

  test.each<[string, JoinRule]>([
    ['join', {}],
    ['sequence', { ordered: true }],
  ])('the delivery order of interleaved keys does not change which keys start, or with what (%s)', (_mode, rule) => {
    const occurrence = fc.record({ key: fc.constantFrom(...KEYS), name: fc.constantFrom(...NAMES), offset: fc.integer({ min: 0, max: HOUR }) });
    const scenario = fc
      .uniqueArray(occurrence, { selector: (o) => `${o.key}/${o.name}`, maxLength: 6 })
      .chain((set) => fc.tuple(fc.constant(set), fc.shuffledSubarray([...set, ...set], { minLength: set.length }), fc.shuffledSubarray([...set, ...set], { minLength: set.length })));
    const run = (deliveries: ReadonlyArray<{ key: string; name: string; offset: number }>) => {
      const states = new Map<string, JoinState>();
      const started: string[] = [];
      for (const { key, name, offset } of deliveries) {
        const decision = recordOccurrence(states.get(keyOf(key)) ?? EMPTY_JOIN_STATE, NAMES, name, at(T0 + offset, `${key}/${name}`), WINDOW, T0 + HOUR, rule);
        states.set(keyOf(key), decision.complete ? settleJoin(decision.state, decision.joined) : decision.state);
        if (decision.complete) started.push(`${key}: ${Object.values(decision.joined).map((o) => o.eventId).join(' ')}`);
      }
      return started.sort();
    };
    fc.assert(
      fc.property(scenario, ([set, first, second]) => {
        const everyDelivered = (list: typeof set) => set.every((o) => list.includes(o));
        fc.pre(everyDelivered(first) && everyDelivered(second));
        expect(run(first)).toEqual(run(second));
        expect(run(first)).toEqual(run(set));
      }),
      { seed: 5, numRuns: 300 },
    );
  });

  test('a key is a string or finite number, bounded; the string and the number of the same digits are different keys', () => {
    const id = (value: unknown) => readJoinKey({ model_id: value }, 'model_id');

    expect(id('7')).toMatchObject({ ok: true, value: { value: '7', id: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(id(7)).toMatchObject({ ok: true, value: { value: 7 } });
    expect((id('7') as { value: { id: string } }).value.id).not.toBe((id(7) as { value: { id: string } }).value.id);
    expect(id('x'.repeat(JOIN_KEY_LIMITS.maxValueLength))).toMatchObject({ ok: true });
  });

  test.each<[string, unknown, string]>([
    ['missing', undefined, 'is missing'],
    ['null', null, 'is missing'],
    ['an object', { id: 1 }, 'must be a string or a finite number, got an object'],
    ['a list', ['m-1'], 'must be a string or a finite number, got an array'],
    ['a boolean', true, 'must be a string or a finite number'],
    ['empty', '', 'must be 1-256 characters, got 0'],
    ['too long', 'x'.repeat(257), 'must be 1-256 characters, got 257'],
  ])('a key that is %s is an error naming the field', (_what, value, problem) => {
    expect(readJoinKey({ owner: { model_id: value } }, 'owner.model_id')).toEqual({ ok: false, error: { field: 'event.detail.data.owner.model_id', problem: expect.stringContaining(problem) } });
  });

  test('an inherited field is no key', () => {
    expect(readJoinKey({}, 'toString').ok).toBe(false);
  });

  test.each<[string, string]>([
    ['', 'must be 1-256 characters'],
    ['a..b', "has the field ''"],
    ['model id', "has the field 'model id'"],
    ['owner.__proto__', 'which JavaScript objects inherit'],
    [Array.from({ length: 9 }, () => 'a').join('.'), '9 fields deep'],
  ])("forEach '%s' is refused", (path, problem) => {
    expect(forEachPathProblem(path)).toContain(problem);
  });

  test('forEach accepts a field and a dotted path', () => {
    expect([forEachPathProblem('model_id'), forEachPathProblem('model.id-v2')]).toEqual([undefined, undefined]);
  });
});

describe('templates of an N of M join', () => {
  const parsed = (parameters: Record<string, string>) => {
    const templates = parseParameterTemplates(parameters, { joinedEvents: ABC });
    if (!templates.ok) throw new Error(templates.error.problem);
    return templates.value;
  };

  test('a template reading an event that may be absent needs a default, naming the parameter and the fix', () => {
    expect(absentEventProblem(parsed({ Version: '{{ events.b.version }}' }), ABC, 2)).toEqual({
      field: 'parameters.Version',
      problem: expect.stringContaining("give it a default, {{ events.b.version | default: '...' }}"),
    });
  });

  test('defaults, the triggering event, and joins of every name pass', () => {
    expect(absentEventProblem(parsed({ Version: "{{ events.b.version | default: 'none' }}", Id: '{{ event.id }}' }), ABC, 2)).toBeUndefined();
    expect(absentEventProblem(parsed({ Version: '{{ events.b.version }}' }), ABC, 3)).toBeUndefined();
  });
});
