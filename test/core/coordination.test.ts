import {
  EMPTY_STATE,
  TRIGGER_TYPES,
  dayIn,
  decide,
  decideApproval,
  estimateCost,
  nextDayStartMs,
  parseStartRequest,
  type PendingApproval,
  type PipelineState,
  type StartRequest,
} from '../../lambda/core/coordination';
import { DEFAULT_COST_MODEL, DEFAULT_POLICY, parsePolicy, type CoordinatorPolicy } from '../../lambda/core/contracts/coordinator';

// Where the expected values come from, unless a test says otherwise:
//   - Defaults (6 h = 21,600,000 ms, 4 runs, budget 1000, cost 150 per run + 100 % per 100 GB) are
//     the coordinator's specification.
//   - Time-zone facts were checked against Python's zoneinfo (system tzdata), not against this code:
//     Europe/Berlin is UTC+1 in winter, UTC+2 in summer; EU DST starts on the last Sunday of March
//     (2027-03-28) and ends on the last Sunday of October (2027-10-31). America/New_York is UTC-5 /
//     UTC-4; US DST starts on the second Sunday of March (2027-03-14) and ends on the first Sunday
//     of November (2027-11-07). Weekdays read off Python's `calendar` module.

const HOUR = 3_600_000;
const utc = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

function request(overrides: Partial<StartRequest> = {}): StartRequest {
  return { requestId: 'req-1', pipelineName: 'churn-model', triggerType: 'scheduled', reason: 'nightly retrain', priority: 3, ...overrides };
}

function policy(overrides: Partial<CoordinatorPolicy> = {}): CoordinatorPolicy {
  return { ...DEFAULT_POLICY, ...overrides };
}

function state(overrides: Partial<PipelineState> = {}): PipelineState {
  return { ...EMPTY_STATE, version: 7, sequence: 12, ...overrides };
}

const NOON = utc('2027-06-15T12:00:00Z');
const TODAY = '2027-06-15';

function pending(overrides: Partial<PendingApproval> = {}): PendingApproval {
  return {
    requestId: 'approve-me', triggerType: 'drift', reason: 'PSI 0.31 on feature tenure', priority: 3,
    requestedAtMs: NOON - HOUR, estimatedCost: 150, parameters: { Region: 'eu' }, ...overrides,
  };
}

describe('parseStartRequest', () => {
  const valid = {
    requestId: 'evt:2027-06-15#1', pipelineName: 'churn-model', triggerType: 'drift', reason: 'PSI above 0.2',
    priority: 2, dataSizeGb: 12.5, requireApproval: false, parameters: { Region: 'eu' },
  };

  it('accepts a complete request and keeps every field', () => {
    // Act
    const parsed = parseStartRequest(valid);

    // Assess
    expect(parsed).toEqual({ ok: true, value: valid });
  });

  it('accepts the request ids triggers make: a trigger id with underscores and a scheduled time', () => {
    for (const requestId of ['team_a-labels#5b8c2f1e-7d0a-4a47-9d0e-2f4c1b6a9e33#12', '5eac400dc50d#2027-03-01T03:00:00Z']) {
      expect(parseStartRequest({ ...valid, requestId })).toEqual({ ok: true, value: { ...valid, requestId } });
    }
  });

  it('accepts a minimal request and omits absent or null optional fields', () => {
    // Prepare
    const minimal = { requestId: 'r', pipelineName: 'p', triggerType: 'manual', reason: 'x', priority: 5, dataSizeGb: null };

    // Act
    const parsed = parseStartRequest(minimal);

    // Assess
    expect(parsed).toEqual({ ok: true, value: { requestId: 'r', pipelineName: 'p', triggerType: 'manual', reason: 'x', priority: 5 } });
  });

  it('accepts the longest allowed requestId (128), pipelineName (256) and reason (512)', () => {
    // Prepare: the limits are the request's specification and SageMaker's PipelineName pattern.
    const longest = { ...valid, requestId: 'r'.repeat(128), pipelineName: `a${'-b'.repeat(127)}b`, reason: 'x'.repeat(512) };

    // Act
    const parsed = parseStartRequest(longest);

    // Assess
    expect(longest.pipelineName).toHaveLength(256);
    expect(parsed.ok).toBe(true);
  });

  it('accepts every trigger type', () => {
    // Act
    const parsed = TRIGGER_TYPES.map((triggerType) => parseStartRequest({ ...valid, triggerType }).ok);

    // Assess
    expect(parsed).toEqual([true, true, true, true, true]);
  });

  it.each<[string, unknown, string]>([
    ['request', 'not an object', 'request'],
    ['request', null, 'request'],
    ['requestId', { ...valid, requestId: undefined }, 'requestId'],
    ['requestId', { ...valid, requestId: 'has space' }, 'requestId'],
    ['requestId', { ...valid, requestId: 'r'.repeat(129) }, 'requestId'],
    ['pipelineName', { ...valid, pipelineName: '-leading-hyphen' }, 'pipelineName'],
    ['pipelineName', { ...valid, pipelineName: 'under_score' }, 'pipelineName'],
    ['pipelineName', { ...valid, pipelineName: 'a'.repeat(257) }, 'pipelineName'],
    ['triggerType', { ...valid, triggerType: 'cron' }, 'triggerType'],
    ['reason', { ...valid, reason: '' }, 'reason'],
    ['reason', { ...valid, reason: 'x'.repeat(513) }, 'reason'],
    ['priority', { ...valid, priority: 0 }, 'priority'],
    ['priority', { ...valid, priority: 6 }, 'priority'],
    ['priority', { ...valid, priority: 2.5 }, 'priority'],
    ['priority', { ...valid, priority: '1' }, 'priority'],
    ['priority', { ...valid, priority: undefined }, 'priority'],
    ['dataSizeGb', { ...valid, dataSizeGb: -1 }, 'dataSizeGb'],
    ['dataSizeGb', { ...valid, dataSizeGb: Infinity }, 'dataSizeGb'],
    ['dataSizeGb', { ...valid, dataSizeGb: 1.7e308 }, 'dataSizeGb'],
    ['dataSizeGb', { ...valid, dataSizeGb: NaN }, 'dataSizeGb'],
    ['dataSizeGb', { ...valid, dataSizeGb: '12' }, 'dataSizeGb'],
    ['requireApproval', { ...valid, requireApproval: 'yes' }, 'requireApproval'],
    ['parameters', { ...valid, parameters: ['a'] }, 'parameters'],
    ['parameters', { ...valid, parameters: { Epochs: 10 } }, 'parameters.Epochs'],
    ['parameters', { ...valid, parameters: { 'bad name': 'x' } }, 'parameters.bad name'],
    ['parameters', { ...valid, parameters: { Empty: '' } }, 'parameters.Empty'],
  ])('rejects a bad %s and names the field', (_label, input, field) => {
    // Act
    const parsed = parseStartRequest(input);

    // Assess
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.field).toBe(field);
  });
});

describe('parsePolicy', () => {
  it('gives the documented defaults for an absent policy', () => {
    // Act
    const parsed = parsePolicy(undefined);

    // Assess
    expect(parsed).toEqual({
      ok: true,
      value: { minIntervalMs: 21_600_000, maxDailyRuns: 4, dailyBudget: 1000, costModel: { baseCost: 150, gbPerIncrement: 100 }, timeZone: 'UTC' },
    });
  });

  it('fills the fields a partial policy leaves out from the defaults', () => {
    // Act
    const parsed = parsePolicy({ maxDailyRuns: 0, costModel: { baseCost: 80 }, timeZone: 'Europe/Berlin' });

    // Assess
    expect(parsed).toEqual({
      ok: true,
      value: { minIntervalMs: 21_600_000, maxDailyRuns: 0, dailyBudget: 1000, costModel: { baseCost: 80, gbPerIncrement: 100 }, timeZone: 'Europe/Berlin' },
    });
  });

  it.each<[string, unknown]>([
    ['policy', 'strict'],
    ['minIntervalMs', { minIntervalMs: -1 }],
    ['minIntervalMs', { minIntervalMs: 'six hours' }],
    ['maxDailyRuns', { maxDailyRuns: 1.5 }],
    ['maxDailyRuns', { maxDailyRuns: -1 }],
    ['dailyBudget', { dailyBudget: Number.NaN }],
    ['costModel', { costModel: 'cheap' }],
    ['costModel.baseCost', { costModel: { baseCost: -5 } }],
    ['costModel.gbPerIncrement', { costModel: { gbPerIncrement: 0 } }],
    ['timeZone', { timeZone: 'Mars/Olympus_Mons' }],
    ['timeZone', { timeZone: 5 }],
  ])('rejects a bad %s and names the field', (field, input) => {
    // Act
    const parsed = parsePolicy(input);

    // Assess
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.field).toBe(field);
  });
});

describe('estimateCost', () => {
  it.each<[number | undefined, number]>([
    [undefined, 150], // 150 * (1 + 0 / 100)
    [0, 150],
    [50, 225], // 150 * (1 + 50 / 100) = 150 * 1.5
    [250, 525], // 150 * 3.5
  ])('prices %s GB at %s with the default model', (size, expected) => {
    // Act
    const cost = estimateCost(DEFAULT_COST_MODEL, size);

    // Assess
    expect(cost).toBe(expected);
  });

  it('never answers Infinity: a cost model and size that multiply past the largest estimate are charged that estimate', () => {
    expect(estimateCost({ baseCost: 1e308, gbPerIncrement: 1e-300 }, 1e9)).toBe(1e15);
    expect(estimateCost(DEFAULT_COST_MODEL, 1e9)).toBe(1_500_000_150);
  });

  it('rounds to cents', () => {
    // Act: 10 * (1 + 1 / 3) = 13.333...
    const cost = estimateCost({ baseCost: 10, gbPerIncrement: 3 }, 1);

    // Assess
    expect(cost).toBe(13.33);
  });
});

describe('dayIn and nextDayStartMs', () => {
  it('reads the calendar day in UTC', () => {
    // Act
    const days = [dayIn('UTC', utc('2027-06-15T00:00:00Z')), dayIn('UTC', utc('2027-06-15T23:59:59.999Z'))];

    // Assess
    expect(days).toEqual(['2027-06-15', '2027-06-15']);
  });

  it('already counts 23:30 UTC on 2027-03-01 as 2027-03-02 in Berlin, but not 22:30 UTC', () => {
    // Prepare: in winter Berlin is UTC+1, so its 2027-03-02 starts at 2027-03-01T23:00Z; 22:30Z is 23:30 there.
    const late = utc('2027-03-01T23:30:00Z');
    const earlier = utc('2027-03-01T22:30:00Z');

    // Act
    const days = [dayIn('Europe/Berlin', earlier), dayIn('Europe/Berlin', late)];

    // Assess
    expect(days).toEqual(['2027-03-01', '2027-03-02']);
  });

  it.each<[string, string, string, string]>([
    ['UTC', 'an ordinary day', '2027-06-15T12:00:00Z', '2027-06-16T00:00:00.000Z'],
    ['Europe/Berlin', 'a winter day (UTC+1)', '2027-03-01T12:00:00Z', '2027-03-01T23:00:00.000Z'],
    ['Europe/Berlin', 'the day before DST starts', '2027-03-27T12:00:00Z', '2027-03-27T23:00:00.000Z'],
    // The 28th has 23 hours; the 29th starts at 00:00 CEST = 22:00Z.
    ['Europe/Berlin', 'the day clocks go forward (2027-03-28)', '2027-03-28T12:00:00Z', '2027-03-28T22:00:00.000Z'],
    // The 31st has 25 hours; 1 November starts at 00:00 CET = 23:00Z.
    ['Europe/Berlin', 'the day clocks go back (2027-10-31)', '2027-10-31T12:00:00Z', '2027-10-31T23:00:00.000Z'],
    ['America/New_York', 'a winter day (UTC-5)', '2027-01-15T12:00:00Z', '2027-01-16T05:00:00.000Z'],
    ['America/New_York', 'the day clocks go forward (2027-03-14)', '2027-03-14T12:00:00Z', '2027-03-15T04:00:00.000Z'],
    ['America/New_York', 'the day clocks go back (2027-11-07)', '2027-11-07T12:00:00Z', '2027-11-08T05:00:00.000Z'],
    // Chile turns its clocks back at local midnight (tz rule "Apr Sun>=2 3:00u"): 00:00 -03 becomes
    // 23:00 -04 on Saturday, so Sunday 2027-04-04 starts an hour after a naive midnight, at 04:00Z.
    ['America/Santiago', 'a day whose midnight repeats', '2027-04-03T12:00:00Z', '2027-04-04T04:00:00.000Z'],
  ])('finds the next day start in %s on %s', (timeZone, _label, now, expected) => {
    // Act
    const next = nextDayStartMs(timeZone, utc(now));

    // Assess
    expect(iso(next)).toBe(expected);
  });

  it('gives the following day when asked at the very first millisecond of a day', () => {
    // Prepare: 2027-03-29 starts at 2027-03-28T22:00Z in Berlin (CEST).
    const dayStart = utc('2027-03-28T22:00:00Z');

    // Act
    const next = nextDayStartMs('Europe/Berlin', dayStart);

    // Assess
    expect(dayIn('Europe/Berlin', dayStart - 1)).toBe('2027-03-28');
    expect(dayIn('Europe/Berlin', dayStart)).toBe('2027-03-29');
    expect(iso(next)).toBe('2027-03-29T22:00:00.000Z');
  });
});

describe('decide, rule by rule', () => {
  it('starts a request with nothing in its way and counts it', () => {
    // Prepare
    const before = state({ lastStartAtMs: NOON - 7 * HOUR, day: TODAY, runsToday: 1, spentToday: 150 });

    // Act
    const decision = decide(DEFAULT_POLICY, before, request({ dataSizeGb: 50 }), NOON);

    // Assess
    expect(decision).toEqual({
      start: true, reason: 'started', estimatedCost: 225, bypassed: [], sequence: 13,
      parameters: [
        { Name: 'RunSequence', Value: '13' },
        { Name: 'TriggerPriority', Value: '3' },
        { Name: 'TriggerReason', Value: 'nightly retrain' },
        { Name: 'TriggerType', Value: 'scheduled' },
      ],
      state: { version: 8, lastStartAtMs: NOON, day: TODAY, runsToday: 2, spentToday: 375, sequence: 13 },
    });
  });

  it('starts the very first run from the empty state as run 1', () => {
    // Act
    const decision = decide(DEFAULT_POLICY, EMPTY_STATE, request(), NOON);

    // Assess
    expect(decision.start).toBe(true);
    expect(decision.sequence).toBe(1);
    expect(decision.state).toEqual({ version: 1, lastStartAtMs: NOON, day: TODAY, runsToday: 1, spentToday: 150, sequence: 1 });
  });

  it("merges the request's parameters with the trigger's, the trigger's four winning a name clash", () => {
    // Prepare
    const withParameters = request({ parameters: { Region: 'eu', RunSequence: '999', TriggerType: 'spoofed' } });

    // Act
    const decision = decide(DEFAULT_POLICY, EMPTY_STATE, withParameters, NOON);

    // Assess
    expect(decision.parameters).toEqual([
      { Name: 'Region', Value: 'eu' },
      { Name: 'RunSequence', Value: '1' },
      { Name: 'TriggerPriority', Value: '3' },
      { Name: 'TriggerReason', Value: 'nightly retrain' },
      { Name: 'TriggerType', Value: 'scheduled' },
    ]);
  });

  it('refuses to start with parameters SageMaker would reject and leaves the state alone', () => {
    // Prepare: 197 own parameters + the 4 trigger parameters = 201, SageMaker takes at most 200.
    const parameters = Object.fromEntries(Array.from({ length: 197 }, (_, index) => [`P${index}`, 'v']));
    const before = state();

    // Act
    const decision = decide(DEFAULT_POLICY, before, request({ parameters }), NOON);

    // Assess
    expect(decision.start).toBe(false);
    expect(decision.reason).toBe('invalid-parameters');
    expect(decision.state).toBe(before);
  });

  it('holds every request while an approval is pending, leaving the state untouched', () => {
    // Prepare
    const before = state({ pendingApproval: pending() });

    // Act
    const decision = decide(DEFAULT_POLICY, before, request(), NOON);

    // Assess
    expect(decision).toEqual({ start: false, reason: 'pending-approval', estimatedCost: 150, bypassed: [], state: before });
    expect(decision.state).toBe(before);
  });

  it('parks a request that requires approval and starts nothing', () => {
    // Prepare
    const before = state({ day: TODAY, runsToday: 1, spentToday: 150 });
    const needsApproval = request({ requestId: 'drift-42', triggerType: 'drift', reason: 'PSI 0.31', priority: 4, dataSizeGb: 50, requireApproval: true, parameters: { Region: 'eu' } });

    // Act
    const decision = decide(DEFAULT_POLICY, before, needsApproval, NOON);

    // Assess
    expect(decision).toEqual({
      start: false, reason: 'awaiting-approval', estimatedCost: 225, bypassed: [],
      state: {
        ...before, version: 8,
        pendingApproval: {
          requestId: 'drift-42', triggerType: 'drift', reason: 'PSI 0.31', priority: 4, requestedAtMs: NOON, estimatedCost: 225, parameters: { Region: 'eu' },
        },
      },
    });
  });

  it('does not park a request whose parameters could never start', () => {
    // Prepare
    const before = state();

    // Act
    const decision = decide(DEFAULT_POLICY, before, request({ requireApproval: true, parameters: { 'not valid': 'x' } }), NOON);

    // Assess
    expect(decision.reason).toBe('invalid-parameters');
    expect(decision.state).toBe(before);
  });

  it('suppresses a non-critical request during the cooldown until the cooldown ends', () => {
    // Prepare
    const before = state({ lastStartAtMs: NOON - 2 * HOUR, day: TODAY, runsToday: 1 });

    // Act
    const decision = decide(DEFAULT_POLICY, before, request({ priority: 3 }), NOON);

    // Assess: last start + 6 h.
    expect(decision).toEqual({ start: false, reason: 'cooldown', delayUntilMs: NOON + 4 * HOUR, estimatedCost: 150, bypassed: [], state: before });
    expect(decision.state).toBe(before);
  });

  it('still suppresses a non-critical request one millisecond before the cooldown ends', () => {
    // Prepare
    const before = state({ lastStartAtMs: NOON - 6 * HOUR + 1, day: TODAY, runsToday: 1 });

    // Act
    const decision = decide(DEFAULT_POLICY, before, request({ priority: 4 }), NOON);

    // Assess
    expect(decision.reason).toBe('cooldown');
    expect(decision.delayUntilMs).toBe(NOON + 1);
  });

  it('lets a non-critical request through exactly when the cooldown has elapsed', () => {
    // Prepare
    const before = state({ lastStartAtMs: NOON - 6 * HOUR, day: TODAY, runsToday: 1 });

    // Act
    const decision = decide(DEFAULT_POLICY, before, request({ priority: 5 }), NOON);

    // Assess
    expect(decision.reason).toBe('started');
  });

  it('suppresses a non-critical request at the daily cap until the next day starts', () => {
    // Prepare
    const before = state({ lastStartAtMs: NOON - 7 * HOUR, day: TODAY, runsToday: 4, spentToday: 600 });

    // Act
    const decision = decide(DEFAULT_POLICY, before, request({ priority: 3 }), NOON);

    // Assess
    expect(decision.reason).toBe('daily-cap');
    expect(iso(decision.delayUntilMs)).toBe('2027-06-16T00:00:00.000Z');
    expect(decision.state).toBe(before);
  });

  it('suppresses a request that would overspend the daily budget until the next day starts', () => {
    // Prepare: 900 + 150 = 1050 > 1000
    const before = state({ day: TODAY, runsToday: 1, spentToday: 900 });

    // Act
    const decision = decide(DEFAULT_POLICY, before, request({ priority: 3 }), NOON);

    // Assess
    expect(decision.reason).toBe('budget');
    expect(iso(decision.delayUntilMs)).toBe('2027-06-16T00:00:00.000Z');
    expect(decision.state).toBe(before);
  });

  it('starts a request that spends the budget to the cent', () => {
    // Prepare: 850 + 150 = 1000, not more than 1000
    const before = state({ day: TODAY, runsToday: 1, spentToday: 850 });

    // Act
    const decision = decide(DEFAULT_POLICY, before, request(), NOON);

    // Assess
    expect(decision.reason).toBe('started');
    expect(decision.state.spentToday).toBe(1000);
  });

  it("counts from zero on a new day: yesterday's cap and spend no longer apply", () => {
    // Prepare
    const before = state({ lastStartAtMs: utc('2027-06-14T08:00:00Z'), day: '2027-06-14', runsToday: 4, spentToday: 1000 });

    // Act
    const decision = decide(DEFAULT_POLICY, before, request(), NOON);

    // Assess
    expect(decision.reason).toBe('started');
    expect(decision.state).toEqual({ version: 8, lastStartAtMs: NOON, day: TODAY, runsToday: 1, spentToday: 150, sequence: 13 });
  });

  it('does not write a day rollover by itself: a suppressed request on a new day keeps the old state', () => {
    // Prepare: started 23:00Z yesterday, cooldown runs until 05:00Z today.
    const before = state({ lastStartAtMs: utc('2027-06-14T23:00:00Z'), day: '2027-06-14', runsToday: 4 });

    // Act
    const decision = decide(DEFAULT_POLICY, before, request(), utc('2027-06-15T01:00:00Z'));

    // Assess
    expect(decision.reason).toBe('cooldown');
    expect(decision.state).toBe(before);
  });
});

describe('decide, rules together', () => {
  it('lets a critical request bypass the cooldown and says so', () => {
    // Prepare
    const before = state({ lastStartAtMs: NOON - HOUR, day: TODAY, runsToday: 1, spentToday: 150 });

    // Act
    const decision = decide(DEFAULT_POLICY, before, request({ priority: 2 }), NOON);

    // Assess
    expect(decision.reason).toBe('started');
    expect(decision.bypassed).toEqual(['cooldown']);
    expect(decision.state.runsToday).toBe(2);
  });

  it('lets a priority-2 request past a reached cap, counting it beyond the cap', () => {
    // Prepare
    const before = state({ lastStartAtMs: NOON - 7 * HOUR, day: TODAY, runsToday: 4, spentToday: 600 });

    // Act
    const decision = decide(DEFAULT_POLICY, before, request({ priority: 2 }), NOON);

    // Assess
    expect(decision.reason).toBe('started');
    expect(decision.bypassed).toEqual(['daily-cap']);
    expect(decision.state.runsToday).toBe(5);
  });

  it('blocks a priority-2 request over budget but lets priority 1 through', () => {
    // Prepare
    const before = state({ lastStartAtMs: NOON - HOUR, day: TODAY, runsToday: 4, spentToday: 900 });

    // Act
    const urgent = decide(DEFAULT_POLICY, before, request({ priority: 2 }), NOON);
    const mostUrgent = decide(DEFAULT_POLICY, before, request({ priority: 1 }), NOON);

    // Assess
    expect(urgent).toMatchObject({ start: false, reason: 'budget', bypassed: ['cooldown', 'daily-cap'] });
    expect(urgent.state).toBe(before);
    expect(mostUrgent).toMatchObject({ start: true, reason: 'started', bypassed: ['cooldown', 'daily-cap', 'budget'] });
    expect(mostUrgent.state.spentToday).toBe(1050);
  });

  it('holds even a priority-1 request while an approval is pending', () => {
    // Prepare
    const before = state({ pendingApproval: pending() });

    // Act
    const decision = decide(DEFAULT_POLICY, before, request({ priority: 1 }), NOON);

    // Assess
    expect(decision).toMatchObject({ start: false, reason: 'pending-approval', bypassed: [] });
    expect(decision.state).toBe(before);
  });

  it('applies the cap per Berlin day: a cap reached on the 1st is gone at 23:30 UTC, already the 2nd there', () => {
    // Prepare
    const berlin = policy({ timeZone: 'Europe/Berlin' });
    const before = state({ lastStartAtMs: utc('2027-03-01T10:00:00Z'), day: '2027-03-01', runsToday: 4, spentToday: 600 });
    const lateEvening = utc('2027-03-01T23:30:00Z');

    // Act
    const inBerlin = decide(berlin, before, request(), lateEvening);
    const inUtc = decide(policy({ timeZone: 'UTC' }), { ...before }, request(), lateEvening);

    // Assess
    expect(inBerlin.reason).toBe('started');
    expect(inBerlin.state).toMatchObject({ day: '2027-03-02', runsToday: 1, spentToday: 150 });
    expect(inUtc.reason).toBe('daily-cap');
  });

  it('delays a capped request to midnight in the policy time zone', () => {
    // Prepare: Berlin's 2027-03-02 starts at 2027-03-01T23:00Z (UTC+1).
    const before = state({ day: '2027-03-01', runsToday: 4 });

    // Act
    const decision = decide(policy({ timeZone: 'Europe/Berlin' }), before, request(), utc('2027-03-01T12:00:00Z'));

    // Assess
    expect(decision.reason).toBe('daily-cap');
    expect(iso(decision.delayUntilMs)).toBe('2027-03-01T23:00:00.000Z');
  });
});

describe('decideApproval', () => {
  it('starts an approved request with the next run number and counts it', () => {
    // Prepare
    const before = state({ lastStartAtMs: NOON - 8 * HOUR, day: TODAY, runsToday: 1, spentToday: 150, pendingApproval: pending() });

    // Act
    const decision = decideApproval(DEFAULT_POLICY, before, 'approve-me', true, NOON);

    // Assess
    expect(decision).toEqual({
      start: true, reason: 'approved', estimatedCost: 150, bypassed: [], sequence: 13,
      parameters: [
        { Name: 'Region', Value: 'eu' },
        { Name: 'RunSequence', Value: '13' },
        { Name: 'TriggerPriority', Value: '3' },
        { Name: 'TriggerReason', Value: 'PSI 0.31 on feature tenure' },
        { Name: 'TriggerType', Value: 'drift' },
      ],
      state: { version: 8, lastStartAtMs: NOON, day: TODAY, runsToday: 2, spentToday: 300, sequence: 13 },
    });
  });

  it('starts an approved request despite cooldown, cap and budget, still counting it', () => {
    // Prepare
    const before = state({ lastStartAtMs: NOON - HOUR, day: TODAY, runsToday: 4, spentToday: 990, pendingApproval: pending() });

    // Act
    const decision = decideApproval(DEFAULT_POLICY, before, 'approve-me', true, NOON);

    // Assess
    expect(decision.start).toBe(true);
    expect(decision.state).toMatchObject({ runsToday: 5, spentToday: 1140, version: 8 });
    expect(decision.state.pendingApproval).toBeUndefined();
  });

  it('counts an approval on a new day from zero', () => {
    // Prepare
    const before = state({ day: '2027-06-14', runsToday: 4, spentToday: 900, pendingApproval: pending() });

    // Act
    const decision = decideApproval(DEFAULT_POLICY, before, 'approve-me', true, NOON);

    // Assess
    expect(decision.state).toMatchObject({ day: TODAY, runsToday: 1, spentToday: 150 });
  });

  it('clears a rejected request without starting or counting anything', () => {
    // Prepare
    const before = state({ lastStartAtMs: NOON - HOUR, day: TODAY, runsToday: 2, spentToday: 300, pendingApproval: pending() });

    // Act
    const decision = decideApproval(DEFAULT_POLICY, before, 'approve-me', false, NOON);

    // Assess
    expect(decision).toEqual({
      start: false, reason: 'rejected', estimatedCost: 150, bypassed: [],
      state: { version: 8, lastStartAtMs: NOON - HOUR, day: TODAY, runsToday: 2, spentToday: 300, sequence: 12 },
    });
    expect('pendingApproval' in decision.state).toBe(false);
  });

  it.each([true, false])('changes nothing for a stale approval id (approve: %s)', (approve) => {
    // Prepare
    const before = state({ pendingApproval: pending() });

    // Act
    const decision = decideApproval(DEFAULT_POLICY, before, 'some-older-request', approve, NOON);

    // Assess
    expect(decision).toMatchObject({ start: false, reason: 'pending-approval' });
    expect(decision.state).toBe(before);
  });

  it('changes nothing when no approval is pending', () => {
    // Prepare
    const before = state();

    // Act
    const decision = decideApproval(DEFAULT_POLICY, before, 'approve-me', true, NOON);

    // Assess
    expect(decision).toEqual({ start: false, reason: 'pending-approval', estimatedCost: 0, bypassed: [], state: before });
    expect(decision.state).toBe(before);
  });

  it('lets requests through again once the approval is answered', () => {
    // Prepare
    const parked = decide(DEFAULT_POLICY, EMPTY_STATE, request({ requestId: 'a', requireApproval: true }), NOON).state;
    const answered = decideApproval(DEFAULT_POLICY, parked, 'a', false, NOON + HOUR).state;

    // Act
    const decision = decide(DEFAULT_POLICY, answered, request({ requestId: 'b' }), NOON + 2 * HOUR);

    // Assess
    expect(decision.reason).toBe('started');
    expect(decision.state.version).toBe(3);
  });
});
