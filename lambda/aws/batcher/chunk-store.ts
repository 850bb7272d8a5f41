import { gunzipSync, gzipSync } from 'node:zlib';
import {
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { BatchId, Chunk, ManifestEntry } from '../../core/batching';
import type { UploadWindow } from '../../core/s3-object-created';
import { queryAll, type Item } from '../adapters/query-all';
import {
  BATCH_RETENTION_MS,
  DEDUP_RETENTION_MS,
  batchPk,
  chunkKey,
  getItem,
  isConditionFailure,
  itemAfterConditionFailure,
  objectKey,
  ttl,
  unlessConditionFails,
} from './table';

/** One object's place in a batch kept in chunks: position `position` of allocation `allocation`. */
export interface Place extends BatchId {
  readonly allocation: number;
  readonly position: number;
}

/** Where an identity record says an object was put, and when: in a chunk, or in a slot of the layout before chunks. */
export type EarlierPlace =
  | (Place & { readonly layout: 'chunks'; readonly atMs: number })
  | (BatchId & { readonly layout: 'slots'; readonly slot: number });

export type { Chunk };

/**
 * What batches kept in chunks hold. An object's identity record is one conditional write, and it names the
 * object's place; an allocation's contents are one chunk item, written once, or marked dead once its
 * writer is overdue: the two conditional writes on the chunk's key decide which.
 */
export class ChunkStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /**
   * Records that the object is at `place`, unless it was recorded before: then the earlier place. An upload of
   * the same identity whose window lies wholly after the recorded one's is a new upload and replaces the record
   * (records written before windows were kept have none, and are never replaced). No read: a failed condition
   * returns the record it found.
   */
  async recordObject(identity: string, window: UploadWindow, place: Place, nowMs: number): Promise<{ readonly earlier?: EarlierPlace }> {
    const key = objectKey(place.triggerId, identity);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall({ ...key, ...placeAttributes(place), at: nowMs, lo: window.lowMs, hi: window.highMs, expiresAt: ttl(nowMs + DEDUP_RETENTION_MS) }),
          ConditionExpression: 'attribute_not_exists(pk) OR hi < :lo',
          ExpressionAttributeValues: marshall({ ':lo': window.lowMs }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return {};
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const old = unmarshall((await itemAfterConditionFailure(this.client, this.tableName, error, key))!);
      return { earlier: earlierPlace(place.triggerId, old) };
    }
  }

  /**
   * Points an object's record at `to`, with the window of the upload placed there, if it still names `from`; false
   * when another delivery moved it first.
   */
  async moveObject(identity: string, window: UploadWindow, from: EarlierPlace, to: Place, nowMs: number): Promise<boolean> {
    const was = from.layout === 'chunks' ? placeAttributes(from) : { epoch: from.epoch, generation: from.generation, slot: from.slot };
    const names = Object.keys(was);
    const moved = await unlessConditionFails(this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(objectKey(to.triggerId, identity)),
        UpdateExpression: 'SET #epoch = :epoch, #generation = :generation, #alloc = :alloc, #pos = :pos, #at = :at, #lo = :lo, #hi = :hi REMOVE #slot',
        ConditionExpression: names.map((name) => `#w_${name} = :w_${name}`).join(' AND '),
        ExpressionAttributeNames: { '#epoch': 'epoch', '#generation': 'generation', '#alloc': 'alloc', '#pos': 'pos', '#at': 'at', '#lo': 'lo', '#hi': 'hi', '#slot': 'slot', ...Object.fromEntries(names.map((name) => [`#w_${name}`, name])) },
        ExpressionAttributeValues: marshall({
          ...Object.fromEntries(Object.entries(placeAttributes(to)).map(([name, value]) => [`:${name}`, value])),
          ':at': nowMs,
          ':lo': window.lowMs,
          ':hi': window.highMs,
          ...Object.fromEntries(Object.entries(was).map(([name, value]) => [`:w_${name}`, value])),
        }),
      }),
    ));
    return moved !== undefined;
  }

  /** Writes an allocation's chunk, once: 'written', or what was there first (its contents, or dead). */
  async writeChunk(batch: BatchId, allocation: number, entries: ReadonlyArray<ManifestEntry | null>, nowMs: number): Promise<'written' | Chunk> {
    return this.putOnce(batch, allocation, { entries: encodeEntries(entries), count: entries.filter(Boolean).length }, nowMs);
  }

  /** Marks an allocation whose chunk never came dead, once: 'written', or the chunk that landed first. */
  async markDead(batch: BatchId, allocation: number, nowMs: number): Promise<'written' | Chunk> {
    return this.putOnce(batch, allocation, { dead: true }, nowMs);
  }

  async readChunk(batch: BatchId, allocation: number): Promise<Chunk | undefined> {
    const item = await getItem(this.client, this.tableName, chunkKey(batch, allocation));
    return item ? decodeChunk(unmarshall(item)) : undefined;
  }

  /** Every chunk of a sealed batch, by allocation number; an allocation missing from the map has none yet. */
  async readChunks(batch: BatchId): Promise<Map<number, Chunk>> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :chunk)',
      ExpressionAttributeValues: marshall({ ':pk': batchPk(batch), ':chunk': 'C#' }),
      ConsistentRead: true,
    });
    return new Map(items.map((item) => [Number(String(item.sk).slice(2)), decodeChunk(item)]));
  }

  private async putOnce(batch: BatchId, allocation: number, fields: Record<string, unknown>, nowMs: number): Promise<'written' | Chunk> {
    const key = chunkKey(batch, allocation);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall({ ...key, ...fields, expiresAt: ttl(nowMs + BATCH_RETENTION_MS) }),
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'written';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return decodeChunk(unmarshall((await itemAfterConditionFailure(this.client, this.tableName, error, key))!));
    }
  }
}

function placeAttributes(place: Place): Record<string, string | number> {
  return { epoch: place.epoch, generation: place.generation, alloc: place.allocation, pos: place.position };
}

function earlierPlace(triggerId: string, old: Item): EarlierPlace {
  if (old.alloc === undefined) return { layout: 'slots', triggerId, epoch: old.epoch, generation: old.generation, slot: old.slot };
  return { layout: 'chunks', triggerId, epoch: old.epoch, generation: old.generation, allocation: old.alloc, position: old.pos, atMs: old.at ?? 0 };
}

/** A chunk's entries as gzip-compressed JSON: object keys of one data set repeat, and a write unit is 1 KB. */
function encodeEntries(entries: ReadonlyArray<ManifestEntry | null>): Uint8Array {
  return gzipSync(Buffer.from(JSON.stringify(entries)));
}

function decodeChunk(item: Item): Chunk {
  if (item.dead) return 'dead';
  return { entries: JSON.parse(gunzipSync(item.entries as Uint8Array).toString('utf8')) as Array<ManifestEntry | null> };
}
