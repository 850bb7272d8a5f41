import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { sha256, type BatchId, type BatchTriggerConfig, type ManifestEntry, type Slot } from '../core/batching';

/** A slot handed to one event: slot `slot` of batch `generation`, which fills at `limit`. */
export interface SlotRef extends BatchId {
  readonly slot: number;
  readonly limit: number;
}

/** A trigger's state: the open batch and the sealed ones not yet started. */
export interface TriggerState {
  readonly epoch: string;
  readonly generation: number;
  readonly count: number;
  readonly openedAtMs?: number;
  readonly configDigest?: string;
  /** Sealed generations not yet started: generation -> number of slots. */
  readonly unfinished: Readonly<Record<string, number>>;
  /** Generation -> when it was sealed. */
  readonly sealedAt: Readonly<Record<string, number>>;
}

export type SlotWrite = 'written' | 'same' | 'empty';

export interface BatchHeader {
  readonly status: 'CLAIMED' | 'RETRY' | 'STARTED' | 'FAILED' | 'EMPTY';
  readonly attempts: number;
}

const DAY_MS = 86_400_000;
/** How long an object's identity is remembered for deduplication. */
export const DEDUP_RETENTION_MS = 14 * DAY_MS;
/** How long slots and batch records stay after they were written or finished. */
export const BATCH_RETENTION_MS = 35 * DAY_MS;

const stateKey = (triggerId: string) => ({ pk: `T#${triggerId}`, sk: 'STATE' });
const configKey = (triggerId: string) => ({ pk: `T#${triggerId}`, sk: 'CONFIG' });
const objectKey = (triggerId: string, identity: string) => ({ pk: `O#${triggerId}#${sha256(identity).slice(0, 40)}`, sk: 'O' });
const batchPk = (batch: BatchId) => `B#${batch.triggerId}#${batch.epoch}#${batch.generation}`;
const slotKey = (ref: BatchId & { slot: number }) => ({ pk: batchPk(ref), sk: `S#${String(ref.slot).padStart(5, '0')}` });
const headerKey = (batch: BatchId) => ({ pk: batchPk(batch), sk: 'H' });
const ttl = (ms: number) => Math.floor(ms / 1000);

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as { name?: string })?.name === 'ConditionalCheckFailedException';
}

/**
 * Batch state in one DynamoDB table. Every change is a single conditional write, so concurrent
 * invocations never both pass a rule that only one may pass.
 */
export class BatchStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /**
   * Takes the next slot of the trigger's open batch, unless that batch is full or its window ran out
   * (then undefined: seal it and ask again). Creates the state on first use.
   */
  async allocate(config: BatchTriggerConfig, newEpoch: string, nowMs: number): Promise<(SlotRef & { configDigest?: string }) | undefined> {
    try {
      const result = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(stateKey(config.triggerId)),
          UpdateExpression:
            'SET epoch = if_not_exists(epoch, :epoch), generation = if_not_exists(generation, :one), ' +
            '#limit = if_not_exists(#limit, :size), openedAt = if_not_exists(openedAt, :now), ' +
            'unfinished = if_not_exists(unfinished, :empty), sealedAt = if_not_exists(sealedAt, :empty) ADD #count :one',
          ConditionExpression:
            'attribute_not_exists(pk) OR (#count < #limit AND (attribute_not_exists(openedAt) OR openedAt > :cutoff))',
          ExpressionAttributeNames: { '#count': 'count', '#limit': 'limit' },
          ExpressionAttributeValues: marshall({
            ':epoch': newEpoch,
            ':one': 1,
            ':size': config.batchSize,
            ':now': nowMs,
            ':empty': {},
            ':cutoff': nowMs - config.batchWindowSeconds * 1000,
          }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      const state = unmarshall(result.Attributes!);
      return {
        triggerId: config.triggerId,
        epoch: state.epoch,
        generation: state.generation,
        slot: state.count,
        limit: state.limit,
        configDigest: state.configDigest,
      };
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async readState(triggerId: string): Promise<TriggerState | undefined> {
    const result = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall(stateKey(triggerId)), ConsistentRead: true }),
    );
    return result.Item ? toState(result.Item) : undefined;
  }

  /**
   * Seals `generation` when it is full or its window ran out, and opens the next one; returns the new
   * state, or undefined when another invocation sealed it first or it is neither full nor expired.
   */
  async seal(config: BatchTriggerConfig, generation: number, nowMs: number): Promise<TriggerState | undefined> {
    try {
      const result = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(stateKey(config.triggerId)),
          UpdateExpression:
            'SET generation = generation + :one, unfinished.#g = #count, sealedAt.#g = :now, #count = :zero, #limit = :size REMOVE openedAt',
          ConditionExpression: 'generation = :generation AND #count > :zero AND (#count >= #limit OR openedAt <= :cutoff)',
          ExpressionAttributeNames: { '#count': 'count', '#limit': 'limit', '#g': String(generation) },
          ExpressionAttributeValues: marshall({
            ':one': 1,
            ':zero': 0,
            ':now': nowMs,
            ':size': config.batchSize,
            ':generation': generation,
            ':cutoff': nowMs - config.batchWindowSeconds * 1000,
          }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toState(result.Attributes!);
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /** Lets the open batch take one more slot, for a slot that a duplicate delivery gave back. */
  async raiseLimit(triggerId: string, generation: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(stateKey(triggerId)),
          UpdateExpression: 'ADD #limit :one',
          ConditionExpression: 'generation = :generation',
          ExpressionAttributeNames: { '#limit': 'limit' },
          ExpressionAttributeValues: marshall({ ':one': 1, ':generation': generation }),
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /** Forgets a started, failed or empty batch in the trigger's state. */
  async markFinished(batch: BatchId): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(stateKey(batch.triggerId)),
        UpdateExpression: 'REMOVE unfinished.#g, sealedAt.#g',
        ExpressionAttributeNames: { '#g': String(batch.generation) },
      }),
    );
  }

  /**
   * Records which slot holds an object. Returns the slot recorded earlier when the object was seen
   * before (a duplicate delivery, or a retry of an event that failed half-way).
   */
  async recordObject(identity: string, slot: SlotRef, nowMs: number): Promise<{ readonly earlier?: SlotRef }> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall({
            ...objectKey(slot.triggerId, identity),
            identity,
            epoch: slot.epoch,
            generation: slot.generation,
            slot: slot.slot,
            expiresAt: ttl(nowMs + DEDUP_RETENTION_MS),
          }),
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return {};
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const item = (error as { Item?: Record<string, AttributeValue> }).Item ?? (await this.getItem(objectKey(slot.triggerId, identity)));
      const old = unmarshall(item!);
      return { earlier: { triggerId: slot.triggerId, epoch: old.epoch, generation: old.generation, slot: old.slot, limit: 0 } };
    }
  }

  /** Points an object at a new slot, if it still points at `from`; false when another delivery moved it first. */
  async moveObject(identity: string, from: SlotRef, to: SlotRef): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(objectKey(to.triggerId, identity)),
          UpdateExpression: 'SET epoch = :toEpoch, generation = :toGeneration, slot = :toSlot',
          ConditionExpression: 'epoch = :fromEpoch AND generation = :fromGeneration AND slot = :fromSlot',
          ExpressionAttributeValues: marshall({
            ':toEpoch': to.epoch,
            ':toGeneration': to.generation,
            ':toSlot': to.slot,
            ':fromEpoch': from.epoch,
            ':fromGeneration': from.generation,
            ':fromSlot': from.slot,
          }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Writes an object into a slot, or marks the slot empty (entry undefined). A slot is written once:
   * afterwards this reports what it holds.
   */
  async writeSlot(ref: BatchId & { slot: number }, identity: string | undefined, entry: ManifestEntry | undefined, nowMs: number): Promise<SlotWrite | 'other'> {
    const key = slotKey(ref);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall(
            { ...key, ...(entry ? { identity, entry: JSON.stringify(entry) } : { empty: true }), expiresAt: ttl(nowMs + BATCH_RETENTION_MS) },
            { removeUndefinedValues: true },
          ),
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'written';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const item = (error as { Item?: Record<string, AttributeValue> }).Item ?? (await this.getItem(key));
      const held = unmarshall(item!);
      if (held.empty) return 'empty';
      return held.identity === identity ? 'same' : 'other';
    }
  }

  /** Every slot of a sealed batch, in order; `undefined` where nothing was written yet. */
  async readSlots(batch: BatchId, slotCount: number): Promise<Slot[]> {
    const slots: Slot[] = new Array(slotCount).fill(undefined);
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :slot)',
          ExpressionAttributeValues: marshall({ ':pk': batchPk(batch), ':slot': 'S#' }),
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const raw of page.Items ?? []) {
        const item = unmarshall(raw);
        const index = Number(String(item.sk).slice(2)) - 1;
        if (index < 0 || index >= slotCount) continue;
        slots[index] = item.empty ? { kind: 'empty' } : { kind: 'member', entry: JSON.parse(item.entry) as ManifestEntry };
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return slots;
  }

  /**
   * Claims a sealed batch for one start attempt: only one invocation at a time gets it, and a claim
   * left by a crashed invocation expires after `claimMs`. Returns the attempt number, or undefined.
   */
  async claim(batch: BatchId, nowMs: number, claimMs: number): Promise<number | undefined> {
    try {
      const result = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(headerKey(batch)),
          UpdateExpression:
            'SET #status = :claimed, claimedUntil = :until, attempts = if_not_exists(attempts, :zero) + :one, expiresAt = :expires',
          ConditionExpression:
            'attribute_not_exists(pk) OR (#status = :retry AND nextAttemptAt <= :now) OR (#status = :claimed AND claimedUntil < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: marshall({
            ':claimed': 'CLAIMED',
            ':retry': 'RETRY',
            ':until': nowMs + claimMs,
            ':zero': 0,
            ':one': 1,
            ':now': nowMs,
            ':expires': ttl(nowMs + BATCH_RETENTION_MS),
          }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return unmarshall(result.Attributes!).attempts as number;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async readHeader(batch: BatchId): Promise<BatchHeader | undefined> {
    const item = await this.getItem(headerKey(batch));
    return item ? (unmarshall(item) as BatchHeader) : undefined;
  }

  /** Records the outcome of a claimed attempt. */
  async recordOutcome(batch: BatchId, outcome: Readonly<Record<string, string | number>> & { status: BatchHeader['status'] }, nowMs: number): Promise<void> {
    const names: Record<string, string> = {};
    const values: Record<string, string | number> = { ':expires': ttl(nowMs + BATCH_RETENTION_MS) };
    const sets = ['expiresAt = :expires'];
    Object.entries(outcome).forEach(([name, value], index) => {
      names[`#a${index}`] = name;
      values[`:v${index}`] = value;
      sets.push(`#a${index} = :v${index}`);
    });
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(headerKey(batch)),
        UpdateExpression: `SET ${sets.join(', ')} REMOVE claimedUntil`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: marshall(values),
      }),
    );
  }

  /** Stores the trigger's configuration for the flush, and its digest in the state, when it changed. */
  async saveConfig(config: BatchTriggerConfig, digest: string): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({ ...configKey(config.triggerId), config: JSON.stringify(config), digest }),
      }),
    );
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(stateKey(config.triggerId)),
        UpdateExpression: 'SET configDigest = :digest',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: marshall({ ':digest': digest }),
      }),
    );
  }

  async readConfig(triggerId: string): Promise<unknown> {
    const item = await this.getItem(configKey(triggerId));
    return item ? JSON.parse(unmarshall(item).config as string) : undefined;
  }

  private async getItem(key: Record<string, string>): Promise<Record<string, AttributeValue> | undefined> {
    const result = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall(key), ConsistentRead: true }),
    );
    return result.Item;
  }
}

function toState(item: Record<string, AttributeValue>): TriggerState {
  const state = unmarshall(item);
  return {
    epoch: state.epoch,
    generation: state.generation,
    count: state.count ?? 0,
    openedAtMs: state.openedAt,
    configDigest: state.configDigest,
    unfinished: state.unfinished ?? {},
    sealedAt: state.sealedAt ?? {},
  };
}
