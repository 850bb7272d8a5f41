import { DeleteItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { CatchUpBatch, ReEnableRecord } from '../../core/re-enable';
import { getItem, unlessConditionFails } from './table';

/** `T#<trigger> / REENABLE`: when the batcher saw the trigger off, and the catch-up batch it sealed since. */
export const reEnableKey = (triggerId: string) => ({ pk: `T#${triggerId}`, sk: 'REENABLE' });

/**
 * What the batcher remembers of a trigger that the deployment turned off, in an item of its own beside the
 * trigger's state. Each change is one conditional write on the time the trigger was seen off, so repeated
 * or concurrent deliveries of one change agree on a single record and a single catch-up.
 */
export class ReEnableStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async read(triggerId: string): Promise<ReEnableRecord | undefined> {
    const item = await getItem(this.client, this.tableName, reEnableKey(triggerId));
    if (!item) return undefined;
    const record = unmarshall(item);
    return {
      disabledAtMs: record.disabledAt,
      ...(record.placing !== undefined ? { placing: record.placing } : {}),
      ...(record.catchUpEpoch !== undefined ? { catchUp: { epoch: record.catchUpEpoch, generation: record.catchUpGeneration } } : {}),
    };
  }

  /** Remembers `nowMs` as when the trigger went off, where nothing is remembered (or exactly `replaces` is); false when something else is. */
  async recordDisabled(triggerId: string, nowMs: number, replaces?: number): Promise<boolean> {
    const written = await unlessConditionFails(this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({ ...reEnableKey(triggerId), disabledAt: nowMs }),
        ConditionExpression: replaces === undefined ? 'attribute_not_exists(pk)' : 'disabledAt = :replaces',
        ...(replaces === undefined ? {} : { ExpressionAttributeValues: marshall({ ':replaces': replaces }) }),
      }),
    ));
    return written !== undefined;
  }

  /**
   * Names the batch the catch-up of the record of `disabledAtMs` places its objects into, unless one is named
   * already: a catch-up tried again after a crash goes on filling that batch instead of sealing it apart.
   */
  async markPlacing(triggerId: string, disabledAtMs: number, generation: number): Promise<void> {
    await unlessConditionFails(this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(reEnableKey(triggerId)),
        UpdateExpression: 'SET placing = :generation',
        ConditionExpression: 'disabledAt = :disabledAt AND attribute_not_exists(placing)',
        ExpressionAttributeValues: marshall({ ':generation': generation, ':disabledAt': disabledAtMs }),
      }),
    ));
  }

  /** Names the sealed catch-up batch of the record of `disabledAtMs`, unless one is named already. */
  async markCatchUp(triggerId: string, disabledAtMs: number, batch: CatchUpBatch): Promise<void> {
    await unlessConditionFails(this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(reEnableKey(triggerId)),
        UpdateExpression: 'SET catchUpEpoch = :epoch, catchUpGeneration = :generation',
        ConditionExpression: 'disabledAt = :disabledAt AND attribute_not_exists(catchUpEpoch)',
        ExpressionAttributeValues: marshall({ ':epoch': batch.epoch, ':generation': batch.generation, ':disabledAt': disabledAtMs }),
      }),
    ));
  }

  /** Forgets the record of `disabledAtMs`; a newer record (the trigger went off again) stays. */
  async forget(triggerId: string, disabledAtMs: number): Promise<void> {
    await unlessConditionFails(this.client.send(
      new DeleteItemCommand({
        TableName: this.tableName,
        Key: marshall(reEnableKey(triggerId)),
        ConditionExpression: 'disabledAt = :disabledAt',
        ExpressionAttributeValues: marshall({ ':disabledAt': disabledAtMs }),
      }),
    ));
  }
}
