import type { SimulatedSchedule } from '../../lib/simulator/model';
import { executionId, firings, scheduledInput } from '../../lib/simulator/schedules';

const utc = (iso: string): number => Date.parse(iso);
const isoList = (times: number[]): string[] => times.map((ms) => new Date(ms).toISOString());

function schedule(expression: string, overrides: Partial<SimulatedSchedule> = {}): SimulatedSchedule {
  return { logicalId: 'NightlyRetraining', expression, timeZone: 'UTC', enabled: true, targetArn: 'arn:aws:lambda:us-east-1:123456789012:function:f', ...overrides };
}

describe('cron schedules fire at wall-clock times in their time zone', () => {
  test('cron(0 3 * * ? *) in Europe/Berlin fires at 01:00Z in summer and 02:00Z in winter', () => {
    // Prepare: daylight saving time ends in Berlin on 2024-10-27.
    const nightly = schedule('cron(0 3 * * ? *)', { timeZone: 'Europe/Berlin' });

    // Act
    const times = firings(nightly, utc('2024-10-25T12:00:00Z'), utc('2024-10-28T12:00:00Z'), 10);

    // Assess
    expect(isoList(times)).toEqual(['2024-10-26T01:00:00.000Z', '2024-10-27T02:00:00.000Z', '2024-10-28T02:00:00.000Z']);
  });

  test('a time that the spring change skips does not fire that day', () => {
    // Prepare: on 2024-03-31 Berlin's clocks jump from 02:00 to 03:00.
    const nightly = schedule('cron(30 2 * * ? *)', { timeZone: 'Europe/Berlin' });

    // Act
    const times = firings(nightly, utc('2024-03-29T12:00:00Z'), utc('2024-04-01T12:00:00Z'), 10);

    // Assess
    expect(isoList(times)).toEqual(['2024-03-30T01:30:00.000Z', '2024-04-01T00:30:00.000Z']);
  });

  test('a time that the autumn change repeats fires once, at its first occurrence', () => {
    // Prepare: on 2024-10-27 Berlin reads 02:30 at 00:30Z and again at 01:30Z.
    const nightly = schedule('cron(30 2 * * ? *)', { timeZone: 'Europe/Berlin' });

    // Act
    const times = firings(nightly, utc('2024-10-26T12:00:00Z'), utc('2024-10-27T12:00:00Z'), 10);

    // Assess
    expect(isoList(times)).toEqual(['2024-10-27T00:30:00.000Z']);
  });

  test('the window is open at its start and closed at its end, and the limit caps the count', () => {
    // Prepare
    const hourly = schedule('cron(0 * * * ? *)');

    // Act
    const times = firings(hourly, utc('2024-01-29T03:00:00Z'), utc('2024-01-29T06:00:00Z'), 10);
    const capped = firings(hourly, utc('2024-01-29T03:00:00Z'), utc('2024-01-30T06:00:00Z'), 2);

    // Assess
    expect(isoList(times)).toEqual(['2024-01-29T04:00:00.000Z', '2024-01-29T05:00:00.000Z', '2024-01-29T06:00:00.000Z']);
    expect(isoList(capped)).toEqual(['2024-01-29T04:00:00.000Z', '2024-01-29T05:00:00.000Z']);
  });

  test('a schedule that fires every minute still reaches its limit across many batches', () => {
    // Prepare
    const everyMinute = schedule('cron(* * * * ? *)', { timeZone: 'America/New_York' });

    // Act
    const times = firings(everyMinute, utc('2024-01-29T00:00:00Z'), utc('2024-01-30T00:00:00Z'), 1_000);

    // Assess
    expect(times).toHaveLength(1_000);
    expect(new Date(times[0]).toISOString()).toBe('2024-01-29T00:01:00.000Z');
    expect(times[999] - times[0]).toBe(999 * 60_000);
  });

  test('StartDate and EndDate bound the firings: from the start, before the end', () => {
    // Prepare
    const bounded = schedule('cron(0 3 * * ? *)', { startDate: '2024-01-02T03:00:00Z', endDate: '2024-01-04T03:00:00Z' });

    // Act
    const times = firings(bounded, utc('2024-01-01T00:00:00Z'), utc('2024-01-10T00:00:00Z'), 10);

    // Assess
    expect(isoList(times)).toEqual(['2024-01-02T03:00:00.000Z', '2024-01-03T03:00:00.000Z']);
  });
});

describe('rate schedules count from their StartDate, or from their creation', () => {
  test('rate(6 hours) without a StartDate fires at creation and every six hours after', () => {
    // Prepare
    const sixHourly = schedule('rate(6 hours)');
    const createdAtMs = utc('2024-01-29T00:10:00Z');

    // Act
    const times = firings(sixHourly, utc('2024-01-29T00:00:00Z'), utc('2024-01-29T18:10:00Z'), 10, createdAtMs);

    // Assess
    expect(isoList(times)).toEqual(['2024-01-29T00:10:00.000Z', '2024-01-29T06:10:00.000Z', '2024-01-29T12:10:00.000Z', '2024-01-29T18:10:00.000Z']);
  });

  test('rate(1 day) with a StartDate keeps its phase in a window that opens long after it', () => {
    // Prepare
    const daily = schedule('rate(1 day)', { startDate: '2024-01-01T05:30:00Z' });

    // Act
    const times = firings(daily, utc('2024-03-10T05:30:00Z'), utc('2024-03-12T06:00:00Z'), 10);

    // Assess: 24-hour days, whatever the zone's clocks do.
    expect(isoList(times)).toEqual(['2024-03-11T05:30:00.000Z', '2024-03-12T05:30:00.000Z']);
  });

  test('rate(1 minute) and rate(15 minutes) are read in minutes', () => {
    // Act
    const one = firings(schedule('rate(1 minute)'), 0, 3 * 60_000, 10, 0);
    const fifteen = firings(schedule('rate(15 minutes)'), 0, 3_600_000, 10, 0);

    // Assess
    expect(one).toEqual([60_000, 120_000, 180_000]);
    expect(fifteen).toEqual([900_000, 1_800_000, 2_700_000, 3_600_000]);
  });
});

describe('one-time and disabled schedules', () => {
  test('at(...) fires once at that wall-clock time in its time zone, ignoring StartDate', () => {
    // Prepare
    const once = schedule('at(2024-03-10T09:00:00)', { timeZone: 'Europe/Berlin', startDate: '2025-01-01T00:00:00Z' });

    // Act
    const inside = firings(once, utc('2024-03-10T00:00:00Z'), utc('2024-03-11T00:00:00Z'), 10);
    const outside = firings(once, utc('2024-03-10T08:00:00Z'), utc('2024-03-11T00:00:00Z'), 10);

    // Assess
    expect(isoList(inside)).toEqual(['2024-03-10T08:00:00.000Z']);
    expect(outside).toEqual([]);
  });

  test('at(...) on a date that does not exist is refused with the schedule named', () => {
    expect(() => firings(schedule('at(2024-02-30T09:00:00)'), 0, Date.now(), 1)).toThrow(/NightlyRetraining: at\(2024-02-30T09:00:00\) is not a real date/);
  });

  test('a disabled schedule never fires', () => {
    // Act
    const times = firings(schedule('rate(1 minute)', { enabled: false }), 0, 3_600_000, 10, 0);

    // Assess
    expect(times).toEqual([]);
  });

  test('an expression that is none of the three is refused', () => {
    expect(() => firings(schedule('every day'), 0, 1, 1)).toThrow(/not cron\(\.\.\.\), rate\(\.\.\.\) or at\(\.\.\.\)/);
  });
});

describe('scheduledInput fills in Scheduler\'s context attributes', () => {
  test('writes the scheduled time without milliseconds, the attempt, the schedule ARN and a stable execution id', () => {
    // Prepare
    const nightly = schedule('cron(0 3 * * ? *)');
    const input = '{"scheduledTime":"<aws.scheduler.scheduled-time>","id":"<aws.scheduler.execution-id>","attempt":<aws.scheduler.attempt-number>,"arn":"<aws.scheduler.schedule-arn>"}';
    const scheduledMs = utc('2024-01-29T03:00:00Z');

    // Act
    const filled = JSON.parse(scheduledInput(input, scheduledMs, nightly, 'arn:aws:scheduler:eu-west-1:123456789012:schedule/default/nightly'));

    // Assess
    expect(filled).toEqual({
      scheduledTime: '2024-01-29T03:00:00Z',
      id: executionId(nightly, scheduledMs),
      attempt: 1,
      arn: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/default/nightly',
    });
    expect(filled.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  test('gives each firing its own execution id, and the same one on every run', () => {
    // Prepare
    const nightly = schedule('cron(0 3 * * ? *)');

    // Act
    const first = executionId(nightly, 0);
    const again = executionId(nightly, 0);
    const next = executionId(nightly, 86_400_000);

    // Assess
    expect(again).toBe(first);
    expect(next).not.toBe(first);
  });

  test('sends {} when the target has no Input, and leaves unknown attributes as written', () => {
    // Act
    const none = scheduledInput(undefined, 0, schedule('rate(1 day)'));
    const unknown = scheduledInput('"<aws.scheduler.unknown>"', 0, schedule('rate(1 day)'));

    // Assess
    expect(none).toBe('{}');
    expect(unknown).toBe('"<aws.scheduler.unknown>"');
  });
});
