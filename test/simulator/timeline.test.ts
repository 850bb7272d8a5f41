import { buildTimeline, renderTimeline, timelineTime, type TimelineParts } from '../../lib/simulator/timeline';

const ms = (iso: string): number => Date.parse(iso);

const parts: TimelineParts = {
  runs: [
    { atMs: ms('2024-01-29T12:05:00Z'), pipeline: 'churn-model-training', trigger: 'data NewLabels', parameters: { ManifestUri: 's3://b/m.jsonl', ObjectCount: '2' }, correlationId: 'batch#NewLabels#1' },
    { atMs: ms('2024-01-29T03:00:00Z'), pipeline: 'churn-model-training', trigger: 'scheduled NightlyRetraining', parameters: { TrainingMode: 'scheduled', DataWindowDays: '1' }, correlationId: 'sched#NightlyRetraining#2024-01-29T03:00:00Z' },
  ],
  decisions: [
    { atMs: ms('2024-01-29T12:05:00Z'), pipeline: 'churn-model-training', trigger: 'drift ChurnDrift', outcome: 'deferred', reason: 'a run of churn-model-training is already executing' },
  ],
  rejected: [
    { atMs: ms('2024-01-29T13:00:00Z'), line: 7, field: 's3.bucket', problem: 'must be 3-63 characters long, got \'ab\'' },
    { line: 4, field: 'at', problem: 'must be a real ISO 8601 time with an offset or Z, such as 2024-01-29T03:00:00Z, got \'2024-02-30T03:00:00Z\'' },
  ],
  nothingListens: [{ atMs: ms('2024-01-29T09:30:00Z'), line: 3, what: 's3://other-bucket/data.csv' }],
  errors: [{ atMs: ms('2024-01-29T12:05:00.250Z'), function: 'MlTriggersReference-DriftEvaluator', message: 'Task timed out after 30 seconds' }],
};

describe('buildTimeline', () => {
  test('writes times as ISO strings and orders each list by time, then by its fields', () => {
    // Act
    const timeline = buildTimeline(parts);

    // Assess
    expect(timeline.runs.map((run) => [run.at, run.trigger])).toEqual([
      ['2024-01-29T03:00:00Z', 'scheduled NightlyRetraining'],
      ['2024-01-29T12:05:00Z', 'data NewLabels'],
    ]);
    expect(timeline.rejected.map((item) => [item.at, item.line])).toEqual([[null, 4], ['2024-01-29T13:00:00Z', 7]]);
    expect(timeline.errors[0]).toEqual({ at: '2024-01-29T12:05:00.250Z', function: 'MlTriggersReference-DriftEvaluator', message: 'Task timed out after 30 seconds' });
    expect(Object.keys(timeline).sort()).toEqual(['decisions', 'errors', 'nothingListens', 'rejected', 'runs']);
  });

  test('gives the same timeline whatever order its items come in', () => {
    // Prepare
    const reversed: TimelineParts = {
      runs: [...(parts.runs ?? [])].reverse(), decisions: parts.decisions, rejected: [...(parts.rejected ?? [])].reverse(),
      nothingListens: parts.nothingListens, errors: parts.errors,
    };

    // Act and assess
    expect(buildTimeline(reversed)).toEqual(buildTimeline(parts));
  });

  test('writes milliseconds only when a time has some', () => {
    expect(timelineTime(ms('2024-01-29T03:00:00Z'))).toBe('2024-01-29T03:00:00Z');
    expect(timelineTime(ms('2024-01-29T03:00:00.005Z'))).toBe('2024-01-29T03:00:00.005Z');
  });
});

describe('renderTimeline', () => {
  test('writes one line per item in time order, then the counts', () => {
    // Act
    const text = renderTimeline(buildTimeline(parts));

    // Assess
    expect(text).toBe([
      "-                     rejected    line 4  at: must be a real ISO 8601 time with an offset or Z, such as 2024-01-29T03:00:00Z, got '2024-02-30T03:00:00Z'",
      '2024-01-29 03:00:00Z  run         churn-model-training  (scheduled NightlyRetraining)  TrainingMode=scheduled DataWindowDays=1  [corr sched#NightlyRetraining#2024-01-29T03:00:00Z]',
      '2024-01-29 09:30:00Z  unheard     line 3  nothing listens to s3://other-bucket/data.csv',
      '2024-01-29 12:05:00Z  run         churn-model-training  (data NewLabels)  ManifestUri=s3://b/m.jsonl ObjectCount=2  [corr batch#NewLabels#1]',
      '2024-01-29 12:05:00Z  deferred    churn-model-training  (drift ChurnDrift)  a run of churn-model-training is already executing',
      '2024-01-29 12:05:00.250Z  error       MlTriggersReference-DriftEvaluator: Task timed out after 30 seconds',
      "2024-01-29 13:00:00Z  rejected    line 7  s3.bucket: must be 3-63 characters long, got 'ab'",
      '2 runs, 1 decision, 2 rejected lines, 1 input nothing listens to, 1 error',
    ].join('\n'));
  });

  test('an empty timeline renders as its summary alone', () => {
    expect(renderTimeline(buildTimeline({}))).toBe('0 runs, 0 decisions, 0 rejected lines, 0 inputs nothing listens to, 0 errors');
  });

  test('a run without parameters says so', () => {
    // Prepare
    const timeline = buildTimeline({ runs: [{ atMs: 0, pipeline: 'p', trigger: 'event Added', parameters: {}, correlationId: 'event#e1' }] });

    // Act and assess
    expect(renderTimeline(timeline).split('\n')[0]).toBe('1970-01-01 00:00:00Z  run         p  (event Added)  (no parameters)  [corr event#e1]');
  });

  test("shows a run's own parameters, leaving out the coordinator's bookkeeping, which the JSON keeps", () => {
    // Prepare
    const parameters = { TrainingMode: 'drift', TriggerType: 'drift', TriggerReason: 'high drift', TriggerPriority: '2', RunSequence: '8' };
    const timeline = buildTimeline({ runs: [{ atMs: 0, pipeline: 'p', trigger: 'drift', parameters, correlationId: '' }] });

    // Act
    const line = renderTimeline(timeline).split('\n')[0];

    // Assess
    expect(line).toBe('1970-01-01 00:00:00Z  run         p  (drift)  TrainingMode=drift');
    expect(timeline.runs[0].parameters).toEqual(parameters);
  });
});
