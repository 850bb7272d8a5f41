import { GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall, type NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import { unlessConditionFails } from './conditional-writes';
import type { Lease } from '../../core/persistence';
import type { DocumentKey } from './versioned-document';

/** The fields a DynamoDB lease sets with a take, a free or a completion. */
export type LeaseFields = Readonly<Record<string, NativeAttributeValue>>;

export interface LeaseAttributes {
  /** Present once the work is complete. */
  readonly done: string;
  /** The time (ms) before which nobody may take it. */
  readonly until: string;
  /** Counts the takes. @default 'takes' */
  readonly count?: string;
  /** A further condition under which the lease is free, for items written before this layout. */
  readonly alsoFreeWhen?: { readonly condition: string; readonly names: Readonly<Record<string, string>>; readonly values: Readonly<Record<string, NativeAttributeValue>> };
}

/**
 * A lease on one item of a keyed DynamoDB table. Its take counts every take in the count attribute;
 * `free` and `complete` write unconditionally (the callers' own conditions guard what follows), so they
 * always answer true.
 */
export function dynamoLease(client: DynamoDBClient, tableName: string, key: DocumentKey, attributes: LeaseAttributes): Lease<LeaseFields> {
  const count = attributes.count ?? 'takes';
  const names = { '#done': attributes.done, '#until': attributes.until, '#owner': 'owner', '#takes': count };
  const update = async (sets: Readonly<Record<string, NativeAttributeValue>>, extra: { add?: number } = {}): Promise<void> => {
    const entries = Object.entries(sets);
    const clauses = entries.map((_, i) => `#f${i} = :f${i}`);
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: marshall(key),
        UpdateExpression: [
          clauses.length ? `SET ${clauses.join(', ')}` : '',
          extra.add !== undefined ? 'ADD #takes :add' : '',
        ].filter(Boolean).join(' '),
        ExpressionAttributeNames: {
          ...Object.fromEntries(entries.map(([name], i) => [`#f${i}`, name])),
          ...(extra.add !== undefined ? { '#takes': count } : {}),
        },
        ...(clauses.length || extra.add !== undefined
          ? { ExpressionAttributeValues: marshall({ ...Object.fromEntries(entries.map(([, value], i) => [`:f${i}`, value])), ...(extra.add !== undefined ? { ':add': extra.add } : {}) }) }
          : {}),
      }),
    );
  };
  return {
    async take(owner, nowMs, holdMs, fields = {}) {
      const entries = Object.entries(fields);
      const also = attributes.alsoFreeWhen;
      const result = await unlessConditionFails(
        client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: marshall(key),
            UpdateExpression: `SET #owner = :owner, #until = :hold, #takes = if_not_exists(#takes, :zero) + :one${entries.map((_, i) => `, #t${i} = :t${i}`).join('')}`,
            ConditionExpression: `attribute_not_exists(pk) OR (attribute_not_exists(#done) AND #until <= :now)${also ? ` OR (${also.condition})` : ''}`,
            ExpressionAttributeNames: { ...names, ...Object.fromEntries(entries.map(([name], i) => [`#t${i}`, name])), ...(also?.names ?? {}) },
            ExpressionAttributeValues: marshall(
              { ':owner': owner, ':hold': nowMs + holdMs, ':now': nowMs, ':zero': 0, ':one': 1, ...Object.fromEntries(entries.map(([, value], i) => [`:t${i}`, value])), ...(also?.values ?? {}) },
              { removeUndefinedValues: true },
            ),
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return result?.Attributes ? unmarshall(result.Attributes) : undefined;
    },
    async free(untilMs, fields = {}, giveBack = false) {
      await update({ ...fields, [attributes.until]: untilMs }, giveBack ? { add: -1 } : {});
      return true;
    },
    async complete(fields) {
      await update({ ...fields, [attributes.done]: fields[attributes.done] ?? true });
      return true;
    },
    async read() {
      const result = await client.send(new GetItemCommand({ TableName: tableName, Key: marshall(key), ConsistentRead: true }));
      return result.Item ? unmarshall(result.Item) : undefined;
    },
  };
}
