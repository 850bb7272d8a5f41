import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { DriftMonitor } from '../lib';
import { monitorProps } from './support/drift-monitor-synth';
import { newStack } from './support/stacks';

// Names and dimensions written out: they are what the monitor's function publishes (see the hostile corpus's EMF check).
describe('DriftMonitor metric methods', () => {
  const monitor = () => {
    const stack = newStack();
    return new DriftMonitor(stack, 'Monitor', monitorProps(stack));
  };

  test.each<[string, (m: DriftMonitor) => cloudwatch.Metric, string, string]>([
    ['metricRuns', (m) => m.metricRuns(), 'MonitorRuns', 'Sum'],
    ['metricViolations', (m) => m.metricViolations(), 'MonitorViolations', 'Sum'],
    ['metricCaptureRowsRead', (m) => m.metricCaptureRowsRead(), 'CaptureRowsRead', 'Sum'],
    ['metricMalformedCaptureLines', (m) => m.metricMalformedCaptureLines(), 'MalformedCaptureLines', 'Sum'],
  ])("%s is this monitor's own series, over 5 minutes", (_name, create, metricName, statistic) => {
    // Prepare
    const m = monitor();

    // Act
    const metric = create(m);

    // Assess: the monitor's id is the hash its settings carry.
    expect(metric).toMatchObject({ namespace: 'MLTriggers', metricName, statistic, dimensions: { service: 'DriftMonitor', Monitor: m._reports.monitorId } });
    expect(m._reports.monitorId).toMatch(/^[0-9a-f]{16}$/);
    expect(metric.period.toSeconds()).toBe(300);
  });

  test("metricDriftScore is one feature's distance, the maximum; metricAllDriftScores searches this monitor's features only", () => {
    // Prepare
    const m = monitor();

    // Act
    const one = m.metricDriftScore('tenure_months');
    const all = m.metricAllDriftScores();

    // Assess
    expect(one).toMatchObject({ metricName: 'DriftScore', statistic: 'Maximum', dimensions: { service: 'DriftMonitor', Monitor: m._reports.monitorId, Feature: 'tenure_months' } });
    expect(all.expression).toBe(`SEARCH('{MLTriggers,Feature,Monitor,service} MetricName="DriftScore" Monitor="${m._reports.monitorId}"', 'Maximum', 300)`);
  });
});
