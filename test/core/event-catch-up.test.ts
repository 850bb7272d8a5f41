import { EVENT_CATCH_UP_LIMITS, parseEventCatchUp, type EventCatchUpJson } from '../../lambda/core/contracts/event-catch-up';
import type { ConfigurationVersion } from '../../lambda/core/configuration-history';
import { eventKey, offPeriods, plannedReplays, replayName, replayNameOf, replayWindow } from '../../lambda/core/event-catch-up';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.parse('2027-03-08T10:00:00Z');
const CATCH_UP: EventCatchUpJson = {
  mode: 'catch-up',
  maxEvents: 100,
  maxAgeSeconds: 86_400,
  archiveArn: 'arn:aws:events:eu-west-1:123456789012:archive/bus-archive',
  busArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/ml-triggers.churn.main',
  ruleArn: 'arn:aws:events:eu-west-1:123456789012:rule/ml-triggers.churn.main/mle-1',
};

/** A version of a pack parameter holding each given trigger's configuration. */
function version(parameter: string, number: number, modifiedMs: number, configs: Record<string, object>): ConfigurationVersion {
  return { parameter, version: number, modifiedMs, value: JSON.stringify(configs) };
}

const on = { triggerId: 't1', whenReEnabled: CATCH_UP };
const off = { ...on, enabled: false };

describe('off periods from the parameter history', () => {
  test('one period from the version that wrote the trigger off to the one that wrote it on, with that one\'s catch-up', () => {
    const versions = [version('/p/configs-1', 1, T0, { t1: on }), version('/p/configs-1', 2, T0 + HOUR, { t1: off }), version('/p/configs-1', 3, T0 + 3 * HOUR, { t1: on })];

    expect(offPeriods('t1', versions)).toEqual([{ triggerId: 't1', offMs: T0 + HOUR, onMs: T0 + 3 * HOUR, catchUp: CATCH_UP }]);
  });

  test('a trigger still off has no period; versions that repeat off keep the first off time; other triggers\' changes say nothing', () => {
    const versions = [
      version('/p/configs-1', 1, T0, { t1: off, t2: {} }),
      version('/p/configs-1', 2, T0 + HOUR, { t1: off, t2: { enabled: false } }),
    ];
    expect(offPeriods('t1', versions)).toEqual([]);

    const closed = [...versions, version('/p/configs-1', 3, T0 + 2 * HOUR, { t1: on, t2: {} })];
    expect(offPeriods('t1', closed)).toEqual([{ triggerId: 't1', offMs: T0, onMs: T0 + 2 * HOUR, catchUp: CATCH_UP }]);
  });

  test('a trigger that moved to another parameter is followed across both, in time order whatever order they are read in', () => {
    const versions = [
      version('/p/configs-2', 1, T0 + 2 * HOUR, { t1: on }),
      version('/p/configs-1', 2, T0 + 2 * HOUR, { t9: {} }),
      version('/p/configs-1', 1, T0, { t1: off }),
    ];

    expect(offPeriods('t1', versions)).toEqual([{ triggerId: 't1', offMs: T0, onMs: T0 + 2 * HOUR, catchUp: CATCH_UP }]);
  });

  test('turned on by a deployment that skips: the period has no catch-up, and no replay is planned', () => {
    const versions = [version('/p/c', 1, T0, { t1: off }), version('/p/c', 2, T0 + HOUR, { t1: { triggerId: 't1' } })];

    expect(offPeriods('t1', versions)).toEqual([{ triggerId: 't1', offMs: T0, onMs: T0 + HOUR }]);
    expect(plannedReplays('t1', versions, T0 + 2 * HOUR)).toEqual([]);
  });

  test('versions that are not JSON, or hold the id under a prototype name, are ignored', () => {
    const versions = [
      { parameter: '/p/c', version: 1, modifiedMs: T0, value: 'not json' },
      version('/p/c', 2, T0 + HOUR, { t1: off }),
      version('/p/c', 3, T0 + 2 * HOUR, { t1: on }),
    ];

    expect(offPeriods('t1', versions)).toHaveLength(1);
    expect(offPeriods('constructor', versions)).toEqual([]);
  });
});

describe('replay names', () => {
  test('the same trigger and off time give the same name; another off time or trigger another', () => {
    expect(replayName('t1', T0)).toBe(replayName('t1', T0));
    expect(replayName('t1', T0)).not.toBe(replayName('t1', T0 + 1));
    expect(replayName('t1', T0)).not.toBe(replayName('t2', T0));
  });

  test('a name fits StartReplay\'s ReplayName for the longest trigger id', () => {
    const name = replayName('x'.repeat(64), T0);

    expect(name.length).toBeLessThanOrEqual(64);
    expect(name).toMatch(/^[.\-_A-Za-z0-9]+$/);
    expect(replayName('x'.repeat(64), T0)).not.toBe(replayName(`${'x'.repeat(63)}y`, T0));
  });
});

describe('the replay window', () => {
  test('covers the off period, from the edge margin before it to the late-rule bound after it', () => {
    const { edgeMarginMs, lateRuleMs } = EVENT_CATCH_UP_LIMITS;

    expect(replayWindow({ offMs: T0, onMs: T0 + HOUR }, 86_400, T0 + 2 * HOUR)).toEqual({ startMs: T0 - edgeMarginMs, endMs: T0 + HOUR + lateRuleMs });
  });

  test('reaches no further back than maxAge before the trigger came back', () => {
    expect(replayWindow({ offMs: T0, onMs: T0 + 10 * HOUR }, 3600, T0 + 11 * HOUR)).toEqual({ startMs: T0 + 9 * HOUR, endMs: T0 + 10 * HOUR + EVENT_CATCH_UP_LIMITS.lateRuleMs });
  });

  test('ends no later than now, and an off period that ended beyond the horizon is not replayed', () => {
    expect(replayWindow({ offMs: T0, onMs: T0 + HOUR }, 86_400, T0 + HOUR + MINUTE)?.endMs).toBe(T0 + HOUR + MINUTE);
    expect(replayWindow({ offMs: T0, onMs: T0 + HOUR }, 86_400, T0 + HOUR + EVENT_CATCH_UP_LIMITS.horizonMs + 1)).toBeUndefined();
  });

  test('plans one replay per off period that a catch-up ended, each with its own name', () => {
    const versions = [
      version('/p/c', 1, T0, { t1: off }),
      version('/p/c', 2, T0 + HOUR, { t1: on }),
      version('/p/c', 3, T0 + 2 * HOUR, { t1: off }),
      version('/p/c', 4, T0 + 3 * HOUR, { t1: on }),
    ];

    const planned = plannedReplays('t1', versions, T0 + 4 * HOUR);

    expect(planned.map((p) => p.name)).toEqual([replayName('t1', T0), replayName('t1', T0 + 2 * HOUR)]);
    expect(plannedReplays('t1', versions, T0 + 4 * HOUR)).toEqual(planned);
  });
});

describe('replayed events', () => {
  test('the replay name is read from the event, and absent for an event delivered live', () => {
    expect(replayNameOf({ id: 'e', 'replay-name': 't1.abc.123' })).toBe('t1.abc.123');
    expect(replayNameOf({ id: 'e' })).toBeUndefined();
    expect(replayNameOf('x')).toBeUndefined();
  });

  test('an event id has a fixed-length key, the same each time', () => {
    expect(eventKey('e-1')).toBe(eventKey('e-1'));
    expect(eventKey('e-1')).not.toBe(eventKey('e-2'));
    expect(eventKey('x'.repeat(500))).toHaveLength(22);
  });
});

describe('the catch-up as a configuration holds it', () => {
  test('is read back as written; absent is skip', () => {
    expect(parseEventCatchUp(CATCH_UP)).toEqual({ ok: true, value: CATCH_UP });
    expect(parseEventCatchUp(undefined)).toEqual({ ok: true, value: undefined });
  });

  test.each<[string, unknown, string]>([
    ['another mode', { ...CATCH_UP, mode: 'skip' }, 'trigger.whenReEnabled.mode'],
    ['no events', { ...CATCH_UP, maxEvents: 0 }, 'trigger.whenReEnabled.maxEvents'],
    ['a maxAge past 14 days', { ...CATCH_UP, maxAgeSeconds: 15 * 86_400 }, 'trigger.whenReEnabled.maxAgeSeconds'],
    ['an archive that is not an EventBridge ARN', { ...CATCH_UP, archiveArn: 'arn:aws:s3:::bucket/x' }, 'trigger.whenReEnabled.archiveArn'],
  ])('with %s is rejected naming the field', (_what, input, field) => {
    expect(parseEventCatchUp(input)).toMatchObject({ ok: false, error: { field } });
  });
});
