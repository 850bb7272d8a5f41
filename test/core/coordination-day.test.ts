import { dayIn, nextDayStartMs } from '../../lambda/core/coordination';
import { iso, utc } from './coordination-fixtures';

// Time-zone facts come from Python's zoneinfo; see coordination-fixtures.ts.

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
