import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUCKET } from '../support/handler-drift';
import { DriftMonitorWorld, HOUR, monitorSettings, requestsBetween, rowSource, trainingSampleCsv, windowEnd } from '../support/drift-monitor-world';
import { quietStdoutPerTest, running, SERVICES_TIMEOUT } from '../support/handler-harness';

jest.setTimeout(SERVICES_TIMEOUT);

interface StoredBaseline {
  sourceEtag: string;
  baseline: { rows: number; features: Array<{ name: string; kind: string }> };
  approximate: string[];
}

describe("the drift monitor's baseline", () => {
  const world = running(new DriftMonitorWorld());
  quietStdoutPerTest();

  test('is built from a JSON-lines sample, and from the new sample once it is replaced', async () => {
    // Prepare: 500 rows as JSON objects.
    const next = rowSource(3);
    const jsonl = (rows: number) => Array.from({ length: rows }, () => {
      const [f1, f2, f3, segment] = next();
      return JSON.stringify({ f1, f2, f3, segment });
    }).join('\n');
    await world.put('training/sample.jsonl', jsonl(500));
    const settings = monitorSettings('jsonl', 'churn-jsonl', { baseline: { kind: 'training-sample', bucket: BUCKET, key: 'training/sample.jsonl', format: 'jsonl', header: false } });
    const handler = await world.handlerWith(settings);

    // Act: build, replace the sample, build again.
    const first = await handler({ action: 'baseline' });
    const stored = (await world.json('drift-monitor/jsonl/baseline.json')) as StoredBaseline;
    await world.put('training/sample.jsonl', jsonl(800));
    const second = await handler({ action: 'baseline' });

    // Assess: four features, three numeric and one categorical; the second build read the new sample.
    expect(first).toMatchObject({ rows: 500, features: 4, approximate: [] });
    expect(stored.baseline.features.map((f) => [f.name, f.kind])).toEqual([['f1', 'numeric'], ['f2', 'numeric'], ['f3', 'numeric'], ['segment', 'categorical']]);
    expect(second).toMatchObject({ rows: 800 });
    expect(second.sourceEtag).not.toBe(first.sourceEtag);
  });

  test("a Model Monitor statistics.json serves as the baseline, with its numeric features marked approximate", async () => {
    // Prepare: the statistics fixture (tenure_months numeric, plan_type a string).
    const statistics = fs.readFileSync(path.resolve(__dirname, '../fixtures/model-monitor/statistics.json'), 'utf8');
    await world.put('model-monitor/statistics.json', statistics);
    const settings = monitorSettings('stats', 'churn-stats', {
      features: ['tenure_months', 'plan_type'],
      baseline: { kind: 'model-monitor-statistics', bucket: BUCKET, key: 'model-monitor/statistics.json' },
    });
    const handler = await world.handlerWith(settings);

    // Act
    const built = await handler({ action: 'baseline' });

    // Assess: the fixture's dataset.item_count is 4000.
    expect(built).toMatchObject({ rows: 4000, features: 2, approximate: ['tenure_months'] });
  });

  test('a run whose baseline is replaced between plan and assessment fails, reports nothing and leaves its window to the next run', async () => {
    // Prepare: capture in the window, a planned run, then a new training sample.
    const startedMs = Date.now();
    const toMs = windowEnd(startedMs);
    await world.put('training/replaced.csv', trainingSampleCsv(1000, 5));
    const settings = monitorSettings('replaced', 'churn-replaced', { baseline: { kind: 'training-sample', bucket: BUCKET, key: 'training/replaced.csv', format: 'csv', header: true } });
    await world.putCapture('churn-replaced', requestsBetween(toMs - HOUR, toMs, 50, rowSource(9), 4));
    const handler = await world.handlerWith(settings);
    const plan = await handler({ action: 'plan', executionName: 'replaced-1', executionStartTime: new Date(startedMs).toISOString() });
    await world.put('training/replaced.csv', trainingSampleCsv(1200, 6));

    // Act
    const assessment = handler({ action: 'assess', runId: plan.runId });

    // Assess
    expect(plan.mode).toBe('single');
    await expect(assessment).rejects.toThrow(/the baseline changed since it was planned/);
    expect(await world.keys('drift-monitor/replaced/reports/')).toEqual([]);
    expect(await world.json('drift-monitor/replaced/watermark.json')).toBeUndefined();
    expect(world.published('replaced')).toEqual([]);
  });
});
