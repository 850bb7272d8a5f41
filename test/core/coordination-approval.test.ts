import { EMPTY_STATE, decide, decideApproval } from '../../lambda/core/coordination';
import { DEFAULT_POLICY } from '../../lambda/core/contracts/coordinator';
import { HOUR, NOON, TODAY, pending, request, state } from './coordination-fixtures';

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
