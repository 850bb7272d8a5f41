import { EMPTY_STATE, type PipelineState } from '../../lambda/core/coordination';
import { releaseReservation, reservationOf } from '../../lambda/core/reservation';

const NOON = Date.parse('2027-03-01T12:00:00Z');
const HOUR = 3_600_000;

describe('reservations of a start', () => {
  const before: PipelineState = { version: 4, lastStartAtMs: NOON - 7 * HOUR, day: '2027-03-01', runsToday: 1, spentToday: 150, sequence: 3 };
  const reserved: PipelineState = { version: 5, lastStartAtMs: NOON, day: '2027-03-01', runsToday: 2, spentToday: 375, sequence: 4 };
  const reservation = reservationOf(before, reserved, 225);

  test('releasing the latest start restores the last start, runs and spend, and moves the version on', () => {
    expect(releaseReservation(reserved, reservation)).toEqual({ ...before, version: 6, sequence: 4 });
  });

  test('releasing after a later start gives back only the run and the spend', () => {
    const later: PipelineState = { ...reserved, version: 6, lastStartAtMs: NOON + HOUR, runsToday: 3, spentToday: 525, sequence: 5 };

    expect(releaseReservation(later, reservation)).toEqual({ ...later, version: 7, runsToday: 2, spentToday: 300 });
  });

  test('releasing after the day rolled over leaves the new day\'s counts alone', () => {
    const nextDay: PipelineState = { ...reserved, version: 6, day: '2027-03-02', runsToday: 0, spentToday: 0 };

    expect(releaseReservation(nextDay, reservation)).toEqual({ ...nextDay, version: 7, lastStartAtMs: before.lastStartAtMs });
  });

  test('releasing the first start ever leaves no last start', () => {
    const first = reservationOf(EMPTY_STATE, { ...reserved, runsToday: 1, spentToday: 225 }, 225);

    expect(releaseReservation({ ...reserved, runsToday: 1, spentToday: 225 }, first).lastStartAtMs).toBeUndefined();
  });
});
