import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import {
  EMPTY_STATE,
  TRIGGER_TYPES,
  dayIn,
  decide,
  decideApproval,
  nextDayStartMs,
  type Decision,
  type PendingApproval,
  type PipelineState,
  type StartRequest,
} from '../../lambda/core/coordination';
import type { CoordinatorPolicy } from '../../lambda/core/contracts/coordinator';

// Random policies drive random sequences of requests and operator answers at non-decreasing times,
// from the empty state; each property then checks the trace against a tally kept here, independently
// of the state the code writes. Approved starts are overrides by definition (neither blocked by
// cooldown nor cap nor budget), so, like critical starts, they are exempt from the limits below.

const HOUR = 3_600_000;
const RUNS = { seed: 42, numRuns: 500 };
// Zones with 23/25-hour days, a half-hour zone, a 30-minute DST shift (Lord Howe), a 12:45 offset
// (Chatham) and DST changes at local midnight (Santiago).
const TIME_ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/Santiago'];

const cents = (max: number): fc.Arbitrary<number> => fc.integer({ min: 0, max: max * 100 }).map((amount) => amount / 100);

const policyArb: fc.Arbitrary<CoordinatorPolicy> = fc.record({
  minIntervalMs: fc.integer({ min: 0, max: 12 * HOUR }),
  maxDailyRuns: fc.integer({ min: 0, max: 6 }),
  dailyBudget: cents(2000),
  costModel: fc.record({ baseCost: cents(500), gbPerIncrement: fc.double({ min: 0.5, max: 500, noNaN: true }) }),
  timeZone: fc.constantFrom(...TIME_ZONES),
});

const gapArb = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: HOUR }), fc.integer({ min: 0, max: 30 * HOUR }));

type Action =
  | { readonly kind: 'request'; readonly gapMs: number; readonly priority: number; readonly dataSizeGb?: number; readonly requireApproval: boolean }
  | { readonly kind: 'answer'; readonly gapMs: number; readonly approve: boolean; readonly stale: boolean };

const requestArb: fc.Arbitrary<Action> = fc.record({
  kind: fc.constant('request' as const),
  gapMs: gapArb,
  priority: fc.integer({ min: 1, max: 5 }),
  dataSizeGb: fc.option(fc.double({ min: 0, max: 1000, noNaN: true }), { nil: undefined }),
  requireApproval: fc.integer({ min: 0, max: 9 }).map((roll) => roll === 0),
}, { requiredKeys: ['kind', 'gapMs', 'priority', 'requireApproval'] });

const answerArb: fc.Arbitrary<Action> = fc.record({
  kind: fc.constant('answer' as const), gapMs: gapArb, approve: fc.boolean(), stale: fc.integer({ min: 0, max: 3 }).map((roll) => roll === 0),
});

interface Step {
  readonly atMs: number;
  readonly priority?: number;
  readonly before: PipelineState;
  readonly decision: Decision;
}

/** Runs the actions from the empty state; a request's id is its index, an answer addresses the pending one. */
function simulate(policy: CoordinatorPolicy, startMs: number, actions: readonly Action[]): Step[] {
  let state: PipelineState = EMPTY_STATE;
  let atMs = startMs;
  return actions.map((action, index) => {
    atMs += action.gapMs;
    const before = state;
    let step: Step;
    if (action.kind === 'request') {
      const request: StartRequest = {
        requestId: `req-${index}`, pipelineName: 'churn-model', triggerType: TRIGGER_TYPES[index % TRIGGER_TYPES.length],
        reason: `reason ${index}`, priority: action.priority, dataSizeGb: action.dataSizeGb, requireApproval: action.requireApproval,
      };
      step = { atMs, priority: action.priority, before, decision: decide(policy, before, request, atMs) };
    } else {
      const requestId = action.stale ? 'req-stale' : (before.pendingApproval?.requestId ?? 'req-none');
      step = { atMs, before, decision: decideApproval(policy, before, requestId, action.approve, atMs) };
    }
    state = step.decision.state;
    return step;
  });
}

const scenarioArb = fc.record({
  policy: policyArb,
  // 2027-01-01 .. 2028-12-31, so every DST change of two years is in range.
  startMs: fc.integer({ min: Date.UTC(2027, 0, 1), max: Date.UTC(2028, 11, 31) }),
  actions: fc.array(fc.oneof({ weight: 6, arbitrary: requestArb }, { weight: 1, arbitrary: answerArb }), { minLength: 5, maxLength: 40, size: 'medium' }),
});

/** Starts decided by `decide` for a request of at least `minPriority`: the ones the limits bind. */
const boundStarts = (steps: readonly Step[], minPriority: number): Step[] =>
  steps.filter((step) => step.decision.reason === 'started' && (step.priority ?? 0) >= minPriority);

/** For each step, how many runs and how much spend the trace holds for that step's day, itself included. */
function dayTallies(policy: CoordinatorPolicy, steps: readonly Step[]): { runs: number; spent: number }[] {
  const byDay = new Map<string, { runs: number; spent: number }>();
  return steps.map((step) => {
    const day = dayIn(policy.timeZone, step.atMs);
    const tally = byDay.get(day) ?? { runs: 0, spent: 0 };
    const next = step.decision.start ? { runs: tally.runs + 1, spent: Math.round((tally.spent + step.decision.estimatedCost) * 100) / 100 } : tally;
    byDay.set(day, next);
    return next;
  });
}

describe('coordinator properties', () => {
  it('(a) never starts a non-critical request within minIntervalMs of the previous start', () => {
    fc.assert(fc.property(scenarioArb, ({ policy, startMs, actions }) => {
      const steps = simulate(policy, startMs, actions);
      let lastStartMs: number | undefined;
      for (const step of steps) {
        if (step.decision.start) {
          // Stronger than "no two non-critical starts closer than minIntervalMs": any previous start counts.
          if ((step.priority ?? 0) >= 3 && step.decision.reason === 'started' && lastStartMs !== undefined) {
            expect(step.atMs - lastStartMs).toBeGreaterThanOrEqual(policy.minIntervalMs);
          }
          lastStartMs = step.atMs;
        }
      }
    }), RUNS);
  });

  it('(b) keeps non-critical starts per calendar day in the time zone within maxDailyRuns', () => {
    fc.assert(fc.property(scenarioArb, ({ policy, startMs, actions }) => {
      const steps = simulate(policy, startMs, actions);
      const tallies = dayTallies(policy, steps);
      const nonCriticalPerDay = new Map<string, number>();
      steps.forEach((step, index) => {
        if (step.decision.start) expect(step.decision.state.runsToday).toBe(tallies[index].runs);
      });
      for (const step of boundStarts(steps, 3)) {
        expect(step.decision.state.runsToday).toBeLessThanOrEqual(policy.maxDailyRuns);
        const day = dayIn(policy.timeZone, step.atMs);
        nonCriticalPerDay.set(day, (nonCriticalPerDay.get(day) ?? 0) + 1);
      }
      for (const count of nonCriticalPerDay.values()) expect(count).toBeLessThanOrEqual(policy.maxDailyRuns);
    }), RUNS);
  });

  it('(c) keeps a day\'s spend within dailyBudget after every start of priority 2 or lower urgency', () => {
    fc.assert(fc.property(scenarioArb, ({ policy, startMs, actions }) => {
      const steps = simulate(policy, startMs, actions);
      const tallies = dayTallies(policy, steps);
      steps.forEach((step, index) => {
        if (step.decision.start) expect(step.decision.state.spentToday).toBeCloseTo(tallies[index].spent, 2);
        const bound = step.decision.reason === 'started' && (step.priority ?? 0) >= 2;
        if (bound) expect(tallies[index].spent).toBeLessThanOrEqual(policy.dailyBudget);
      });
    }), RUNS);
  });

  it('(d) increments version exactly when the state changes, and returns the same object otherwise', () => {
    const withoutVersion = ({ version, ...rest }: PipelineState): [number, Omit<PipelineState, 'version'>] => [version, rest];
    fc.assert(fc.property(scenarioArb, ({ policy, startMs, actions }) => {
      for (const { before, decision } of simulate(policy, startMs, actions)) {
        const [versionBefore, contentBefore] = withoutVersion(before);
        const [versionAfter, contentAfter] = withoutVersion(decision.state);
        const changed = !isDeepStrictEqual(contentBefore, contentAfter);
        expect(changed).toBe(decision.start || decision.reason === 'awaiting-approval' || decision.reason === 'rejected');
        if (changed) expect(versionAfter).toBe(versionBefore + 1);
        else expect(decision.state).toBe(before);
      }
    }), RUNS);
  });

  describe('(e) purity', () => {
    afterEach(() => {
      jest.useRealTimers();
      jest.restoreAllMocks();
    });

    const pendingArb: fc.Arbitrary<PendingApproval> = fc.record({
      requestId: fc.constantFrom('req-1', 'req-2'), triggerType: fc.constantFrom(...TRIGGER_TYPES), reason: fc.string({ minLength: 1, maxLength: 20 }),
      priority: fc.integer({ min: 1, max: 5 }), requestedAtMs: fc.integer({ min: 0, max: Date.UTC(2030, 0, 1) }), estimatedCost: cents(1000),
      parameters: fc.dictionary(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,8}$/), fc.string({ minLength: 1, maxLength: 8 }), { maxKeys: 3 }),
    });
    const stateArb: fc.Arbitrary<PipelineState> = fc.record({
      version: fc.nat(100), lastStartAtMs: fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2029, 0, 1) }),
      day: fc.constantFrom('2027-03-27', '2027-03-28', '2027-10-31', '2028-06-15'), runsToday: fc.nat(8), spentToday: cents(2000),
      sequence: fc.nat(1000), pendingApproval: pendingArb,
    }, { requiredKeys: ['version', 'runsToday', 'spentToday', 'sequence'] });
    const inputArb = fc.record({
      policy: policyArb, state: stateArb, nowMs: fc.integer({ min: Date.UTC(2027, 0, 1), max: Date.UTC(2028, 11, 31) }),
      request: fc.record({
        requestId: fc.constantFrom('req-1', 'req-2'), pipelineName: fc.constant('churn-model'), triggerType: fc.constantFrom(...TRIGGER_TYPES),
        reason: fc.string({ minLength: 1, maxLength: 20 }), priority: fc.integer({ min: 1, max: 5 }),
        dataSizeGb: fc.double({ min: 0, max: 1000, noNaN: true }), requireApproval: fc.boolean(),
        parameters: fc.dictionary(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,8}$/), fc.string({ minLength: 1, maxLength: 8 }), { maxKeys: 3 }),
      }, { requiredKeys: ['requestId', 'pipelineName', 'triggerType', 'reason', 'priority'] }),
      approve: fc.boolean(),
    });

    it('gives deep-equal decisions for the same inputs, whatever the clock or Math.random say, and mutates nothing', () => {
      jest.useFakeTimers();
      const random = jest.spyOn(Math, 'random');
      fc.assert(fc.property(inputArb, ({ nowMs, approve, ...generated }) => {
        // Frozen inputs make a mutation throw; the unfrozen copy shows one that slipped through.
        const frozen = deepFreeze(deepCopy(generated));
        const open = deepCopy(generated);
        jest.setSystemTime(Date.UTC(2001, 0, 1));
        random.mockReturnValue(0.1);
        const first = [decide(frozen.policy, frozen.state, frozen.request, nowMs), decideApproval(frozen.policy, frozen.state, frozen.request.requestId, approve, nowMs)];
        jest.setSystemTime(Date.UTC(2040, 6, 1));
        random.mockReturnValue(0.9);
        const second = [decide(open.policy, open.state, open.request, nowMs), decideApproval(open.policy, open.state, open.request.requestId, approve, nowMs)];
        expect(second).toStrictEqual(first);
        expect(open).toStrictEqual(deepCopy(generated));
      }), RUNS);
    });
  });

  it('puts the next day start exactly at the first millisecond of the next calendar day', () => {
    fc.assert(fc.property(fc.constantFrom(...TIME_ZONES), fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }), (timeZone, nowMs) => {
      const next = nextDayStartMs(timeZone, nowMs);
      expect(next).toBeGreaterThan(nowMs);
      expect(dayIn(timeZone, next) > dayIn(timeZone, nowMs)).toBe(true);
      expect(dayIn(timeZone, next - 1)).toBe(dayIn(timeZone, nowMs));
    }), RUNS);
  });
});

/** A deep copy made in the test's own realm (structuredClone would give objects another realm's prototype under Jest). */
function deepCopy<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, deepCopy(inner)])) as T;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
