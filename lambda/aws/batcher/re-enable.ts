import type { BatchId } from '../../core/batching';
import { SKIP } from '../../core/contracts/re-enable';
import type { BatchTriggerConfig } from '../../core/contracts/batch';
import type { Parsed } from '../../core/result';
import { reEnableStep, type CatchUpBatch } from '../../core/re-enable';
import type { BatchRecordStore } from './batch-record-store';
import type { Batcher } from './batcher';
import type { CatchUpListing, CatchUpListingResult } from './catch-up-listing';
import type { ReEnableStore } from './re-enable-store';
import type { TriggerState, TriggerStateStore } from './trigger-state-store';

/** What became of one trigger after its configuration changed. */
export type ReEnableOutcome =
  | { readonly step: 'unchanged' | 'recorded-disabled' | 'skipped' }
  | { readonly step: 'caught-up'; readonly batch?: CatchUpBatch; readonly objects: number };

/** A catch-up whose batch has not started yet: its record stays, and the change is delivered again to finish it. */
export class CatchUpPending extends Error {
  override readonly name = 'CatchUpPending';
}

export interface ReEnableDeps {
  readonly records: Pick<ReEnableStore, 'read' | 'recordDisabled' | 'markCatchUp' | 'forget'>;
  readonly state: Pick<TriggerStateStore, 'readState' | 'seal'>;
  readonly headers: Pick<BatchRecordStore, 'readHeader'>;
  readonly batcher: Pick<Batcher, 'arriveAll' | 'flush'>;
  readonly listing: Pick<CatchUpListing, 'list'>;
  readonly now: () => number;
  /** Told what a catch-up listed, before its objects are placed. */
  readonly listed?: (config: BatchTriggerConfig, sinceMs: number, result: CatchUpListingResult) => void;
}

const FINISHED = new Set(['STARTED', 'FAILED', 'EMPTY']);

/**
 * Follows a trigger's `enabled` as the deployment wrote it: remembers when the trigger went off, and once it is on
 * again forgets that (skip) or batches what landed meanwhile (catch up). A catch-up lists the trigger's prefix,
 * places what it found through the arrival path (an object counted before is not counted again), seals it as one
 * batch apart from the objects that were waiting, starts it, and only then forgets when the trigger went off.
 */
export class ReEnabler {
  constructor(private readonly deps: ReEnableDeps) {}

  async apply(config: BatchTriggerConfig): Promise<ReEnableOutcome> {
    const { records, now } = this.deps;
    const record = await records.read(config.triggerId);
    const step = reEnableStep(config.enabled ?? true, config.whenReEnabled ?? SKIP, record, now());
    switch (step.kind) {
      case 'none':
        return { step: 'unchanged' };
      case 'record-disabled':
        await records.recordDisabled(config.triggerId, now(), step.replaces);
        return { step: 'recorded-disabled' };
      case 'forget':
        await records.forget(config.triggerId, step.disabledAtMs);
        return { step: 'skipped' };
      case 'finish':
        return this.finish(config, step.disabledAtMs, step.batch);
      case 'catch-up': {
        const batch = await this.place(config, step.sinceMs, step.maxObjects);
        if (!batch) {
          await records.forget(config.triggerId, step.disabledAtMs);
          return { step: 'caught-up', objects: 0 };
        }
        await records.markCatchUp(config.triggerId, step.disabledAtMs, batch);
        return this.finish(config, step.disabledAtMs, batch);
      }
    }
  }

  /** Lists and places the catch-up's objects and seals them as one batch: that batch, or undefined when nothing new was found. */
  private async place(config: BatchTriggerConfig, sinceMs: number, maxObjects: number): Promise<CatchUpBatch | undefined> {
    const listed = await this.deps.listing.list(config, sinceMs, maxObjects);
    this.deps.listed?.(config, sinceMs, listed);
    if (listed.objects.length === 0) return undefined;
    // The objects waiting in the open batch go on in a batch of their own, so that the catch-up's is only what it found.
    await this.sealOpen(config);
    const before = await this.deps.state.readState(config.triggerId);
    const outcomes = await this.deps.batcher.arriveAll(config, listed.objects);
    if (outcomes.includes('retry')) throw new CatchUpPending(`trigger ${config.triggerId}: an object of the catch-up is still being placed by another delivery`);
    if (!outcomes.includes('accepted')) return undefined;
    const after = await this.deps.state.readState(config.triggerId);
    if (!after) throw new Error(`trigger ${config.triggerId}: no batch state after placing the catch-up's objects`);
    const generation = before?.generation ?? 1;
    // A catch-up that filled its batch was sealed and started on the way; else it is sealed here.
    if (after.generation === generation) await this.sealOpen(config, after);
    return { epoch: after.epoch, generation };
  }

  /** Seals the open batch, whatever is left of its window, when it holds objects. */
  private async sealOpen(config: BatchTriggerConfig, known?: TriggerState): Promise<void> {
    const state = known ?? (await this.deps.state.readState(config.triggerId));
    // The store seals a batch whose window is over; for a window of no time, that is any batch with objects.
    if (state && state.count > 0) await this.deps.state.seal({ ...config, batchWindowSeconds: 0 }, state.generation, this.deps.now());
  }

  /** Starts the sealed catch-up batch and, once it is out of the batcher's hands, forgets when the trigger went off. */
  private async finish(config: BatchTriggerConfig, disabledAtMs: number, batch: CatchUpBatch): Promise<ReEnableOutcome> {
    await this.deps.batcher.flush(config);
    const id: BatchId = { triggerId: config.triggerId, ...batch };
    const header = await this.deps.headers.readHeader(id);
    if (!header || !FINISHED.has(header.status)) {
      throw new CatchUpPending(`trigger ${config.triggerId}: catch-up batch ${batch.generation} has not started yet (${header?.status ?? 'not claimed'})`);
    }
    await this.deps.records.forget(config.triggerId, disabledAtMs);
    return { step: 'caught-up', batch, objects: (header as { objectCount?: number }).objectCount ?? 0 };
  }
}

/** Where the batcher reports what following the configurations did: the handler's logger. */
export interface ReEnableLog {
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

/**
 * Follows every data-arrival trigger's configuration as just read. One trigger's trouble does not hold back the
 * others; it is thrown at the end, so that the change is delivered again and the trigger's step is tried again
 * (every step is safe to repeat).
 */
export async function followConfigurations(configs: ReadonlyMap<string, Parsed<BatchTriggerConfig>>, reEnabler: ReEnabler, log: ReEnableLog): Promise<void> {
  const unfinished: string[] = [];
  for (const [triggerId, config] of configs) {
    if (!config.ok) {
      log.warn('skipped a configuration that does not parse', { triggerId, field: config.error.field, problem: config.error.problem });
      continue;
    }
    try {
      const outcome = await reEnabler.apply(config.value);
      if (outcome.step !== 'unchanged') log.info('followed a trigger being turned off or on', { triggerId, ...outcome });
    } catch (error) {
      log.error('could not follow a trigger being turned off or on; the change is delivered again', { triggerId, error: error as Error });
      unfinished.push(triggerId);
    }
  }
  if (unfinished.length > 0) throw new CatchUpPending(`not yet followed: ${unfinished.join(', ')}`);
}

/**
 * Follows the configurations once per deployment from the flush schedule as well. In the deployment that adds
 * the stack's rule on configuration changes, the rule is created after the configurations it watches (it invokes
 * the batcher, which is updated after them), so that deployment's change reaches the batcher only this way.
 * Tried again by every flush until it succeeds; skipped where no trigger catches up.
 */
export class FollowPerDeployment {
  private followed: string | undefined;

  constructor(
    private readonly read: () => Promise<ReadonlyMap<string, Parsed<BatchTriggerConfig>>>,
    private readonly follow: (configs: ReadonlyMap<string, Parsed<BatchTriggerConfig>>) => Promise<void>,
    private readonly version: () => string,
  ) {}

  async ensure(): Promise<void> {
    const version = this.version();
    if (this.followed === version) return;
    const configs = await this.read();
    if ([...configs.values()].some((config) => config.ok && config.value.whenReEnabled !== undefined)) await this.follow(configs);
    this.followed = version;
  }
}
