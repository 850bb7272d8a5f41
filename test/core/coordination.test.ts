import { EMPTY_STATE, decide } from '../../lambda/core/coordination';
import { DEFAULT_POLICY } from '../../lambda/core/contracts/coordinator';
import { HOUR, NOON, TODAY, iso, pending, policy, request, state, utc } from './coordination-fixtures';

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
