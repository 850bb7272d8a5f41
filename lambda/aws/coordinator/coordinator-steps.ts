import { decide, type Decision, type StartRequest } from '../../core/coordination';
import type { CoordinatorPolicy } from '../../core/contracts/coordinator';
import { startTokenOf } from '../../core/launch';
import { DEFAULT_PRIORITY } from '../../core/contracts/shared';
import { releaseReservation, type Reservation } from '../../core/reservation';
import type { ApprovalNeeded, ApprovalNotifier } from '../adapters/approval-notifier';
import type { PipelineStarter } from '../adapters/pipeline-starter';
import type { DecisionRecord } from '../adapters/decision-log';
import type { CoordinatorStore, RequestRecord, WaitingRequest } from './coordinator-store';
import { withReservations, withoutReservation, type LedgeredState } from './reservation-ledger';
import { isRetryableStartError, startErrorText } from '../adapters/start-failures';
import { readDecideWrite } from '../../core/persistence';
import { answerOf, decisionRecordOf, storedDecisionOf, type CoordinatorAnswer, type DecisionExtra, type StoredDecision } from './stored-decision';

/** How far back a refused start looks for a run an earlier attempt of it made: a decided start is retried within minutes. */
const EARLIER_START_SEARCH_MS = 2 * 86_400_000;

/** How long one invocation holds a request id while it decides and starts. */
export const REQUEST_LEASE_MS = 60_000;

export interface CoordinatorObserver {
  decided(record: DecisionRecord): void;
}

/** What the coordinator needs of its store: an interface, so that tests wrap it in crashing or counting decorators. */
export type CoordinatorLedger = Pick<
  CoordinatorStore,
  | 'stateDocument' | 'readState' | 'takeRequest' | 'retakeRequest' | 'claimDecided' | 'readRequest' | 'recordRequestDecision' | 'recordRequestExecution'
  | 'recordNoticeSent' | 'recordWaiting' | 'clearWaiting' | 'waiting' | 'logDecision' | 'freeRequest'
>;

export interface CoordinatorDeps {
  readonly store: CoordinatorLedger;
  /** Starts runs; with `find`, a start refused for good first looks for the run an earlier attempt made. */
  readonly starter: Pick<PipelineStarter, 'start'> & Partial<Pick<PipelineStarter, 'find'>>;
  readonly notifier: Pick<ApprovalNotifier, 'notify'>;
  readonly policy: CoordinatorPolicy;
  readonly observer: CoordinatorObserver;
  readonly functionName: string;
  readonly now: () => number;
  readonly owner: () => string;
  readonly pause: (ms: number) => Promise<void>;
  /** A number in [0, 1): the jitter of the backoff between contended state writes. */
  readonly random: () => number;
}

/**
 * The steps the coordinator's protocol is made of: deciding against the state, starting, releasing,
 * waiting, settling and logging. `Coordinator` composes them into requests, approvals, withdrawals and sweeps.
 */
export abstract class CoordinatorSteps {
  constructor(protected readonly deps: CoordinatorDeps) {}

  protected async recordWithdrawn(pipelineName: string, requestId: string, stored: StoredDecision | undefined): Promise<CoordinatorAnswer> {
    if (stored?.reservation) await this.giveBack(pipelineName, requestId, stored.reservation);
    const base: StoredDecision = stored ?? {
      requestId, pipelineName, start: false, reason: 'withdrawn', description: '', triggerType: 'manual', priority: DEFAULT_PRIORITY,
      requestReason: 'withdrawn before it was decided', estimatedCost: 0, bypassed: [],
    };
    const { reservation: _released, sequence: _none, parameters: _unused, notice: _unsent, delayUntilMs: _moot, blockedBy: _gone, ...rest } = base;
    const withdrawn: StoredDecision = { ...rest, start: false, reason: 'withdrawn' };
    return this.settle({ requestId, pipelineName, triggerType: base.triggerType, reason: base.requestReason, priority: base.priority }, withdrawn);
  }

  /** Gives back what a reservation charged, once: a reservation no longer in the state was released before (or is a day old). */
  protected async giveBack(pipelineName: string, requestId: string, reservation: Reservation): Promise<void> {
    await readDecideWrite(
      this.deps.store.stateDocument(pipelineName),
      (state) => ({ next: state.reservations?.[requestId] ? withoutReservation(releaseReservation(state, reservation), requestId) : state }),
      this.deps,
      `pipeline ${pipelineName}`,
    );
  }

  /**
   * Records a decision for good: logged first (a redelivery is answered from the record, so what it answers was
   * logged), then recorded, then off the waiting list.
   */
  protected async settle(request: StartRequest, decided: StoredDecision, extra: { readonly error?: string } = {}): Promise<CoordinatorAnswer> {
    await this.log(request, decided, extra);
    await this.deps.store.recordRequestDecision(request.pipelineName, request.requestId, { ...decided });
    await this.deps.store.clearWaiting(request.pipelineName, request.requestId);
    return answerOf(decided, undefined);
  }

  /**
   * A rejection whose state write happened but whose record did not (its invocation died): the request is
   * still recorded as parked, though no approval holds it and no start was reserved for it. Records it rejected.
   */
  protected async finishRejection(pipelineName: string, requestId: string): Promise<CoordinatorAnswer> {
    const record = await this.deps.store.readRequest(pipelineName, requestId);
    const parked = record?.decision as StoredDecision | undefined;
    const state = await this.deps.store.readState(pipelineName);
    if (!parked || parked.reason !== 'awaiting-approval' || state.pendingApproval?.requestId === requestId || state.reservations?.[requestId]) {
      return parked ? answerOf(parked, record?.executionArn) : { requestId, start: false, reason: 'pending-approval' };
    }
    const { notice: _sent, reservation: _none, ...rest } = parked;
    const rejected: StoredDecision = { ...rest, start: false, reason: 'rejected' };
    return this.settle({ requestId, pipelineName, triggerType: parked.triggerType, reason: parked.requestReason, priority: parked.priority }, rejected);
  }

  /**
   * Asks again every waiting request that is due: deferred until a time that has passed, held back by an
   * approval that was answered, or decided to start without a confirmed start (its invocation died).
   * Re-sends approval notices that were not published. Run on a schedule, so that no deferred request
   * depends on its trigger asking again.
   */
  protected async decideAfresh(request: StartRequest): Promise<CoordinatorAnswer> {
    const { stored } = await this.decideAgainstState(request.pipelineName, request.requestId, (state) => {
      const decision = decide(this.deps.policy, state, request, this.deps.now());
      return { decision, stored: storedDecisionOf(request, decision, state, this.deps.functionName) };
    });
    // On the waiting list before the decision is recorded: whatever dies after this, the sweep finishes it.
    await this.wait(request, stored);
    if (stored.start) {
      await this.deps.store.recordRequestDecision(request.pipelineName, request.requestId, { ...stored });
      return this.launch(request, stored);
    }
    // Logged before it is recorded: a redelivery is answered from the record, so what it answers was logged.
    await this.log(request, stored);
    await this.deps.store.recordRequestDecision(request.pipelineName, request.requestId, { ...stored });
    if (stored.notice) await this.sendNotice(stored.notice);
    return answerOf(stored, undefined);
  }

  /**
   * Reads the state, decides, and writes the new state conditionally, with jittered backoff while other
   * requests win. A start is reserved in that same write; a request that finds its own reservation (its
   * first delivery died before recording the decision) adopts it instead of being decided and charged again.
   */
  protected async decideAgainstState(
    pipelineName: string,
    requestId: string,
    decideOn: (state: LedgeredState) => { readonly decision: Decision; readonly stored: StoredDecision },
  ): Promise<{ readonly stored: StoredDecision; readonly stateBefore: LedgeredState; readonly adopted: boolean }> {
    const nowMs = this.deps.now();
    const { decided, before } = await readDecideWrite(
      this.deps.store.stateDocument(pipelineName),
      (state) => {
        const reserved = state.reservations?.[requestId];
        if (reserved) return { next: state, stored: JSON.parse(reserved.decision) as StoredDecision, adopted: true };
        const { decision, stored } = decideOn(state);
        const added = stored.start ? { requestId, decision: JSON.stringify(stored) } : undefined;
        return { next: withReservations(state, decision.state, nowMs, added), stored, adopted: false };
      },
      this.deps,
      `pipeline ${pipelineName}`,
    );
    return { stored: decided.stored, stateBefore: before, adopted: decided.adopted };
  }

  /** A request id seen before: finish what a failure interrupted, decide afresh when asked again after its wait, or answer as decided. */
  protected async answerRedelivery(request: StartRequest, first: RequestRecord): Promise<CoordinatorAnswer> {
    const { store, now, owner } = this.deps;
    let record: RequestRecord | undefined = first;
    for (let wait = 0; wait < 10; wait++) {
      const stored = record?.decision as StoredDecision | undefined;
      if (record && stored) {
        if (stored.start && !record.executionArn) {
          // A start still being made by the invocation that holds the lease is waited for, not made twice.
          // Taken first, so that a withdrawal and this start never both go ahead.
          if (record.leaseUntilMs <= now() && (await store.claimDecided(request.pipelineName, request.requestId, record.decisionText ?? '', owner(), now(), REQUEST_LEASE_MS))) {
            // Its reservation was released (the start was refused, and the invocation died before recording that):
            // the decision no longer holds, so the request is decided afresh, and charged if it starts.
            if ((await store.readState(request.pipelineName)).reservations?.[request.requestId]) return this.launch(request, stored);
            if (await store.retakeRequest(request.pipelineName, request.requestId, record.decisionText ?? '', owner(), now(), REQUEST_LEASE_MS)) {
              return this.decideAfresh(request);
            }
          }
        } else {
          if (stored.notice && !record.noticeSent && (await this.stillPending(stored))) await this.sendNotice(stored.notice);
          if (!(await this.mayAskAgain(stored))) return answerOf(stored, record.executionArn);
          if (await store.retakeRequest(request.pipelineName, request.requestId, record.decisionText ?? '', owner(), now(), REQUEST_LEASE_MS)) {
            return this.decideAfresh(request);
          }
        }
      }
      await this.deps.pause(200);
      record = await store.readRequest(request.pipelineName, request.requestId);
    }
    throw new Error(`request ${request.requestId} is being decided by another invocation; deliver it again later`);
  }

  /** A suppression is final only until its wait has passed, or the approval that held it back was answered. */
  protected async mayAskAgain(stored: StoredDecision): Promise<boolean> {
    if (stored.start) return false;
    if (stored.delayUntilMs !== undefined) return this.deps.now() >= stored.delayUntilMs;
    if (stored.reason !== 'pending-approval') return false;
    const state = await this.deps.store.readState(stored.pipelineName);
    return state.pendingApproval?.requestId !== stored.blockedBy;
  }

  protected async stillPending(stored: StoredDecision): Promise<boolean> {
    return (await this.deps.store.readState(stored.pipelineName)).pendingApproval?.requestId === stored.requestId;
  }

  /** Recorded as sent only once the notifier succeeded; a redelivery sends a notice that was not. */
  protected async sendNotice(notice: ApprovalNeeded): Promise<void> {
    await this.deps.notifier.notify(notice);
    await this.deps.store.recordNoticeSent(notice.pipelineName, notice.requestId);
  }

  /** Starts a reserved run with the request's token; a refusal releases the reservation, a retryable failure keeps it and throws. */
  protected async launch(request: StartRequest, stored: StoredDecision): Promise<CoordinatorAnswer> {
    let executionArn: string;
    try {
      executionArn = await this.deps.starter.start({
        pipelineName: stored.pipelineName,
        clientRequestToken: startTokenOf(stored.pipelineName, stored.requestId),
        parameters: stored.parameters ?? [],
        displayName: `run-${stored.sequence ?? 0}`,
        description: stored.description,
        ...(stored.correlationId ? { correlationId: stored.correlationId } : {}),
      });
    } catch (error) {
      const text = startErrorText(error);
      if (isRetryableStartError(error)) {
        await this.log(request, stored, { outcome: 'failed', reason: 'start-failed (retrying)', error: text });
        // The lease is given up, so that the retry (or a redelivery) makes the start at once.
        await this.deps.store.freeRequest(stored.pipelineName, stored.requestId, this.deps.now());
        throw error;
      }
      // A refusal for good may answer a repeat of a start that was made before its record was lost: the run is looked for first.
      const earlier = await this.startedBefore(stored);
      if (!earlier) return this.release(request, stored, text);
      executionArn = earlier;
    }
    // Logged before the ledger says "started": a crash in between logs the start twice, never not at all.
    await this.log(request, stored, { executionArn });
    await this.deps.store.recordRequestExecution(stored.pipelineName, stored.requestId, executionArn);
    await this.deps.store.clearWaiting(stored.pipelineName, stored.requestId);
    return answerOf(stored, executionArn);
  }

  /** The run of a decided start that an earlier attempt made, found by its correlation id; undefined when none is found or the search fails. */
  protected async startedBefore(stored: StoredDecision): Promise<string | undefined> {
    if (!stored.correlationId || !this.deps.starter.find) return undefined;
    try {
      return await this.deps.starter.find(stored.pipelineName, stored.correlationId, this.deps.now() - EARLIER_START_SEARCH_MS);
    } catch {
      return undefined;
    }
  }

  protected async release(request: StartRequest, stored: StoredDecision, error: string): Promise<CoordinatorAnswer> {
    const { reservation, sequence, parameters, ...rest } = stored;
    if (reservation) await this.giveBack(stored.pipelineName, stored.requestId, reservation);
    const failed: StoredDecision = { ...rest, start: false, reason: 'start-failed', error };
    return this.settle(request, failed, { error });
  }

  /**
   * What the waiting list keeps of a decided request: a start until it is confirmed (due once the deciding
   * invocation's lease is over), a deferral until its time, a request held back until its blocker was
   * answered, a parked one until an operator answers. A request decided for good leaves the list.
   */
  protected async wait(request: StartRequest, stored: StoredDecision): Promise<void> {
    const { store, now } = this.deps;
    const entry: WaitingRequest | undefined = stored.start
      ? { request, dueAtMs: now() + REQUEST_LEASE_MS }
      : stored.notice
        ? { request, parked: true }
        : stored.delayUntilMs !== undefined
          ? { request, dueAtMs: stored.delayUntilMs }
          : stored.blockedBy !== undefined
            ? { request, blockedBy: stored.blockedBy }
            : undefined;
    if (entry) await store.recordWaiting(entry, now());
    else await store.clearWaiting(request.pipelineName, request.requestId);
  }

  protected async log(request: StartRequest, stored: StoredDecision, extra: DecisionExtra = {}): Promise<void> {
    const record = decisionRecordOf(request, stored, this.deps.now(), extra);
    await this.deps.store.logDecision(record);
    this.deps.observer.decided(record);
  }
}
