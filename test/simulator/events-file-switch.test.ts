import { parseEventsFile } from '../../lib/simulator/events-file';

const at = '2024-01-29T10:00:00Z';
const line = (value: unknown): string => JSON.stringify(value);

describe('parseEventsFile reads redeployments that disable or enable a trigger', () => {
  test('reads a disable and an enable, each naming a trigger id', () => {
    // Prepare
    const text = [line({ at, disable: 'labels' }), line({ at: '2024-01-29T11:00:00Z', enable: 'labels' })].join('\n');

    // Act
    const parsed = parseEventsFile(text);

    // Assess
    expect(parsed.rejected).toEqual([]);
    expect(parsed.lines).toEqual([
      { kind: 'disable', triggerId: 'labels', atMs: Date.parse(at), line: 1, fail: false },
      { kind: 'enable', triggerId: 'labels', atMs: Date.parse('2024-01-29T11:00:00Z'), line: 2, fail: false },
    ]);
  });

  test.each([
    ['an object instead of an id', line({ at, disable: { id: 'labels' } }), 'disable', /must be a non-empty string, got an object/],
    ['an id with a slash', line({ at, enable: 'a/b' }), 'enable', /must be a trigger's triggerId, which must be 1-64 letters, digits, - or _, got 'a\/b'/],
    ['an empty id', line({ at, enable: '' }), 'enable', /must be a non-empty string/],
  ])('rejects %s, naming the field', (_what, text, field, problem) => {
    expect(parseEventsFile(text).rejected).toEqual([{ line: 1, field, problem: expect.stringMatching(problem), atMs: Date.parse(at) }]);
  });
});
