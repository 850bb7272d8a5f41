import { DriftMonitorWorld, HOUR, MIB, monitorSettings, planAndAssess, requestsBetween, rowSource, windowEnd } from '../support/drift-monitor-world';
import { quietStdoutPerTest, running, SERVICES_TIMEOUT } from '../support/handler-harness';

jest.setTimeout(SERVICES_TIMEOUT);

describe('the drift monitor fans a large window out over slices, and reports what one pass would', () => {
  const world = running(new DriftMonitorWorld());
  quietStdoutPerTest();

  test('slices of at most bytesPerInvocation, sketched one by one, merge into the single pass report byte for byte', async () => {
    // Prepare: three batches of capture of about 0.7 MiB each, so no two fit in 1 MiB; f1 shifted so the report has a violation.
    const startedMs = Date.now();
    const toMs = windowEnd(startedMs);
    const fromMs = toMs - 2 * HOUR;
    const third = (toMs - fromMs) / 3;
    const captured: string[] = [];
    for (let batch = 0; batch < 3; batch++) {
      const start = fromMs + batch * third;
      captured.push(...(await world.putCapture('churn-large', requestsBetween(start, start + third, 1400, rowSource(30 + batch, 15), 10))));
    }
    const single = await world.handlerWith(monitorSettings('twin-single', 'churn-large'));
    const fanOut = await world.handlerWith(monitorSettings('twin-fanout', 'churn-large', { bytesPerInvocation: MIB }));
    const { assessment: onePass } = await planAndAssess(single, 'twin-single-1', startedMs);

    // Act: plan, then what the Distributed Map does with the manifest, then assess.
    const plan = await fanOut({ action: 'plan', executionName: 'twin-fanout-1', executionStartTime: new Date(startedMs).toISOString() });
    const manifest = (await world.json(plan.manifestKey)) as Array<{ slice: number }>;
    const sketches = [];
    for (const item of manifest) sketches.push(await fanOut({ action: 'sketch', runId: plan.runId, ...item }));
    const assessment = await fanOut({ action: 'assess', runId: plan.runId });

    // Assess: every capture file in exactly one slice, each slice within the limit unless it is one file.
    expect(plan).toMatchObject({ runId: 'twin-fanout-1', mode: 'fan-out', manifestKey: 'drift-monitor/twin-fanout/runs/twin-fanout-1/manifest.json' });
    expect(manifest.length).toBeGreaterThanOrEqual(3);
    expect(manifest).toEqual(manifest.map((_, slice) => ({ slice })));
    const slices = await Promise.all(manifest.map(({ slice }) => world.json(`drift-monitor/twin-fanout/runs/twin-fanout-1/slices/${slice}.json`))) as string[][];
    expect(slices.flat().sort()).toEqual([...captured].sort());
    for (const keys of slices) {
      const bytes = (await Promise.all(keys.map(async (key) => (await world.text(key))!.length))).reduce((sum, size) => sum + size, 0);
      if (keys.length > 1) expect(bytes).toBeLessThanOrEqual(MIB);
    }
    expect(sketches.map((sketch) => sketch.slice)).toEqual(manifest.map(({ slice }) => slice));
    expect(sketches.reduce((sum, sketch) => sum + sketch.rows, 0)).toBe(42_000);
    expect(assessment).toEqual({ ...onePass, reportKey: onePass.reportKey.replace('twin-single', 'twin-fanout') });
    expect(onePass.violations).toBeGreaterThan(0);
    const [fannedReport, onePassReport] = await Promise.all([world.text(assessment.reportKey), world.text(onePass.reportKey)]);
    expect(fannedReport).toBe(onePassReport);
  });

  test('assess before every slice is sketched fails the run: no report, no message, the watermark stays', async () => {
    // Prepare: two files past 1 MiB together, and only the first slice sketched.
    const startedMs = Date.now();
    const toMs = windowEnd(startedMs);
    await world.putCapture('churn-halfway', requestsBetween(toMs - 2 * HOUR, toMs - HOUR - 1, 1400, rowSource(40), 10));
    await world.putCapture('churn-halfway', requestsBetween(toMs - HOUR, toMs, 1400, rowSource(41), 10));
    const handler = await world.handlerWith(monitorSettings('halfway', 'churn-halfway', { bytesPerInvocation: MIB }));
    const plan = await handler({ action: 'plan', executionName: 'halfway-1', executionStartTime: new Date(startedMs).toISOString() });
    await handler({ action: 'sketch', runId: plan.runId, slice: 0 });

    // Act
    const assessing = handler({ action: 'assess', runId: plan.runId });

    // Assess
    await expect(assessing).rejects.toThrow(/slice 1 has no sketch yet/);
    expect(plan.mode).toBe('fan-out');
    expect(await world.keys('drift-monitor/halfway/reports/')).toEqual([]);
    expect(world.published('halfway')).toEqual([]);
    expect(await world.json('drift-monitor/halfway/watermark.json')).toBeUndefined();
  });
});
