import { MONITOR_MESSAGE_SOURCE, reportKeyOf } from '../../lambda/core/contracts/drift-monitor';
import { parseViolations } from '../../lambda/core/drift';
import { DriftMonitorWorld, HOUR, MINUTE, MONITOR_THRESHOLDS, monitorSettings, planAndAssess, requestsBetween, rowSource, windowEnd } from '../support/drift-monitor-world';
import { quietStdoutPerTest, running, SERVICES_TIMEOUT } from '../support/handler-harness';

jest.setTimeout(SERVICES_TIMEOUT);

/**
 * Capture of one endpoint over the first run's window [toMs - 2 h, toMs): `inWindow` requests of the given f1
 * shift, and around them requests outside the window (before it, and after its end but before the execution
 * started) whose every feature is far from the baseline: were they read, every feature would drift.
 */
function captureAround(toMs: number, shift: number, seed: number, inWindow = 200) {
  const outlier = () => [999, 9999, 999, 'zzz'] as const;
  return [
    ...requestsBetween(toMs - 2 * HOUR - 10 * MINUTE, toMs - 2 * HOUR, 10, outlier, 5),
    ...requestsBetween(toMs - 2 * HOUR, toMs, inWindow, rowSource(seed, shift), 10),
    ...requestsBetween(toMs, toMs + 50_000, 10, outlier, 5),
  ];
}

describe('the drift monitor, end to end against S3', () => {
  const world = running(new DriftMonitorWorld());
  quietStdoutPerTest();

  test('a shifted capture is reported in Model Monitor format with the drifted feature, and only the window is read', async () => {
    // Prepare: f1 moved by two standard deviations, the other features as in training.
    const startedMs = Date.now();
    const toMs = windowEnd(startedMs);
    await world.putCapture('churn-shifted', captureAround(toMs, 20, 11));
    const handler = await world.handlerWith(monitorSettings('shifted', 'churn-shifted'));

    // Act
    const { plan, assessment } = await planAndAssess(handler, 'shifted-1', startedMs);

    // Assess
    const reportKey = reportKeyOf('drift-monitor/shifted/', toMs);
    expect(plan).toEqual({ runId: 'shifted-1', mode: 'single', manifestKey: 'drift-monitor/shifted/runs/shifted-1/manifest.json' });
    expect(assessment).toEqual({ reportKey, rows: 2000, violations: 1 });
    const report = parseViolations((await world.text(reportKey))!);
    if (!report.ok) throw new Error(report.error.problem);
    expect(report.value.unknown).toEqual([]);
    expect(report.value.scores).toEqual([expect.objectContaining({ feature: 'f1', kind: 'numerical-distance', threshold: MONITOR_THRESHOLDS.medium })]);
    expect(report.value.scores[0].score).toBeGreaterThan(MONITOR_THRESHOLDS.medium);
    expect(await world.json(reportKey.replace(/constraint_violations\.json$/, 'statistics.json'))).toMatchObject({ window: { fromMs: toMs - 2 * HOUR, toMs } });
    expect(world.published('shifted')).toEqual([{ source: MONITOR_MESSAGE_SOURCE, monitorId: 'shifted', reportKey }]);
    expect(await world.json('drift-monitor/shifted/watermark.json')).toEqual({ toMs });
  });

  test('a capture drawn like the training sample reports nothing above its threshold', async () => {
    // Prepare
    const startedMs = Date.now();
    const toMs = windowEnd(startedMs);
    await world.putCapture('churn-steady', captureAround(toMs, 0, 12));
    const handler = await world.handlerWith(monitorSettings('steady', 'churn-steady'));

    // Act
    const { assessment } = await planAndAssess(handler, 'steady-1', startedMs);

    // Assess
    expect(assessment).toMatchObject({ rows: 2000, violations: 0 });
    const report = parseViolations((await world.text(assessment.reportKey))!);
    expect(report).toEqual({ ok: true, value: { scores: [], unknown: [] } });
    const statistics = (await world.json(assessment.reportKey.replace(/constraint_violations\.json$/, 'statistics.json'))) as { comparison: { features: Array<{ feature: string; jensenShannon: number }> } };
    expect(statistics.comparison.features.map((f) => f.feature).sort()).toEqual(['f1', 'f2', 'f3', 'segment']);
    for (const feature of statistics.comparison.features) expect(feature.jensenShannon).toBeLessThan(MONITOR_THRESHOLDS.medium);
    expect(await world.json('drift-monitor/steady/watermark.json')).toEqual({ toMs });
  });

  test('a second run covers only the time after the watermark: late capture of the assessed window is not read again', async () => {
    // Prepare: a first run assesses its window and moves the watermark to its end.
    const startedMs = Date.now();
    const firstEnd = windowEnd(startedMs);
    await world.putCapture('churn-second', captureAround(firstEnd, 0, 13));
    const handler = await world.handlerWith(monitorSettings('second', 'churn-second'));
    await planAndAssess(handler, 'second-1', startedMs);
    // Then capture arrives: late requests of the assessed window, and requests after it.
    const secondStartedMs = startedMs + 3 * MINUTE;
    const secondEnd = windowEnd(secondStartedMs);
    await world.putCapture('churn-second', [
      ...requestsBetween(firstEnd - 30 * MINUTE, firstEnd, 5, () => [999, 9999, 999, 'zzz'], 5),
      ...requestsBetween(firstEnd, secondEnd, 30, rowSource(14), 4),
    ]);

    // Act: an execution three minutes later, inside the plan's allowance for clock skew.
    const { plan, assessment } = await planAndAssess(handler, 'second-2', secondStartedMs);

    // Assess
    expect(plan.mode).toBe('single');
    expect(await world.json('drift-monitor/second/runs/second-2/run.json')).toMatchObject({ fromMs: firstEnd, toMs: secondEnd, slices: 1 });
    // 120 rows captured after the first window, and the 50 outlier rows the first run left for after its end; none of the 25 late ones.
    expect(assessment).toMatchObject({ reportKey: reportKeyOf('drift-monitor/second/', secondEnd), rows: 170 });
    expect(await world.json('drift-monitor/second/watermark.json')).toEqual({ toMs: secondEnd });
  });

  test('a run with nothing captured since the watermark is empty: no report, no message, the watermark stays', async () => {
    // Prepare
    const startedMs = Date.now();
    await world.putCapture('churn-quiet', captureAround(windowEnd(startedMs), 0, 15, 20));
    const handler = await world.handlerWith(monitorSettings('quiet', 'churn-quiet'));
    await planAndAssess(handler, 'quiet-1', startedMs);
    const watermark = await world.json('drift-monitor/quiet/watermark.json');

    // Act: the same minute again.
    const { plan, assessment } = await planAndAssess(handler, 'quiet-2', startedMs);

    // Assess
    expect(plan).toEqual({ runId: 'quiet-2', mode: 'empty' });
    expect(assessment).toBeUndefined();
    expect(world.published('quiet')).toHaveLength(1);
    expect(await world.json('drift-monitor/quiet/watermark.json')).toEqual(watermark);
  });
});
