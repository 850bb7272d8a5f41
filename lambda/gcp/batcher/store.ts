import { randomBytes } from 'node:crypto';
import type { ManifestEntry } from '../../core/batching';
import { FirestoreError, runTransaction, type Fields, type FirestoreDocuments, type StoredDocument, type Write } from '../adapters/firestore';
import { firestoreLease, type FirestoreLeaseLayout } from '../adapters/firestore-lease';
import { admit, batchFreed, batchTaken, claimable, CLAIMABLE_STATUSES, batchRecordFrom, CLAIM_TTL_MS, firstBatch, flushSeals, nextBatch, openBatchFrom, type BatchClaim, type BatchRecord, type OpenBatch, type Recorded } from '../../core/batch-lease';
import { objectKey } from './decisions';

export type { Recorded } from '../../core/batch-lease';

/** A batch this invocation holds: its lease writes the attempt's end only while the hold is still this one. */
export type Claim = BatchClaim<Fields, StoredDocument>;

/** What the batcher keeps in Firestore, as the start path and the handler use it; a test may wrap it. */
export interface Batches {
  recordObject(identity: readonly [string, string, string], entry: ManifestEntry, messageId: string, nowMs: number, batchSize: number, windowSeconds: number): Promise<Recorded>;
  sealExpired(nowMs: number, windowSeconds: number): Promise<number | undefined>;
  dueBatches(nowMs: number): Promise<number[]>;
  claim(generation: number, nowMs: number): Promise<Claim | undefined>;
  members(generation: number): Promise<ManifestEntry[]>;
  finish(claim: Claim, status: 'STARTED' | 'RETRY' | 'FAILED', details: Fields): Promise<boolean>;
}

/**
 * A closed batch's start attempts as a lease: SEALED, a due RETRY or an expired CLAIMED may be taken; a take counts
 * an attempt and holds the batch until claimExpiresAtMs; RETRY frees it until nextAttemptAtMs; STARTED and FAILED
 * complete it. The holder is known by its take's updateTime, so the owner is not stored.
 */
const BATCH_LEASE: FirestoreLeaseLayout = {
  takeable: (fields, nowMs) => claimable(batchRecord(fields), nowMs),
  taken: (fields, _owner, untilMs, extra) => ({ ...fields, ...extra, ...batchTaken(integer(fields.attempts), untilMs) }),
  freed: (fields, untilMs, extra) => ({ ...fields, ...extra, ...batchFreed(untilMs) }),
  completed: (fields, extra) => ({ ...fields, ...extra }),
};

/**
 * The batcher's Firestore documents: `triggers/{t}` (the open batch), `triggers/{t}/objects/{key}` (one per object
 * ever seen), `triggers/{t}/batches/{g}` (a closed batch) and `triggers/{t}/batches/{g}/members/{key}` (its lines).
 * Every change that decides something is a transaction, so concurrent invocations serialise on the documents read.
 */
export class BatchStore implements Batches {
  constructor(
    private readonly db: FirestoreDocuments,
    private readonly triggerId: string,
  ) {}

  private get statePath(): string {
    return `triggers/${this.triggerId}`;
  }

  private batchPath(generation: number): string {
    return `${this.statePath}/batches/${generation}`;
  }

  /** Adds the object to the open batch unless it was seen before; seals the batch it fills. */
  async recordObject(identity: readonly [string, string, string], entry: ManifestEntry, messageId: string, nowMs: number, batchSize: number, windowSeconds: number): Promise<Recorded> {
    const key = objectKey(identity);
    const seenPath = `${this.statePath}/objects/${key}`;
    const { result } = await runTransaction<Recorded>(this.db, async (transaction) => {
      const seen = await this.db.get(seenPath, transaction);
      const state = await this.db.get(this.statePath, transaction);
      if (seen) return { writes: [], result: { status: 'duplicate', generation: integer(seen.fields.generation) } };
      const open = openBatch(state);
      const admission = admit(open, nowMs, batchSize, windowSeconds);
      const generation = open.generation;
      const writes: Write[] = [
        { update: seenPath, fields: { generation, messageId, seenAtMs: nowMs }, currentDocument: { exists: false } },
        { update: `${this.batchPath(generation)}/members/${key}`, fields: { ...entryFields(entry), seq: admission.seq, generation }, currentDocument: { exists: false } },
        stateWrite(this.statePath, admission.next, state),
      ];
      if (admission.seals) writes.push(this.sealWrite(open, admission.seq, nowMs));
      return { writes, result: { status: 'added', generation, seq: admission.seq, sealed: admission.seals } };
    });
    return result;
  }

  /** Seals the open batch when its window ran out; returns its generation, or undefined when nothing was sealed. */
  async sealExpired(nowMs: number, windowSeconds: number): Promise<number | undefined> {
    const { result } = await runTransaction<number | undefined>(this.db, async (transaction) => {
      const state = await this.db.get(this.statePath, transaction);
      const open = openBatch(state);
      if (!state || !flushSeals(open, nowMs, windowSeconds)) return { writes: [], result: undefined };
      const next: OpenBatch = nextBatch(open);
      return { writes: [stateWrite(this.statePath, next, state), this.sealWrite(open, open.count, nowMs)], result: open.generation };
    });
    return result;
  }

  /** Generations of the closed batches that may be claimed now (sealed, retry due, or claimed by an invocation that died). */
  async dueBatches(nowMs: number): Promise<number[]> {
    const found: number[] = [];
    for (const status of CLAIMABLE_STATUSES) {
      const documents = await this.db.runQuery({ parent: this.statePath, collectionId: 'batches', where: { field: 'status', equals: status } });
      for (const document of documents) if (claimable(batchRecord(document.fields), nowMs)) found.push(integer(document.fields.generation));
    }
    return found.sort((a, b) => a - b);
  }

  /** Takes the batch for one start attempt, or answers undefined when it is not claimable (open, started, held). */
  async claim(generation: number, nowMs: number): Promise<Claim | undefined> {
    const lease = firestoreLease(this.db, this.batchPath(generation), BATCH_LEASE);
    const taken = await lease.take('batcher', nowMs, CLAIM_TTL_MS);
    if (!taken) return undefined;
    return { generation, epoch: String(taken.fields.epoch), count: integer(taken.fields.count), attempts: integer(taken.fields.attempts), lease };
  }

  /** The batch's manifest lines, in the order the objects arrived. */
  async members(generation: number): Promise<ManifestEntry[]> {
    const documents = await this.db.runQuery({ parent: this.batchPath(generation), collectionId: 'members', orderBy: 'seq' });
    return documents.map((document) => manifestEntry(document.fields));
  }

  /** Records the attempt's end, unless the claim was lost (expired and taken): then answers false and writes nothing. */
  async finish(claim: Claim, status: 'STARTED' | 'RETRY' | 'FAILED', details: Fields): Promise<boolean> {
    if (status !== 'RETRY') return claim.lease.complete({ ...details, status });
    const { nextAttemptAtMs, ...rest } = details;
    if (typeof nextAttemptAtMs !== 'number') throw new FirestoreError(0, 'INVALID_ARGUMENT', 'a RETRY needs nextAttemptAtMs', false);
    return claim.lease.free(nextAttemptAtMs, rest);
  }

  private sealWrite(open: OpenBatch, count: number, nowMs: number): Write {
    const fields: Fields = { status: 'SEALED', epoch: open.epoch, generation: open.generation, count, openedAtMs: open.openedAtMs ?? nowMs, sealedAtMs: nowMs, attempts: 0 };
    return { update: this.batchPath(open.generation), fields, currentDocument: { exists: false } };
  }
}

/** The open batch the state document describes; a missing document is a new state with a fresh epoch. */
function openBatch(state: StoredDocument | undefined): OpenBatch {
  if (!state) return firstBatch(randomBytes(6).toString('hex'));
  return openBatchFrom(state.fields, integer);
}

function stateWrite(path: string, next: OpenBatch, read: StoredDocument | undefined): Write {
  const fields: Fields = { epoch: next.epoch, generation: next.generation, count: next.count, openedAtMs: next.openedAtMs };
  return { update: path, fields, currentDocument: read ? { updateTime: read.updateTime } : { exists: false } };
}

function batchRecord(fields: Fields): BatchRecord {
  return batchRecordFrom(fields, integer);
}

function entryFields(entry: ManifestEntry): Fields {
  const { uri, bucket, key, size, eventTime, versionId } = entry;
  return { uri, bucket, key, size, eventTime, ...(versionId !== undefined ? { versionId } : {}) };
}

function manifestEntry(fields: Fields): ManifestEntry {
  const versionId = fields.versionId;
  return {
    uri: String(fields.uri),
    bucket: String(fields.bucket),
    key: String(fields.key),
    ...(typeof versionId === 'string' ? { versionId } : {}),
    size: integer(fields.size),
    eventTime: String(fields.eventTime),
  };
}

function integer(value: unknown): number {
  if (typeof value !== 'number') throw new FirestoreError(0, 'DATA_LOSS', `expected an integer field, got ${JSON.stringify(value)}`, false);
  return value;
}
