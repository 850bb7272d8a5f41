import { decide, decideApproval, type Decision, type StartRequest } from '../core/coordination';
import type { CoordinatorPolicy } from '../core/contracts/coordinator';
import { TERMINAL_REASONS, startTokenOf } from '../core/launch';
import { DEFAULT_PRIORITY } from '../core/contracts/shared';
import { releaseReservation, type Reservation } from '../core/reservation';
import type { ApprovalNeeded, ApprovalNotifier } from '../adapters/approval-notifier';
import type { PipelineStarter } from '../adapters/pipeline-starter';
import type { CoordinatorStore, DecisionRecord, RequestRecord, WaitingRequest } from './coordinator-store';
import { withReservations, withoutReservation, type LedgeredState } from './reservation-ledger';
import { isRetryableStartError, startErrorText } from '../adapters/start-failures';
import { readDecideWrite } from '../adapters/versioned-document';
import { answerOf, decisionRecordOf, storedDecisionOf, type CoordinatorAnswer, type DecisionExtra, type StoredDecision } from './stored-decision';

export type { CoordinatorAnswer } from './stored-decision';

/** How long one invocation holds a request id while it decides and starts. */
export const REQUEST_LEASE_MS = 60_000;

/** What one sweep of the waiting list did. */
export interface SweepSummary {
  readonly waiting: number;
  readonly asked: number;
  readonly started: number;
  readonly settled: number;
  readonly failed: number;
}

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
  readonly starter: Pick<PipelineStarter, 'start'>;
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
 * The gate in front of a pipeline: decides each request, records why, and starts at most once per
 * request. A start is reserved in the state, then made, then confirmed; a refused start is released.
 */
export class Coordinator {
  constructor(private readonly deps: CoordinatorDeps) {}

  async request(request: StartRequest): Promise<CoordinatorAnswer> {
    const { store, now } = this.deps;
    const earlier = await store.takeRequest(request.pipelineName, request.requestId, this.deps.owner(), now(), REQUEST_LEASE_MS);
    if (earlier) return this.answerRedelivery(request, earlier);
    return this.decideAfresh(request);
  }

  /** An operator's answer to the run that waits for approval. */
  async answerApproval(pipelineName: string, requestId: string, approve: boolean): Promise<CoordinatorAnswer> {
    // An answer repeated after its run started (a redelivery, or a second operator) changes and logs nothing.
    const earlier = await this.deps.store.readRequest(pipelineName, requestId);
    if (earlier?.executionArn && earlier.decision) return answerOf(earlier.decision as unknown as StoredDecision, earlier.executionArn);
    const { stored, stateBefore, adopted } = await this.decideAgainstState(pipelineName, requestId, (state) => {
      const decision = decideApproval(this.deps.policy, state, requestId, approve, this.deps.now());
      const pending = state.pendingApproval;
      const request: StartRequest = pending?.requestId === requestId
        ? { requestId, pipelineName, triggerType: pending.triggerType, reason: pending.reason, priority: pending.priority }
        : { requestId, pipelineName, triggerType: 'manual', reason: 'an operator answered', priority: DEFAULT_PRIORITY };
      return { decision, stored: storedDecisionOf(request, decision, state, this.deps.functionName, 'approved by an operator') };
    });
    if (!adopted && stateBefore.pendingApproval?.requestId !== requestId) {
      return approve ? { requestId, start: false, reason: stored.reason } : this.finishRejection(pipelineName, requestId);
    }
    const request: StartRequest = { requestId, pipelineName, triggerType: stored.triggerType, reason: stored.requestReason, priority: stored.priority };
    if (stored.start) {
      await this.deps.store.recordRequestDecision(pipelineName, requestId, { ...stored });
      return this.launch(request, stored);
    }
    // A crash before it is recorded leaves the record parked, and the redelivery or the sweep finishes it.
    return this.settle(request, stored);
  }

  /**
   * Its trigger gives up on a request whose outcome it does not know (a batch out of attempts, whose last
   * answers were lost): a start decided but not made is withdrawn, its reservation released, and nothing
   * starts it later; a start already made is answered with its execution. A request parked for an
   * operator is not withdrawn (the operator answers it).
   */
  async withdraw(pipelineName: string, requestId: string): Promise<CoordinatorAnswer> {
    const { store, now, owner } = this.deps;
    for (let wait = 0; wait < 10; wait++) {
      const record = await store.readRequest(pipelineName, requestId);
      const stored = record?.decision as StoredDecision | undefined;
      if (record && stored) {
        if (record.executionArn) return answerOf(stored, record.executionArn);
        if (TERMINAL_REASONS.has(stored.reason) || stored.reason === 'awaiting-approval') return answerOf(stored, undefined);
        if (await store.claimDecided(pipelineName, requestId, record.decisionText ?? '', owner(), now(), REQUEST_LEASE_MS)) {
          return this.recordWithdrawn(pipelineName, requestId, stored);
        }
      } else if ((await store.takeRequest(pipelineName, requestId, owner(), now(), REQUEST_LEASE_MS)) === undefined) {
        // Never decided (or its deciding invocation died first): taken, so that no later delivery decides it.
        return this.recordWithdrawn(pipelineName, requestId, undefined);
      }
      await this.deps.pause(200);
    }
    throw new Error(`request ${requestId} is being decided by another invocation; withdraw it again later`);
  }

  private async recordWithdrawn(pipelineName: string, requestId: string, stored: StoredDecision | undefined): Promise<CoordinatorAnswer> {
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
  private async giveBack(pipelineName: string, requestId: string, reservation: Reservation): Promise<void> {
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
  private async settle(request: StartRequest, decided: StoredDecision, extra: { readonly error?: string } = {}): Promise<CoordinatorAnswer> {
    await this.log(request, decided, extra);
    await this.deps.store.recordRequestDecision(request.pipelineName, request.requestId, { ...decided });
    await this.deps.store.clearWaiting(request.pipelineName, request.requestId);
    return answerOf(decided, undefined);
  }

  /**
   * A rejection whose state write happened but whose record did not (its invocation died): the request is
   * still recorded as parked, though no approval holds it and no start was reserved for it. Records it rejected.
   */
  private async finishRejection(pipelineName: string, requestId: string): Promise<CoordinatorAnswer> {
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
  async sweep(): Promise<SweepSummary> {
    const { store, now } = this.deps;
    const waiting = (await store.waiting()).sort((a, b) => a.request.priority - b.request.priority || (a.dueAtMs ?? 0) - (b.dueAtMs ?? 0));
    let asked = 0;
    let started = 0;
    let settled = 0;
    let failed = 0;
    for (const entry of waiting) {
      const { request } = entry;
      try {
        const pending = (await store.readState(request.pipelineName)).pendingApproval?.requestId;
        if (entry.parked && pending === request.requestId) {
          const record = await store.readRequest(request.pipelineName, request.requestId);
          const notice = (record?.decision as StoredDecision | undefined)?.notice;
          if (record && !record.noticeSent && notice) await this.sendNotice(notice);
          continue;
        }
        if (entry.parked) {
          // Answered by an operator, but the answer's invocation died before recording it: a reserved start was
          // an approval (start it), no reservation a rejection (record it).
          const reserved = (await store.readState(request.pipelineName)).reservations?.[request.requestId] !== undefined;
          const record = await store.readRequest(request.pipelineName, request.requestId);
          if ((record?.decision as StoredDecision | undefined)?.reason === 'awaiting-approval') {
            asked++;
            const answer = await this.answerApproval(request.pipelineName, request.requestId, reserved);
            if (answer.start) started++;
            else if (TERMINAL_REASONS.has(answer.reason)) settled++;
            continue;
          }
        }
        const due = entry.parked || (entry.dueAtMs !== undefined && now() >= entry.dueAtMs) || (entry.blockedBy !== undefined && pending !== entry.blockedBy);
        if (!due) continue;
        asked++;
        const answer = await this.request(request);
        if (answer.start || TERMINAL_REASONS.has(answer.reason)) {
          await store.clearWaiting(request.pipelineName, request.requestId);
          if (answer.start) started++;
          else settled++;
        }
      } catch {
        // One request that cannot be decided now does not hold back the others; the next sweep asks again.
        failed++;
      }
    }
    return { waiting: waiting.length, asked, started, settled, failed };
  }

  private async decideAfresh(request: StartRequest): Promise<CoordinatorAnswer> {
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
  private async decideAgainstState(
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
  private async answerRedelivery(request: StartRequest, first: RequestRecord): Promise<CoordinatorAnswer> {
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
  private async mayAskAgain(stored: StoredDecision): Promise<boolean> {
    if (stored.start) return false;
    if (stored.delayUntilMs !== undefined) return this.deps.now() >= stored.delayUntilMs;
    if (stored.reason !== 'pending-approval') return false;
    const state = await this.deps.store.readState(stored.pipelineName);
    return state.pendingApproval?.requestId !== stored.blockedBy;
  }

  private async stillPending(stored: StoredDecision): Promise<boolean> {
    return (await this.deps.store.readState(stored.pipelineName)).pendingApproval?.requestId === stored.requestId;
  }

  /** Recorded as sent only once the notifier succeeded; a redelivery sends a notice that was not. */
  private async sendNotice(notice: ApprovalNeeded): Promise<void> {
    await this.deps.notifier.notify(notice);
    await this.deps.store.recordNoticeSent(notice.pipelineName, notice.requestId);
  }

  /** Starts a reserved run with the request's token; a refusal releases the reservation, a retryable failure keeps it and throws. */
  private async launch(request: StartRequest, stored: StoredDecision): Promise<CoordinatorAnswer> {
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
      return this.release(request, stored, text);
    }
    // Logged before the ledger says "started": a crash in between logs the start twice, never not at all.
    await this.log(request, stored, { executionArn });
    await this.deps.store.recordRequestExecution(stored.pipelineName, stored.requestId, executionArn);
    await this.deps.store.clearWaiting(stored.pipelineName, stored.requestId);
    return answerOf(stored, executionArn);
  }

  private async release(request: StartRequest, stored: StoredDecision, error: string): Promise<CoordinatorAnswer> {
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
  private async wait(request: StartRequest, stored: StoredDecision): Promise<void> {
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

  private async log(request: StartRequest, stored: StoredDecision, extra: DecisionExtra = {}): Promise<void> {
    const record = decisionRecordOf(request, stored, this.deps.now(), extra);
    await this.deps.store.logDecision(record);
    this.deps.observer.decided(record);
  }
}
