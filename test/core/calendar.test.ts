import { misspelledTimeZoneCase, wallClockGapAt } from '../../lambda/core/calendar';

// Transitions below were read off Python's zoneinfo (IANA data), not derived from the code under test:
//   Europe/Berlin        2027-03-28 02:00 -> 03:00 (DST starts), 2027-10-31 03:00 -> 02:00 (DST ends)
//   America/New_York     2027-03-14 02:00 -> 03:00
//   America/Santiago     2027-09-05 00:00 -> 01:00 (the skipped hour is midnight)
//   Australia/Lord_Howe  2027-10-03 02:00 -> 02:30 (a half-hour shift)
//   Pacific/Apia         2011-12-29 24:00 -> 2011-12-31 00:00 (the whole of 30 December skipped)

describe('wallClockGapAt', () => {
  it.each([
    ['Europe/Berlin', '2027-03-28T02:30:00', '2027-03-28T02:00:00', '2027-03-28T03:00:00'],
    ['Europe/Berlin', '2027-03-28T02:00:00', '2027-03-28T02:00:00', '2027-03-28T03:00:00'],
    ['America/New_York', '2027-03-14T02:59:59', '2027-03-14T02:00:00', '2027-03-14T03:00:00'],
    ['America/Santiago', '2027-09-05T00:30:00', '2027-09-05T00:00:00', '2027-09-05T01:00:00'],
    ['Australia/Lord_Howe', '2027-10-03T02:15:00', '2027-10-03T02:00:00', '2027-10-03T02:30:00'],
    ['Pacific/Apia', '2011-12-30T12:00:00', '2011-12-30T00:00:00', '2011-12-31T00:00:00'],
  ])('finds that %s skips %s: clocks jump from %s to %s', (timeZone, localDateTime, from, to) => {
    // Act
    const gap = wallClockGapAt(timeZone, localDateTime);

    // Assess
    expect(gap).toEqual({ from, to });
  });

  it.each([
    ['Europe/Berlin', '2027-03-28T01:59:59', 'the last second before the gap'],
    ['Europe/Berlin', '2027-03-28T03:00:00', 'the first second after the gap'],
    ['Europe/Berlin', '2027-10-31T02:30:00', 'a time that occurs twice when clocks go back'],
    ['Europe/Berlin', '2027-07-01T02:30:00', 'a summer night'],
    ['America/New_York', '2027-01-15T06:00:00', 'a winter morning'],
    ['Etc/UTC', '2027-03-28T02:30:00', 'any time in UTC'],
    ['Asia/Tokyo', '2027-03-14T02:30:00', 'any time in a zone without daylight saving'],
  ])('finds no gap in %s at %s (%s)', (timeZone, localDateTime) => {
    // Act
    const gap = wallClockGapAt(timeZone, localDateTime);

    // Assess
    expect(gap).toBeUndefined();
  });
});

describe('misspelledTimeZoneCase', () => {
  it.each([
    ['europe/berlin', 'Europe/Berlin'],
    ['EUROPE/BERLIN', 'Europe/Berlin'],
    ['america/new_york', 'America/New_York'],
  ])('spells %s as %s', (timeZone, expected) => {
    // Act
    const spelling = misspelledTimeZoneCase(timeZone);

    // Assess
    expect(spelling).toBe(expected);
  });

  it.each([
    ['Europe/Berlin', 'spelled right'],
    ['Etc/UTC', 'an alias this runtime resolves to another name'],
    ['US/Eastern', 'a legacy alias'],
    ['Mars/Olympus_Mons', 'unknown'],
  ])('leaves %s alone (%s)', (timeZone) => {
    // Act
    const spelling = misspelledTimeZoneCase(timeZone);

    // Assess
    expect(spelling).toBeUndefined();
  });
});
