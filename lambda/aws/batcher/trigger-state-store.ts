import {
  UpdateItemCommand,
  type DynamoDBClient,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { BatchId } from '../../core/batching';
import type { BatchTriggerConfig } from '../../core/contracts/batch';
import type { Item } from '../adapters/query-all';
import { getItem, stateKey, unlessConditionFails, type SlotRef } from './table';

/** A trigger's state: the open batch and the sealed ones not yet started. */
export interface TriggerState {
  readonly epoch: string;
  readonly generation: number;
  readonly count: number;
  readonly openedAtMs?: number;
  /** Sealed generations not yet started: generation -> number of slots. */
  readonly unfinished: Readonly<Record<string, number>>;
  /** Generation -> when it was sealed. */
  readonly sealedAt: Readonly<Record<string, number>>;
}

/**
 * A trigger's open batch and its sealed, unstarted ones, in one item. Every change is a single
 * conditional write, so concurrent invocations never both pass a rule that only one may pass.
 */
export class TriggerStateStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /**
   * Takes the next slot of the trigger's open batch, unless that batch is full or its window ran out
   * (then undefined: seal it and ask again). Creates the state on first use.
   */
  async allocate(config: BatchTriggerConfig, newEpoch: string, nowMs: number): Promise<SlotRef | undefined> {
    const state = await this.updateState(config.triggerId, {
      UpdateExpression:
        'SET epoch = if_not_exists(epoch, :epoch), generation = if_not_exists(generation, :one), ' +
        '#limit = if_not_exists(#limit, :size), openedAt = if_not_exists(openedAt, :now), ' +
        'unfinished = if_not_exists(unfinished, :empty), sealedAt = if_not_exists(sealedAt, :empty) ADD #count :one',
      ConditionExpression:
        'attribute_not_exists(pk) OR (#count < #limit AND (attribute_not_exists(openedAt) OR openedAt > :cutoff))',
      ExpressionAttributeNames: { '#count': 'count', '#limit': 'limit' },
    }, {
      ':epoch': newEpoch,
      ':one': 1,
      ':size': config.batchSize,
      ':now': nowMs,
      ':empty': {},
      ':cutoff': nowMs - config.batchWindowSeconds * 1000,
    });
    if (!state) return undefined;
    return {
      triggerId: config.triggerId,
      epoch: state.epoch,
      generation: state.generation,
      slot: state.count,
      limit: state.limit,
    };
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
    const state = await this.updateState(config.triggerId, {
      UpdateExpression:
        'SET generation = generation + :one, unfinished.#g = #count, sealedAt.#g = :now, #count = :zero, #limit = :size REMOVE openedAt',
      ConditionExpression: 'generation = :generation AND #count > :zero AND (#count >= #limit OR openedAt <= :cutoff)',
      ExpressionAttributeNames: { '#count': 'count', '#limit': 'limit', '#g': String(generation) },
    }, {
      ':one': 1,
      ':zero': 0,
      ':now': nowMs,
      ':size': config.batchSize,
      ':generation': generation,
      ':cutoff': nowMs - config.batchWindowSeconds * 1000,
    });
    return state ? toState(state) : undefined;
  }

  /** Lets the open batch take one more slot, for a slot that a duplicate delivery gave back. */
  async raiseLimit(triggerId: string, generation: number): Promise<void> {
    await unlessConditionFails(this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(stateKey(triggerId)),
        UpdateExpression: 'ADD #limit :one',
        ConditionExpression: 'generation = :generation',
        ExpressionAttributeNames: { '#limit': 'limit' },
        ExpressionAttributeValues: marshall({ ':one': 1, ':generation': generation }),
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

  /** One conditional update of the trigger's state item: the item as written, or undefined when the condition failed. */
  private async updateState(triggerId: string, update: StateUpdate, values: Readonly<Record<string, unknown>>): Promise<Item | undefined> {
    const result = await unlessConditionFails(this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(stateKey(triggerId)),
        ...update,
        ExpressionAttributeValues: marshall(values),
        ReturnValues: 'ALL_NEW',
      }),
    ));
    return result ? unmarshall(result.Attributes!) : undefined;
  }
}

type StateUpdate = Required<Pick<UpdateItemCommandInput, 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames'>>;

function toState(state: Item): TriggerState {
  return {
    epoch: state.epoch,
    generation: state.generation,
    count: state.count ?? 0,
    openedAtMs: state.openedAt,
    unfinished: state.unfinished ?? {},
    sealedAt: state.sealedAt ?? {},
  };
}
