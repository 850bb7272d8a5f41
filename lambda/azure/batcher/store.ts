import { randomBytes } from 'node:crypto';
import { admit, batchFreed, batchTaken, claimable, CLAIMABLE_STATUSES, batchRecordFrom, CLAIM_TTL_MS, firstBatch, flushSeals, nextBatch, openBatchFrom, type BatchClaim, type BatchRecord, type OpenBatch, type Recorded } from '../../core/batch-lease';
import type { ManifestEntry } from '../../core/batching';
import { retryContended, type Backoff } from '../../core/persistence';
import { rowLease, type PartitionRows, type Row, type RowLeaseLayout, type RowWrite, type StoredRow } from '../adapters/tables';

export type { Recorded } from '../../core/batch-lease';

/** A batch this invocation holds: its lease writes the attempt's end only while the row still carries the take's ETag. */
export type Claim = BatchClaim<Row, StoredRow>;

/** What the batcher keeps in Table Storage, as the start path and the handlers use it; a test may wrap it. */
export interface Batches {
  recordObject(identityKey: string, entry: ManifestEntry, eventId: string, nowMs: number, batchSize: number, windowSeconds: number): Promise<Recorded>;
  sealExpired(nowMs: number, windowSeconds: number): Promise<number | undefined>;
  dueBatches(nowMs: number): Promise<number[]>;
  claim(generation: number, nowMs: number): Promise<Claim | undefined>;
  members(generation: number): Promise<ManifestEntry[]>;
  finish(claim: Claim, status: 'STARTED' | 'RETRY' | 'FAILED', details: Row): Promise<boolean>;
}

/** A failure of the store's own data: never retried into success, so reported, not hidden. */
export class BatchStateError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'BatchStateError';
  }
}

/**
 * A closed batch's start attempts as a lease (the same rules as the Google batcher's): SEALED, a due RETRY or an
 * expired CLAIMED may be taken; a take counts an attempt and holds the batch until claimExpiresAtMs; RETRY frees it
 * until nextAttemptAtMs; STARTED and FAILED complete it. The holder is known by its take's ETag.
 */
const BATCH_LEASE: RowLeaseLayout = {
  takeable: (fields, nowMs) => claimable(batchRecord(fields), nowMs),
  taken: (fields, _owner, untilMs, extra) => ({ ...fields, ...extra, ...batchTaken(integer(fields.attempts), untilMs) }),
  freed: (fields, untilMs, extra) => ({ ...fields, ...extra, ...batchFreed(untilMs) }),
  completed: (fields, extra) => ({ ...fields, ...extra }),
};

export const STATE_ROW = 'state';
const pad = (n: number): string => String(n).padStart(10, '0');
export const blobRow = (identityKey: string): string => `blob-${identityKey}`;
export const batchRow = (generation: number): string => `batch-${pad(generation)}`;
const memberRow = (generation: number, seq: number): string => `member-${pad(generation)}-${pad(seq)}`;

/**
 * The batcher's rows, all in the trigger's partition of the state table: `state` (the open batch), `blob-<key>` (one per
 * blob version ever seen), `batch-<g>` (a closed batch) and `member-<g>-<seq>` (its manifest lines). Every change that
 * decides something is an entity-group transaction of creates and ETag-conditional replaces, so of two invocations
 * that read the same state one commits and the other reads again (after a jittered wait) and decides anew.
 */
export class BatchStore implements Batches {
  constructor(
    private readonly rows: PartitionRows,
    private readonly backoff: Backoff,
  ) {}

  /** Adds the blob to the open batch unless it was seen before; seals the batch it fills. */
  recordObject(identityKey: string, entry: ManifestEntry, eventId: string, nowMs: number, batchSize: number, windowSeconds: number): Promise<Recorded> {
    return this.contended('recording a blob', async () => {
      const seen = await this.rows.get(blobRow(identityKey));
      if (seen) return { status: 'duplicate', generation: integer(seen.fields.generation) };
      const state = await this.rows.get(STATE_ROW);
      const open = openBatch(state);
      const admission = admit(open, nowMs, batchSize, windowSeconds);
      const generation = open.generation;
      const writes: RowWrite[] = [
        { create: blobRow(identityKey), fields: { generation, eventId, seenAtMs: nowMs } },
        { create: memberRow(generation, admission.seq), fields: { ...entryFields(entry), seq: admission.seq, generation } },
        stateWrite(admission.next, state),
      ];
      if (admission.seals) writes.push(sealWrite(open, admission.seq, nowMs));
      if (!(await this.rows.commit(writes))) return undefined;
      return { status: 'added', generation, seq: admission.seq, sealed: admission.seals };
    });
  }

  /** Seals the open batch when its window ran out; returns its generation, or undefined when nothing was sealed. */
  async sealExpired(nowMs: number, windowSeconds: number): Promise<number | undefined> {
    const sealed = await this.contended('sealing an expired batch', async () => {
      const state = await this.rows.get(STATE_ROW);
      const open = openBatch(state);
      if (!state || !flushSeals(open, nowMs, windowSeconds)) return { generation: undefined };
      const committed = await this.rows.commit([stateWrite(nextBatch(open), state), sealWrite(open, open.count, nowMs)]);
      return committed ? { generation: open.generation } : undefined;
    });
    return sealed.generation;
  }

  /** Generations of the closed batches that may be claimed now (sealed, retry due, or claimed by an invocation that died). */
  async dueBatches(nowMs: number): Promise<number[]> {
    const filter = CLAIMABLE_STATUSES.map((status) => `status eq '${status}'`).join(' or ');
    const rows = await this.rows.list('batch-', 'batch.', filter);
    return rows.filter((row) => claimable(batchRecord(row.fields), nowMs)).map((row) => integer(row.fields.generation));
  }

  /** Takes the batch for one start attempt, or answers undefined when it is not claimable (open, started, held). */
  async claim(generation: number, nowMs: number): Promise<Claim | undefined> {
    const lease = rowLease(this.rows, batchRow(generation), BATCH_LEASE);
    const taken = await lease.take('batcher', nowMs, CLAIM_TTL_MS);
    if (!taken) return undefined;
    return { generation, epoch: String(taken.fields.epoch), count: integer(taken.fields.count), attempts: integer(taken.fields.attempts), lease };
  }

  /** The batch's manifest lines, in the order the blobs arrived. */
  async members(generation: number): Promise<ManifestEntry[]> {
    const rows = await this.rows.list(`member-${pad(generation)}-`, `member-${pad(generation)}.`);
    return rows.map((row) => manifestEntry(row.fields));
  }

  /** Records the attempt's end, unless the claim was lost (expired and taken): then answers false and writes nothing. */
  async finish(claim: Claim, status: 'STARTED' | 'RETRY' | 'FAILED', details: Row): Promise<boolean> {
    if (status !== 'RETRY') return claim.lease.complete({ ...details, status });
    const { nextAttemptAtMs, ...rest } = details;
    if (typeof nextAttemptAtMs !== 'number') throw new BatchStateError('a RETRY needs nextAttemptAtMs');
    return claim.lease.free(nextAttemptAtMs, rest);
  }

  /** Rounds of read-decide-commit until one commits or decides to write nothing (`undefined`: lost to another writer). */
  private contended<R>(what: string, round: () => Promise<R | undefined>): Promise<R> {
    return retryContended<R>(
      async () => {
        const value = await round();
        return value === undefined ? { settled: false, lost: undefined } : { settled: true, value };
      },
      this.backoff,
      () => new Error(`${what}: the trigger's state kept changing under every attempt; deliver the event again later`),
    );
  }
}

/** The open batch the state row describes; a missing row is a new state with a fresh epoch. */
function openBatch(state: StoredRow | undefined): OpenBatch {
  if (!state) return firstBatch(randomBytes(6).toString('hex'));
  return openBatchFrom(state.fields, integer);
}

/** The state row's write: a create when there was none, else a replace over the ETag read (a row cannot hold null). */
function stateWrite(next: OpenBatch, read: StoredRow | undefined): RowWrite {
  const fields: Row = { epoch: next.epoch, generation: next.generation, count: next.count, ...(next.openedAtMs !== null ? { openedAtMs: next.openedAtMs } : {}) };
  return read ? { replace: STATE_ROW, fields, etag: read.etag } : { create: STATE_ROW, fields };
}

function sealWrite(open: OpenBatch, count: number, nowMs: number): RowWrite {
  const fields: Row = { status: 'SEALED', epoch: open.epoch, generation: open.generation, count, openedAtMs: open.openedAtMs ?? nowMs, sealedAtMs: nowMs, attempts: 0 };
  return { create: batchRow(open.generation), fields };
}

function batchRecord(fields: Row): BatchRecord {
  return batchRecordFrom(fields, integer);
}

function entryFields(entry: ManifestEntry): Row {
  const { uri, bucket, key, size, eventTime, versionId } = entry;
  return { uri, container: bucket, name: key, size, eventTime, ...(versionId !== undefined ? { eTag: versionId } : {}) };
}

function manifestEntry(fields: Row): ManifestEntry {
  const eTag = fields.eTag;
  return {
    uri: String(fields.uri),
    bucket: String(fields.container),
    key: String(fields.name),
    ...(typeof eTag === 'string' ? { versionId: eTag } : {}),
    size: integer(fields.size),
    eventTime: String(fields.eventTime),
  };
}

function integer(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new BatchStateError(`expected an integer property, got ${JSON.stringify(value)}`);
  return value;
}
