import { parseCron } from '../../lambda/core/cron';
import { cronFirings, maxIntervalMinutes } from '../../lambda/core/cron-firings';

// Calendar facts used below were read off a printed calendar (Python's `calendar` module), not
// derived from the code under test:
//   2030-01-01 Tue, 2030-03-31 Sun, 2030-04-01 Mon, 2030-05-31 Fri, 2030-06-01 Sat,
//   2030-06-15 Sat, 2030-06-30 Sun, 2030-07-01 Mon, 2030-08-31 Sat, 2030-09-01 Sun, 2030-09-15 Sun.
//   2028 and 2032 are the only leap years from 2027 to 2034.

const MINUTES_PER_DAY = 24 * 60;

function utc(isoWithoutZone: string): number {
  return Date.parse(`${isoWithoutZone}Z`);
}

function firings(expression: string, from: string, to: string, limit = 100): string[] {
  return cronFirings(parseCron(expression), utc(from), utc(to), limit).map((ms) => new Date(ms).toISOString().slice(0, 16));
}

function firingDates(expression: string, from: string, to: string): string[] {
  return firings(expression, from, to).map((firing) => firing.slice(0, 10));
}

describe('cronFirings', () => {
  it('returns firings in the half-open interval [from, to), in order', () => {
    // Act
    const result = firings('0/15 * * * ? *', '2030-06-01T00:15', '2030-06-01T01:15');

    // Assess
    expect(result).toEqual(['2030-06-01T00:15', '2030-06-01T00:30', '2030-06-01T00:45', '2030-06-01T01:00']);
  });

  it('starts at the next whole firing when from falls mid-minute, and stops at the limit', () => {
    // Prepare
    const spec = parseCron('* * * * ? *');
    const from = utc('2030-06-01T10:00:30');

    // Act
    const limited = cronFirings(spec, from, utc('2030-06-02T00:00'), 3);
    const none = cronFirings(spec, from, utc('2030-06-02T00:00'), 0);

    // Assess
    expect(limited).toEqual([utc('2030-06-01T10:01'), utc('2030-06-01T10:02'), utc('2030-06-01T10:03')]);
    expect(none).toEqual([]);
  });

  it('fires every hour/minute combination across midnight', () => {
    // Act
    const result = firings('5,35 23,0 * * ? *', '2030-06-01T23:00', '2030-06-02T01:00');

    // Assess
    expect(result).toEqual(['2030-06-01T23:05', '2030-06-01T23:35', '2030-06-02T00:05', '2030-06-02T00:35']);
  });

  it('fires day-of-month 31 only in months that have a 31st', () => {
    // Act
    const result = firingDates('0 0 31 * ? 2030', '2030-01-01T00:00', '2031-01-01T00:00');

    // Assess
    expect(result).toEqual(['2030-01-31', '2030-03-31', '2030-05-31', '2030-07-31', '2030-08-31', '2030-10-31', '2030-12-31']);
  });

  it('fires L on the last day of February, the 29th only in a leap year', () => {
    // Act
    const result = firingDates('0 0 L 2 ? 2027-2029', '2027-01-01T00:00', '2030-01-01T00:00');

    // Assess
    expect(result).toEqual(['2027-02-28', '2028-02-29', '2029-02-28']);
  });

  it('fires only in the named months and years', () => {
    // Act
    const result = firingDates('0 0 1 JAN,jul ? 2030,2032', '2029-01-01T00:00', '2034-01-01T00:00');

    // Assess
    expect(result).toEqual(['2030-01-01', '2030-07-01', '2032-01-01', '2032-07-01']);
  });

  it('fires a weekday range Monday to Friday, skipping the weekend', () => {
    // Act: 2030-06-01 is a Saturday, so this week runs Sat 1st to Fri 7th.
    const result = firingDates('0 9 ? * MON-FRI *', '2030-06-01T00:00', '2030-06-08T00:00');

    // Assess
    expect(result).toEqual(['2030-06-03', '2030-06-04', '2030-06-05', '2030-06-06', '2030-06-07']);
  });

  it('treats a lone L in day-of-week as Saturday', () => {
    // Act: the Saturdays of June 2030 are the 1st, 8th, 15th, 22nd and 29th.
    const result = firingDates('0 0 ? * L *', '2030-06-01T00:00', '2030-07-01T00:00');

    // Assess
    expect(result).toEqual(['2030-06-01', '2030-06-08', '2030-06-15', '2030-06-22', '2030-06-29']);
  });

  it('fires 6L on the last Friday: the 31st of May 2030 itself, the 28th of June 2030', () => {
    // Act: 2030-05-31 is a Friday; 2030-06-30 is a Sunday, so June's last Friday is the 28th.
    const result = firingDates('0 0 ? * 6L *', '2030-05-01T00:00', '2030-07-01T00:00');

    // Assess
    expect(result).toEqual(['2030-05-31', '2030-06-28']);
  });

  it('fires 2#1 on the first Monday, whichever weekday the month starts on', () => {
    // Act: 2030-01-01 is a Tuesday, 2030-04-01 a Monday, 2030-06-01 a Saturday.
    const result = firingDates('0 0 ? 1,4,6 MON#1 *', '2030-01-01T00:00', '2031-01-01T00:00');

    // Assess
    expect(result).toEqual(['2030-01-07', '2030-04-01', '2030-06-03']);
  });

  it('fires 2#5 only in months with a fifth Monday', () => {
    // Act: Mondays of June 2030 are 3, 10, 17, 24; of July 2030 are 1, 8, 15, 22, 29.
    const result = firingDates('0 0 ? 6-7 2#5 *', '2030-06-01T00:00', '2030-08-01T00:00');

    // Assess
    expect(result).toEqual(['2030-07-29']);
  });

  it.each([
    ['1W', 'a Saturday 1st moves forward to Monday the 3rd', '2030-06', '2030-07', ['2030-06-03']],
    ['1W', 'a Sunday 1st moves to Monday the 2nd', '2030-09', '2030-10', ['2030-09-02']],
    ['31W', 'a Sunday 31st moves back to Friday the 29th', '2030-03', '2030-04', ['2030-03-29']],
    ['31W', 'a Saturday 31st moves back to Friday the 30th', '2030-08', '2030-09', ['2030-08-30']],
    ['30W', 'a Sunday 30th that ends the month moves back to Friday the 28th', '2030-06', '2030-07', ['2030-06-28']],
    ['15W', 'a Saturday 15th moves back to Friday the 14th', '2030-06', '2030-07', ['2030-06-14']],
    ['15W', 'a Sunday 15th moves forward to Monday the 16th', '2030-09', '2030-10', ['2030-09-16']],
    ['15W', 'a Tuesday 15th stays put', '2030-01', '2030-02', ['2030-01-15']],
  ])('fires %s once: %s (%s)', (dayOfMonth, _why, month, nextMonth, expected) => {
    // Act
    const result = firingDates(`0 0 ${dayOfMonth} * ? *`, `${month}-01T00:00`, `${nextMonth}-01T00:00`);

    // Assess
    expect(result).toEqual(expected);
  });

  it('does not fire W for a day the month does not have', () => {
    // Act: 2030-04 has 30 days; February never has a 30th.
    const april = firingDates('0 0 31W * ? *', '2030-04-01T00:00', '2030-05-01T00:00');
    const februaries = firingDates('0 0 30W 2 ? *', '2027-01-01T00:00', '2035-01-01T00:00');

    // Assess
    expect(april).toEqual([]);
    expect(februaries).toEqual([]);
  });
});

describe('maxIntervalMinutes over the 2027-2034 horizon', () => {
  it.each([
    ['* * * * ? *', 1, 'every minute'],
    ['0/15 * * * ? *', 15, 'every quarter hour'],
    ['0 6,18 * * ? *', 720, '06:00 and 18:00 are 12 hours apart either way round'],
    ['0,10 * * * ? *', 50, 'hh:10 to the next hour\'s hh:00'],
    ['0 1,23 * * ? *', 22 * 60, '01:00 to 23:00 within a day beats 23:00 to 01:00 overnight'],
    ['0 3 * * ? *', MINUTES_PER_DAY, 'daily'],
    ['0 9 ? * MON-FRI *', 3 * MINUTES_PER_DAY, 'Friday 09:00 to Monday 09:00'],
    ['0 3 ? * MON *', 7 * MINUTES_PER_DAY, 'weekly'],
    ['0 0 1 * ? *', 31 * MINUTES_PER_DAY, 'the 1st of a 31-day month to the 1st of the next'],
    ['0 0 1 1 ? *', 366 * MINUTES_PER_DAY, '2028-01-01 to 2029-01-01 spans leap day 2028-02-29'],
    // 2028-02-29 -> 2032-02-29 is four years holding exactly one extra day (2032-02-29): 4 * 365 + 1.
    ['0 0 29 2 ? *', (4 * 365 + 1) * MINUTES_PER_DAY, 'leap days 2028-02-29 and 2032-02-29 only'],
  ])('%s -> %d minutes (%s)', (expression, expected) => {
    // Prepare
    const spec = parseCron(expression);

    // Act
    const longest = maxIntervalMinutes(spec);

    // Assess
    expect(longest).toBe(expected);
  });

  it.each([
    ['0 0 1 1 ? 2040', 'fires only after the horizon'],
    ['0 0 1 1 ? 2030', 'fires once in the horizon'],
    ['0 0 1 1 ? 2034,2035', 'its 2035 firing falls on the excluded end of the horizon'],
    ['0 0 1 1 ? 2026,2027', 'its 2026 firing falls before the horizon'],
    ['0 0 30W 2 ? *', 'February never has a 30th'],
  ])('is undefined for %s, which %s', (expression) => {
    // Act
    const longest = maxIntervalMinutes(parseCron(expression));

    // Assess
    expect(longest).toBeUndefined();
  });
});
