import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { CalendarKind } from '../../core/contracts/arrival-calendar';
import type { BatchTriggerConfig } from '../../core/contracts/batch';
import type { Item } from '../adapters/query-all';
import { getItem, isConditionFailure, stateKey } from './table';

/** What a calendar firing reads of a trigger's state item. */
export interface CalendarView {
  /** The open batch counts its places (the layout since chunks); false for a state kept one slot at a time, or none yet. */
  readonly chunked: boolean;
  readonly exists: boolean;
  readonly generation: number;
  readonly allocs: number;
  /** Objects in the open batch. */
  readonly count: number;
  /** When the batcher last took places for objects of the trigger. */
  readonly lastArrivalAtMs?: number;
  /** The latest firing of this kind acted on. */
  readonly actedOnMs?: number;
}

/** How a conditional write of a firing ended: done, acted on by another invocation first, or the state changed under it. */
export type FiringWrite = 'written' | 'already-acted' | 'changed';

/** The attribute of the trigger's state that holds the latest firing of `kind` acted on. */
const actedOnAttribute = (kind: CalendarKind) => `${kind}FiredAt`;

/**
 * The calendar's writes to a trigger's state item. Each records the firing acted on in the same conditional
 * write as its change, so a firing acts at most once however often it is delivered; a later firing only.
 */
export class CalendarStateStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async read(triggerId: string, kind: CalendarKind): Promise<CalendarView> {
    const raw = await getItem(this.client, this.tableName, stateKey(triggerId));
    const item: Item = raw ? unmarshall(raw) : {};
    return {
      exists: raw !== undefined,
      chunked: raw === undefined || item.free !== undefined,
      generation: item.generation ?? 1,
      allocs: item.allocs ?? 0,
      count: item.count ?? 0,
      ...(typeof item.lastArrivalAt === 'number' ? { lastArrivalAtMs: item.lastArrivalAt } : {}),
      ...(typeof item[actedOnAttribute(kind)] === 'number' ? { actedOnMs: item[actedOnAttribute(kind)] } : {}),
    };
  }

  /**
   * Records the firing without changing the batches; with `onlyWhenEmpty`, only while the open batch holds
   * nothing (else `changed`: close it instead). A trigger that has no state yet gets the state the batcher
   * would create with its first object, so that the batcher finds an open batch to allocate from.
   */
  async record(config: BatchTriggerConfig, kind: CalendarKind, firingMs: number, newEpoch: string, onlyWhenEmpty: boolean): Promise<FiringWrite> {
    return this.write(config.triggerId, {
      UpdateExpression:
        'SET epoch = if_not_exists(epoch, :epoch), generation = if_not_exists(generation, :one), #free = if_not_exists(#free, :size), ' +
        '#count = if_not_exists(#count, :zero), #allocs = if_not_exists(#allocs, :zero), unfinished = if_not_exists(unfinished, :empty), ' +
        'sealedAt = if_not_exists(sealedAt, :empty), #acted = :firing',
      // A state kept one slot at a time is converted by the batcher's next allocation, never here.
      ConditionExpression:
        '(attribute_not_exists(pk) OR attribute_exists(#free)) AND (attribute_not_exists(#acted) OR #acted < :firing)' +
        (onlyWhenEmpty ? ' AND (attribute_not_exists(#count) OR #count <= :zero)' : ''),
      names: { '#free': 'free', '#count': 'count', '#allocs': 'allocs', '#acted': actedOnAttribute(kind) },
      values: { ':epoch': newEpoch, ':one': 1, ':size': config.batchSize, ':zero': 0, ':empty': {}, ':firing': firingMs },
    }, firingMs, kind);
  }

  /**
   * Seals the open batch as `view` saw it, whatever its size, opens the next one and records the firing, in one
   * write: `changed` when an object took places meanwhile (read again and retry), as the batcher's own seal.
   */
  async close(config: BatchTriggerConfig, kind: CalendarKind, firingMs: number, view: CalendarView, nowMs: number): Promise<FiringWrite> {
    return this.write(config.triggerId, {
      UpdateExpression:
        'SET generation = generation + :one, unfinished.#g = :shape, sealedAt.#g = :now, #free = :size, #count = :zero, #allocs = :zero, #acted = :firing REMOVE openedAt',
      ConditionExpression:
        'attribute_exists(#free) AND generation = :generation AND #allocs = :allocs AND #count > :zero AND (attribute_not_exists(#acted) OR #acted < :firing)',
      names: { '#free': 'free', '#count': 'count', '#allocs': 'allocs', '#acted': actedOnAttribute(kind), '#g': String(view.generation) },
      values: {
        ':one': 1,
        ':zero': 0,
        ':now': nowMs,
        ':size': config.batchSize,
        ':shape': { allocations: view.allocs },
        ':generation': view.generation,
        ':allocs': view.allocs,
        ':firing': firingMs,
      },
    }, firingMs, kind);
  }

  private async write(
    triggerId: string,
    update: { UpdateExpression: string; ConditionExpression: string; names: Record<string, string>; values: Record<string, unknown> },
    firingMs: number,
    kind: CalendarKind,
  ): Promise<FiringWrite> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(stateKey(triggerId)),
          UpdateExpression: update.UpdateExpression,
          ConditionExpression: update.ConditionExpression,
          ExpressionAttributeNames: update.names,
          ExpressionAttributeValues: marshall(update.values),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'written';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const old = (error as { Item?: Parameters<typeof unmarshall>[0] }).Item;
      const acted = old ? unmarshall(old)[actedOnAttribute(kind)] : (await this.read(triggerId, kind)).actedOnMs;
      return typeof acted === 'number' && acted >= firingMs ? 'already-acted' : 'changed';
    }
  }
}
