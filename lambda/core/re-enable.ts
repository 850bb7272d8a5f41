/**
 * What a data-arrival trigger's batcher does when the deployment turns the trigger off or back on: remember
 * when it went off, then, once it is on again, forget that (skip) or batch what landed meanwhile (catch up).
 * Pure: the caller reads the time, the record and the listing.
 */
import { fromSource, isLibraryManifest } from './batching';
import type { ObjectSource } from './contracts/batch';
import type { ReEnablePolicy } from './contracts/re-enable';
import { bareEtag, type CreatedObject } from './s3-object-created';

/** The catch-up batch, once its objects are placed and it is sealed: what is left is to start it. */
export interface CatchUpBatch {
  readonly epoch: string;
  readonly generation: number;
}

/** What the batcher remembers of a trigger that went off: when it saw it off, and the catch-up batch it sealed since. */
export interface ReEnableRecord {
  readonly disabledAtMs: number;
  /** The generation of the batch the catch-up began placing its objects into, before it was sealed. */
  readonly placing?: number;
  readonly catchUp?: CatchUpBatch;
}

/** The next step for one trigger after its configuration changed. */
export type ReEnableStep =
  | { readonly kind: 'none' }
  /** It is off: remember now as when it went off, replacing `replaces` (a record whose catch-up was left to the flush). */
  | { readonly kind: 'record-disabled'; readonly replaces?: number }
  /** It is on again and skips what landed while it was off: forget when it went off. */
  | { readonly kind: 'forget'; readonly disabledAtMs: number }
  /** It is on again and catches up: list what landed since `sinceMs`, at most `maxObjects`, into one batch. */
  | { readonly kind: 'catch-up'; readonly disabledAtMs: number; readonly sinceMs: number; readonly maxObjects: number }
  /** Its catch-up batch is sealed: start it, and forget when the trigger went off once it started. */
  | { readonly kind: 'finish'; readonly disabledAtMs: number; readonly batch: CatchUpBatch };

/**
 * The step for a trigger whose deployed configuration says `enabled` and `policy`, given what the batcher
 * remembers of it. Every step is safe to repeat: a record is written only where there is none, and a
 * catch-up only where one is remembered, so a repeated or forged change does at most the catch-up the
 * deployment asked for, once.
 */
export function reEnableStep(enabled: boolean, policy: ReEnablePolicy, record: ReEnableRecord | undefined, nowMs: number): ReEnableStep {
  if (!enabled) {
    if (!record) return { kind: 'record-disabled' };
    // Off again before an earlier catch-up was confirmed: its batch is sealed and the flush starts it.
    return record.catchUp ? { kind: 'record-disabled', replaces: record.disabledAtMs } : { kind: 'none' };
  }
  if (!record) return { kind: 'none' };
  if (policy.mode === 'skip') return { kind: 'forget', disabledAtMs: record.disabledAtMs };
  if (record.catchUp) return { kind: 'finish', disabledAtMs: record.disabledAtMs, batch: record.catchUp };
  return { kind: 'catch-up', disabledAtMs: record.disabledAtMs, sinceMs: Math.max(record.disabledAtMs, nowMs - policy.maxAgeSeconds * 1000), maxObjects: policy.maxObjects };
}

/** An object as a bucket listing names it. */
export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly lastModifiedMs: number;
  readonly etag: string;
}

/** What a catch-up must know of its trigger to choose objects: its source, and where its own manifests go. */
export interface CatchUpSource {
  readonly triggerId: string;
  readonly source: ObjectSource;
  readonly manifestBucket: string;
  readonly manifestPrefix: string;
}

/**
 * The listed object as an arrival of the catch-up, or undefined when it does not count: outside the trigger's
 * prefix and suffix, a manifest of the library, or modified before `sinceMs`. S3 keeps modification times to the
 * second, so an object of the second the trigger went off counts (a delivery of it before is counted once).
 * Its identity is its content's (key and ETag), as a delivery of the upload names it: the batcher counts an upload
 * a delivery counted before, or one a listing counted before that a delivery brings, once.
 */
export function catchUpArrival(trigger: CatchUpSource, listed: ListedObject, sinceMs: number): CreatedObject | undefined {
  const object = { bucket: trigger.source.bucket, key: listed.key };
  if (!fromSource(trigger.source, object) || isLibraryManifest(object, { ...trigger })) return undefined;
  if (!(listed.lastModifiedMs >= Math.floor(sinceMs / 1000) * 1000)) return undefined;
  const etag = bareEtag(listed.etag);
  return {
    ...object,
    size: listed.size,
    sequencer: `listed-${listed.lastModifiedMs.toString(16)}-${etag}`,
    eventTime: new Date(listed.lastModifiedMs).toISOString(),
    ...(etag !== '' ? { etag } : {}),
  };
}
