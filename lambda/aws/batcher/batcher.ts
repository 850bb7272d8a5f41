import {
  manifestBody,
  manifestKey,
  settleAllocations,
  settleSlots,
  startFailureOutcome,
  windowExpired,
  type BatchId,
  type ManifestEntry,
} from '../../core/batching';
import type { BatchTriggerConfig } from '../../core/contracts/batch';
import type { CreatedObject } from '../../core/s3-object-created';
import type { Launchers } from '../adapters/launcher';
import { describeError } from '../adapters/pipeline-starter';
import { isRetryableStartError } from '../adapters/start-failures';
import type { ManifestWriter } from '../adapters/manifest-writer';
import { placeObjects, PLACE_GRACE_MS, type Arrival, type ChunkRecords } from './arrival';
import type { BatchRecordStore } from './batch-record-store';
import { CoordinatorRefusal, startBatchRun, StartRefused, withdrawBatchRun, type RunOutcome } from './batch-run';
import type { ChunkStore } from './chunk-store';
import type { BatchShape, TriggerState, TriggerStateStore } from './trigger-state-store';

export type { Arrival };

/** What the batcher needs of its stores: interfaces, so that tests wrap them in crashing or counting decorators. */
export type BatchRecords = Pick<BatchRecordStore, 'writeSlot' | 'readSlots' | 'claim' | 'readHeader' | 'recordDeferral' | 'recordOutcome'>;
export type Chunks = ChunkRecords & Pick<ChunkStore, 'readChunks'>;
export type TriggerStates = Pick<TriggerStateStore, 'allocate' | 'giveBack' | 'readState' | 'seal' | 'markFinished'>;

/** Time an event may take between taking a place and writing it; past it, an unwritten place is given up. */
export const SLOT_GRACE_MS = PLACE_GRACE_MS;
/** How long one start attempt holds its claim on a batch. */
export const CLAIM_MS = 120_000;

/** What the batcher reports as it works; implemented with Powertools logs and metrics in the handler. */
export interface BatcherObserver {
  duplicate(config: BatchTriggerConfig, identity: string): void;
  accepted(config: BatchTriggerConfig, batch: BatchId, objects: number): void;
  sealed(config: BatchTriggerConfig, batch: BatchId, slots: number): void;
  started(config: BatchTriggerConfig, batch: BatchId, objectCount: number, executionArn: string, ageMs: number): void;
  startFailed(config: BatchTriggerConfig, batch: BatchId, attempt: number, error: { name: string; message: string }, final: boolean): void;
  deferred(config: BatchTriggerConfig, batch: BatchId, reason: string, untilMs: number): void;
  /**
   * How long the trigger's oldest unstarted batch has waited: since its first object while open, since
   * sealing once closed (0 when there is none). Reported by every flush.
   */
  oldestBatchAge(config: BatchTriggerConfig, ageMs: number): void;
}

export interface BatcherDeps {
  readonly state: TriggerStates;
  readonly records: BatchRecords;
  readonly chunks: Chunks;
  readonly manifests: ManifestWriter;
  readonly launchers: Pick<Launchers, 'for'>;
  readonly observer: BatcherObserver;
  readonly now: () => number;
  readonly newEpoch: () => string;
  readonly pause: (ms: number) => Promise<void>;
}

/** Counts objects into batches and starts exactly one pipeline run per batch. */
export class Batcher {
  constructor(private readonly deps: BatcherDeps) {}

  /** Puts an arrived object into exactly one batch, however often it is delivered. */
  async arrive(config: BatchTriggerConfig, object: CreatedObject): Promise<Arrival> {
    return (await this.arriveAll(config, [object]))[0];
  }

  /**
   * Puts a message batch's objects into batches, each exactly once however often it is delivered, and starts
   * the batches they fill. An object answered `retry` must be delivered again: an earlier delivery of it is
   * still being placed, or this invocation was too slow to keep its places.
   */
  async arriveAll(config: BatchTriggerConfig, objects: readonly CreatedObject[]): Promise<Arrival[]> {
    let closed = false;
    const outcomes = await placeObjects({
      state: this.deps.state,
      chunks: this.deps.chunks,
      slots: this.deps.records,
      now: this.deps.now,
      newEpoch: this.deps.newEpoch,
      pause: this.deps.pause,
      duplicate: (identity) => this.deps.observer.duplicate(config, identity),
      accepted: (batch, count) => this.deps.observer.accepted(config, batch, count),
      closed: (batch, objects) => {
        closed = true;
        if (objects !== undefined) this.deps.observer.sealed(config, batch, objects);
      },
      sealOpen: async () => {
        closed = true;
        await this.sealDue(config);
      },
    }, config, objects);
    if (closed) {
      const state = await this.deps.state.readState(config.triggerId);
      // Places taken a moment ago by concurrent invocations are usually written within milliseconds.
      if (state) await this.startSealed(config, (await this.sealDue(config, state)) ?? state, 3);
    }
    return outcomes;
  }

  /** Closes batches whose window ran out and starts every sealed batch that is ready. */
  async flush(config: BatchTriggerConfig): Promise<void> {
    const state = await this.deps.state.readState(config.triggerId);
    if (!state) return;
    this.deps.observer.oldestBatchAge(config, oldestBatchAgeMs(state, this.deps.now()));
    await this.startSealed(config, (await this.sealDue(config, state)) ?? state, 0);
  }

  /** Seals the open batch when it is full or past its window: the state after, or undefined when nothing was due. */
  private async sealDue(config: BatchTriggerConfig, known?: TriggerState): Promise<TriggerState | undefined> {
    const state = known ?? (await this.deps.state.readState(config.triggerId));
    if (!state || state.count === 0) return undefined;
    const expired = state.openedAtMs !== undefined && windowExpired(state.openedAtMs, config.batchWindowSeconds, this.deps.now());
    if (!state.full && !expired) return undefined;
    const sealed = await this.deps.state.seal(config, state.generation, this.deps.now());
    if (sealed) {
      const batch = { triggerId: config.triggerId, epoch: sealed.epoch, generation: state.generation };
      this.deps.observer.sealed(config, batch, state.count);
      return sealed;
    }
    return this.deps.state.readState(config.triggerId);
  }

  private async startSealed(config: BatchTriggerConfig, state: TriggerState, settleRetries: number): Promise<void> {
    for (const [generation, shape] of Object.entries(state.unfinished)) {
      const batch: BatchId = { triggerId: config.triggerId, epoch: state.epoch, generation: Number(generation) };
      for (let attempt = 0; attempt <= settleRetries; attempt++) {
        const result = await this.tryStart(config, batch, shape, state.sealedAt[generation] ?? 0);
        if (result !== 'waiting') break;
        if (attempt < settleRetries) await this.deps.pause(100 * (attempt + 1));
      }
    }
  }

  /** Settles a sealed batch's slots, claims it, writes its manifest and starts its pipeline once. */
  private async tryStart(config: BatchTriggerConfig, batch: BatchId, shape: BatchShape, sealedAtMs: number): Promise<'waiting' | 'done'> {
    const { now } = this.deps;
    const settlement = await this.settle(batch, shape, sealedAtMs);
    if (!settlement) return 'waiting';
    const attempt = await this.deps.records.claim(batch, now(), CLAIM_MS);
    if (attempt === undefined) {
      const header = await this.deps.records.readHeader(batch);
      if (header && ['STARTED', 'FAILED', 'EMPTY'].includes(header.status)) {
        // Still listed as unfinished: the invocation that finished it died before forgetting it, perhaps before telling.
        if (header.status === 'FAILED') this.deps.observer.startFailed(config, batch, header.attempts, { name: 'StartFailed', message: 'recorded FAILED by an earlier attempt' }, true);
        await this.deps.state.markFinished(batch);
      }
      return 'done';
    }
    if (settlement.members.length === 0) {
      await this.deps.records.recordOutcome(batch, { status: 'EMPTY', objectCount: 0 }, now());
      await this.deps.state.markFinished(batch);
      return 'done';
    }
    let run: RunOutcome;
    let manifestUri: string | undefined;
    try {
      manifestUri = await this.deps.manifests.write(config.manifestBucket, manifestKey(config, batch), manifestBody(settlement.members));
      run = await startBatchRun(this.deps.launchers, config, batch, settlement.members, manifestUri, this.deps.now);
    } catch (error) {
      const described = describeError(error);
      const unknown = !(error instanceof StartRefused) && isRetryableStartError(error);
      let outcome = startFailureOutcome(attempt, config.maxStartAttempts, now(), unknown);
      if (outcome.status === 'FAILED' && !(error instanceof CoordinatorRefusal)) {
        // An earlier attempt may have left its coordinator a start for this batch: it is withdrawn before the batch
        // fails, and a run that did start is kept. A batch whose withdrawal gets no answer waits and tries again.
        const uri = manifestUri ?? manifestUriOf(config, batch);
        const settled = await withdrawBatchRun(this.deps.launchers, config, batch, settlement.members, uri, sealedAtMs);
        if (settled.status === 'started') return this.recordStarted(config, batch, settlement.members.length, settled.executionArn, uri, sealedAtMs);
        if (settled.status === 'unsettled') outcome = { status: 'RETRY', nextAttemptAtMs: now() + WITHDRAW_RETRY_MS };
      }
      await this.deps.records.recordOutcome(
        batch,
        {
          status: outcome.status,
          lastError: `${described.name}: ${described.message}`,
          ...(outcome.nextAttemptAtMs ? { nextAttemptAt: outcome.nextAttemptAtMs } : {}),
        },
        now(),
      );
      // Told before the batch is forgotten: a crash in between tells it again on the next flush, never not at all.
      this.deps.observer.startFailed(config, batch, attempt, described, outcome.status === 'FAILED');
      if (outcome.status === 'FAILED') await this.deps.state.markFinished(batch);
      return 'done';
    }
    if ('deferredUntilMs' in run) {
      // The coordinator said not now: the batch waits without spending an attempt, and nothing is lost.
      await this.deps.records.recordDeferral(batch, run.deferredUntilMs, run.reason, now());
      this.deps.observer.deferred(config, batch, run.reason, run.deferredUntilMs);
      return 'done';
    }
    return this.recordStarted(config, batch, settlement.members.length, run.executionArn, manifestUri, sealedAtMs);
  }

  /** The members of a sealed batch once every place is written or given up; undefined while some writer may still come. */
  private async settle(batch: BatchId, shape: BatchShape, sealedAtMs: number): Promise<{ readonly members: readonly ManifestEntry[] } | undefined> {
    const { now } = this.deps;
    if (shape.layout === 'slots') {
      const settlement = settleSlots(await this.deps.records.readSlots(batch, shape.slots), sealedAtMs, now(), SLOT_GRACE_MS);
      if (!settlement.ready) return undefined;
      for (const slot of settlement.toEmpty) {
        const marked = await this.deps.records.writeSlot({ ...batch, slot }, undefined, undefined, now());
        if (marked !== 'written' && marked !== 'empty') return undefined; // its writer made it after all: read again
      }
      return settlement;
    }
    const settlement = settleAllocations(await this.deps.chunks.readChunks(batch), shape.allocations, sealedAtMs, now(), PLACE_GRACE_MS);
    if (!settlement.ready) return undefined;
    for (const allocation of settlement.toMarkDead) {
      const marked = await this.deps.chunks.markDead(batch, allocation, now());
      if (marked !== 'written' && marked !== 'dead') return undefined; // its writer made it after all: read again
    }
    return settlement;
  }

  private async recordStarted(config: BatchTriggerConfig, batch: BatchId, objectCount: number, executionArn: string, manifestUri: string, sealedAtMs: number): Promise<'done'> {
    const { now } = this.deps;
    // Should this record fail, the claim expires and the next attempt's start returns this same execution.
    await this.deps.records.recordOutcome(batch, { status: 'STARTED', executionArn, manifestUri, objectCount, startedAt: now() }, now());
    await this.deps.state.markFinished(batch);
    this.deps.observer.started(config, batch, objectCount, executionArn, now() - sealedAtMs);
    return 'done';
  }
}

function oldestBatchAgeMs(state: TriggerState, nowMs: number): number {
  const since = [
    ...(state.count > 0 && state.openedAtMs !== undefined ? [state.openedAtMs] : []),
    ...Object.keys(state.unfinished).map((generation) => state.sealedAt[generation] ?? nowMs),
  ];
  return since.length ? nowMs - Math.min(...since) : 0;
}

/** Where the batch's manifest is (or would be) written: its name follows from the batch alone. */
function manifestUriOf(config: BatchTriggerConfig, batch: BatchId): string {
  return `s3://${config.manifestBucket}/${manifestKey(config, batch)}`;
}

/** How long a batch whose withdrawal got no answer waits before its next attempt (which withdraws again). */
const WITHDRAW_RETRY_MS = 5 * 60_000;
