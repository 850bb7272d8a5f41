import {
  PutItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { BatchId, ManifestEntry, Slot } from '../../core/batching';
import type { Lease } from '../../core/persistence';
import { dynamoLease } from '../adapters/lease';
import { queryAll } from '../adapters/query-all';
import {
  BATCH_RETENTION_MS,
  batchPk,
  getItem,
  headerKey,
  isConditionFailure,
  itemAfterConditionFailure,
  slotKey,
  ttl,
} from './table';

export type SlotWrite = 'written' | 'same' | 'empty';

export interface BatchHeader {
  readonly status: 'CLAIMED' | 'RETRY' | 'STARTED' | 'FAILED' | 'EMPTY';
  readonly attempts: number;
}

/**
 * How batches' starts went, each batch's claim and outcome, and what the slots of batches sealed before
 * chunks hold. Slots and claims are conditional writes, each decided once.
 */
export class BatchRecordStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

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
      const item = await itemAfterConditionFailure(this.client, this.tableName, error, key);
      const held = unmarshall(item!);
      if (held.empty) return 'empty';
      return held.identity === identity ? 'same' : 'other';
    }
  }

  /** Every slot of a sealed batch, in order; `undefined` where nothing was written yet. */
  async readSlots(batch: BatchId, slotCount: number): Promise<Slot[]> {
    const slots: Slot[] = new Array(slotCount).fill(undefined);
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :slot)',
      ExpressionAttributeValues: marshall({ ':pk': batchPk(batch), ':slot': 'S#' }),
      ConsistentRead: true,
    });
    for (const item of items) {
      const index = Number(String(item.sk).slice(2)) - 1;
      if (index < 0 || index >= slotCount) continue;
      slots[index] = item.empty ? { kind: 'empty' } : { kind: 'member', entry: JSON.parse(item.entry) as ManifestEntry };
    }
    return slots;
  }

  /**
   * Claims a sealed batch for one start attempt: only one invocation at a time gets it, and a claim
   * left by a crashed invocation expires after `claimMs`. Returns the attempt number, or undefined.
   */
  async claim(batch: BatchId, nowMs: number, claimMs: number): Promise<number | undefined> {
    const taken = await this.lease(batch).take('batcher', nowMs, claimMs, { status: 'CLAIMED', expiresAt: ttl(nowMs + BATCH_RETENTION_MS) });
    return taken ? (taken.attempts as number) : undefined;
  }

  /** The start attempts of a batch: claimed until `claimedUntil`, finished for good once `finishedAt` is set. */
  private lease(batch: BatchId): Lease {
    return dynamoLease(this.client, this.tableName, headerKey(batch), {
      done: 'finishedAt',
      until: 'claimedUntil',
      count: 'attempts',
      // A batch that waited for a retry under the layout without `claimedUntil` on waits.
      alsoFreeWhen: { condition: '#status = :retry AND nextAttemptAt <= :now AND attribute_not_exists(claimedUntil)', names: { '#status': 'status' }, values: { ':retry': 'RETRY' } },
    });
  }

  async readHeader(batch: BatchId): Promise<BatchHeader | undefined> {
    const item = await getItem(this.client, this.tableName, headerKey(batch));
    return item ? (unmarshall(item) as BatchHeader) : undefined;
  }

  /** A start the coordinator deferred: claimable again at `untilMs`, and the attempt is given back. */
  async recordDeferral(batch: BatchId, untilMs: number, reason: string, nowMs: number): Promise<void> {
    await this.lease(batch).free(untilMs, { status: 'RETRY', nextAttemptAt: untilMs, lastDecision: reason, expiresAt: ttl(nowMs + BATCH_RETENTION_MS) }, true);
  }

  /** Records the outcome of a claimed attempt: a retry frees the batch at its time, anything else finishes it. */
  async recordOutcome(batch: BatchId, outcome: Readonly<Record<string, string | number>> & { status: BatchHeader['status'] }, nowMs: number): Promise<void> {
    const fields = { ...outcome, expiresAt: ttl(nowMs + BATCH_RETENTION_MS) };
    if (outcome.status === 'RETRY') await this.lease(batch).free(Number(outcome.nextAttemptAt ?? nowMs), fields);
    else await this.lease(batch).complete({ ...fields, finishedAt: nowMs });
  }
}
