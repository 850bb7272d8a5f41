import { explainDecisions, type DecisionRecordLike } from '../../lambda/core/explain';

const HOUR = 3_600_000;
const FROM = Date.parse('2027-03-01T00:00:00Z');
const TO = Date.parse('2027-03-02T00:00:00Z');
const ARN = 'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/churn/execution/abc123';

/** A decision `hours` after FROM; a scheduled, priority-3 request unless `extra` says otherwise. */
const decision = (hours: number, requestId: string, extra: Partial<DecisionRecordLike>): DecisionRecordLike => ({
  requestId,
  atMs: FROM + hours * HOUR,
  triggerType: 'scheduled',
  priority: 3,
  outcome: 'suppressed',
  reason: 'cooldown',
  requestReason: 'weekly schedule',
  ...extra,
});
const started = (hours: number, requestId: string, sequence: number, extra: Partial<DecisionRecordLike> = {}) =>
  decision(hours, requestId, { outcome: 'started', reason: 'started', sequence, executionArn: `${ARN}${sequence}`, ...extra });

describe('explainDecisions', () => {
  test('a pipeline that ran and was held back says how often, and which rules held it back, most frequent first', () => {
    const records = [
      started(0, 's1', 1),
      decision(1, 'c1', { delayUntilMs: FROM + 6 * HOUR }),
      decision(2, 'c2', { delayUntilMs: FROM + 6 * HOUR, triggerType: 'data-arrival' }),
      started(6, 's2', 2),
      decision(7, 'c3', { delayUntilMs: FROM + 12 * HOUR }),
      decision(20, 'd1', { reason: 'daily-cap', delayUntilMs: TO }),
      decision(21, 'd2', { reason: 'daily-cap', delayUntilMs: TO, triggerType: 'drift' }),
    ];

    const explanation = explainDecisions('churn', FROM, TO, records);

    expect(explanation).toMatchObject({
      started: 2,
      suppressed: 5,
      awaitingApproval: 0,
      rejected: 0,
      byReason: { started: 2, cooldown: 3, 'daily-cap': 2 },
      byTriggerType: { scheduled: 5, 'data-arrival': 1, drift: 1 },
    });
    expect(explanation.lines[0]).toBe(
      'churn ran 2 times between 2027-03-01T00:00:00Z and 2027-03-02T00:00:00Z; 5 requests were held back: cooldown 3, daily-cap 2.',
    );
    expect(explanation.lines).toHaveLength(8);
  });

  test('a pipeline that ran every time it was asked says nothing was held back', () => {
    const explanation = explainDecisions('churn', FROM, TO, [started(3, 's1', 7)]);

    expect(explanation.lines[0]).toBe('churn ran 1 time between 2027-03-01T00:00:00Z and 2027-03-02T00:00:00Z; no request was held back.');
  });

  test('a pipeline that never ran says so and names what held it back, approvals and rejections included', () => {
    const records = [
      decision(1, 'b1', { reason: 'budget', delayUntilMs: TO, triggerType: 'drift', priority: 2 }),
      decision(2, 'ok-1', { outcome: 'awaiting-approval', reason: 'awaiting-approval' }),
      decision(3, 'p1', { reason: 'pending-approval (ok-1)' }),
      decision(4, 'p2', { reason: 'pending-approval (ok-1)' }),
      decision(5, 'ok-1', { outcome: 'rejected', reason: 'rejected' }),
    ];

    const explanation = explainDecisions('churn', FROM, TO, records);

    expect(explanation).toMatchObject({
      started: 0,
      suppressed: 3,
      awaitingApproval: 1,
      rejected: 1,
      byReason: { budget: 1, 'awaiting-approval': 1, 'pending-approval': 2, rejected: 1 },
    });
    expect(explanation.lines[0]).toBe(
      'churn did not run between 2027-03-01T00:00:00Z and 2027-03-02T00:00:00Z; 3 requests were held back: pending-approval 2, budget 1; ' +
        "1 request was held for an operator's approval; 1 request was rejected by an operator.",
    );
  });

  test('a batch that gave up and withdrew its request is counted and explained as withdrawn', () => {
    const records = [
      decision(1, 'batch-3', { outcome: 'started', reason: 'started', sequence: 1, executionArn: `${ARN}1` }),
      decision(2, 'batch-4', { triggerType: 'data-arrival', outcome: 'failed', reason: 'start-failed (retrying)', error: 'ThrottlingException: Rate exceeded' }),
      decision(3, 'batch-4', { triggerType: 'data-arrival', outcome: 'withdrawn', reason: 'withdrawn' }),
    ];

    const explanation = explainDecisions('churn', FROM, TO, records);

    expect(explanation.lines[0]).toBe(
      'churn ran 1 time between 2027-03-01T00:00:00Z and 2027-03-02T00:00:00Z; 1 start failed; 1 request was withdrawn by its trigger.',
    );
    expect(explanation.lines[3]).toContain('withdrawn by its trigger, which gave up waiting; it will not start');
  });

  test('with no decisions it says no trigger asked, and that direct triggers are not in the log', () => {
    const explanation = explainDecisions('churn', FROM, TO, []);

    expect(explanation).toEqual({
      started: 0,
      suppressed: 0,
      awaitingApproval: 0,
      rejected: 0,
      byReason: {},
      byTriggerType: {},
      lines: [
        'churn did not run between 2027-03-01T00:00:00Z and 2027-03-02T00:00:00Z: no trigger asked the coordinator for it.',
        'Triggers not routed through a coordinator start pipelines directly; their runs are not in this log.',
      ],
    });
  });

  test('decisions outside the window are left out of the counts and lines', () => {
    const records = [started(-1, 'before', 1), started(24, 'at-end', 2), started(25, 'after', 3)];

    const explanation = explainDecisions('churn', FROM, TO, records);

    expect(explanation.started).toBe(1);
    expect(explanation.lines.slice(1).map((line) => line.slice(0, 20))).toEqual(['2027-03-02T00:00:00Z']);
  });

  test('one line per decision in time order: what was decided, what it needed, the run, the correlation id and the trigger reason', () => {
    const records = [
      decision(7, 'c1', { delayUntilMs: FROM + 12 * HOUR + 1500, correlationId: 'corr-42', requestReason: 'new data in s3://in/' }),
      started(6, 's1', 4),
      started(8, 'crit', 5, { triggerType: 'drift', priority: 1, bypassed: ['cooldown', 'budget'], requestReason: 'psi 0.4 > 0.2' }),
      decision(9, 'ok-1', { outcome: 'awaiting-approval', reason: 'awaiting-approval', atMs: FROM + 9 * HOUR + 250 }),
      decision(10, 'p1', { reason: 'pending-approval (ok-1)' }),
      decision(11, 'legacy', { reason: 'pending-approval' }),
      started(12, 'ok-1', 6, { reason: 'approved' }),
      decision(13, 'bad', { reason: 'invalid-parameters', correlationId: 'corr-43' }),
      decision(14, 'ok-2', { outcome: 'rejected', reason: 'rejected', priority: 2 }),
    ];

    const { lines } = explainDecisions('churn', FROM, TO, records);

    expect(lines.slice(1)).toEqual([
      `2027-03-01T06:00:00Z scheduled (priority 3) started run 4; execution ${ARN}4; request s1; trigger reason "weekly schedule"`,
      '2027-03-01T07:00:00Z scheduled (priority 3) held back by cooldown; could pass from 2027-03-01T12:00:01.500Z; correlation corr-42; request c1; ' +
        'trigger reason "new data in s3://in/"',
      `2027-03-01T08:00:00Z drift (priority 1) started run 5; bypassed cooldown, budget by priority; execution ${ARN}5; request crit; trigger reason "psi 0.4 > 0.2"`,
      '2027-03-01T09:00:00.250Z scheduled (priority 3) held for approval; needs an operator to approve or reject it; request ok-1; trigger reason "weekly schedule"',
      '2027-03-01T10:00:00Z scheduled (priority 3) held back by pending-approval (ok-1); could pass once an operator approves or rejects request ok-1; ' +
        'request p1; trigger reason "weekly schedule"',
      '2027-03-01T11:00:00Z scheduled (priority 3) held back by pending-approval; could pass once an operator answers the run that waits for approval; ' +
        'request legacy; trigger reason "weekly schedule"',
      `2027-03-01T12:00:00Z scheduled (priority 3) started run 6, approved by an operator; execution ${ARN}6; request ok-1; trigger reason "weekly schedule"`,
      '2027-03-01T13:00:00Z scheduled (priority 3) held back by invalid-parameters; needs parameters that SageMaker accepts; correlation corr-43; ' +
        'request bad; trigger reason "weekly schedule"',
      '2027-03-01T14:00:00Z scheduled (priority 2) rejected by an operator; request ok-2; trigger reason "weekly schedule"',
    ]);
  });

  test('a trigger reason with quotes or line breaks stays on its one line', () => {
    const { lines } = explainDecisions('churn', FROM, TO, [decision(1, 'q', { requestReason: 'said "now"\nplease' })]);

    expect(lines[1]).toBe('2027-03-01T01:00:00Z scheduled (priority 3) held back by cooldown; request q; trigger reason "said \\"now\\"\\nplease"');
  });
});
