import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { JoinState } from '../core/joins';
import { unlessConditionFails } from '../adapters/conditional-writes';

const key = (triggerId: string) => ({ pk: `J#${triggerId}`, sk: 'JOIN' });
/** A join that no event touches for this long is forgotten (its occurrences are out of any window by then). */
const IDLE_RETENTION_S = 45 * 86_400;

/** The occurrences of a join since its last start, in one item changed only by version-conditional writes. */
export class JoinStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async read(triggerId: string): Promise<JoinState> {
    const result = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall(key(triggerId)), ConsistentRead: true }));
    if (!result.Item) return { version: 0, occurrences: {} };
    return JSON.parse(unmarshall(result.Item).state as string) as JoinState;
  }

  /** Writes `next` if the stored state is still at `expectedVersion`; false when another event changed it first. */
  async write(triggerId: string, next: JoinState, expectedVersion: number, nowMs: number): Promise<boolean> {
    const written = await unlessConditionFails(
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall({ ...key(triggerId), version: next.version, state: JSON.stringify(next), expiresAt: Math.floor(nowMs / 1000) + IDLE_RETENTION_S }),
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'version = :expected',
          ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: marshall({ ':expected': expectedVersion }) }),
        }),
      ),
    );
    return written !== undefined;
  }
}
