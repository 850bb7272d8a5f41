import * as fs from 'node:fs';
import * as path from 'node:path';
import { latestOffPeriod, offPeriods, type ConfigurationVersion } from '../../lambda/core/configuration-history';
import { catchUpArrival } from '../../lambda/core/re-enable';
import { objectIdentity, parseObjectCreated, uploadWindow, type CreatedObject } from '../../lambda/core/s3-object-created';

type ObjectCreatedEvent = { time: string; detail: { object: Record<string, unknown> } };
const fixture = (): ObjectCreatedEvent => JSON.parse(fs.readFileSync(path.resolve(__dirname, '../fixtures/events/s3-object-created.json'), 'utf8'));
const TIME = '2027-03-08T10:00:07Z';
const TIME_MS = Date.parse(TIME);

describe("an upload's identity, as a delivery and a catch-up's listing both name it", () => {
  const trigger = { triggerId: 'labels', source: { bucket: 'mlops-data-prod', prefix: 'labels/' }, manifestBucket: 'mlops-data-prod', manifestPrefix: 'manifests/' };

  test('a delivery and a listing of one upload share an identity, the ETag read from either form', () => {
    const event = fixture();
    event.detail.object.key = 'labels/a.parquet';
    const delivered = parseObjectCreated(event);
    const listed = catchUpArrival(trigger, { key: 'labels/a.parquet', size: 52311, lastModifiedMs: Date.parse(event.time), etag: '"b1946ac92492d2347c6235b4d2611184"' }, 0);

    expect(delivered).toMatchObject({ ok: true, value: { etag: 'b1946ac92492d2347c6235b4d2611184' } });
    expect(objectIdentity(listed!)).toBe(objectIdentity((delivered as { value: CreatedObject }).value));
    expect(objectIdentity(listed!)).toBe('s3://mlops-data-prod/labels/a.parquet#etag:b1946ac92492d2347c6235b4d2611184');
  });

  test('without an ETag, the identity is the version id, or the sequencer', () => {
    const event = fixture();
    delete event.detail.object.etag;
    const versioned = parseObjectCreated(event);
    delete event.detail.object['version-id'];
    const unversioned = parseObjectCreated(event);

    expect(objectIdentity((versioned as { value: CreatedObject }).value)).toMatch(/#IYV3p45BT0ac8hjHg1houSdS1a\.Mc8cE$/);
    expect(objectIdentity((unversioned as { value: CreatedObject }).value)).toMatch(/#617f08299329d189$/);
  });

  test.each([[''], [42], ['x'.repeat(257)]])('an ETag of %p is refused, naming the field', (etag) => {
    const event = fixture();
    event.detail.object.etag = etag;

    expect(parseObjectCreated(event)).toEqual({ ok: false, error: { field: 'detail.object.etag', problem: expect.any(String) } });
  });

  test("a delivery's window is its event's time; a listing's runs from a second before the last-modified second to when it ended", () => {
    const object = { bucket: 'b', key: 'k', size: 1, sequencer: 's', eventTime: TIME };

    expect(uploadWindow(object)).toEqual({ lowMs: TIME_MS, highMs: TIME_MS });
    expect(uploadWindow({ ...object, eventTime: '2027-03-08T10:00:07.600Z', listedAtMs: TIME_MS + 30_000 })).toEqual({ lowMs: TIME_MS - 1000, highMs: TIME_MS + 30_000 });
  });
});

describe('when the deployment turned a trigger off and on, from its configuration\'s versions', () => {
  const pack = (enabled: boolean | undefined, others: object = {}) => JSON.stringify({ ...others, labels: { triggerId: 'labels', ...(enabled === undefined ? {} : { enabled }) } });
  const at = (minute: number) => Date.parse('2027-03-08T10:00:00Z') + minute * 60_000;
  const versions = (...values: Array<string>): ConfigurationVersion[] => values.map((value, index) => ({ value, modifiedMs: at(index) }));

  test('off now: since the first version of the last run that has it off', () => {
    expect(latestOffPeriod(versions(pack(true), pack(false), pack(false, { other: {} }), pack(false)), 'labels')).toEqual({ offMs: at(1) });
  });

  test('every period, oldest first, each with the configuration that turned the trigger on again', () => {
    expect(offPeriods(versions(pack(false), pack(true), pack(false), pack(true, { other: {} })), 'labels')).toEqual([
      { offMs: at(0), onMs: at(1), onConfig: { triggerId: 'labels', enabled: true } },
      { offMs: at(2), onMs: at(3), onConfig: { triggerId: 'labels', enabled: true } },
    ]);
  });

  test('versions of several parameters are read in the order they were written: a trigger moved between them keeps its period', () => {
    const moved = [
      { parameter: '/p/configs-2', version: 1, value: pack(true), modifiedMs: at(3) },
      { parameter: '/p/configs-1', version: 1, value: pack(false), modifiedMs: at(1) },
      { parameter: '/p/configs-1', version: 2, value: JSON.stringify({ other: {} }), modifiedMs: at(2) },
    ];

    expect(latestOffPeriod(moved, 'labels')).toMatchObject({ offMs: at(1), onMs: at(3) });
  });

  test('on again: from the version that turned it off to the one that turned it on', () => {
    expect(latestOffPeriod(versions(pack(false), pack(undefined), pack(false), pack(false), pack(true), pack(true, { other: {} })), 'labels')).toMatchObject({ offMs: at(2), onMs: at(4) });
  });

  test('never off, or no pack at all: none', () => {
    expect(latestOffPeriod(versions(pack(true), pack(undefined)), 'labels')).toBeUndefined();
    expect(latestOffPeriod(versions('not json', '[1]'), 'labels')).toBeUndefined();
    expect(latestOffPeriod([], 'labels')).toBeUndefined();
  });

  test('off in every version kept: since the oldest', () => {
    expect(latestOffPeriod(versions(pack(false), pack(false)), 'labels')).toEqual({ offMs: at(0) });
  });

  test('a version without the trigger says nothing of it: the period goes on', () => {
    expect(latestOffPeriod(versions(pack(false), JSON.stringify({ other: {} }), pack(false)), 'labels')).toEqual({ offMs: at(0) });
    expect(latestOffPeriod(versions(pack(false), JSON.stringify({ other: {} })), 'labels')).toEqual({ offMs: at(0) });
  });
});
