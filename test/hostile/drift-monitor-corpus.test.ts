import { captureLine, DriftMonitorWorld, HOUR, MIB, type MonitorHandler, monitorSettings, requestsBetween, rowSource, windowEnd } from '../support/drift-monitor-world';
import { captureStdout, emfDocuments, quietStdoutPerTest, running, SERVICES_TIMEOUT } from '../support/handler-harness';
import { BUCKET, REVIEW, snsRecord } from '../support/handler-drift';

jest.setTimeout(SERVICES_TIMEOUT);

const STORE = 'drift-monitor/hostile/';
const iso = (ms: number) => new Date(ms).toISOString();

/** Forged step inputs, each with the field its rejection must name. Built on demand: some hold the time of the call. */
const FORGED: ReadonlyArray<readonly [string, () => unknown, string]> = [
  ['an unknown action', () => ({ action: 'delete' }), 'action'],
  ['an action in other case', () => ({ action: 'ASSESS', runId: 'hostile-1' }), 'action'],
  ['null', () => null, 'action'],
  ['a string', () => 'plan', 'action'],
  ['an array', () => [{ action: 'plan' }], 'action'],
  ['a number', () => 42, 'action'],
  ['a plan an hour in the past', () => ({ action: 'plan', executionName: 'forged-1', executionStartTime: iso(Date.now() - HOUR) }), 'executionStartTime'],
  ['a plan an hour ahead', () => ({ action: 'plan', executionName: 'forged-2', executionStartTime: iso(Date.now() + HOUR) }), 'executionStartTime'],
  ['a plan at a time that is not RFC 3339', () => ({ action: 'plan', executionName: 'forged-3', executionStartTime: 'yesterday' }), 'executionStartTime'],
  ['a plan on 30 February', () => ({ action: 'plan', executionName: 'forged-4', executionStartTime: '2026-02-30T10:00:00Z' }), 'executionStartTime'],
  ['a plan at epoch milliseconds', () => ({ action: 'plan', executionName: 'forged-5', executionStartTime: Date.now() }), 'executionStartTime'],
  ['a plan whose execution name has a slash', () => ({ action: 'plan', executionName: 'runs/evil', executionStartTime: iso(Date.now()) }), 'executionName'],
  ['a plan whose execution name climbs out', () => ({ action: 'plan', executionName: '../watermark', executionStartTime: iso(Date.now()) }), 'executionName'],
  ['a plan whose execution name is 500 characters', () => ({ action: 'plan', executionName: 'x'.repeat(500), executionStartTime: iso(Date.now()) }), 'executionName'],
  ['a plan without an execution name', () => ({ action: 'plan', executionStartTime: iso(Date.now()) }), 'executionName'],
  ['a sketch of a run that does not exist', () => ({ action: 'sketch', runId: 'no-such-run', slice: 0 }), 'runId'],
  ['a sketch of a run id that climbs out', () => ({ action: 'sketch', runId: '../hostile-1', slice: 0 }), 'runId'],
  ['a sketch of a run id that is an object', () => ({ action: 'sketch', runId: { runId: 'hostile-1' }, slice: 0 }), 'runId'],
  ['an assess of a run that does not exist', () => ({ action: 'assess', runId: 'no-such-run' }), 'runId'],
  ['an assess of a run id that climbs out', () => ({ action: 'assess', runId: 'hostile-1/../hostile-1' }), 'runId'],
  ['an assess without a run id', () => ({ action: 'assess' }), 'runId'],
  ['a slice past the run', () => ({ action: 'sketch', runId: 'hostile-1', slice: 1 }), 'slice'],
  ['a negative slice', () => ({ action: 'sketch', runId: 'hostile-1', slice: -1 }), 'slice'],
  ['a fractional slice', () => ({ action: 'sketch', runId: 'hostile-1', slice: 0.5 }), 'slice'],
  ['a slice as a string', () => ({ action: 'sketch', runId: 'hostile-1', slice: '0' }), 'slice'],
  ['a slice that is not a number', () => ({ action: 'sketch', runId: 'hostile-1', slice: NaN }), 'slice'],
  ['a sketch without a slice', () => ({ action: 'sketch', runId: 'hostile-1' }), 'slice'],
];

const world = running(new DriftMonitorWorld());

describe('forged or malformed step inputs never assess or publish, and answer a structured error naming the field', () => {
  let handler: MonitorHandler;
  let written: string[];
  beforeEach(() => {
    written = captureStdout();
  });
  afterEach(() => jest.restoreAllMocks());

  beforeAll(async () => {
    // One monitor with one planned run, hostile-1, of one slice: the target the forged inputs aim at.
    const quiet = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const startedMs = Date.now();
    const toMs = windowEnd(startedMs);
    await world.putCapture('churn-hostile', requestsBetween(toMs - HOUR, toMs, 50, rowSource(60), 2));
    handler = await world.handlerWith(monitorSettings('hostile', 'churn-hostile'));
    await handler({ action: 'plan', executionName: 'hostile-1', executionStartTime: iso(startedMs) });
    quiet.mockRestore();
  }, SERVICES_TIMEOUT);

  /** Nothing the monitor does after a rejection: no report, no message, no watermark. */
  async function expectNothingAssessed(monitorId = 'hostile') {
    expect(await world.keys(`drift-monitor/${monitorId}/reports/`)).toEqual([]);
    expect(world.published(monitorId)).toEqual([]);
    expect(await world.json(`drift-monitor/${monitorId}/watermark.json`)).toBeUndefined();
  }

  test.each(FORGED)('%s is rejected', async (_name, input, field) => {
    // Act
    const result = await handler(input());

    // Assess
    expect(result).toEqual({ status: 'rejected', error: { field, problem: expect.any(String) } });
    expect(emfDocuments(written).some((document) => document.EventsRejected === 1)).toBe(true);
    await expectNothingAssessed();
  });

  test.each([
    ['the training data folder', 'training/holdout.jsonl'],
    ['the monitor store', `${STORE}runs/hostile-1/notes.jsonl`],
    ['an endpoint whose name extends this one', 'datacapture/churn-hostile-shadow/AllTraffic/2026/01/01/00/00-00-000-1.jsonl'],
  ])('a slice file edited to name %s fails the run before reading it', async (_name, key) => {
    // Prepare: the key holds capture that would sketch cleanly, were it read.
    const toMs = windowEnd(Date.now());
    await world.put(key, `${captureLine({ atMs: toMs - 1, rows: [[1, 2, 3, 'a']] }, 1)}\n`);
    await handler({ action: 'plan', executionName: `edited-${key.length}`, executionStartTime: iso(Date.now()) });
    await world.put(`${STORE}runs/edited-${key.length}/slices/0.json`, JSON.stringify([key]));

    // Act and assess, one step at a time: a second step started before the first is awaited could fail unobserved.
    await expect(handler({ action: 'sketch', runId: `edited-${key.length}`, slice: 0 })).rejects.toThrow(/is not capture of endpoint churn-hostile/);
    await expect(handler({ action: 'assess', runId: `edited-${key.length}` })).rejects.toThrow(/is not capture of endpoint churn-hostile/);
    expect(await world.keys(`${STORE}runs/edited-${key.length}/partials/`)).toEqual([]);
    await expectNothingAssessed();
  });

  test.each([
    ['another shape', { rows: 'many', features: [] }],
    ['a list', []],
    ['not JSON', '{"rows":'],
  ])('a partial sketch edited to %s fails the assessment: nothing published, the watermark stays', async (_name, partial) => {
    // Prepare: a window of two files past 1 MiB together, so two slices, both sketched.
    const monitorId = `fan-${_name.replace(/\W/g, '')}`;
    const startedMs = Date.now();
    const toMs = windowEnd(startedMs);
    await world.putCapture(`churn-${monitorId}`, requestsBetween(toMs - 2 * HOUR, toMs - HOUR - 1, 1400, rowSource(61), 10));
    await world.putCapture(`churn-${monitorId}`, requestsBetween(toMs - HOUR, toMs, 1400, rowSource(62), 10));
    const fanOut = await world.handlerWith(monitorSettings(monitorId, `churn-${monitorId}`, { bytesPerInvocation: MIB }));
    const plan = await fanOut({ action: 'plan', executionName: 'run-1', executionStartTime: iso(startedMs) });
    for (const slice of [0, 1]) await fanOut({ action: 'sketch', runId: 'run-1', slice });
    await world.put(`drift-monitor/${monitorId}/runs/run-1/partials/1.json`, typeof partial === 'string' ? partial : JSON.stringify(partial));

    // Act
    const assessing = fanOut({ action: 'assess', runId: 'run-1' });

    // Assess
    expect(plan.mode).toBe('fan-out');
    await expect(assessing).rejects.toThrow(/partials\/1\.json/);
    await expectNothingAssessed(monitorId);
  });

  test('malformed capture lines are counted and skipped, never failing the run', async () => {
    // Prepare: 40 good requests in the window, and five lines that are not capture.
    const startedMs = Date.now();
    const toMs = windowEnd(startedMs);
    const malformed = ['not json {', '[1,2]', '{"captureData":"x"}', '{"captureData":{}}', `${captureLine({ atMs: toMs - 1, rows: [[1, 2, 3, 'a']] }, 9).slice(0, 80)}`];
    await world.putCapture('churn-ragged', requestsBetween(toMs - HOUR, toMs, 40, rowSource(63), 1), malformed);
    const ragged = await world.handlerWith(monitorSettings('ragged', 'churn-ragged'));
    await ragged({ action: 'plan', executionName: 'ragged-1', executionStartTime: iso(startedMs) });

    // Act
    const assessment = await ragged({ action: 'assess', runId: 'ragged-1' });

    // Assess
    expect(assessment).toMatchObject({ rows: 40 });
    const counts = emfDocuments(written).filter((document) => 'MalformedCaptureLines' in document);
    expect(counts.map((document) => [document.MalformedCaptureLines, document.CaptureRowsRead])).toEqual([[5, 40]]);
    // Every metric of the run names its monitor: the series the construct's metric methods read.
    expect(counts[0]).toMatchObject({ service: 'DriftMonitor', Monitor: 'ragged' });
    const scores = emfDocuments(written).filter((document) => 'DriftScore' in document);
    expect(scores.length).toBeGreaterThan(0);
    expect(scores.every((document) => document.Monitor === 'ragged' && typeof document.Feature === 'string')).toBe(true);
    expect(world.published('ragged')).toHaveLength(1);
  });
});

/** Forged monitor messages to the drift evaluator, each with the field its rejection must name. */
const REAL = 'drift-monitor/hostile-real/';
const FORGED_MESSAGES: ReadonlyArray<readonly [string, Record<string, unknown>, string]> = [
  ['an unknown monitor', { monitorId: 'someone-else', reportKey: `${REAL}reports/2026/11/30/10/00/constraint_violations.json` }, 'monitorId'],
  ['no monitor', { reportKey: `${REAL}reports/2026/11/30/10/00/constraint_violations.json` }, 'monitorId'],
  ['a key outside its reports folder', { monitorId: 'hostile-real', reportKey: `${REAL}baseline.json` }, 'reportKey'],
  ['a key climbing out of its reports folder', { monitorId: 'hostile-real', reportKey: `${REAL}reports/../watermark.json` }, 'reportKey'],
  ['a key climbing out of a report folder', { monitorId: 'hostile-real', reportKey: `${REAL}reports/2026/11/30/10/00/../../../../../../baseline.json` }, 'reportKey'],
  ['another monitor\'s report', { monitorId: 'hostile-real', reportKey: 'drift-monitor/other/reports/2026/11/30/10/00/constraint_violations.json' }, 'reportKey'],
  ['a report of another name', { monitorId: 'hostile-real', reportKey: `${REAL}reports/2026/11/30/10/00/statistics.json` }, 'reportKey'],
  ['a key that is not a string', { monitorId: 'hostile-real', reportKey: 42 }, 'reportKey'],
];

describe('forged monitor messages to the drift evaluator start nothing', () => {
  quietStdoutPerTest();
  const evaluator = () =>
    world.drift.handlerWith({
      monitors: [{ monitorId: 'hostile-real', bucket: BUCKET, prefix: REAL }],
      alarms: undefined,
      monitoringOutput: undefined,
      drift: { thresholds: { medium: 0.1, high: 0.3, critical: 0.5 }, featureThresholds: {}, autoRetrain: true },
    });

  test.each(FORGED_MESSAGES)('%s is rejected, naming the field', async (_name, fields, field) => {
    // Prepare
    const handler = await evaluator();
    const [executions, messages] = [world.drift.sagemaker.executions.length, world.drift.sns.messages.length];

    // Act
    const result = await handler(snsRecord(JSON.stringify({ source: 'cdk-ml-triggers.drift-monitor', ...fields })));

    // Assess
    expect(result.outcomes).toEqual([{ status: 'rejected', error: { field: `Records[0].Sns.Message.${field}`, problem: expect.any(String) } }]);
    expect(world.drift.sagemaker.executions.length).toBe(executions);
    expect(world.drift.sns.messages.length).toBe(messages);
  });

  test('a report key in the monitor\'s layout that does not exist is unreadable: the review topic is told, nothing starts', async () => {
    // Prepare
    const handler = await evaluator();
    const reportKey = `${REAL}reports/2026/11/30/10/00/constraint_violations.json`;
    const executions = world.drift.sagemaker.executions.length;

    // Act
    const result = await handler(snsRecord(JSON.stringify({ source: 'cdk-ml-triggers.drift-monitor', monitorId: 'hostile-real', reportKey })));

    // Assess
    expect(result.outcomes).toEqual([expect.objectContaining({ status: 'unreadable' })]);
    expect(world.drift.sagemaker.executions.length).toBe(executions);
    expect(world.drift.sns.messages.at(-1)).toMatchObject({ topicArn: REVIEW, subject: expect.stringContaining('unreadable') });
    expect(world.drift.sns.messages.at(-1)!.message).toContain(reportKey);
  });
});
