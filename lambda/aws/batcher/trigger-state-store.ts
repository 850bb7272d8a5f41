import {
  UpdateItemCommand,
  type DynamoDBClient,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { BatchId } from '../../core/batching';
import type { BatchTriggerConfig } from '../../core/contracts/batch';
import type { Item } from '../adapters/query-all';
import { getItem, itemAfterConditionFailure, isConditionFailure, stateKey, unlessConditionFails, type SlotRef } from './table';

/**
 * How a sealed batch's contents are kept: one item per slot (the layout before chunks, kept readable for
 * batches sealed before an upgrade), or one chunk per allocation.
 */
export type BatchShape = { readonly layout: 'slots'; readonly slots: number } | { readonly layout: 'chunks'; readonly allocations: number };

/** A trigger's state: the open batch and the sealed ones not yet started. */
export interface TriggerState {
  readonly epoch: string;
  readonly generation: number;
  /** Objects taken into the open batch. */
  readonly count: number;
  readonly openedAtMs?: number;
  /** The open batch has no free place left and waits to be sealed. */
  readonly full: boolean;
  /** Sealed generations not yet started, and how each keeps its contents. */
  readonly unfinished: Readonly<Record<string, BatchShape>>;
  /** Generation -> when it was sealed. */
  readonly sealedAt: Readonly<Record<string, number>>;
}

/** Places in the open batch taken by one conditional update: allocation `allocation` of batch `generation`. */
export interface Allocation extends BatchId {
  readonly allocation: number;
  /** How many objects it holds: as many as were asked for, or the batch's last free places. */
  readonly taken: number;
  /** The batch is full with it: sealed already (`sealed`), or still to seal (`full`). */
  readonly closes?: 'sealed' | 'full';
  /** How many objects the batch holds, when this allocation sealed it. */
  readonly sealedWith?: number;
}

/**
 * A trigger's open batch and its sealed, unstarted ones, in one item. Every change is a single conditional
 * write, so concurrent invocations never both pass a rule that only one may pass. The open batch counts its
 * free places and its allocations: a message batch takes all the places it needs with one update.
 */
export class TriggerStateStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /**
   * Takes up to `wanted` places of the trigger's open batch. Returns undefined when the batch is past its
   * window or full but not sealed (seal it and ask again); a batch with fewer free places gives them all
   * and is sealed by the same update. Creates the state on first use, and converts a state kept one slot
   * at a time (before chunks) by sealing its open batch first.
   */
  async allocate(config: BatchTriggerConfig, wanted: number, newEpoch: string, nowMs: number): Promise<Allocation | { readonly closed: TriggerState } | undefined> {
    const asked = Math.min(wanted, config.batchSize);
    const cutoff = nowMs - config.batchWindowSeconds * 1000;
    try {
      const taken = await this.updateState(config.triggerId, {
        UpdateExpression:
          'SET epoch = if_not_exists(epoch, :epoch), generation = if_not_exists(generation, :one), #free = if_not_exists(#free, :size) - :k, ' +
          // lastArrivalAt rides on the write that takes places: a deadline reads whether data came since its firing before.
          'openedAt = if_not_exists(openedAt, :now), unfinished = if_not_exists(unfinished, :empty), sealedAt = if_not_exists(sealedAt, :empty), lastArrivalAt = :now ' +
          'ADD #count :k, #allocs :one',
        ConditionExpression: 'attribute_not_exists(pk) OR (#free >= :k AND (attribute_not_exists(openedAt) OR openedAt > :cutoff))',
        ExpressionAttributeNames: { '#free': 'free', '#allocs': 'allocs', '#count': 'count' },
      }, { ':epoch': newEpoch, ':one': 1, ':size': config.batchSize, ':k': asked, ':now': nowMs, ':empty': {}, ':cutoff': cutoff });
      const allocation: Allocation = { triggerId: config.triggerId, epoch: taken.epoch, generation: taken.generation, allocation: taken.allocs, taken: asked };
      return taken.free <= 0 ? { ...allocation, closes: 'full' } : allocation;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const old = unmarshall((await itemAfterConditionFailure(this.client, this.tableName, error, stateKey(config.triggerId))) ?? {});
      if (old.free === undefined) return { closed: await this.convert(config, old, nowMs) };
      if (old.openedAt !== undefined && old.openedAt <= cutoff) {
        // Past its window: sealed by the caller, or, when every place it took was given back, reopened here.
        if (!(old.count > 0)) await this.reopen(config.triggerId, old.generation);
        return undefined;
      }
      if (old.free <= 0) return undefined;
      return this.takeRest(config, old, nowMs);
    }
  }

  /** Takes the open batch's last `free` places and seals it, if nothing changed since `old` was read. */
  private async takeRest(config: BatchTriggerConfig, old: Item, nowMs: number): Promise<Allocation | undefined> {
    const allocation = (old.allocs ?? 0) + 1;
    const sealed = await unlessConditionFails(this.updateState(config.triggerId, {
      UpdateExpression:
        'SET generation = generation + :one, unfinished.#g = :shape, sealedAt.#g = :now, #free = :size, #count = :zero, #allocs = :zero, lastArrivalAt = :now REMOVE openedAt',
      ConditionExpression: 'generation = :generation AND #free = :free AND #allocs = :allocs AND (attribute_not_exists(openedAt) OR openedAt > :cutoff)',
      ExpressionAttributeNames: { '#free': 'free', '#allocs': 'allocs', '#count': 'count', '#g': String(old.generation) },
    }, {
      ':one': 1,
      ':zero': 0,
      ':now': nowMs,
      ':size': config.batchSize,
      ':shape': { allocations: allocation },
      ':generation': old.generation,
      ':free': old.free,
      ':allocs': old.allocs ?? 0,
      ':cutoff': nowMs - config.batchWindowSeconds * 1000,
    }));
    if (!sealed) return undefined;
    return { triggerId: config.triggerId, epoch: old.epoch, generation: old.generation, allocation, taken: old.free, closes: 'sealed', sealedWith: (old.count ?? 0) + old.free };
  }

  /** Seals a state kept one slot at a time: its open batch keeps its slot layout, and later batches use chunks. */
  private async convert(config: BatchTriggerConfig, old: Item, nowMs: number): Promise<TriggerState> {
    const count = old.count ?? 0;
    const generation = String(old.generation);
    const converted = await unlessConditionFails(this.updateState(config.triggerId, {
      UpdateExpression:
        count > 0
          ? 'SET generation = generation + :one, unfinished.#g = :slots, sealedAt.#g = :now, #free = :size, #count = :zero, #allocs = :zero REMOVE openedAt, #limit'
          : 'SET #free = :size, #count = :zero, #allocs = :zero REMOVE openedAt, #limit',
      ConditionExpression: 'attribute_not_exists(#free) AND generation = :generation AND #count = :observed',
      ExpressionAttributeNames: { '#free': 'free', '#allocs': 'allocs', '#count': 'count', '#limit': 'limit', ...(count > 0 ? { '#g': generation } : {}) },
    }, {
      ':size': config.batchSize,
      ':zero': 0,
      ':generation': old.generation,
      ':observed': count,
      ...(count > 0 ? { ':one': 1, ':slots': count, ':now': nowMs } : {}),
    }));
    return toState(converted ?? old);
  }

  async readState(triggerId: string): Promise<TriggerState | undefined> {
    const item = await getItem(this.client, this.tableName, stateKey(triggerId));
    return item ? toState(unmarshall(item)) : undefined;
  }

  /**
   * Seals `generation` when it is full or its window ran out, and opens the next one; returns the new
   * state, or undefined when another invocation sealed it first or it is neither full nor expired.
   */
  async seal(config: BatchTriggerConfig, generation: number, nowMs: number): Promise<TriggerState | undefined> {
    const state = await this.readRaw(config.triggerId);
    if (!state || state.generation !== generation || !(state.count > 0)) return undefined;
    if (state.free === undefined) return this.sealSlots(config, state, nowMs);
    const sealed = await unlessConditionFails(this.updateState(config.triggerId, {
      UpdateExpression: 'SET generation = generation + :one, unfinished.#g = :shape, sealedAt.#g = :now, #free = :size, #count = :zero, #allocs = :zero REMOVE openedAt',
      ConditionExpression: 'generation = :generation AND #allocs = :allocs AND #count > :zero AND (#free <= :zero OR openedAt <= :cutoff)',
      ExpressionAttributeNames: { '#free': 'free', '#allocs': 'allocs', '#count': 'count', '#g': String(generation) },
    }, {
      ':one': 1,
      ':zero': 0,
      ':now': nowMs,
      ':size': config.batchSize,
      ':shape': { allocations: state.allocs },
      ':generation': generation,
      ':allocs': state.allocs,
      ':cutoff': nowMs - config.batchWindowSeconds * 1000,
    }));
    return sealed ? toState(sealed) : undefined;
  }

  /** Seals an open batch of the slot layout, as the batcher before chunks did. */
  private async sealSlots(config: BatchTriggerConfig, state: Item, nowMs: number): Promise<TriggerState | undefined> {
    const sealed = await unlessConditionFails(this.updateState(config.triggerId, {
      UpdateExpression: 'SET generation = generation + :one, unfinished.#g = #count, sealedAt.#g = :now, #count = :zero, #limit = :size REMOVE openedAt',
      ConditionExpression: 'attribute_not_exists(#free) AND generation = :generation AND #count > :zero AND (#count >= #limit OR openedAt <= :cutoff)',
      ExpressionAttributeNames: { '#free': 'free', '#allocs': 'allocs', '#count': 'count', '#limit': 'limit', '#g': String(state.generation) },
    }, { ':one': 1, ':zero': 0, ':now': nowMs, ':size': config.batchSize, ':generation': state.generation, ':cutoff': nowMs - config.batchWindowSeconds * 1000 }));
    return sealed ? toState(sealed) : undefined;
  }

  /**
   * Gives the open batch back places an allocation did not use (its objects were counted before), so that the
   * batch still fills to its size; nothing when the batch was sealed meanwhile.
   */
  async giveBack(triggerId: string, generation: number, places: number): Promise<void> {
    await unlessConditionFails(this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(stateKey(triggerId)),
        UpdateExpression: 'ADD #free :places, #count :taken',
        ConditionExpression: 'generation = :generation AND attribute_exists(#free)',
        ExpressionAttributeNames: { '#free': 'free', '#count': 'count' },
        ExpressionAttributeValues: marshall({ ':places': places, ':taken': -places, ':generation': generation }),
      }),
    ));
  }

  /** Forgets when an open batch that holds nothing was opened: its window starts with its next object. */
  private async reopen(triggerId: string, generation: number): Promise<void> {
    await unlessConditionFails(this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(stateKey(triggerId)),
        UpdateExpression: 'REMOVE openedAt',
        ConditionExpression: 'generation = :generation AND #count <= :zero',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: marshall({ ':generation': generation, ':zero': 0 }),
      }),
    ));
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

  private async readRaw(triggerId: string): Promise<Item | undefined> {
    const item = await getItem(this.client, this.tableName, stateKey(triggerId));
    return item ? unmarshall(item) : undefined;
  }

  /** One conditional update of the trigger's state item: the item as written; a failed condition is thrown with the item as it was. */
  private async updateState(triggerId: string, update: StateUpdate, values: Readonly<Record<string, unknown>>): Promise<Item> {
    // DynamoDB refuses names and values an expression does not use: each update passes only its own.
    const text = `${update.UpdateExpression} ${update.ConditionExpression}`;
    const used = <T>(entries: Readonly<Record<string, T>>) => Object.fromEntries(Object.entries(entries).filter(([name]) => new RegExp(`${name}(?![\\w])`).test(text)));
    const result = await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(stateKey(triggerId)),
        ...update,
        ExpressionAttributeNames: used(update.ExpressionAttributeNames),
        ExpressionAttributeValues: marshall(used(values)),
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return unmarshall(result.Attributes!);
  }
}

type StateUpdate = Required<Pick<UpdateItemCommandInput, 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames'>>;

export type { SlotRef };

function toState(state: Item): TriggerState {
  const unfinished = Object.fromEntries(
    Object.entries((state.unfinished ?? {}) as Record<string, number | { allocations: number }>).map(([generation, shape]): [string, BatchShape] =>
      typeof shape === 'number' ? [generation, { layout: 'slots', slots: shape }] : [generation, { layout: 'chunks', allocations: shape.allocations }],
    ),
  );
  return {
    epoch: state.epoch,
    generation: state.generation,
    count: state.count ?? 0,
    openedAtMs: state.openedAt,
    full: state.free !== undefined ? state.free <= 0 : (state.count ?? 0) >= (state.limit ?? Infinity),
    unfinished,
    sealedAt: state.sealedAt ?? {},
  };
}
