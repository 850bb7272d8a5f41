import type { BatchId } from '../../core/batching';
import { SKIP } from '../../core/contracts/re-enable';
import type { BatchTriggerConfig } from '../../core/contracts/batch';
import type { Parsed } from '../../core/result';
import { reEnableStep, type CatchUpBatch } from '../../core/re-enable';
import type { BatchRecordStore } from './batch-record-store';
import type { Batcher } from './batcher';
import type { ConfigurationHistory } from '../adapters/configuration-history';
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

  /** @param expected nothing went wrong: the catch-up waits for its rule to deliver again */
  constructor(message: string, readonly expected = false) {
    super(message);
  }
}

export interface ReEnableDeps {
  readonly records: Pick<ReEnableStore, 'read' | 'recordDisabled' | 'markPlacing' | 'markCatchUp' | 'forget'>;
  readonly state: Pick<TriggerStateStore, 'readState' | 'seal'>;
  readonly headers: Pick<BatchRecordStore, 'readHeader'>;
  readonly batcher: Pick<Batcher, 'arriveAll' | 'flush'>;
  readonly listing: Pick<CatchUpListing, 'list'>;
  /** When the deployment turned each trigger off and on, from its configuration's versions. */
  readonly history: Pick<ConfigurationHistory, 'latestOffPeriod'>;
  readonly now: () => number;
  readonly pause: (ms: number) => Promise<void>;
  /** Told what a catch-up listed, before its objects are placed. */
  readonly listed?: (config: BatchTriggerConfig, sinceMs: number, result: CatchUpListingResult) => void;
}

const FINISHED = new Set(['STARTED', 'FAILED', 'EMPTY']);

/**
 * How long after the deployment wrote a trigger's configuration on again its catch-up lists the bucket. The
 * trigger's rule is updated after its configuration (it depends on it), one call a moment later: once the rule
 * delivers again, the listing and the deliveries overlap, and the batcher counts an upload both bring once.
 */
export const RULE_SETTLE_MS = 60_000;
/** The longest an invocation waits for {@link RULE_SETTLE_MS} to pass; past it, the flush schedule tries again. */
const MAX_SETTLE_WAIT_MS = 20_000;

/**
 * Follows a trigger's `enabled` as the deployment wrote it: remembers when the deployment turned the trigger off,
 * and once it is on again forgets that (skip) or batches what landed meanwhile (catch up). A catch-up lists the
 * trigger's prefix once its rule delivers again, places what it found through the arrival path (an upload counted
 * before, or delivered as well, is counted once), seals it as one batch apart from the objects that were waiting,
 * starts it, and only then forgets when the trigger went off.
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
        await records.recordDisabled(config.triggerId, await this.offSince(config), step.replaces);
        return { step: 'recorded-disabled' };
      case 'forget':
        await records.forget(config.triggerId, step.disabledAtMs);
        return { step: 'skipped' };
      case 'finish':
        return this.finish(config, step.disabledAtMs, step.batch);
      case 'catch-up': {
        await this.settled(config);
        const batch = await this.place(config, step, record?.placing);
        if (!batch) {
          await records.forget(config.triggerId, step.disabledAtMs);
          return { step: 'caught-up', objects: 0 };
        }
        await records.markCatchUp(config.triggerId, step.disabledAtMs, batch);
        return this.finish(config, step.disabledAtMs, batch);
      }
    }
  }

  /**
   * When the deployment turned the trigger off: the version of its configuration that did, which is written before
   * its rule stops delivering (the rule depends on it), so that nothing landing in between is missed by the
   * catch-up. The time the change is seen only where the configuration's history does not tell.
   */
  private async offSince(config: BatchTriggerConfig): Promise<number> {
    const period = await this.deps.history.latestOffPeriod(config.triggerId);
    if (period?.onMs !== undefined) throw new CatchUpPending(`trigger ${config.triggerId}: its configuration was turned on again while the change off was being followed`);
    return period?.offMs ?? this.deps.now();
  }

  /** Waits until the trigger's rule delivers again, {@link RULE_SETTLE_MS} after its configuration was turned on; pending when that is too long to wait here. */
  private async settled(config: BatchTriggerConfig): Promise<void> {
    const onMs = (await this.deps.history.latestOffPeriod(config.triggerId))?.onMs;
    const wait = onMs === undefined ? 0 : onMs + RULE_SETTLE_MS - this.deps.now();
    if (wait > MAX_SETTLE_WAIT_MS) throw new CatchUpPending(`trigger ${config.triggerId}: its rule may not deliver yet; the catch-up lists ${Math.ceil(wait / 1000)} s from now`, true);
    if (wait > 0) await this.deps.pause(wait);
  }

  /**
   * Lists and places the catch-up's objects and seals them as one batch: that batch, or undefined when nothing new
   * was found. `placing` is the batch an earlier try began filling, when it stopped before sealing it.
   */
  private async place(config: BatchTriggerConfig, step: { readonly disabledAtMs: number; readonly sinceMs: number; readonly maxObjects: number }, placing: number | undefined): Promise<CatchUpBatch | undefined> {
    const { sinceMs, maxObjects } = step;
    const listed = await this.deps.listing.list(config, sinceMs, maxObjects);
    this.deps.listed?.(config, sinceMs, listed);
    if (listed.objects.length === 0) return undefined;
    let before = await this.deps.state.readState(config.triggerId);
    if (placing === undefined || (before?.generation ?? 1) !== placing) {
      // The objects waiting in the open batch go on in a batch of their own, so that the catch-up's is only what it found.
      await this.sealOpen(config, before);
      before = await this.deps.state.readState(config.triggerId);
      await this.deps.records.markPlacing(config.triggerId, step.disabledAtMs, before?.generation ?? 1);
    }
    const outcomes = await this.deps.batcher.arriveAll(config, listed.objects);
    if (outcomes.includes('retry')) throw new CatchUpPending(`trigger ${config.triggerId}: an object of the catch-up is still being placed by another delivery`);
    const generation = before?.generation ?? 1;
    const after = await this.deps.state.readState(config.triggerId);
    // Nothing new, unless an earlier try left some of it in the batch it was filling.
    if (!outcomes.includes('accepted') && !(placing === generation && after && after.generation === generation && after.count > 0)) return undefined;
    if (!after) throw new Error(`trigger ${config.triggerId}: no batch state after placing the catch-up's objects`);
    // A catch-up that filled its batch was sealed and started on the way; else it is sealed here.
    if (after.generation === generation) {
      await this.sealOpen(config, after);
      return { epoch: after.epoch, generation };
    }
    // Its batch was sealed full with places an interrupted try left unwritten, and what this try placed went on into
    // the next batch: that one is the catch-up's, sealed now so that nothing arriving later joins it.
    if (outcomes.includes('accepted') && after.count > 0) {
      await this.sealOpen(config, after);
      return { epoch: after.epoch, generation: after.generation };
    }
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
      // The batch is the batcher's to start, as any other: a failed start is retried by the flush on its backoff, and alarmed.
      throw new CatchUpPending(`trigger ${config.triggerId}: catch-up batch ${batch.generation} has not started yet (${header?.status ?? 'not claimed'})`, true);
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
  let unexpected = false;
  for (const [triggerId, config] of configs) {
    if (!config.ok) {
      log.warn('skipped a configuration that does not parse', { triggerId, field: config.error.field, problem: config.error.problem });
      continue;
    }
    try {
      const outcome = await reEnabler.apply(config.value);
      if (outcome.step !== 'unchanged') log.info('followed a trigger being turned off or on', { triggerId, ...outcome });
    } catch (error) {
      if (error instanceof CatchUpPending && error.expected) log.info('a catch-up waits for its rule to deliver again; the change is delivered again', { triggerId, reason: error.message });
      else {
        log.error('could not follow a trigger being turned off or on; the change is delivered again', { triggerId, error: error as Error });
        unexpected = true;
      }
      unfinished.push(triggerId);
    }
  }
  if (unfinished.length > 0) throw new CatchUpPending(`not yet followed: ${unfinished.join(', ')}`, !unexpected);
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
