import { BUCKET, snsRecord } from '../support/handler-drift';
import { DriftMonitorWorld, HOUR, MONITOR_TOPIC, monitorSettings, planAndAssess, requestsBetween, rowSource, windowEnd } from '../support/drift-monitor-world';
import { quietStdoutPerTest, running, SERVICES_TIMEOUT } from '../support/handler-harness';

jest.setTimeout(SERVICES_TIMEOUT);

/** The evaluator's scale: any score from 0.1 up to the largest Jensen-Shannon distance (1) is medium. */
const MEDIUM_ONLY = { medium: 0.1, high: 2, critical: 3 };

describe('the drift evaluator acts on the report the drift monitor told it of', () => {
  const world = running(new DriftMonitorWorld());
  quietStdoutPerTest();
  let message: string;

  beforeAll(async () => {
    // The monitor assesses a window whose f1 moved, and tells the drift trigger's topic (its metrics kept off the console).
    const quiet = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const startedMs = Date.now();
    const toMs = windowEnd(startedMs);
    await world.putCapture('churn-evaluated', requestsBetween(toMs - 2 * HOUR, toMs, 200, rowSource(50, 20), 10));
    await planAndAssess(await world.handlerWith(monitorSettings('evaluated', 'churn-evaluated')), 'evaluated-1', startedMs);
    message = world.drift.sns.messages.filter((sent) => sent.topicArn === MONITOR_TOPIC).at(-1)!.message;
    quiet.mockRestore();
  }, SERVICES_TIMEOUT);

  const evaluator = (autoRetrain: boolean) =>
    world.drift.handlerWith({
      monitors: [{ monitorId: 'evaluated', bucket: BUCKET, prefix: 'drift-monitor/evaluated/' }],
      alarms: undefined,
      monitoringOutput: undefined,
      drift: { thresholds: MEDIUM_ONLY, featureThresholds: {}, autoRetrain },
    });

  test('the monitor message is one assessment of its report: f1 drifted, medium, logged without a start', async () => {
    // Prepare
    const handler = await evaluator(false);
    const before = world.drift.sagemaker.executions.length;

    // Act
    const result = await handler(snsRecord(message));

    // Assess
    expect(result.outcomes).toHaveLength(1);
    expect(result.outcomes[0]).toMatchObject({ status: 'assessed', assessment: { severity: 'medium', action: 'log', drifted: [{ feature: 'f1', kind: 'numerical-distance' }] } });
    expect(world.drift.sagemaker.executions.length).toBe(before);
  });

  test('the same message delivered twice starts one run, named by the report', async () => {
    // Prepare
    const handler = await evaluator(true);
    const before = world.drift.sagemaker.executions.length;

    // Act
    const first = await handler(snsRecord(message));
    const second = await handler(snsRecord(message));

    // Assess
    expect(first.outcomes[0]).toMatchObject({ status: 'assessed', assessment: { severity: 'medium', action: 'retrain' }, started: expect.any(String) });
    expect(second.outcomes[0]).toMatchObject({ status: 'assessed', assessment: { severity: 'medium', action: 'retrain' } });
    expect(world.drift.sagemaker.executions.length).toBe(before + 1);
    expect(JSON.stringify(world.drift.sagemaker.executions.at(-1))).toContain('f1');
  });
});
