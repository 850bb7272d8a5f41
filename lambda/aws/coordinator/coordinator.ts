import { decideApproval, type StartRequest } from '../../core/coordination';
import { TERMINAL_REASONS } from '../../core/launch';
import { DEFAULT_PRIORITY } from '../../core/contracts/shared';
import { CoordinatorSteps, REQUEST_LEASE_MS } from './coordinator-steps';
import { answerOf, storedDecisionOf, type CoordinatorAnswer, type StoredDecision } from './stored-decision';

export type { CoordinatorAnswer } from './stored-decision';

/** What one sweep of the waiting list did. */
export interface SweepSummary {
  readonly waiting: number;
  readonly asked: number;
  readonly started: number;
  readonly settled: number;
  readonly failed: number;
}

/**
 * The gate in front of a pipeline: decides each request, records why, and starts at most once per
 * request. A start is reserved in the state, then made, then confirmed; a refused start is released.
 */
export class Coordinator extends CoordinatorSteps {
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
        ? { requestId, pipelineName, triggerType: pending.triggerType, reason: pending.reason, priority: pending.priority, ...(pending.correlationId ? { correlationId: pending.correlationId } : {}) }
        : { requestId, pipelineName, triggerType: 'manual', reason: 'an operator answered', priority: DEFAULT_PRIORITY };
      return { decision, stored: storedDecisionOf(request, decision, state, this.deps.functionName, 'approved by an operator') };
    });
    if (!adopted && stateBefore.pendingApproval?.requestId !== requestId) {
      return approve ? { requestId, start: false, reason: stored.reason } : this.finishRejection(pipelineName, requestId);
    }
    const request: StartRequest = {
      requestId, pipelineName, triggerType: stored.triggerType, reason: stored.requestReason, priority: stored.priority,
      ...(stored.correlationId ? { correlationId: stored.correlationId } : {}),
    };
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
}
