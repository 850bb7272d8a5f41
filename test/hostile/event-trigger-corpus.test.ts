import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { HandlerServices } from '../support/handler-harness';
import { createKeyedTable } from '../support/tables';
import {
  CORPUS_TIMEOUT as TIMEOUT,
  loadBundledHandler,
  manyItems,
  silenceEachTest,
  silenceOutput,
  sizeRatio,
  startBundledServices,
  tableSnapshot,
  testEachCase,
  VAST,
  type TriggerHandler,
} from './corpus-support';
import { ATTACKER, CONFIG_PATH, EVENT_CORPUS, JOIN, MODEL, TABLE, toJoin, withData, type EventCase, type ExpectedRun } from './event-trigger-corpus-cases';

describe('the bundled event-trigger function against hostile input', () => {
  let services: HandlerServices;
  let client: DynamoDBClient;
  let handler: TriggerHandler;

  beforeAll(async () => {
    services = await startBundledServices({
      dynamodb: true,
      ssm: true,
      env: { JOIN_TABLE_NAME: TABLE, TRIGGER_CONFIG_PATH: CONFIG_PATH, TRIGGER_CONFIG_VERSION: 'hostile-1' },
    });
    client = new DynamoDBClient({});
    await createKeyedTable(client, TABLE);
    // What the deployment writes: the configurations packed into a parameter under the stack's path.
    services.ssm.put(`${CONFIG_PATH}configs-1`, JSON.stringify({ [MODEL.triggerId]: MODEL, [JOIN.triggerId]: JOIN }));
    handler = loadBundledHandler<TriggerHandler>('events');
    // State worth protecting: half a join, waiting for features_ready.
    silenceOutput();
    const seeded = await handler(toJoin('data_updated', { dataset: 's3://features/seed' }));
    jest.restoreAllMocks();
    if (seeded.status !== 'waiting') throw new Error(`the seed event did not wait: ${JSON.stringify(seeded)}`);
  }, TIMEOUT);
  afterAll(async () => {
    client.destroy();
    await services.stop();
  }, TIMEOUT);
  silenceEachTest();

  const observed = async () => ({ table: await tableSnapshot(client, TABLE), executions: services.sagemaker.executions.length, calls: services.sagemaker.calls.length });

  async function assessCase(hostile: EventCase): Promise<void> {
    const before = await observed();

    // Act: an answer (not a throw) is under test, so the await itself checks that nothing escaped.
    const answer = await handler(hostile.input());

    // Assess: nothing started or stored; a rejection names the field the table expects.
    expect(await observed()).toEqual(before);
    if (hostile.harmless) expect(answer).toEqual({ status: 'waiting', waitingFor: ['features_ready'] });
    else expect(answer).toEqual({ status: 'rejected', error: { field: hostile.field, problem: expect.any(String) } });
  }

  async function assessStart(hostile: EventCase & { readonly starts: ExpectedRun }): Promise<void> {
    const before = await observed();

    const answer = await handler(hostile.input());

    // Assess: one run of the deployed pipeline with the deployed templates' parameters; nothing that was
    // asked for or written names the attacker.
    const table = await tableSnapshot(client, TABLE);
    expect(answer).toEqual(expect.objectContaining({ status: 'started' }));
    expect(services.sagemaker.executions.slice(before.executions)).toEqual([expect.objectContaining({ pipelineName: hostile.starts.pipelineName, parameters: hostile.starts.parameters })]);
    expect(JSON.stringify([services.sagemaker.calls.slice(before.calls), table.filter((item) => !before.table.includes(item))])).not.toContain(ATTACKER);
    // An event trigger keeps no state; only a completed join changes its own.
    if (hostile.starts.pipelineName === MODEL.pipelineName) expect(table).toEqual(before.table);
  }

  test('the deployed state is in place: both configurations readable, half a join waiting, no run', async () => {
    expect(services.ssm.calls).toEqual([{ target: 'AmazonSSM.GetParametersByPath', path: CONFIG_PATH.slice(0, -1), outcome: 'served' }]);
    expect((await tableSnapshot(client, TABLE)).length).toBeGreaterThan(0);
    expect(services.sagemaker.executions).toEqual([]);
  }, TIMEOUT);

  const started = EVENT_CORPUS.filter((c): c is EventCase & { readonly starts: ExpectedRun } => c.starts !== undefined);
  testEachCase(EVENT_CORPUS.filter((c) => !c.starts), 'resolves, starts nothing, stores nothing, names the expected field', assessCase);
  // Last: the join case completes the seeded join.
  test.each(started.map((c): [string, typeof c] => [c.name, c]))('%s: starts one run of the deployed trigger only', async (_name, hostile) => assessStart(hostile), TIMEOUT);

  test('a 250 KB model_source takes less than 1000 times as long to reject as a 2.5 KB one', async () => {
    const small = withData({ model_source: 's'.repeat(2_560) });
    const large = withData({ model_source: 's'.repeat(256_000) });
    // Warmed once, then the fastest of several runs each.
    expect(await sizeRatio(handler, small, large, 7)).toBeLessThan(1000);
  }, TIMEOUT);

  test(`${VAST.toLocaleString('en')} values of model_source take less than 1000 times as long to reject as 1,000`, async () => {
    const small = withData({ model_source: manyItems('civitai', VAST / 100) });
    const large = withData({ model_source: manyItems('civitai', VAST) });
    expect(await sizeRatio(handler, small, large, 5)).toBeLessThan(1000);
  }, TIMEOUT);

  test('the corpus holds at least 40 inputs', () => {
    expect(EVENT_CORPUS.length).toBeGreaterThanOrEqual(40);
  });
});
