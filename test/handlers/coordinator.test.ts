import { createKeyedTable } from '../support/tables';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { main as cli } from '../../lib/cli/index';
import { CoordinatorStore } from '../../lambda/aws/coordinator/coordinator-store';
import { coordinatorFunction, HOUR, RETENTION_MS } from '../support/handler-coordinator';
import { captureStdout, emfDocuments, HandlerServices, quietStdoutPerTest, SERVICES_TIMEOUT } from '../support/handler-harness';

type Handler = typeof import('../../lambda/aws/coordinator').handler;
const TABLE = 'ml-triggers-coordinator';
jest.setTimeout(SERVICES_TIMEOUT);

describe('coordinator handler against DynamoDB (dynalite) and SageMaker', () => {
  let services: HandlerServices;
  let handler: Handler;
  let store: CoordinatorStore;

  beforeAll(async () => {
    services = await HandlerServices.start(coordinatorFunction(TABLE, (payload) => handler(payload)));
    const client = new DynamoDBClient({});
    await createKeyedTable(client, TABLE);
    store = new CoordinatorStore(client, TABLE, RETENTION_MS);
    ({ handler } = await import('../../lambda/aws/coordinator'));
  });
  afterAll(() => services.stop());
  quietStdoutPerTest();

  const request = (pipelineName: string, requestId: string, extra: Record<string, unknown> = {}) => ({
    action: 'request',
    request: { requestId, pipelineName, triggerType: 'scheduled', reason: 'weekly schedule', priority: 3, parameters: { TrainingMode: 'scheduled' }, ...extra },
  });
  const executionsOf = (pipelineName: string) => services.sagemaker.executions.filter((e) => e.pipelineName === pipelineName);

  test('starts the first request with the trigger facts as parameters, and records the decision', async () => {
    const answer = await handler(request('first-pipeline', 'sched-1'));

    expect(answer).toMatchObject({ start: true, reason: 'started', sequence: 1, executionArn: expect.stringContaining('first-pipeline') });
    expect(executionsOf('first-pipeline').map((e) => e.parameters)).toEqual([
      { TrainingMode: 'scheduled', TriggerType: 'scheduled', TriggerReason: 'weekly schedule', TriggerPriority: '3', RunSequence: '1' },
    ]);
    const log = await store.decisions('first-pipeline', Date.now() - HOUR, Date.now() + HOUR);
    expect(log).toEqual([expect.objectContaining({ requestId: 'sched-1', outcome: 'started', reason: 'started', triggerType: 'scheduled', estimatedCost: 150 })]);
  });

  test('a second request within the cooldown is suppressed until the cooldown ends; a critical one bypasses it', async () => {
    await handler(request('cooldown-pipeline', 'a'));
    const startedAt = (await store.readState('cooldown-pipeline')).lastStartAtMs!;

    const suppressed = await handler(request('cooldown-pipeline', 'b', { triggerType: 'data-arrival' }));
    const critical = await handler(request('cooldown-pipeline', 'c', { triggerType: 'drift', priority: 2 }));

    expect(suppressed).toEqual({ requestId: 'b', start: false, reason: 'cooldown', delayUntilMs: startedAt + 6 * HOUR });
    expect(critical).toMatchObject({ start: true, reason: 'started', sequence: 2 });
    const log = await store.decisions('cooldown-pipeline', 0, Date.now() + HOUR);
    expect(log.map((d) => [d.requestId, d.outcome, d.reason, d.bypassed ?? []])).toEqual([
      ['a', 'started', 'started', []],
      ['b', 'suppressed', 'cooldown', []],
      ['c', 'started', 'started', ['cooldown']],
    ]);
    expect(executionsOf('cooldown-pipeline')).toHaveLength(2);
  });

  test('a redelivered request is answered as before and starts nothing new', async () => {
    const first = await handler(request('redelivery-pipeline', 'same-id'));
    const again = await handler(request('redelivery-pipeline', 'same-id'));

    expect(again).toEqual(first);
    expect(executionsOf('redelivery-pipeline')).toHaveLength(1);
    expect((await store.readState('redelivery-pipeline')).runsToday).toBe(1);
  });

  test('eight requests racing under the cooldown start exactly one run', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => handler(request('race-pipeline', `race-${i}`))));

    expect(answers.filter((a) => 'start' in a && a.start)).toHaveLength(1);
    expect(answers.filter((a) => 'reason' in a && a.reason === 'cooldown')).toHaveLength(7);
    expect(executionsOf('race-pipeline')).toHaveLength(1);
    expect(await store.decisions('race-pipeline', 0, Date.now() + HOUR)).toHaveLength(8);
  });

  test('a run that needs approval waits, notifies the approval topic, blocks others, and starts when approved', async () => {
    const waiting = await handler(request('approval-pipeline', 'needs-ok', { requireApproval: true, triggerType: 'drift', priority: 2 }));
    const blocked = await handler(request('approval-pipeline', 'urgent', { priority: 1 }));
    const output: string[] = [];

    const code = await cli(['approve', '--function', 'coordinator-fn', '--pipeline', 'approval-pipeline', '--request', 'needs-ok'], (line) => output.push(line));

    expect(waiting).toMatchObject({ start: false, reason: 'awaiting-approval' });
    expect(blocked).toMatchObject({ start: false, reason: 'pending-approval' });
    const notice = services.sns.messages.find((m) => m.message.includes('needs-ok'));
    expect(notice?.topicArn).toBe('arn:aws:sns:eu-west-1:123456789012:approvals');
    expect(notice?.message).toContain('npx cdk-ml-triggers approve --function coordinator-fn --pipeline approval-pipeline --request needs-ok');
    expect(code).toBe(0);
    expect(JSON.parse(output[0])).toMatchObject({ requestId: 'needs-ok', start: true });
    expect(executionsOf('approval-pipeline').map((e) => e.parameters.TriggerType)).toEqual(['drift']);
    expect((await store.readState('approval-pipeline')).pendingApproval).toBeUndefined();
  });

  test('the run an operator approves carries the correlation id of the request that waited', async () => {
    // Prepare: a drift request with its correlation id waits for approval.
    await handler(request('correlated-approval', 'drift-ok', { requireApproval: true, triggerType: 'drift', priority: 2, correlationId: 'drift:arn:aws:cloudwatch:eu-west-1:123456789012:alarm:x#2024-02-01T14:10:00Z' }));

    // Act
    const code = await cli(['approve', '--function', 'coordinator-fn', '--pipeline', 'correlated-approval', '--request', 'drift-ok'], () => undefined);

    // Assess: the execution's description ends with the same correlation id, as a run started at once would.
    expect(code).toBe(0);
    expect(executionsOf('correlated-approval').map((e) => e.description)).toEqual([expect.stringMatching(/\[correlation drift:arn:aws:cloudwatch:eu-west-1:123456789012:alarm:x#2024-02-01T14:10:00Z\]$/)]);
  });

  test('a rejected run clears the way without starting; answering a request that waits for nothing changes nothing', async () => {
    await handler(request('reject-pipeline', 'no-thanks', { requireApproval: true }));
    const output: string[] = [];

    const rejectCode = await cli(['reject', '--function', 'coordinator-fn', '--pipeline', 'reject-pipeline', '--request', 'no-thanks'], (line) => output.push(line));
    const staleCode = await cli(['approve', '--function', 'coordinator-fn', '--pipeline', 'reject-pipeline', '--request', 'no-thanks'], (line) => output.push(line));
    const next = await handler(request('reject-pipeline', 'later'));

    expect(rejectCode).toBe(0);
    expect(staleCode).toBe(1);
    expect(next).toMatchObject({ start: true });
    expect(executionsOf('reject-pipeline')).toHaveLength(1);
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['a priority of 9', { priority: 9 }, 'request.priority'],
    ['an unknown trigger type', { triggerType: 'cosmic-ray' }, 'request.triggerType'],
    ['no request id', { requestId: undefined }, 'request.requestId'],
    ['a requireApproval that is not a boolean', { requireApproval: 'yes' }, 'request.requireApproval'],
  ])('a request with %s is rejected, naming the field, and starts nothing', async (_what, extra, field) => {
    const before = services.sagemaker.executions.length;

    const answer = await handler(request('invalid-pipeline', 'x', extra));

    expect(answer).toEqual({ status: 'rejected', error: { field, problem: expect.any(String) } });
    expect(services.sagemaker.executions.length).toBe(before);
  });

  test('the command line refuses unknown commands and missing options with its usage', async () => {
    const output: string[] = [];
    const toStderr = (line: string) => output.push(line);

    expect(await cli(['approve', '--pipeline', 'p', '--request', 'r'], () => undefined, Date.now, toStderr)).toBe(2);
    expect(await cli(['delete'], () => undefined, Date.now, toStderr)).toBe(2);
    expect(output[0]).toContain('--function is required');
    expect(output[1]).toContain('unknown command "delete"');
  });

  test('publishes EMF metrics: decisions by outcome, reason and trigger type, and the estimated spend', async () => {
    const written = captureStdout();

    await handler(request('metrics-pipeline', 'm1', { dataSizeGb: 50 }));
    await handler(request('metrics-pipeline', 'm2'));

    const emf = emfDocuments(written);
    const decisions = emf.filter((line) => 'Decisions' in line);
    expect(decisions.map((line) => [line.Outcome, line.Reason, line.TriggerType])).toEqual([
      ['started', 'started', 'scheduled'],
      ['suppressed', 'cooldown', 'scheduled'],
    ]);
    expect(decisions[0]._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'MLTriggers', Dimensions: [expect.arrayContaining(['Outcome', 'Reason', 'TriggerType'])] });
    expect(emf.find((line) => 'EstimatedSpend' in line)).toMatchObject({ EstimatedSpend: 225 }); // 150 x (1 + 50 / 100)
  });

  test('the correlation id follows a request into the decision log and the run\'s description', async () => {
    await handler(request('correlated-pipeline', 'c1', { correlationId: 'schedule:7f1c2d9e-5a4b' }));

    const [decision] = await store.decisions('correlated-pipeline', 0, Date.now() + HOUR);
    expect(decision.correlationId).toBe('schedule:7f1c2d9e-5a4b');
    expect(executionsOf('correlated-pipeline')[0].description).toMatch(/\[correlation schedule:7f1c2d9e-5a4b\]$/);
  });

  test('the decision log reads back by pipeline and time range', async () => {
    const before = Date.now();
    await handler(request('log-pipeline', 'l1'));
    await handler(request('log-pipeline', 'l2'));
    const after = Date.now();

    expect((await store.decisions('log-pipeline', before, after)).map((d) => d.requestId)).toEqual(['l1', 'l2']);
    expect(await store.decisions('log-pipeline', before - 2 * HOUR, before - HOUR)).toEqual([]);
    expect(await store.decisions('other-pipeline', before, after)).toEqual([]);
  });
});
