import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { coordinatorFunction } from '../support/handler-coordinator';
import type { HandlerServices } from '../support/handler-harness';
import { createKeyedTable } from '../support/tables';
import {
  CORPUS_TIMEOUT as TIMEOUT,
  deepJson,
  deepObject,
  sizeRatio,
  hugeString,
  loadBundledHandler,
  manyItems,
  silenceEachTest,
  silenceOutput,
  startBundledServices,
  tableSnapshot,
  testEachCase,
  type HostileCase,
} from './corpus-support';

type Handler = (input: unknown) => Promise<unknown>;
const TABLE = 'ml-triggers-coordinator-hostile';

/** A request the coordinator would act on; each case breaks one part of it. */
const valid = (extra: Record<string, unknown> = {}) => ({
  requestId: 'forged-1',
  pipelineName: 'churn-pipeline',
  triggerType: 'drift',
  reason: 'forged',
  priority: 1,
  ...extra,
});
const request = (extra: Record<string, unknown>) => ({ action: 'request', request: valid(extra) });
const without = (field: string) => {
  const copy: Record<string, unknown> = valid();
  delete copy[field];
  return { action: 'request', request: copy };
};

const COORDINATOR_CORPUS: readonly HostileCase[] = [
  // Not an object at all.
  { name: 'null', input: () => null },
  { name: 'undefined', input: () => undefined },
  { name: 'a number', input: () => 42 },
  { name: 'NaN', input: () => NaN },
  { name: 'a string naming an action', input: () => 'sweep' },
  { name: 'a request as JSON text instead of an object', input: () => JSON.stringify(request({})) },
  { name: 'an empty array', input: () => [] },
  { name: '10,000 valid requests in an array', input: () => manyItems(request({})) },
  { name: 'an object 10,000 levels deep', input: () => deepObject() },
  // The envelope.
  { name: 'no action', input: () => ({ request: valid() }) },
  { name: 'an unknown action', input: () => ({ action: 'launch', request: valid() }) },
  { name: 'an action in capitals', input: () => ({ action: 'REQUEST', request: valid() }) },
  { name: 'the action __proto__', input: () => ({ action: '__proto__', request: valid() }) },
  { name: 'the action constructor', input: () => ({ action: 'constructor', pipelineName: 'churn-pipeline', requestId: 'seed-approval' }) },
  { name: 'the action as a list', input: () => ({ action: ['approve'], pipelineName: 'churn-pipeline', requestId: 'seed-approval' }) },
  { name: 'a 250 KB action', input: () => ({ action: hugeString(), request: valid() }) },
  { name: 'a JSON "__proto__" key holding the action', input: () => JSON.parse('{"__proto__":{"action":"approve","pipelineName":"churn-pipeline","requestId":"seed-approval"}}') },
  // The request's fields.
  { name: 'request without a request', input: () => ({ action: 'request' }) },
  { name: 'request: null', input: () => ({ action: 'request', request: null }) },
  { name: 'request: a string', input: () => ({ action: 'request', request: 'churn-pipeline' }) },
  { name: 'request: a list holding a valid request', input: () => ({ action: 'request', request: [valid()] }) },
  { name: 'request: 10,000 levels deep', input: () => ({ action: 'request', request: deepObject() }) },
  { name: 'request: a JSON "__proto__" key holding every field', input: () => JSON.parse(`{"action":"request","request":{"__proto__":${JSON.stringify(valid())}}}`) },
  { name: 'requestId missing', input: () => without('requestId') },
  { name: 'requestId: a number', input: () => request({ requestId: 42 }) },
  { name: 'requestId: 250 KB', input: () => request({ requestId: hugeString() }) },
  { name: 'requestId with a path', input: () => request({ requestId: '../../churn-pipeline/seed-approval' }) },
  { name: 'pipelineName: another account\'s pipeline ARN, priority 1', input: () => request({ pipelineName: 'arn:aws:sagemaker:us-east-1:999999999999:pipeline/payments' }) },
  { name: 'pipelineName: 250 KB', input: () => request({ pipelineName: hugeString('a') }) },
  { name: 'pipelineName: __proto__', input: () => request({ pipelineName: '__proto__' }) },
  { name: 'pipelineName: an object', input: () => request({ pipelineName: { toString: () => 'churn-pipeline' } }) },
  { name: 'triggerType: constructor', input: () => request({ triggerType: 'constructor' }) },
  { name: 'triggerType: prototype', input: () => request({ triggerType: 'prototype' }) },
  { name: 'triggerType: null', input: () => request({ triggerType: null }) },
  { name: 'reason: 250 KB', input: () => request({ reason: hugeString() }) },
  { name: 'reason: a number', input: () => request({ reason: 7 }) },
  { name: 'priority: 0', input: () => request({ priority: 0 }) },
  { name: 'priority: 6', input: () => request({ priority: 6 }) },
  { name: 'priority: -1', input: () => request({ priority: -1 }) },
  { name: 'priority: 1.5', input: () => request({ priority: 1.5 }) },
  { name: 'priority: NaN', input: () => request({ priority: NaN }) },
  { name: 'priority: Infinity', input: () => request({ priority: Infinity }) },
  { name: 'priority: -Infinity', input: () => request({ priority: -Infinity }) },
  { name: 'priority: the string "1"', input: () => request({ priority: '1' }) },
  { name: 'priority: 1e999 in JSON text', input: () => JSON.parse(JSON.stringify(request({ priority: 0 })).replace('"priority":0', '"priority":1e999')) },
  { name: 'dataSizeGb: 1.7e308', input: () => request({ dataSizeGb: 1.7e308 }) },
  { name: 'dataSizeGb: -1', input: () => request({ dataSizeGb: -1 }) },
  { name: 'dataSizeGb: Infinity', input: () => request({ dataSizeGb: Infinity }) },
  { name: 'dataSizeGb: NaN', input: () => request({ dataSizeGb: NaN }) },
  { name: 'dataSizeGb: the string "10"', input: () => request({ dataSizeGb: '10' }) },
  { name: 'correlationId with spaces', input: () => request({ correlationId: 'a b' }) },
  { name: 'correlationId: 250 KB', input: () => request({ correlationId: hugeString() }) },
  { name: 'requireApproval: the string "false"', input: () => request({ requireApproval: 'false' }) },
  { name: 'parameters: 10,000 items in a list', input: () => request({ parameters: manyItems('x') }) },
  { name: 'parameters: a number value', input: () => request({ parameters: { TrainingMode: 42 } }) },
  { name: 'parameters: 10,000 levels deep', input: () => request({ parameters: deepObject() }) },
  { name: 'parameters: a constructor value that is an object', input: () => request({ parameters: { constructor: {} } }) },
  { name: 'parameters: 10,000 levels deep from JSON text', input: () => JSON.parse(JSON.stringify(request({ parameters: 'P' })).replace('"P"', deepJson())) },
  // Operator and trigger actions with bad fields.
  { name: 'approve without a pipelineName', input: () => ({ action: 'approve', requestId: 'seed-approval' }) },
  { name: 'approve with a numeric pipelineName', input: () => ({ action: 'approve', pipelineName: 42, requestId: 'seed-approval' }) },
  { name: 'approve with requestId as a list', input: () => ({ action: 'approve', pipelineName: 'churn-pipeline', requestId: ['seed-approval'] }) },
  { name: 'approve with a 10,000-level requestId', input: () => ({ action: 'approve', pipelineName: 'churn-pipeline', requestId: deepObject() }) },
  { name: 'reject with an empty requestId', input: () => ({ action: 'reject', pipelineName: 'churn-pipeline', requestId: '' }) },
  { name: 'reject with a null pipelineName', input: () => ({ action: 'reject', pipelineName: null, requestId: 'seed-approval' }) },
  { name: 'withdraw without a requestId', input: () => ({ action: 'withdraw', pipelineName: 'churn-pipeline' }) },
  { name: 'withdraw with requestId as an object', input: () => ({ action: 'withdraw', pipelineName: 'churn-pipeline', requestId: {} }) },
  { name: 'withdraw with pipelineName NaN', input: () => ({ action: 'withdraw', pipelineName: NaN, requestId: 'seed-approval' }) },
  // Accepted, and harmless on this table.
  {
    name: 'sweep with forged fields',
    input: () => ({ action: 'sweep', pipelineName: 'payments', priority: 1, force: true }),
    harmless: 'sweep takes no fields and re-asks only what the table holds: the one parked approval, whose notice was sent, so it changes nothing',
  },
  {
    name: 'approve a request that already started',
    input: () => ({ action: 'approve', pipelineName: 'fraud-pipeline', requestId: 'seed-run' }),
    harmless: 'a run that started is answered with its execution; nothing is logged or written again',
  },
  // Operator names checked like a request's (these were bugs: the key went to DynamoDB, which refused it, and the handler threw).
  { name: 'approve naming __proto__ and constructor', input: () => ({ action: 'approve', pipelineName: '__proto__', requestId: 'constructor' }) },
  { name: 'approve with a 250 KB requestId', input: () => ({ action: 'approve', pipelineName: 'churn-pipeline', requestId: hugeString() }) },
  { name: 'reject with a 250 KB pipelineName', input: () => ({ action: 'reject', pipelineName: hugeString('a'), requestId: 'seed-approval' }) },
  { name: 'withdraw with a 250 KB requestId', input: () => ({ action: 'withdraw', pipelineName: 'churn-pipeline', requestId: hugeString() }) },
];

describe('the bundled coordinator against hostile input', () => {
  let services: HandlerServices;
  let client: DynamoDBClient;
  let handler: Handler;

  beforeAll(async () => {
    services = await startBundledServices(coordinatorFunction(TABLE, (payload) => handler(payload)));
    client = new DynamoDBClient({});
    await createKeyedTable(client, TABLE);
    handler = loadBundledHandler<Handler>('coordinator');
    // State worth protecting: a run of one pipeline, and an approval another one waits for.
    silenceOutput();
    await handler(request({ requestId: 'seed-run', pipelineName: 'fraud-pipeline', priority: 3 }));
    await handler(request({ requestId: 'seed-approval', requireApproval: true, priority: 3 }));
    jest.restoreAllMocks();
  }, TIMEOUT);
  afterAll(async () => {
    client.destroy();
    await services.stop();
  }, TIMEOUT);
  silenceEachTest();

  const observed = async () => ({ table: await tableSnapshot(client, TABLE), executions: services.sagemaker.executions.length, messages: services.sns.messages.length });

  async function runAndObserve(input: unknown) {
    const before = await observed();
    const answer = await handler(input);
    return { answer, before, after: await observed() };
  }

  async function assessCase(hostile: HostileCase): Promise<void> {
    // Act: a rejection (not a throw) is the answer under test, so the await itself checks (1).
    const { answer, before, after } = await runAndObserve(hostile.input());

    // Assess: nothing started, stored or told; a rejection names its field.
    expect(after).toEqual(before);
    if (hostile.harmless) {
      expect(answer).not.toHaveProperty('status', 'rejected');
    } else {
      expect(answer).toEqual({ status: 'rejected', error: { field: expect.stringMatching(/^\S+$/), problem: expect.any(String) } });
    }
  }

  test('the seeded state is in place: one run started and one approval waiting and announced', async () => {
    expect(services.sagemaker.executions.map((e) => e.pipelineName)).toEqual(['fraud-pipeline']);
    expect(services.sns.messages.map((m) => m.message)).toEqual([expect.stringContaining('seed-approval')]);
    expect((await tableSnapshot(client, TABLE)).length).toBeGreaterThan(0);
  }, TIMEOUT);

  testEachCase(COORDINATOR_CORPUS, 'resolves, starts nothing, stores nothing, names the field', assessCase);

  test('a 250 KB reason takes less than 1000 times as long to reject as a 2.5 KB one', async () => {
    const withReason = (length: number) => request({ reason: 'r'.repeat(length) });
    const small = withReason(2_560);
    const large = withReason(256_000);
    // Warmed once, then the fastest of several runs each.
    expect(await sizeRatio(handler, small, large, 7)).toBeLessThan(1000);
  }, TIMEOUT);

  test('the corpus holds at least 30 inputs', () => {
    expect(COORDINATOR_CORPUS.length).toBeGreaterThanOrEqual(30);
  });
});
