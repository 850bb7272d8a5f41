import { EMPTY_STATE } from '../../lambda/core/coordination';
import { RESERVATION_MEMORY_MS, withoutReservation, withReservations, type LedgeredState } from '../../lambda/aws/coordinator/reservation-ledger';

const NOON = Date.parse('2027-03-01T12:00:00Z');

describe('the reservations kept with the pipeline state', () => {
  const before: LedgeredState = { ...EMPTY_STATE, version: 3, reservations: { old: { atMs: NOON - RESERVATION_MEMORY_MS, decision: '{}' }, recent: { atMs: NOON - 1, decision: '{}' } } };

  test('a reserving write keeps the reservations still remembered and adds its own', () => {
    const next = withReservations(before, { ...EMPTY_STATE, version: 4, runsToday: 1 }, NOON, { requestId: 'mine', decision: '{"start":true}' });

    expect(next.reservations).toEqual({ recent: { atMs: NOON - 1, decision: '{}' }, mine: { atMs: NOON, decision: '{"start":true}' } });
    expect(next.runsToday).toBe(1);
  });

  test('a decision that changes nothing leaves the stored state as it was', () => {
    expect(withReservations(before, before, NOON)).toBe(before);
  });

  test('a released reservation is forgotten', () => {
    expect(withoutReservation(before, 'recent').reservations).toEqual({ old: { atMs: NOON - RESERVATION_MEMORY_MS, decision: '{}' } });
    expect(withoutReservation({ ...EMPTY_STATE, reservations: { only: { atMs: NOON, decision: '{}' } } }, 'only')).toEqual(EMPTY_STATE);
  });
});
