import { MAX_LINE_BYTES, parseEventsFile } from '../../lib/simulator/events-file';

const at = '2024-01-29T03:00:00Z';
const line = (value: unknown): string => JSON.stringify(value);

describe('parseEventsFile reads each kind of line', () => {
  test('reads an object created, a platform event, an alarm, a finished upstream run, an approval and a rejection', () => {
    // Prepare
    const text = [
      line({ at, s3: { bucket: 'mlops-data-prod', key: 'labels/batch-0001.parquet', size: 52311, versionId: 'v1' } }),
      line({ at, event: { name: 'model.added', data: { model_id: 'm1' }, project: 'churn', id: 'evt_1' } }),
      line({ at, alarm: { name: 'model-drift-detected', state: 'ALARM', reason: 'drifted' }, report: 'reports/violations.json' }),
      line({ at, pipelineSucceeded: 'feature-pipeline', fail: true }),
      line({ at, approve: { pipeline: 'churn-training', request: 'req-1' } }),
      line({ at, reject: { pipeline: 'churn-training', request: 'req-2' } }),
    ].join('\n');

    // Act
    const parsed = parseEventsFile(text);

    // Assess
    expect(parsed.rejected).toEqual([]);
    const atMs = Date.parse(at);
    expect(parsed.lines).toEqual([
      { kind: 's3', atMs, line: 1, fail: false, bucket: 'mlops-data-prod', key: 'labels/batch-0001.parquet', size: 52311, versionId: 'v1' },
      { kind: 'event', atMs, line: 2, fail: false, name: 'model.added', data: { model_id: 'm1' }, project: 'churn', branch: 'main', id: 'evt_1' },
      { kind: 'alarm', atMs, line: 3, fail: false, name: 'model-drift-detected', state: 'ALARM', reason: 'drifted', report: 'reports/violations.json' },
      { kind: 'pipelineSucceeded', atMs, line: 4, fail: true, pipeline: 'feature-pipeline' },
      { kind: 'approve', atMs, line: 5, fail: false, pipeline: 'churn-training', request: 'req-1' },
      { kind: 'reject', atMs, line: 6, fail: false, pipeline: 'churn-training', request: 'req-2' },
    ]);
  });

  test('skips blank lines and comments, and counts them in the line numbers', () => {
    // Prepare
    const text = ['# nightly data', '', '   ', line({ at, pipelineSucceeded: 'upstream' }), '\r'].join('\n');

    // Act
    const parsed = parseEventsFile(text);

    // Assess
    expect(parsed.lines.map((input) => input.line)).toEqual([4]);
    expect(parsed.rejected).toEqual([]);
  });

  test('returns the lines in time order, lines at the same time in file order, whatever the offsets', () => {
    // Prepare
    const text = [
      line({ at: '2024-01-29T05:00:00+02:00', pipelineSucceeded: 'b' }), // 03:00Z
      line({ at: '2024-01-29T02:00:00Z', pipelineSucceeded: 'a' }),
      line({ at: '2024-01-29T03:00:00Z', pipelineSucceeded: 'c' }),
    ].join('\n');

    // Act
    const parsed = parseEventsFile(text);

    // Assess
    expect(parsed.lines.map((input) => [input.line, input.kind === 'pipelineSucceeded' && input.pipeline])).toEqual([[2, 'a'], [1, 'b'], [3, 'c']]);
  });
});

describe('parseEventsFile rejects each bad line with its number, field and problem', () => {
  const rejectedFor = (text: string) => parseEventsFile(text).rejected;

  test.each([
    ['a malformed JSON line', '{"at": "2024-01-29T03:00:00Z", "s3": {', 'line', /is not JSON/],
    ['a line that is not an object', '[1, 2]', 'line', /must be a JSON object, got an array/],
    ['two kinds on one line', line({ at, s3: { bucket: 'mlops-data', key: 'k' }, event: { name: 'x', data: {} } }), 'event', /second input on a line that has s3/],
    ['an unknown kind', line({ at, sqs: { queue: 'q' } }), 'sqs', /is not a field of an events line/],
    ['no kind at all', line({ at }), 'line', /names no input: give exactly one of s3, event, alarm, pipelineSucceeded, approve, reject, enable or disable/],
    ['a date that does not exist', line({ at: '2024-02-30T03:00:00Z', pipelineSucceeded: 'p' }), 'at', /real ISO 8601 time .* got '2024-02-30T03:00:00Z'/],
    ['a time without an offset', line({ at: '2024-01-29T03:00:00', pipelineSucceeded: 'p' }), 'at', /with an offset or Z/],
    ['a missing time', line({ pipelineSucceeded: 'p' }), 'at', /is missing/],
    ['a bucket name in capitals', line({ at, s3: { bucket: 'MyBucket', key: 'k' } }), 's3.bucket', /lowercase letters/],
    ['a bucket name like an IP address', line({ at, s3: { bucket: '192.168.1.1', key: 'k' } }), 's3.bucket', /IP address/],
    ['a bucket name with two dots together', line({ at, s3: { bucket: 'my..bucket', key: 'k' } }), 's3.bucket', /adjacent dots/],
    ['a reserved bucket prefix', line({ at, s3: { bucket: 'xn--bucket', key: 'k' } }), 's3.bucket', /reserved prefix 'xn--'/],
    ['a key over 1,024 bytes', line({ at, s3: { bucket: 'mlops-data', key: 'é'.repeat(513) } }), 's3.key', /1,024 bytes/],
    ['a negative size', line({ at, s3: { bucket: 'mlops-data', key: 'k', size: -1 } }), 's3.size', /whole number of bytes/],
    ['a fractional size', line({ at, s3: { bucket: 'mlops-data', key: 'k', size: 1.5 } }), 's3.size', /whole number of bytes/],
    ['an unknown s3 field', line({ at, s3: { bucket: 'mlops-data', key: 'k', sise: 1 } }), 's3.sise', /is not a field of s3/],
    ['an event name with a space', line({ at, event: { name: 'model added', data: {} } }), 'event.name', /1-128 letters/],
    ['event data that is not an object', line({ at, event: { name: 'model.added', data: [1] } }), 'event.data', /must be an object/],
    ['event data missing', line({ at, event: { name: 'model.added' } }), 'event.data', /is missing/],
    ['a project in capitals', line({ at, event: { name: 'x', data: {}, project: 'Churn' } }), 'event.project', /lowercase/],
    ['a branch without a project', line({ at, event: { name: 'x', data: {}, branch: 'dev' } }), 'event.branch', /needs a project/],
    ['an alarm state other than ALARM or OK', line({ at, alarm: { name: 'a', state: 'INSUFFICIENT_DATA' } }), 'alarm.state', /'ALARM' or 'OK'/],
    ['a report on a line that is not an alarm', line({ at, pipelineSucceeded: 'p', report: 'r.json' }), 'report', /only valid on an alarm line/],
    ['a pipeline name SageMaker refuses', line({ at, pipelineSucceeded: 'bad_name' }), 'pipelineSucceeded', /SageMaker pipeline name/],
    ['an approval without a request', line({ at, approve: { pipeline: 'p' } }), 'approve.request', /is missing/],
    ['a fail flag that is not a boolean', line({ at, pipelineSucceeded: 'p', fail: 'yes' }), 'fail', /true or false/],
  ])('%s', (_case, text, field, problem) => {
    // Act
    const rejected = rejectedFor(`# header\n${text}`);

    // Assess
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ line: 2, field });
    expect(rejected[0].problem).toMatch(problem);
  });

  test('keeps the time of a rejected line whose time could be read, and keeps the good lines', () => {
    // Prepare
    const text = [line({ at, s3: { bucket: 'Bad', key: 'k' } }), line({ at, pipelineSucceeded: 'p' })].join('\n');

    // Act
    const parsed = parseEventsFile(text);

    // Assess
    expect(parsed.rejected).toEqual([expect.objectContaining({ line: 1, field: 's3.bucket', atMs: Date.parse(at) })]);
    expect(parsed.lines).toHaveLength(1);
  });

  test('rejects a line over the length cap without parsing it', () => {
    // Prepare
    const long = line({ at, event: { name: 'x', data: { blob: 'a'.repeat(MAX_LINE_BYTES) } } });

    // Act
    const rejected = rejectedFor(long);

    // Assess
    expect(rejected).toEqual([{ line: 1, field: 'line', problem: expect.stringMatching(/longer than 256 KB/) }]);
  });

  test('reads ten lines of near-miss times, each near the length cap, in well under two seconds', () => {
    // Prepare: times that almost match, over and over, in lines just under the cap.
    const hostile = `{"at": "${'2024-01-29T03:00:00'.repeat(12_000)}", "s3": {}}`;
    const text = Array.from({ length: 10 }, () => hostile).join('\n');

    // Act
    const started = process.hrtime.bigint();
    const parsed = parseEventsFile(text);
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;

    // Assess
    expect(parsed.rejected).toHaveLength(10);
    expect(parsed.rejected[0].field).toBe('at');
    expect(elapsedMs).toBeLessThan(2_000);
  });
});
