import * as fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { captureEndpointPrefix, captureHourPrefixes, isCaptureKeyInWindow } from '../../lambda/core/data-capture';

const at = (iso: string): number => Date.parse(iso);
const WINDOW_FIXTURES = path.resolve(__dirname, '../fixtures/data-capture/window');

describe('captureHourPrefixes', () => {
  test('lists the UTC hour folders a window overlaps, oldest first, across a day and a year', () => {
    const prefixes = captureHourPrefixes('datacapture', 'churn-xgb', 'AllTraffic', at('2026-12-31T22:30:00Z'), at('2027-01-01T01:00:00Z'));

    expect(prefixes).toEqual([
      'datacapture/churn-xgb/AllTraffic/2026/12/31/22/',
      'datacapture/churn-xgb/AllTraffic/2026/12/31/23/',
      'datacapture/churn-xgb/AllTraffic/2027/01/01/00/',
    ]);
  });

  test('leaves out the hour the window ends at, and lists nothing for an empty window', () => {
    const from = at('2026-11-30T10:00:00Z');

    expect(captureHourPrefixes('p', 'e', 'v', from, from + 3_600_000)).toEqual(['p/e/v/2026/11/30/10/']);
    expect(captureHourPrefixes('p', 'e', 'v', from, from)).toEqual([]);
    expect(captureHourPrefixes('p', 'e', 'v', from, from - 1)).toEqual([]);
  });

  test('ignores slashes around the prefix and an empty prefix; without a variant, hours sit below the endpoint', () => {
    const from = at('2026-11-30T10:15:00Z');

    expect(captureHourPrefixes('/captures/prod/', 'e', 'v', from, from + 1)).toEqual(['captures/prod/e/v/2026/11/30/10/']);
    expect(captureHourPrefixes('', 'e', 'v', from, from + 1)).toEqual(['e/v/2026/11/30/10/']);
    expect(captureHourPrefixes('p', 'e', undefined, from, from + 1)).toEqual(['p/e/2026/11/30/10/']);
    expect(captureEndpointPrefix('/p/', 'e')).toBe('p/e/');
  });

  test('refuses a window that is not finite', () => {
    expect(() => captureHourPrefixes('p', 'e', 'v', Number.NaN, 0)).toThrow(RangeError);
  });
});

describe('isCaptureKeyInWindow', () => {
  const from = at('2026-11-30T10:30:00Z');
  const to = at('2026-11-30T12:00:00Z');
  const inWindow = (key: string, variant: string | undefined = 'AllTraffic') => isCaptureKeyInWindow(key, 'capture', 'churn-xgb', variant, from, to);

  test('keeps the capture files of the hours the window overlaps', () => {
    expect(inWindow('capture/churn-xgb/AllTraffic/2026/11/30/10/12-05-387-a.jsonl')).toBe(true);
    expect(inWindow('capture/churn-xgb/AllTraffic/2026/11/30/11/40-59-901-b.jsonl')).toBe(true);
  });

  test.each([
    ['an hour before the window', 'capture/churn-xgb/AllTraffic/2026/11/30/09/x.jsonl'],
    ['the hour the window ends at', 'capture/churn-xgb/AllTraffic/2026/11/30/12/x.jsonl'],
    ['another variant', 'capture/churn-xgb/Shadow/2026/11/30/10/x.jsonl'],
    ['an endpoint whose name starts the same', 'capture/churn-xgb-v2/AllTraffic/2026/11/30/10/x.jsonl'],
    ['a file that is not JSON Lines', 'capture/churn-xgb/AllTraffic/2026/11/30/10/x.json'],
    ['a file one folder deeper', 'capture/churn-xgb/AllTraffic/2026/11/30/10/extra/x.jsonl'],
    ['a day that does not exist', 'capture/churn-xgb/AllTraffic/2026/02/30/10/x.jsonl'],
    ['an hour that is not two digits', 'capture/churn-xgb/AllTraffic/2026/11/30/1a/x.jsonl'],
    ['a file named only by its suffix', 'capture/churn-xgb/AllTraffic/2026/11/30/10/.jsonl'],
  ])('leaves out %s', (_name, key) => {
    expect(inWindow(key)).toBe(false);
  });

  test('picks the fixture window: hours 10 and 11 of AllTraffic', () => {
    const keys = (fs.readdirSync(WINDOW_FIXTURES, { recursive: true }) as string[])
      .filter((file) => file.endsWith('.jsonl'))
      .map((file) => `capture/${file.split(path.sep).join('/')}`)
      .sort();

    expect(keys.filter((key) => inWindow(key))).toEqual([
      'capture/churn-xgb/AllTraffic/2026/11/30/10/12-05-387-10aa11bb-22cc-4d33-8e44-55ff66aa77bb.jsonl',
      'capture/churn-xgb/AllTraffic/2026/11/30/11/40-59-901-11aa11bb-22cc-4d33-8e44-55ff66aa77bb.jsonl',
    ]);
  });

  test('agrees with captureHourPrefixes: a file is in the window exactly when it is below one of its hour folders', () => {
    const base = at('2026-01-01T00:00:00Z');
    const hours = 24 * 400;
    fc.assert(
      fc.property(fc.nat(hours * 3_600_000), fc.nat(72 * 3_600_000), fc.nat(hours * 3_600_000), (start, length, written) => {
        const [fromMs, toMs] = [base + start, base + start + length];
        const hourFolder = captureHourPrefixes('p', 'e', 'v', base + written, base + written + 1)[0];
        const key = `${hourFolder}00-00-000-x.jsonl`;

        const listed = captureHourPrefixes('p', 'e', 'v', fromMs, toMs).some((prefix) => key.startsWith(prefix));
        expect(isCaptureKeyInWindow(key, 'p', 'e', 'v', fromMs, toMs)).toBe(listed);
      }),
    );
  });
});
