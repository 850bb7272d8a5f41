import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { VersionedDocument } from '../../core/persistence';
import { unlessConditionFails } from './conditional-writes';

/** Where a document lives: one item of a table keyed by `pk` and `sk`. */
export interface DocumentKey {
  readonly pk: string;
  readonly sk: string;
}

/**
 * A versioned document stored as JSON in one DynamoDB item, written only when the stored `version` is the
 * one that was read (absent for version 0). `expiresAt` (seconds), when given, is refreshed by each write.
 */
export function dynamoDocument<T extends { readonly version: number }>(
  client: DynamoDBClient,
  tableName: string,
  key: DocumentKey,
  empty: T,
  expiresAt?: () => number,
): VersionedDocument<T> {
  return {
    async read(): Promise<T> {
      const result = await client.send(new GetItemCommand({ TableName: tableName, Key: marshall(key), ConsistentRead: true }));
      if (!result.Item) return empty;
      return JSON.parse(unmarshall(result.Item).state as string) as T;
    },
    async write(next: T, expectedVersion: number): Promise<boolean> {
      const written = await unlessConditionFails(
        client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: marshall({ ...key, version: next.version, state: JSON.stringify(next), ...(expiresAt ? { expiresAt: expiresAt() } : {}) }),
            ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'version = :expected',
            ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: marshall({ ':expected': expectedVersion }) }),
          }),
        ),
      );
      return written !== undefined;
    },
  };
}
