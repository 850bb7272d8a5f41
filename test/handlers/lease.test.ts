import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { dynamoLease } from '../../lambda/aws/adapters/lease';
import { dynamoDocument } from '../../lambda/aws/adapters/versioned-document';
import { LOCAL_AWS_ENV, setEnv, startDynalite, type LocalService } from '../support/local-services';
import { createKeyedTable } from '../support/tables';

jest.setTimeout(30_000);

const TABLE = 'leases';

describe('the shared persistence primitives against DynamoDB (dynalite)', () => {
  let dynamo: LocalService;
  let restore: () => void;
  let client: DynamoDBClient;

  beforeAll(async () => {
    dynamo = await startDynalite();
    restore = setEnv({ ...LOCAL_AWS_ENV, AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint });
    client = new DynamoDBClient({});
    await createKeyedTable(client, TABLE);
  });
  afterAll(async () => {
    await dynamo.close();
    restore();
  });

  const lease = (name: string) => dynamoLease(client, TABLE, { pk: `L#${name}`, sk: 'L' }, { done: 'finishedAt', until: 'heldUntil', count: 'attempts' });

  test('one taker at a time: a second take fails while the hold lasts and succeeds once it expired, counting both takes', async () => {
    const work = lease('expiring');

    const first = await work.take('a', 1_000, 500, { status: 'CLAIMED' });
    const whileHeld = await work.take('b', 1_400, 500);
    const afterExpiry = await work.take('b', 1_500, 500);

    expect(first).toMatchObject({ owner: 'a', heldUntil: 1_500, attempts: 1, status: 'CLAIMED' });
    expect(whileHeld).toBeUndefined();
    expect(afterExpiry).toMatchObject({ owner: 'b', heldUntil: 2_000, attempts: 2 });
  });

  test('freed until a later time, it is taken only from then; giving the take back uncounts it', async () => {
    const work = lease('freed');
    await work.take('a', 1_000, 500);

    await work.free(5_000, { status: 'RETRY' }, true);
    const early = await work.take('b', 4_999, 500);
    const onTime = await work.take('b', 5_000, 500);

    expect(early).toBeUndefined();
    expect(onTime).toMatchObject({ owner: 'b', attempts: 1, status: 'RETRY' });
  });

  test('a completed lease is never taken again, however late', async () => {
    const work = lease('completed');
    await work.take('a', 1_000, 500);

    await work.complete({ status: 'STARTED', finishedAt: 1_200 });

    await expect(work.take('b', 10_000_000, 500)).resolves.toBeUndefined();
    await expect(work.read()).resolves.toMatchObject({ status: 'STARTED', finishedAt: 1_200, attempts: 1 });
  });

  test('an item written before the lease layout is free when its own condition says so', async () => {
    await client.send(new PutItemCommand({ TableName: TABLE, Item: marshall({ pk: 'L#legacy', sk: 'L', status: 'RETRY', nextAttemptAt: 3_000, attempts: 2 }) }));
    const legacy = dynamoLease(client, TABLE, { pk: 'L#legacy', sk: 'L' }, {
      done: 'finishedAt', until: 'heldUntil', count: 'attempts',
      alsoFreeWhen: { condition: '#status = :retry AND nextAttemptAt <= :now AND attribute_not_exists(heldUntil)', names: { '#status': 'status' }, values: { ':retry': 'RETRY' } },
    });

    await expect(legacy.take('a', 2_999, 500)).resolves.toBeUndefined();
    await expect(legacy.take('a', 3_000, 500)).resolves.toMatchObject({ attempts: 3, heldUntil: 3_500 });
  });

  test('a versioned document is written only over the version that was read', async () => {
    const document = dynamoDocument<{ version: number; n: number }>(client, TABLE, { pk: 'D#counter', sk: 'D' }, { version: 0, n: 0 }, () => 42);

    const first = await document.write({ version: 1, n: 1 }, 0);
    const stale = await document.write({ version: 1, n: 7 }, 0);
    const next = await document.write({ version: 2, n: 2 }, 1);

    expect([first, stale, next]).toEqual([true, false, true]);
    await expect(document.read()).resolves.toEqual({ version: 2, n: 2 });
  });
});
