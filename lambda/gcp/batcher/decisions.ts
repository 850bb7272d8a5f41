import { canonicalJson, manifestObjectKey, sha256, windowExpired } from '../../core/batching';

/** The trigger's open batch, as the state document `triggers/{t}` holds it. */
export interface OpenBatch {
  /** New whenever the state document is created, so that a recreated state never reuses a job id. */
  readonly epoch: string;
  readonly generation: number;
  readonly count: number;
  readonly openedAtMs: number | null;
}

export type BatchStatus = 'SEALED' | 'CLAIMED' | 'STARTED' | 'RETRY' | 'FAILED';

/** A closed batch, as its document `triggers/{t}/batches/{g}` holds it. */
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

/** Adds one object to the open batch; a full batch, or one whose window ran out, is sealed and the next one opened. */
export function admit(open: OpenBatch, nowMs: number, batchSize: number, windowSeconds: number): Admission {
  const count = open.count + 1;
  const openedAtMs = open.openedAtMs ?? nowMs;
  const seals = count >= batchSize || windowExpired(openedAtMs, windowSeconds, nowMs);
  return seals
    ? { seq: count, seals, next: { epoch: open.epoch, generation: open.generation + 1, count: 0, openedAtMs: null } }
    : { seq: count, seals, next: { ...open, count, openedAtMs } };
}

/** A flush seals the open batch only when it holds objects and its window ran out. */
export function flushSeals(open: OpenBatch, nowMs: number, windowSeconds: number): boolean {
  return open.count > 0 && open.openedAtMs !== null && windowExpired(open.openedAtMs, windowSeconds, nowMs);
}

/** Whether an invocation may claim the batch to start it now. */
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
 * The batch's Vertex job id: a readable slug of the trigger, then 128 bits of a hash of the trigger, epoch and
 * generation, so that every attempt for one batch names the same job and a retry after a crash meets ALREADY_EXISTS.
 */
export function batchJobId(triggerId: string, epoch: string, generation: number): string {
  const digest = sha256(canonicalJson([triggerId, 'batch', epoch, generation])).slice(0, 32);
  const slug = triggerId.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^[^a-z]+/, '').slice(0, 48).replace(/-+$/, '');
  return `${slug || 'trigger'}-b-${digest}`;
}

export function batchJobLabels(triggerId: string): Record<string, string> {
  return { 'ml-trigger-id': triggerId.toLowerCase().replace(/[^a-z0-9_-]/g, '-').slice(0, 63), 'ml-trigger-type': 'data-arrival' };
}

export function manifestObjectName(manifestPrefix: string, triggerId: string, epoch: string, generation: number): string {
  return manifestObjectKey(manifestPrefix, triggerId, epoch, generation);
}

/** The Firestore document id of an object: a hash of bucket, name and generation (ids cannot hold `/`). */
export function objectKey(identity: readonly [string, string, string]): string {
  return sha256(canonicalJson(identity));
}
