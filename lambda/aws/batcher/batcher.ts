import {
  manifestBody,
  manifestEntry,
  manifestKey,
  settleSlots,
  startFailureOutcome,
  windowExpired,
  type BatchId,
} from '../../core/batching';
import type { BatchTriggerConfig } from '../../core/contracts/batch';
import { objectIdentity, type CreatedObject } from '../../core/s3-object-created';
import type { Launchers } from '../adapters/launcher';
import { describeError } from '../adapters/pipeline-starter';
import { isRetryableStartError } from '../adapters/start-failures';
import type { ManifestWriter } from '../adapters/manifest-writer';
import type { BatchRecordStore } from './batch-record-store';
import { CoordinatorRefusal, startBatchRun, StartRefused, withdrawBatchRun, type RunOutcome } from './batch-run';

/** What the batcher needs of its stores: interfaces, so that tests wrap them in crashing or counting decorators. */
export type BatchRecords = Pick<BatchRecordStore, 'recordObject' | 'moveObject' | 'writeSlot' | 'readSlots' | 'claim' | 'readHeader' | 'recordDeferral' | 'recordOutcome'>;
export type TriggerStates = Pick<TriggerStateStore, 'allocate' | 'readState' | 'seal' | 'raiseLimit' | 'markFinished'>;
import type { SlotRef } from './table';
import type { TriggerState, TriggerStateStore } from './trigger-state-store';

/** Time an event may take between taking a slot and writing it; past it, an unwritten slot is marked empty. */
export const SLOT_GRACE_MS = 150_000;
/** How long one start attempt holds its claim on a batch. */
export const CLAIM_MS = 120_000;
const MAX_ALLOCATION_ROUNDS = 20;

/** What the batcher reports as it works; implemented with Powertools logs and metrics in the handler. */
export interface BatcherObserver {
  duplicate(config: BatchTriggerConfig, identity: string): void;
  accepted(config: BatchTriggerConfig, slot: SlotRef): void;
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
  async arrive(config: BatchTriggerConfig, object: CreatedObject): Promise<'accepted' | 'duplicate'> {
    const { now } = this.deps;
    const identity = objectIdentity(object);
    const entry = manifestEntry(object);
    for (let round = 0; round < MAX_ALLOCATION_ROUNDS; round++) {
      const slot = await this.allocate(config);
      const { earlier } = await this.deps.records.recordObject(identity, slot, now());
      if (earlier) {
        // Seen before: the slot just taken is not needed. Let the batch take one more at once, before
        // anyone seals it as full, then make sure the object sits in its earlier slot.
        await this.deps.state.raiseLimit(slot.triggerId, slot.generation);
        const held = await this.deps.records.writeSlot(earlier, identity, entry, now());
        if (held !== 'empty') {
          await this.deps.records.writeSlot(slot, undefined, undefined, now());
          this.deps.observer.duplicate(config, identity);
          return 'duplicate';
        }
        // The earlier slot was marked empty (its writer was too slow): move the object to this slot.
        if (!(await this.deps.records.moveObject(identity, earlier, slot))) {
          await this.deps.records.writeSlot(slot, undefined, undefined, now());
          continue;
        }
      }
      const written = await this.deps.records.writeSlot(slot, identity, entry, now());
      if (written === 'empty') continue; // marked empty while we were slow: the next round re-homes it
      this.deps.observer.accepted(config, slot);
      if (slot.slot >= slot.limit) await this.sealAndStart(config, slot.generation);
      return 'accepted';
    }
    throw new Error(`no slot for ${identity} after ${MAX_ALLOCATION_ROUNDS} rounds`);
  }

  /** Closes batches whose window ran out and starts every sealed batch that is ready. */
  async flush(config: BatchTriggerConfig): Promise<void> {
    const { now } = this.deps;
    let state = await this.deps.state.readState(config.triggerId);
    if (!state) return;
    this.deps.observer.oldestBatchAge(config, oldestBatchAgeMs(state, now()));
    if (state.count > 0 && state.openedAtMs !== undefined && windowExpired(state.openedAtMs, config.batchWindowSeconds, now())) {
      state = (await this.seal(config, state.generation)) ?? (await this.deps.state.readState(config.triggerId))!;
    }
    await this.startSealed(config, state, 0);
  }

  private async allocate(config: BatchTriggerConfig): Promise<SlotRef> {
    const { now, newEpoch, pause } = this.deps;
    for (let round = 0; round < MAX_ALLOCATION_ROUNDS; round++) {
      const slot = await this.deps.state.allocate(config, newEpoch(), now());
      if (slot) return slot;
      // Full or past its window. A duplicate delivery holding the last slot gives it back within a
      // moment, so wait that moment before sealing; sealing is conditional and happens once.
      await pause(25 + Math.floor(Math.random() * 50));
      const state = await this.deps.state.readState(config.triggerId);
      if (state) await this.sealAndStart(config, state.generation);
    }
    throw new Error(`trigger ${config.triggerId}: no open batch after ${MAX_ALLOCATION_ROUNDS} rounds`);
  }

  private async seal(config: BatchTriggerConfig, generation: number): Promise<TriggerState | undefined> {
    const state = await this.deps.state.seal(config, generation, this.deps.now());
    if (state) {
      const batch = { triggerId: config.triggerId, epoch: state.epoch, generation };
      this.deps.observer.sealed(config, batch, state.unfinished[String(generation)] ?? 0);
    }
    return state;
  }

  private async sealAndStart(config: BatchTriggerConfig, generation: number): Promise<void> {
    const state = await this.seal(config, generation);
    // Slots written a moment ago by concurrent events usually land within milliseconds.
    if (state) await this.startSealed(config, state, 3);
  }

  private async startSealed(config: BatchTriggerConfig, state: TriggerState, settleRetries: number): Promise<void> {
    for (const [generation, slots] of Object.entries(state.unfinished)) {
      const batch: BatchId = { triggerId: config.triggerId, epoch: state.epoch, generation: Number(generation) };
      for (let attempt = 0; attempt <= settleRetries; attempt++) {
        const result = await this.tryStart(config, batch, slots, state.sealedAt[generation] ?? 0);
        if (result !== 'waiting') break;
        if (attempt < settleRetries) await this.deps.pause(100 * (attempt + 1));
      }
    }
  }

  /** Settles a sealed batch's slots, claims it, writes its manifest and starts its pipeline once. */
  private async tryStart(config: BatchTriggerConfig, batch: BatchId, slotCount: number, sealedAtMs: number): Promise<'waiting' | 'done'> {
    const { now } = this.deps;
    const settlement = settleSlots(await this.deps.records.readSlots(batch, slotCount), sealedAtMs, now(), SLOT_GRACE_MS);
    if (!settlement.ready) return 'waiting';
    for (const slot of settlement.toEmpty) {
      const marked = await this.deps.records.writeSlot({ ...batch, slot }, undefined, undefined, now());
      if (marked !== 'written' && marked !== 'empty') return 'waiting'; // its writer made it after all: read again
    }
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
