/**
 * The data-arrival batcher's decisions, shared by the Google (Firestore) and Azure (Table Storage) batchers: how an
 * object joins the open batch, when a batch closes, when a closed batch may be claimed to start it, and what its job
 * is named. Pure: the stores keep these records in their own documents or rows and call these to decide.
 */
import { canonicalJson, manifestObjectKey, sha256, windowExpired } from './batching';
import type { Lease } from './persistence';

/** The trigger's open batch, as its state record (a Firestore document, a Table Storage row) holds it. */
export interface OpenBatch {
  /** New whenever the state record is created, so that a recreated state never reuses a job name. */
  readonly epoch: string;
  readonly generation: number;
  readonly count: number;
  readonly openedAtMs: number | null;
}

export type BatchStatus = 'SEALED' | 'CLAIMED' | 'STARTED' | 'RETRY' | 'FAILED';

/** A closed batch, as its record holds it. */
export interface BatchRecord {
  readonly status: BatchStatus;
  readonly attempts: number;
  readonly claimExpiresAtMs?: number;
  readonly nextAttemptAtMs?: number;
}

/** How long a claim keeps other invocations off a batch; past it, the claimer is taken to have died. */
export const CLAIM_TTL_MS = 10 * 60_000;

/** Where a new object goes: its position in the open batch, and whether it closes that batch. */
export interface Admission {
  readonly seq: number;
  readonly seals: boolean;
  readonly next: OpenBatch;
}

/** A new state: generation 1, empty, under the given (random) epoch. */
export function firstBatch(epoch: string): OpenBatch {
  return { epoch, generation: 1, count: 0, openedAtMs: null };
}

/** The batch after `open`, once `open` is sealed. */
export function nextBatch(open: OpenBatch): OpenBatch {
  return { epoch: open.epoch, generation: open.generation + 1, count: 0, openedAtMs: null };
}

/** Adds one object to the open batch; a full batch, or one whose window ran out, is sealed and the next one opened. */
export function admit(open: OpenBatch, nowMs: number, batchSize: number, windowSeconds: number): Admission {
  const count = open.count + 1;
  const openedAtMs = open.openedAtMs ?? nowMs;
  const seals = count >= batchSize || windowExpired(openedAtMs, windowSeconds, nowMs);
  return seals ? { seq: count, seals, next: nextBatch(open) } : { seq: count, seals, next: { ...open, count, openedAtMs } };
}

/** A flush seals the open batch only when it holds objects and its window ran out. */
export function flushSeals(open: OpenBatch, nowMs: number, windowSeconds: number): boolean {
  return open.count > 0 && open.openedAtMs !== null && windowExpired(open.openedAtMs, windowSeconds, nowMs);
}

/** Whether an invocation may claim the batch to start it now: sealed, a retry that is due, or a claim that expired. */
export function claimable(batch: BatchRecord, nowMs: number): boolean {
  switch (batch.status) {
    case 'SEALED':
      return true;
    case 'RETRY':
      return (batch.nextAttemptAtMs ?? 0) <= nowMs;
    case 'CLAIMED':
      return (batch.claimExpiresAtMs ?? 0) <= nowMs;
    default:
      return false;
  }
}

/**
 * A closed batch's start attempts are a lease on its record: a take (allowed when {@link claimable}) counts an attempt
 * and holds the batch until `untilMs`; these are the properties it sets, the rest of the record kept.
 */
export function batchTaken(attempts: number, untilMs: number): { readonly status: 'CLAIMED'; readonly attempts: number; readonly claimExpiresAtMs: number } {
  return { status: 'CLAIMED', attempts: attempts + 1, claimExpiresAtMs: untilMs };
}

/** What freeing a held batch for a later attempt sets: RETRY, due at `untilMs`. (STARTED and FAILED complete it.) */
export function batchFreed(untilMs: number): { readonly status: 'RETRY'; readonly nextAttemptAtMs: number } {
  return { status: 'RETRY', nextAttemptAtMs: untilMs };
}

/** The statuses a closed batch may be claimed from (given the times {@link claimable} checks). */
export const CLAIMABLE_STATUSES: readonly BatchStatus[] = ['SEALED', 'RETRY', 'CLAIMED'];

/**
 * The batch's job name (a Vertex AI pipeline job id, an Azure ML job name): a readable slug of the trigger, then 128
 * bits of a hash of the trigger, epoch and generation, so that every attempt for one batch names the same job and a
 * retry after a crash meets the job it created. Both services accept it: lowercase letters, digits and hyphens, from
 * a letter, at most 83 characters.
 */
export function batchJobId(triggerId: string, epoch: string, generation: number): string {
  const digest = sha256(canonicalJson([triggerId, 'batch', epoch, generation])).slice(0, 32);
  const slug = triggerId.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^[^a-z]+/, '').slice(0, 48).replace(/-+$/, '');
  return `${slug || 'trigger'}-b-${digest}`;
}

/** The labels (Vertex AI) or tags (Azure ML) a batch's job carries. */
export function batchJobLabels(triggerId: string): Record<string, string> {
  return { 'ml-trigger-id': triggerId.toLowerCase().replace(/[^a-z0-9_-]/g, '-').slice(0, 63), 'ml-trigger-type': 'data-arrival' };
}

/** The name of a batch's manifest object (a Cloud Storage object, a blob) under the trigger's manifest prefix. */
export function manifestObjectName(manifestPrefix: string, triggerId: string, epoch: string, generation: number): string {
  return manifestObjectKey(manifestPrefix, triggerId, epoch, generation);
}

/** Reads a whole-number field of a stored record; each store throws its own error for one that is not. */
export type IntegerField = (value: unknown) => number;

/** The open batch a stored state record's fields describe (`openedAtMs` absent or null while the batch is empty). */
export function openBatchFrom(fields: Readonly<Record<string, unknown>>, integer: IntegerField): OpenBatch {
  const openedAtMs = fields.openedAtMs;
  return {
    epoch: String(fields.epoch),
    generation: integer(fields.generation),
    count: integer(fields.count),
    openedAtMs: typeof openedAtMs === 'number' ? openedAtMs : null,
  };
}

/** A closed batch's lease fields, as its stored record holds them. */
export function batchRecordFrom(fields: Readonly<Record<string, unknown>>, integer: IntegerField): BatchRecord {
  const { status, attempts, claimExpiresAtMs, nextAttemptAtMs } = fields;
  return {
    status: String(status) as BatchStatus,
    attempts: integer(attempts),
    ...(typeof claimExpiresAtMs === 'number' ? { claimExpiresAtMs } : {}),
    ...(typeof nextAttemptAtMs === 'number' ? { nextAttemptAtMs } : {}),
  };
}

/** What recording one object did: nothing for one seen before, else its place and whether it closed the batch. */
export type Recorded =
  | { readonly status: 'duplicate'; readonly generation: number }
  | { readonly status: 'added'; readonly generation: number; readonly seq: number; readonly sealed: boolean };

/** A closed batch an invocation holds for one start attempt; its lease writes the attempt's end only while the hold is still its own. */
export interface BatchClaim<F, D> {
  readonly generation: number;
  readonly epoch: string;
  readonly count: number;
  readonly attempts: number;
  readonly lease: Lease<F, D>;
}
