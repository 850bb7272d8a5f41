import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { manifestEntry, sha256 } from '../../lambda/core/batching';
import { objectIdentity } from '../../lambda/core/s3-object-created';
import { createdObject, TABLE, triggerConfig } from '../support/batcher-env';
import { BATCHER_T0, ClockedBatcherWorld, startedFor } from '../support/handler-batcher';
import { running, SERVICES_TIMEOUT } from '../support/handler-harness';

jest.setTimeout(SERVICES_TIMEOUT);

/** What the batcher before chunks left in its table: an open batch counted slot by slot, two slots written. */
async function writeSlotLayout(triggerId: string, objects: ReturnType<typeof createdObject>[], nowMs: number): Promise<void> {
  const client = new DynamoDBClient({});
  const put = (item: Record<string, unknown>) => client.send(new PutItemCommand({ TableName: TABLE, Item: marshall(item, { removeUndefinedValues: true }) }));
  await put({ pk: `T#${triggerId}`, sk: 'STATE', epoch: 'before', generation: 1, count: objects.length, limit: 3, openedAt: nowMs, unfinished: {}, sealedAt: {} });
  for (const [index, object] of objects.entries()) {
    const identity = objectIdentity(object);
    await put({ pk: `O#${triggerId}#${sha256(identity).slice(0, 40)}`, sk: 'O', identity, epoch: 'before', generation: 1, slot: index + 1 });
    await put({ pk: `B#${triggerId}#before#1`, sk: `S#${String(index + 1).padStart(5, '0')}`, identity, entry: JSON.stringify(manifestEntry(object)) });
  }
}

describe('batcher upgraded over a table written slot by slot', () => {
  const world = running(new ClockedBatcherWorld());
  beforeEach(() => {
    world.clock = BATCHER_T0;
  });

  test('the open batch of the slot layout is sealed and started as it was, its objects stay counted, and new objects go into chunks', async () => {
    // Prepare: two objects in an open batch of three, as the previous batcher kept them.
    const trigger = triggerConfig({ triggerId: 'upgraded', batchSize: 3 });
    const earlier = [createdObject('labels/old-1.parquet', '01'), createdObject('labels/old-2.parquet', '02')];
    await writeSlotLayout(trigger.triggerId, earlier, world.clock);
    const batcher = world.local.batcher(world.now);

    // Act: a redelivery of an earlier object, then four new objects, then a flush past the window.
    const again = await batcher.arrive(trigger, earlier[0]);
    const fresh = await batcher.arriveAll(trigger, ['a', 'b', 'c', 'd'].map((name, i) => createdObject(`labels/new-${name}.parquet`, `1${i}`)));
    world.clock += trigger.batchWindowSeconds * 1000 + 1_000;
    await batcher.flush(trigger);

    // Assess: the old batch started first, with its two objects; the new ones in batches of three and one.
    expect(again).toBe('duplicate');
    expect(fresh).toEqual(['accepted', 'accepted', 'accepted', 'accepted']);
    const { manifests } = await startedFor(world.local, trigger.triggerId);
    expect(manifests.map((lines) => lines.map((line) => line.key))).toEqual([
      ['labels/old-1.parquet', 'labels/old-2.parquet'],
      ['labels/new-a.parquet', 'labels/new-b.parquet', 'labels/new-c.parquet'],
      ['labels/new-d.parquet'],
    ]);
    const items = await world.local.items();
    expect(items.filter((item) => String(item.pk).startsWith('B#upgraded#') && String(item.sk).startsWith('C#')).length).toBeGreaterThan(0);
  });
});
