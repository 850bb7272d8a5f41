import { createKeyedTable } from './support/tables';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { main as cli } from '../lib/cli/index';
import type { DecisionRecord } from '../lambda/aws/adapters/decision-log';
import { CoordinatorStore } from '../lambda/aws/coordinator/coordinator-store';
import { LOCAL_AWS_ENV, setEnv, startDynalite, type LocalService } from './support/local-services';

const TABLE = 'ml-triggers-coordinator';
const HOUR = 3_600_000;
const DAY_START = Date.parse('2027-03-01T00:00:00Z');
const ARN = 'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/churn/execution/';

/** A decision about churn `hours` after DAY_START; a suppressed scheduled request unless `extra` says otherwise. */
const decision = (hours: number, requestId: string, extra: Partial<DecisionRecord> = {}): DecisionRecord => ({
  pipelineName: 'churn',
  requestId,
  atMs: DAY_START + hours * HOUR,
  triggerType: 'scheduled',
  priority: 3,
  outcome: 'suppressed',
  reason: 'cooldown',
  requestReason: 'weekly schedule',
  estimatedCost: 150,
  ...extra,
});

// The decision record carries a correlation id once the coordinator writes one; the log stores whatever it is given.
const correlated: DecisionRecord & { correlationId: string } = {
  ...decision(2, 'arrival-1', { triggerType: 'data-arrival', delayUntilMs: DAY_START + 6 * HOUR, requestReason: '3 objects under s3://in/' }),
  correlationId: 'batch-7f3a',
};

const LOG: readonly DecisionRecord[] = [
  decision(-2, 'yesterday', { outcome: 'started', reason: 'started', sequence: 1, executionArn: `${ARN}aaa` }),
  decision(0, 'sched-1', { outcome: 'started', reason: 'started', sequence: 2, executionArn: `${ARN}bbb` }),
  correlated,
  decision(3, 'drift-1', { triggerType: 'drift', priority: 1, outcome: 'started', reason: 'started', sequence: 3, executionArn: `${ARN}ccc`, bypassed: ['cooldown'] }),
  decision(5, 'sched-2', { reason: 'daily-cap', delayUntilMs: DAY_START + 24 * HOUR }),
  decision(13, 'sched-3', { reason: 'daily-cap', delayUntilMs: DAY_START + 24 * HOUR }),
  { ...decision(4, 'other-1', { outcome: 'started', reason: 'started', sequence: 1 }), pipelineName: 'fraud' },
];

describe('cdk-ml-triggers explain, against the decision log in DynamoDB (dynalite)', () => {
  let dynamo: LocalService;
  let restore: () => void;

  beforeAll(async () => {
    dynamo = await startDynalite();
    restore = setEnv({ ...LOCAL_AWS_ENV, AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1' });
    const client = new DynamoDBClient({});
    await createKeyedTable(client, TABLE);
    const store = new CoordinatorStore(client, TABLE, 90 * 24 * HOUR);
    for (const record of LOG) await store.logDecision(record);
    client.destroy();
  });
  afterAll(async () => {
    await dynamo.close();
    restore();
  });

  const run = async (...args: string[]) => {
    const output: string[] = [];
    const errors: string[] = [];
    const code = await cli(['explain', ...args], (line) => output.push(line), () => DAY_START + 12 * HOUR, (line) => errors.push(line));
    return { code, output, errors };
  };
  const morning = ['--table', TABLE, '--pipeline', 'churn', '--from', '2027-03-01T00:00:00Z', '--to', '2027-03-01T12:00:00Z'];

  test('explains the decisions in the window, leaving out earlier and later ones and other pipelines', async () => {
    const { code, output } = await run(...morning);

    expect(code).toBe(0);
    expect(output).toEqual([
      'churn ran 2 times between 2027-03-01T00:00:00Z and 2027-03-01T12:00:00Z; 2 requests were held back: cooldown 1, daily-cap 1.',
      `2027-03-01T00:00:00Z scheduled (priority 3) started run 2; execution ${ARN}bbb; request sched-1; trigger reason "weekly schedule"`,
      '2027-03-01T02:00:00Z data-arrival (priority 3) held back by cooldown; could pass from 2027-03-01T06:00:00Z; correlation batch-7f3a; ' +
        'request arrival-1; trigger reason "3 objects under s3://in/"',
      `2027-03-01T03:00:00Z drift (priority 1) started run 3; bypassed cooldown by priority; execution ${ARN}ccc; request drift-1; trigger reason "weekly schedule"`,
      '2027-03-01T05:00:00Z scheduled (priority 3) held back by daily-cap; could pass from 2027-03-02T00:00:00Z; request sched-2; trigger reason "weekly schedule"',
    ]);
  });

  test('--json prints the counts and the lines as one JSON document', async () => {
    const { code, output } = await run(...morning, '--json');

    expect(code).toBe(0);
    expect(output).toHaveLength(1);
    expect(JSON.parse(output[0])).toEqual({
      started: 2,
      suppressed: 2,
      awaitingApproval: 0,
      rejected: 0,
      byReason: { started: 2, cooldown: 1, 'daily-cap': 1 },
      byTriggerType: { scheduled: 2, 'data-arrival': 1, drift: 1 },
      lines: (await run(...morning)).output,
    });
  });

  test('--to defaults to now and --from to 24 hours before --to', async () => {
    const { code, output } = await run('--table', TABLE, '--pipeline', 'churn');

    expect(code).toBe(0);
    expect(output[0]).toBe(
      'churn ran 3 times between 2027-02-28T12:00:00Z and 2027-03-01T12:00:00Z; 2 requests were held back: cooldown 1, daily-cap 1.',
    );
  });

  test('a pipeline nobody asked for in the window gets the no-trigger answer', async () => {
    const { code, output } = await run('--table', TABLE, '--pipeline', 'never-asked', '--from', '2027-03-01', '--to', '2027-03-01T12:00:00+01:00');

    expect(code).toBe(0);
    expect(output).toEqual([
      'never-asked did not run between 2027-03-01T00:00:00Z and 2027-03-01T11:00:00Z: no trigger asked the coordinator for it.',
      'Triggers not routed through a coordinator start pipelines directly; their runs are not in this log.',
    ]);
  });

  test.each<[string, string[], string]>([
    ['no --table', ['--pipeline', 'churn'], '--table is required'],
    ['no --pipeline', ['--table', TABLE], '--pipeline is required'],
    ['an option of another command', ['--table', TABLE, '--pipeline', 'churn', '--request', 'r'], 'unknown option --request'],
    ['an option without its value', ['--table', TABLE, '--pipeline', '--json'], '--pipeline needs a value'],
    ['a time that is not ISO 8601', [...morning.slice(0, 4), '--from', 'yesterday'], '--from must be an ISO 8601 time'],
    ['a date that does not exist', [...morning.slice(0, 4), '--to', '2027-02-30T00:00:00Z'], '--to must be an ISO 8601 time'],
    ['a time without a zone', [...morning.slice(0, 4), '--to', '2027-03-01T12:00:00'], '--to must be an ISO 8601 time'],
    ['--from after --to', [...morning.slice(0, 4), '--from', '2027-03-02T00:00:00Z', '--to', '2027-03-01T00:00:00Z'], '--from must not be after --to'],
  ])('%s prints the error and the usage on stderr and exits 2', async (_what, args, error) => {
    const { code, output, errors } = await run(...args);

    expect(code).toBe(2);
    expect(output).toEqual([]);
    expect(errors).toHaveLength(1);
    const [problem] = errors[0].split('\n');
    expect(problem).toMatch(/^error: /);
    expect(problem).toContain(error);
    expect(errors[0]).toContain('usage: cdk-ml-triggers explain --table <coordinator table name> --pipeline <name>');
  });

  test('a table that does not exist is reported on stderr, with exit code 1', async () => {
    const { code, output, errors } = await run('--table', 'no-such-table', '--pipeline', 'churn');

    expect(code).toBe(1);
    expect(output).toEqual([]);
    expect(errors).toEqual([expect.stringMatching(/^could not read the decision log in table no-such-table: /)]);
  });
});
