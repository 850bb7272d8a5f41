import { firingDecisions } from '../../lib/simulator/firing-answers';

const AT = Date.parse('2024-01-30T10:00:00Z');
const deadline = { status: 'fired', triggerId: 'Stack-Labels-1A2B', pipelineName: 'labels-training', calendar: 'deadline', firing: '2024-01-30T10:00:00.000Z' };

describe('the decisions a firing\'s answer shows', () => {
  test('a missed deadline names the deadline and when the last object arrived', () => {
    // Act
    const decisions = firingDecisions({ ...deadline, deadline: 'missed', lastArrival: '2024-01-29T09:41:30.000Z', batch: 'empty' }, AT);

    // Assess
    expect(decisions).toEqual([{
      atMs: AT, pipeline: 'labels-training', trigger: 'data-arrival Stack-Labels-1A2B', outcome: 'missed-deadline',
      firing: '2024-01-30T10:00:00Z', lastArrival: '2024-01-29T09:41:30Z',
      reason: 'deadline 2024-01-30T10:00:00Z: nothing arrived since the deadline before (last object 2024-01-29T09:41:30Z)',
    }]);
  });

  test('a missed deadline of a trigger that never took an object says so', () => {
    // Act
    const [decision] = firingDecisions({ ...deadline, deadline: 'missed', batch: 'left-open' }, AT);

    // Assess
    expect(decision.reason).toBe('deadline 2024-01-30T10:00:00Z: nothing arrived since the deadline before (no object yet)');
    expect(decision).not.toHaveProperty('lastArrival');
  });

  test('a deadline met, a batch schedule that closed a batch and a duplicate firing show nothing', () => {
    // Act
    const shown = [
      { ...deadline, deadline: 'met', batch: 'closed' },
      { ...deadline, calendar: 'close', batch: 'closed' },
      { status: 'duplicate', triggerId: 'Stack-Labels-1A2B', calendar: 'deadline', firing: '2024-01-30T10:00:00.000Z' },
    ].flatMap((answer) => firingDecisions(answer, AT));

    // Assess
    expect(shown).toEqual([]);
  });

  test('a batch schedule firing with nothing waiting is skipped', () => {
    // Act
    const decisions = firingDecisions({ ...deadline, calendar: 'close', batch: 'empty' }, AT);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ outcome: 'skipped', firing: '2024-01-30T10:00:00Z', reason: 'batch schedule 2024-01-30T10:00:00Z: nothing arrived since the batch before' })]);
  });

  test('a scheduled check skipped names the execution that counted and when it started', () => {
    // Prepare
    const executionArn = 'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/churn/execution/abc';
    const answer = {
      status: 'skipped', triggerId: 'Nightly-1a2b3c4d', pipelineName: 'churn', scheduledTime: '2024-01-30T10:00:00Z', windowStart: '2024-01-27T10:00:00.000Z',
      execution: { executionArn, status: 'Succeeded', startMs: Date.parse('2024-01-29T02:00:00Z') },
    };

    // Act
    const decisions = firingDecisions(answer, AT);

    // Assess
    expect(decisions).toEqual([{
      atMs: AT, pipeline: 'churn', trigger: 'scheduled Nightly-1a2b3c4d', outcome: 'skipped', firing: '2024-01-30T10:00:00Z',
      counted: { executionArn, status: 'Succeeded', startedAt: '2024-01-29T02:00:00Z' },
      reason: `firing 2024-01-30T10:00:00Z: ran within the window since 2024-01-27T10:00:00Z: execution ${executionArn} (Succeeded) started at 2024-01-29T02:00:00Z`,
    }]);
  });

  test('a scheduled check that read too many failed executions is skipped with the count it read', () => {
    // Act
    const [decision] = firingDecisions({ status: 'skipped', triggerId: 'Nightly-1a2b3c4d', pipelineName: 'churn', scheduledTime: '2024-01-30T10:00:00Z', reason: 'look-back-exhausted', read: 1000, windowStart: '2024-01-27T10:00:00.000Z' }, AT);

    // Assess
    expect(decision.reason).toBe('firing 2024-01-30T10:00:00Z: look-back-exhausted: 1000 executions within the window since 2024-01-27T10:00:00Z, none of them counting');
  });
});
