import { createHash } from 'node:crypto';
import type { CreatedObject } from './s3-object-created';
import { pipelineParameters, type PipelineParameter } from './pipeline-parameters';
import { isRecord, type Parsed } from './result';
import { DEFAULT_MANIFEST_PREFIX, type BatchTriggerConfig, type ObjectSource } from './contracts/batch';

/** Whether the trigger's rule passes an object: the bucket, prefix and suffix it was deployed with. */
export function fromSource(source: ObjectSource, object: { readonly bucket: string; readonly key: string }): boolean {
  return (
    object.bucket === source.bucket &&
    object.key.startsWith(source.prefix ?? '') &&
    object.key.endsWith(source.suffix ?? '') &&
    object.key.length >= (source.prefix ?? '').length + (source.suffix ?? '').length
  );
}

/** One line of a batch manifest: an object the pipeline should read. */
export interface ManifestEntry {
  readonly uri: string;
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly size: number;
  readonly eventTime: string;
}

export function manifestEntry(object: CreatedObject): ManifestEntry {
  return {
    uri: `s3://${object.bucket}/${object.key}`,
    bucket: object.bucket,
    key: object.key,
    ...(object.versionId ? { versionId: object.versionId } : {}),
    size: object.size,
    eventTime: object.eventTime,
  };
}

/** The manifest as JSON lines, one object per line in slot order: the same batch always gives the same bytes. */
export function manifestBody(entries: readonly ManifestEntry[]): string {
  return entries.map((entry) => canonicalJson(entry)).join('\n') + (entries.length ? '\n' : '');
}

/**
 * Every manifest any trigger of the library writes, on AWS or Google, ends with this: the mark by which no trigger
 * ever counts a manifest as data, whatever its bucket or `manifestPrefix`. Data keys must not end with it.
 */
export const MANIFEST_KEY_SUFFIX = '.ml-triggers-manifest.jsonl';

export function manifestKey(config: BatchTriggerConfig, batch: BatchId): string {
  return manifestObjectKey(config.manifestPrefix, config.triggerId, batch.epoch, batch.generation);
}

/** The one naming of a manifest, shared by the AWS and Google batchers. */
export function manifestObjectKey(manifestPrefix: string, triggerId: string, epoch: string, generation: number): string {
  return `${manifestPrefix}${triggerId}/${epoch}-${generation}${MANIFEST_KEY_SUFFIX}`;
}

/**
 * What is wrong with a trigger's key filter that could only match manifests, which are never counted as data
 * (so the trigger would count nothing); undefined when nothing is.
 */
export function manifestFilterProblem(prefix: string | undefined, suffix: string | undefined): string | undefined {
  if (prefix?.startsWith(DEFAULT_MANIFEST_PREFIX)) {
    return `prefix must not be under '${DEFAULT_MANIFEST_PREFIX}', which holds manifests of the library, got '${prefix}': land data elsewhere`;
  }
  if (suffix?.endsWith(MANIFEST_KEY_SUFFIX)) {
    return `suffix must not end with '${MANIFEST_KEY_SUFFIX}', which marks manifests of the library, got '${suffix}'`;
  }
  return undefined;
}

/**
 * Whether an object is a manifest of the library rather than data: marked as one, under the reserved default
 * prefix, or under the trigger's own manifest location (manifests written before the mark existed).
 */
export function isLibraryManifest(
  object: { readonly bucket: string; readonly key: string },
  own: { readonly manifestBucket: string; readonly manifestPrefix: string; readonly triggerId: string },
): boolean {
  return (
    object.key.endsWith(MANIFEST_KEY_SUFFIX) ||
    object.key.startsWith(DEFAULT_MANIFEST_PREFIX) ||
    (object.bucket === own.manifestBucket && object.key.startsWith(`${own.manifestPrefix}${own.triggerId}/`))
  );
}

/** Identifies one batch: the trigger, the epoch of its state (new when the state is recreated), and its number. */
export interface BatchId {
  readonly triggerId: string;
  readonly epoch: string;
  readonly generation: number;
}

/** What a batch's run is for: the batch, in its trigger's epoch. The launcher derives its request id and token from it. */
export function batchOccasion(batch: BatchId): string {
  return `${batch.triggerId}#${batch.epoch}#${batch.generation}`;
}

/** The parameters a batch's pipeline run receives: the user's, then the manifest's location and the count. */
export function batchParameters(
  config: BatchTriggerConfig,
  manifestUri: string,
  objectCount: number,
): Parsed<PipelineParameter[]> {
  return pipelineParameters(config.parameters, {
    [config.manifestParameterName]: manifestUri,
    [config.countParameterName]: String(objectCount),
  });
}

/** A display name SageMaker accepts (letters, digits and single hyphens, at most 82 characters). */
export function executionDisplayName(batch: BatchId): string {
  const base = batch.triggerId.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'batch';
  const suffix = `-batch-${batch.generation}`;
  return `${base.slice(0, 82 - suffix.length).replace(/-+$/, '')}${suffix}`;
}

/** Whether a batch opened at `openedAtMs` has outlived its window at `nowMs`. */
export function windowExpired(openedAtMs: number, windowSeconds: number, nowMs: number): boolean {
  return nowMs - openedAtMs >= windowSeconds * 1000;
}

/** What is in one slot of a sealed batch. */
export type Slot = { readonly kind: 'member'; readonly entry: ManifestEntry } | { readonly kind: 'empty' } | undefined;

export type Settlement =
  | { readonly ready: true; readonly members: readonly ManifestEntry[]; readonly toEmpty: readonly number[] }
  | { readonly ready: false; readonly waitingFor: readonly number[] };

/**
 * Decides whether a sealed batch's slots are final. A slot with nothing in it belongs to an event that
 * was allocated the slot but has not written it yet; once `graceMs` has passed since sealing, the writer
 * is taken to have failed (it retries into a later batch) and the slot is marked empty.
 *
 * `slots[i]` is slot number i + 1.
 */
export function settleSlots(slots: readonly Slot[], sealedAtMs: number, nowMs: number, graceMs: number): Settlement {
  const unwritten: number[] = [];
  slots.forEach((slot, index) => {
    if (slot === undefined) unwritten.push(index + 1);
  });
  if (unwritten.length > 0 && nowMs - sealedAtMs < graceMs) return { ready: false, waitingFor: unwritten };
  const members = slots.flatMap((slot) => (slot?.kind === 'member' ? [slot.entry] : []));
  return { ready: true, members, toEmpty: unwritten };
}

/** What one allocation of a batch kept in chunks holds: an entry per position (null where the object was counted elsewhere), or nothing for good. */
export type Chunk = { readonly entries: ReadonlyArray<ManifestEntry | null> } | 'dead';

/**
 * Decides whether a sealed batch kept in chunks is final. An allocation without a chunk belongs to an
 * invocation that took places but has not written them yet; once `graceMs` has passed since sealing, that
 * writer is taken to have failed (its objects come back and are batched again) and the allocation is marked
 * dead. `chunks` maps allocation numbers 1..`allocations` to what each holds.
 */
export function settleAllocations(chunks: ReadonlyMap<number, Chunk>, allocations: number, sealedAtMs: number, nowMs: number, graceMs: number): AllocationSettlement {
  const missing: number[] = [];
  for (let allocation = 1; allocation <= allocations; allocation++) if (!chunks.has(allocation)) missing.push(allocation);
  if (missing.length > 0 && nowMs - sealedAtMs < graceMs) return { ready: false, waitingFor: missing };
  const members: ManifestEntry[] = [];
  for (let allocation = 1; allocation <= allocations; allocation++) {
    const chunk = chunks.get(allocation);
    if (chunk && chunk !== 'dead') for (const entry of chunk.entries) if (entry) members.push(entry);
  }
  return { ready: true, members, toMarkDead: missing };
}

export type AllocationSettlement =
  | { readonly ready: true; readonly members: readonly ManifestEntry[]; readonly toMarkDead: readonly number[] }
  | { readonly ready: false; readonly waitingFor: readonly number[] };

/** What to record after a failed start. */
export interface StartFailureOutcome {
  readonly status: 'RETRY' | 'FAILED';
  /** When the batch may be claimed again (RETRY only). */
  readonly nextAttemptAtMs?: number;
}

/** How long a batch whose last start had an unknown outcome waits before the attempt that finds out. */
export const VERIFY_AFTER_MS = 3 * 60_000;

/**
 * Retries with exponential backoff (1, 2, 4 ... minutes, at most 15) until the attempts run out. When the
 * last attempt's outcome is unknown (no answer, a throttle, a 5xx, a coordinator that died: the run may
 * have started), one more attempt, a few minutes later, asks with the same token before the batch fails:
 * it returns the run if there is one.
 */
export function startFailureOutcome(attempts: number, maxAttempts: number, nowMs: number, outcomeUnknown = false): StartFailureOutcome {
  if (attempts === maxAttempts && outcomeUnknown) return { status: 'RETRY', nextAttemptAtMs: nowMs + VERIFY_AFTER_MS };
  if (attempts >= maxAttempts) return { status: 'FAILED' };
  const backoffMs = Math.min(60_000 * 2 ** (attempts - 1), 15 * 60_000);
  return { status: 'RETRY', nextAttemptAtMs: nowMs + backoffMs };
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with object keys sorted, so that equal values serialise to equal bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    isRecord(inner)
      ? Object.fromEntries(Object.keys(inner).sort().map((key) => [key, inner[key]]))
      : inner,
  );
}
