import { GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { unlessConditionFails } from '../adapters/conditional-writes';

/** What became of a replayed event against its replay's bound. */
export type Admission = 'admitted' | 'dropped';

/** What a catching-up trigger's function remembers: the events it handled, and what each replay admitted. */
export interface CatchUpRecords {
  /** Whether the trigger handled the event (by key) before, live or replayed. */
  handled(triggerId: string, key: string): Promise<boolean>;
  /** Remembers that the trigger handled the event, until `expiresAt` (seconds). */
  rememberHandled(triggerId: string, key: string, expiresAt: number): Promise<void>;
  /**
   * Counts the replayed event against its replay's bound, once per event: the same event asked again gets the
   * answer it got before.
   */
  admit(triggerId: string, replay: string, key: string, maxEvents: number, expiresAt: number): Promise<Admission>;
}

/**
 * The records in the join table, under `C#<triggerId>`: `SEEN#<key>` for a handled event, `R#<replay>` for a
 * replay's counts, and `R#<replay>#<key>` for each event the replay asked to count (its claim, then its admission).
 * A claim left by a crash between the count and the admission is counted again: a replay may then admit fewer
 * events than its bound, never more.
 */
export class CatchUpStore implements CatchUpRecords {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async handled(triggerId: string, key: string): Promise<boolean> {
    const found = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall({ pk: `C#${triggerId}`, sk: `SEEN#${key}` }), ConsistentRead: true }));
    return found.Item !== undefined;
  }

  async rememberHandled(triggerId: string, key: string, expiresAt: number): Promise<void> {
    await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: marshall({ pk: `C#${triggerId}`, sk: `SEEN#${key}`, expiresAt }) }));
  }

  async admit(triggerId: string, replay: string, key: string, maxEvents: number, expiresAt: number): Promise<Admission> {
    const claim = { pk: `C#${triggerId}`, sk: `R#${replay}#${key}` };
    const claimed = await unlessConditionFails(
      this.client.send(new PutItemCommand({ TableName: this.tableName, Item: marshall({ ...claim, status: 'claimed', expiresAt }), ConditionExpression: 'attribute_not_exists(pk)' })),
    );
    if (!claimed) {
      const before = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall(claim), ConsistentRead: true }));
      const status = before.Item ? unmarshall(before.Item).status : undefined;
      if (status === 'admitted' || status === 'dropped') return status;
    }
    const counter = { pk: `C#${triggerId}`, sk: `R#${replay}` };
    const counted = await unlessConditionFails(
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(counter),
          UpdateExpression: 'ADD admitted :one SET expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(admitted) OR admitted < :max',
          ExpressionAttributeValues: marshall({ ':one': 1, ':max': maxEvents, ':expiresAt': expiresAt }),
        }),
      ),
    );
    const admission: Admission = counted ? 'admitted' : 'dropped';
    if (!counted) {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(counter),
          UpdateExpression: 'ADD dropped :one',
          ExpressionAttributeValues: marshall({ ':one': 1 }),
        }),
      );
    }
    await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: marshall({ ...claim, status: admission, expiresAt }) }));
    return admission;
  }
}
