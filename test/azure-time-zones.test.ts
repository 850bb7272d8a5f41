import { TimeZone } from 'aws-cdk-lib';
import { representativeZone, windowsTimeZone } from '../lib/azure/windows-time-zones';

/** The zone's UTC offset in minutes at `instant`, from this runtime's tzdata. */
function offsetMinutes(zone: string, instant: Date): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    }).formatToParts(instant).map((part) => [part.type, part.value]),
  );
  const wallClock = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute));
  return (wallClock - instant.getTime()) / 60_000;
}

/** Mid-month noon UTC in each quarter of 2026: both sides of every northern and southern daylight saving change. */
const INSTANTS = [0, 3, 6, 9].map((month) => new Date(Date.UTC(2026, month, 15, 12)));

/**
 * Zones this runtime knows that CLDR's mapping has no Windows zone for, and why: they are rejected, not guessed.
 * Antarctica/Troll switches between UTC+0 and UTC+2, a rule no Windows zone has; America/Coyhaique was split from
 * America/Santiago in tzdata 2025b, after the CLDR snapshot the table comes from.
 */
const KNOWN_UNMAPPED = ['America/Coyhaique', 'Antarctica/Troll'];

describe('windowsTimeZone', () => {
  const zones = Intl.supportedValuesOf('timeZone');
  const outcomes = zones.map((zone) => {
    try {
      return { zone, windows: windowsTimeZone(zone) };
    } catch (error) {
      return { zone, error: (error as Error).message };
    }
  });

  test('maps every zone this runtime knows, or rejects it naming the prop and the zone', () => {
    const rejected = outcomes.filter((outcome) => outcome.error !== undefined);

    for (const { zone, error } of rejected) expect(error).toMatch(new RegExp(`^timeZone '${zone}' has no Windows time zone`));
    expect(rejected.map((outcome) => outcome.zone).filter((zone) => !KNOWN_UNMAPPED.includes(zone))).toEqual([]);
    expect(zones.length).toBeGreaterThan(400);
  });

  test("gives each zone a Windows zone whose representative keeps the same UTC offset all through 2026", () => {
    const mismatches = outcomes
      .filter((outcome): outcome is { zone: string; windows: string } => outcome.windows !== undefined)
      .flatMap(({ zone, windows }) => {
        const representative = representativeZone(windows);
        if (representative === undefined) return [`${zone}: ${windows} has no representative`];
        const mine = INSTANTS.map((instant) => offsetMinutes(zone, instant));
        const theirs = INSTANTS.map((instant) => offsetMinutes(representative, instant));
        return mine.join() === theirs.join() ? [] : [`${zone} -> ${windows} (${representative}): ${mine} vs ${theirs}`];
      });

    expect(mismatches).toEqual([]);
  });

  test.each([
    ['Asia/Kolkata', 'India Standard Time'],
    ['Asia/Calcutta', 'India Standard Time'],
    ['Europe/Kyiv', 'FLE Standard Time'],
    ['Europe/Kiev', 'FLE Standard Time'],
    ['America/Nuuk', 'Greenland Standard Time'],
    ['America/Argentina/Buenos_Aires', 'Argentina Standard Time'],
    ['Etc/UTC', 'UTC'],
    ['UTC', 'UTC'],
    ['GMT', 'UTC'],
    ['Etc/GMT', 'UTC'],
    ['US/Eastern', 'Eastern Standard Time'],
    ['Europe/Berlin', 'W. Europe Standard Time'],
    ['America/Los_Angeles', 'Pacific Standard Time'],
    ['Australia/Sydney', 'AUS Eastern Standard Time'],
    ['Etc/GMT-14', 'Line Islands Standard Time'],
  ])('resolves the alias or name %s to %s', (iana, windows) => {
    expect(windowsTimeZone(iana)).toBe(windows);
  });

  test('maps every TimeZone constant of aws-cdk-lib that this runtime knows', () => {
    const constants = Object.values(TimeZone).filter((value): value is TimeZone => value instanceof TimeZone);
    const known = constants.filter(({ timezoneName }) => {
      try {
        return new Intl.DateTimeFormat('en-US', { timeZone: timezoneName }) !== undefined;
      } catch {
        return false;
      }
    });

    const unmapped = known.filter(({ timezoneName }) => !KNOWN_UNMAPPED.includes(timezoneName)).filter(({ timezoneName }) => {
      try {
        windowsTimeZone(timezoneName);
        return false;
      } catch {
        return true;
      }
    });

    expect(known.length).toBeGreaterThan(300);
    expect(unmapped.map(({ timezoneName }) => timezoneName)).toEqual([]);
  });

  test('rejects a name that is no time zone, naming the prop and the fix', () => {
    expect(() => windowsTimeZone('Mars/Olympus_Mons', 'timeZone')).toThrow(
      "timeZone 'Mars/Olympus_Mons' has no Windows time zone: it is not an IANA time zone name; use one such as Europe/Berlin",
    );
    expect(() => windowsTimeZone('Antarctica/Troll')).toThrow(/^timeZone 'Antarctica\/Troll' has no Windows time zone in CLDR's mapping/);
  });
});
