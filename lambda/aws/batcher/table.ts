import {
  GetItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { sha256, type BatchId } from '../../core/batching';

export { isConditionFailure, unlessConditionFails } from '../adapters/conditional-writes';

/** A slot handed to one event: slot `slot` of batch `generation`, which fills at `limit`. */
export interface SlotRef extends BatchId {
  readonly slot: number;
  readonly limit: number;
}

const DAY_MS = 86_400_000;
/** How long an object's identity is remembered for deduplication. */
export const DEDUP_RETENTION_MS = 14 * DAY_MS;
/** How long slots and batch records stay after they were written or finished. */
export const BATCH_RETENTION_MS = 35 * DAY_MS;

/*
 * One table holds every item, keyed pk/sk:
 *   T#<trigger> / STATE     the open batch: generation, slots taken, limit, opened at; sealed batches not yet started
 *   T#<trigger> / CONFIG    the trigger's configuration, for the flush
 *   T#<trigger> / REENABLE  when the trigger was seen disabled, and its sealed catch-up batch (re-enable-store.ts)
 *   O#<trigger>#<hash> / O  where an object was put: its batch, allocation and position (deduplication)
 *   B#<trigger>#<epoch>#<generation> / C#<allocation>  what one allocation holds: its objects' entries, or dead
 *   B#<trigger>#<epoch>#<generation> / S#<slot>   what one slot holds, in batches sealed before chunks
 *   B#<trigger>#<epoch>#<generation> / H          the batch's start: claim, attempts, outcome
 */
export const stateKey = (triggerId: string) => ({ pk: `T#${triggerId}`, sk: 'STATE' });
export const objectKey = (triggerId: string, identity: string) => ({ pk: `O#${triggerId}#${sha256(identity).slice(0, 40)}`, sk: 'O' });
export const batchPk = (batch: BatchId) => `B#${batch.triggerId}#${batch.epoch}#${batch.generation}`;
export const slotKey = (ref: BatchId & { slot: number }) => ({ pk: batchPk(ref), sk: `S#${String(ref.slot).padStart(5, '0')}` });
export const headerKey = (batch: BatchId) => ({ pk: batchPk(batch), sk: 'H' });
export const chunkKey = (batch: BatchId, allocation: number) => ({ pk: batchPk(batch), sk: `C#${String(allocation).padStart(6, '0')}` });
export const ttl = (ms: number) => Math.floor(ms / 1000);

/** The item a failed conditional write found: from the error where DynamoDB returns it, else read. */
export async function itemAfterConditionFailure(
  client: DynamoDBClient,
  tableName: string,
  error: unknown,
  key: Record<string, string>,
): Promise<Record<string, AttributeValue> | undefined> {
  return (error as { Item?: Record<string, AttributeValue> }).Item ?? (await getItem(client, tableName, key));
}

export async function getItem(
  client: DynamoDBClient,
  tableName: string,
  key: Record<string, string>,
): Promise<Record<string, AttributeValue> | undefined> {
  const result = await client.send(new GetItemCommand({ TableName: tableName, Key: marshall(key), ConsistentRead: true }));
  return result.Item;
}
