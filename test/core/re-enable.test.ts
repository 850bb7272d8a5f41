import { parseBatchTriggerConfig } from '../../lambda/core/contracts/batch';
import { parseReEnablePolicy, RE_ENABLE_LIMITS, SKIP } from '../../lambda/core/contracts/re-enable';
import { catchUpArrival, reEnableStep, type CatchUpSource, type ListedObject } from '../../lambda/core/re-enable';

const NOW = Date.parse('2027-03-08T10:00:00Z');
const DISABLED_AT = Date.parse('2027-03-05T10:00:00Z');
const CATCH_UP = { mode: 'catch-up', maxObjects: 50, maxAgeSeconds: 7 * 86_400 } as const;

describe('the step a configuration change takes for a trigger', () => {
  test('remembers when a trigger went off, once: a trigger already remembered off is left as it is', () => {
    expect(reEnableStep(false, CATCH_UP, undefined, NOW)).toEqual({ kind: 'record-disabled' });
    expect(reEnableStep(false, CATCH_UP, { disabledAtMs: DISABLED_AT }, NOW)).toEqual({ kind: 'none' });
    expect(reEnableStep(false, SKIP, undefined, NOW)).toEqual({ kind: 'record-disabled' });
  });

  test('a trigger off again before its catch-up was confirmed is remembered afresh; the sealed batch is the flush\'s to start', () => {
    const record = { disabledAtMs: DISABLED_AT, catchUp: { epoch: 'e', generation: 4 } };

    expect(reEnableStep(false, CATCH_UP, record, NOW)).toEqual({ kind: 'record-disabled', replaces: DISABLED_AT });
  });

  test('an enabled trigger with nothing remembered does nothing, whatever its policy: a repeated change is harmless', () => {
    expect(reEnableStep(true, CATCH_UP, undefined, NOW)).toEqual({ kind: 'none' });
    expect(reEnableStep(true, SKIP, undefined, NOW)).toEqual({ kind: 'none' });
  });

  test('back on with skip forgets when it went off', () => {
    expect(reEnableStep(true, SKIP, { disabledAtMs: DISABLED_AT }, NOW)).toEqual({ kind: 'forget', disabledAtMs: DISABLED_AT });
  });

  test('back on with catch-up lists from when it went off, at most maxObjects', () => {
    expect(reEnableStep(true, CATCH_UP, { disabledAtMs: DISABLED_AT }, NOW)).toEqual({ kind: 'catch-up', disabledAtMs: DISABLED_AT, sinceMs: DISABLED_AT, maxObjects: 50 });
  });

  test('a catch-up never reaches further back than maxAge', () => {
    const step = reEnableStep(true, { ...CATCH_UP, maxAgeSeconds: 3600 }, { disabledAtMs: DISABLED_AT }, NOW);

    expect(step).toMatchObject({ kind: 'catch-up', sinceMs: NOW - 3_600_000 });
  });

  test('a catch-up whose batch is sealed only finishes: it lists nothing again', () => {
    const batch = { epoch: 'e', generation: 4 };

    expect(reEnableStep(true, CATCH_UP, { disabledAtMs: DISABLED_AT, catchUp: batch }, NOW)).toEqual({ kind: 'finish', disabledAtMs: DISABLED_AT, batch });
  });
});

describe('which listed objects a catch-up batches', () => {
  const trigger: CatchUpSource = { triggerId: 'labels', source: { bucket: 'data', prefix: 'labels/', suffix: '.parquet' }, manifestBucket: 'data', manifestPrefix: 'ml-triggers/manifests/' };
  const listed = (key: string, lastModifiedMs: number): ListedObject => ({ key, size: 7, lastModifiedMs, etag: '"abc"' });

  test('an object of the prefix and suffix modified since the trigger went off becomes an arrival named by its content, as a delivery of it is', () => {
    const arrival = catchUpArrival(trigger, listed('labels/a.parquet', DISABLED_AT + 5000), DISABLED_AT);

    expect(arrival).toEqual({
      bucket: 'data', key: 'labels/a.parquet', size: 7, eventTime: new Date(DISABLED_AT + 5000).toISOString(), sequencer: `listed-${(DISABLED_AT + 5000).toString(16)}-abc`, etag: 'abc',
    });
  });

  test.each([
    ['modified before the trigger went off', listed('labels/a.parquet', DISABLED_AT - 1000)],
    ['without the suffix', listed('labels/a.csv', NOW)],
    ['outside the prefix', listed('other/a.parquet', NOW)],
    ['a manifest of the library', listed('labels/x.ml-triggers-manifest.jsonl', NOW)],
  ])('an object %s is not batched', (_what, object) => {
    expect(catchUpArrival(trigger, object, DISABLED_AT)).toBeUndefined();
  });

  test('an object of the second the trigger went off counts: S3 keeps modification times to the second', () => {
    expect(catchUpArrival(trigger, listed('labels/a.parquet', DISABLED_AT), DISABLED_AT + 400)).toBeDefined();
  });
});

describe('the re-enable policy in a configuration', () => {
  const base = { triggerId: 't', pipelineName: 'p', source: { bucket: 'd' }, manifestBucket: 'd', manifestPrefix: '', manifestParameterName: 'M', countParameterName: 'C', parameters: {}, batchSize: 100, batchWindowSeconds: 60, maxStartAttempts: 3 };

  test('is skip when absent, and a configuration of the defaults reads back as written', () => {
    expect(parseReEnablePolicy(undefined, 100)).toEqual({ ok: true, value: SKIP });
    expect(parseBatchTriggerConfig(base)).toEqual({ ok: true, value: base });
  });

  test('reads a disabled trigger that catches up', () => {
    const config = { ...base, enabled: false, whenReEnabled: CATCH_UP };

    expect(parseBatchTriggerConfig(config)).toEqual({ ok: true, value: config });
  });

  test.each<[string, unknown, string]>([
    ['more objects than a batch holds', { ...CATCH_UP, maxObjects: 101 }, 'trigger.whenReEnabled.maxObjects'],
    ['a fraction of an object', { ...CATCH_UP, maxObjects: 1.5 }, 'trigger.whenReEnabled.maxObjects'],
    ['an age past what the batcher remembers', { ...CATCH_UP, maxAgeSeconds: RE_ENABLE_LIMITS.maxAgeSeconds + 1 }, 'trigger.whenReEnabled.maxAgeSeconds'],
    ['another mode', { mode: 'replay' }, 'trigger.whenReEnabled.mode'],
  ])('refuses %s, naming the field', (_what, whenReEnabled, field) => {
    expect(parseBatchTriggerConfig({ ...base, whenReEnabled })).toEqual({ ok: false, error: { field, problem: expect.any(String) } });
  });

  test('refuses an enabled flag that is not a boolean', () => {
    expect(parseBatchTriggerConfig({ ...base, enabled: 'no' })).toEqual({ ok: false, error: { field: 'trigger.enabled', problem: expect.any(String) } });
  });
});
