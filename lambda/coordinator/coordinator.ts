import { sha256 } from '../core/batching';
import {
  decide,
  decideApproval,
  type CoordinatorPolicy,
  type Decision,
  type DecisionReason,
  type StartRequest,
} from '../core/coordination';
import type { PipelineParameter } from '../core/pipeline-parameters';
import type { ApprovalNotifier } from '../adapters/approval-notifier';
import type { PipelineStarter } from '../adapters/pipeline-starter';
import type { CoordinatorStore, DecisionRecord } from './coordinator-store';

/** How long one invocation holds a request id while it decides and starts. */
export const REQUEST_LEASE_MS = 60_000;
const MAX_STATE_ROUNDS = 10;

/** What a trigger hears back. */
export interface CoordinatorAnswer {
  readonly requestId: string;
  readonly start: boolean;
  readonly reason: DecisionReason;
  readonly delayUntilMs?: number;
  readonly sequence?: number;
  readonly executionArn?: string;
}

/** What the answer is kept with, so that a redelivered request starts the same run, if any. */
interface StoredDecision extends CoordinatorAnswer {
  readonly parameters?: readonly PipelineParameter[];
  readonly correlationId?: string;
  readonly pipelineName: string;
  readonly description: string;
}

export interface CoordinatorObserver {
  decided(record: DecisionRecord): void;
}

export interface CoordinatorDeps {
  readonly store: CoordinatorStore;
  readonly starter: PipelineStarter;
  readonly notifier: ApprovalNotifier;
  readonly policy: CoordinatorPolicy;
  readonly observer: CoordinatorObserver;
  readonly functionName: string;
  readonly now: () => number;
  readonly owner: () => string;
  readonly pause: (ms: number) => Promise<void>;
}

/** The gate in front of a pipeline: decides each start request once, records why, and starts at most once per request. */
export class Coordinator {
  constructor(private readonly deps: CoordinatorDeps) {}

  async request(request: StartRequest): Promise<CoordinatorAnswer> {
    const { store, now } = this.deps;
    const earlier = await store.takeRequest(request.pipelineName, request.requestId, this.deps.owner(), now(), REQUEST_LEASE_MS);
    if (earlier) return this.answerRedelivery(request);

    const { decision, stateBefore } = await this.decideAgainstState(request.pipelineName, (state) => decide(this.deps.policy, state, request, now()));
    const stored: StoredDecision = {
      requestId: request.requestId,
      pipelineName: request.pipelineName,
      start: decision.start,
      reason: decision.reason,
      ...(decision.delayUntilMs !== undefined ? { delayUntilMs: decision.delayUntilMs } : {}),
      ...(decision.sequence !== undefined ? { sequence: decision.sequence } : {}),
      parameters: decision.parameters,
      ...(request.correlationId ? { correlationId: request.correlationId } : {}),
      description: `${request.triggerType} trigger, priority ${request.priority}: ${request.reason}`,
    };
    await store.recordRequestDecision(request.pipelineName, request.requestId, { ...stored });
    const executionArn = decision.start ? await this.start(stored) : undefined;
    if (decision.reason === 'awaiting-approval') {
      await this.deps.notifier.notify({
        pipelineName: request.pipelineName,
        requestId: request.requestId,
        triggerType: request.triggerType,
        reason: request.reason,
        priority: request.priority,
        estimatedCost: decision.estimatedCost,
        coordinatorFunction: this.deps.functionName,
      });
    }
    await this.log(request, decision, executionArn, stateBefore.pendingApproval?.requestId);
    return this.answer(stored, executionArn);
  }

  /** An operator's answer to the run that waits for approval. */
  async answerApproval(pipelineName: string, requestId: string, approve: boolean): Promise<CoordinatorAnswer> {
    const { decision, stateBefore } = await this.decideAgainstState(pipelineName, (state) =>
      decideApproval(this.deps.policy, state, requestId, approve, this.deps.now()),
    );
    const pending = stateBefore.pendingApproval;
    if (!pending || pending.requestId !== requestId) {
      return { requestId, start: false, reason: decision.reason };
    }
    const request: StartRequest = {
      requestId,
      pipelineName,
      triggerType: pending.triggerType,
      reason: pending.reason,
      priority: pending.priority,
      parameters: pending.parameters,
    };
    const stored: StoredDecision = {
      requestId,
      pipelineName,
      start: decision.start,
      reason: decision.reason,
      ...(decision.sequence !== undefined ? { sequence: decision.sequence } : {}),
      parameters: decision.parameters,
      description: `${pending.triggerType} trigger, priority ${pending.priority}, approved by an operator: ${pending.reason}`,
    };
    await this.deps.store.recordRequestDecision(pipelineName, requestId, { ...stored });
    const executionArn = decision.start ? await this.start(stored) : undefined;
    await this.log(request, decision, executionArn, undefined);
    return this.answer(stored, executionArn);
  }

  /** Reads the state, decides, and writes the new state conditionally; decides again if another request won. */
  private async decideAgainstState(
    pipelineName: string,
    decideOn: (state: Awaited<ReturnType<CoordinatorStore['readState']>>) => Decision,
  ) {
    for (let round = 0; round < MAX_STATE_ROUNDS; round++) {
      const stateBefore = await this.deps.store.readState(pipelineName);
      const decision = decideOn(stateBefore);
      if (decision.state === stateBefore || decision.state.version === stateBefore.version) return { decision, stateBefore };
      if (await this.deps.store.writeState(pipelineName, decision.state, stateBefore.version)) return { decision, stateBefore };
    }
    throw new Error(`pipeline ${pipelineName}: the state kept changing under ${MAX_STATE_ROUNDS} decisions`);
  }

  /** A request id seen before: answer as decided then, finishing a start that a crash interrupted. */
  private async answerRedelivery(request: StartRequest): Promise<CoordinatorAnswer> {
    for (let wait = 0; wait < 10; wait++) {
      const record = await this.deps.store.readRequest(request.pipelineName, request.requestId);
      const stored = record?.decision as StoredDecision | undefined;
      if (stored) {
        if (stored.start && !record?.executionArn) return this.answer(stored, await this.start(stored));
        return this.answer(stored, record?.executionArn);
      }
      await this.deps.pause(200);
    }
    throw new Error(`request ${request.requestId} is being decided by another invocation; deliver it again later`);
  }

  private async start(stored: StoredDecision): Promise<string> {
    const executionArn = await this.deps.starter.start({
      pipelineName: stored.pipelineName,
      clientRequestToken: sha256(`${stored.pipelineName}#${stored.requestId}`),
      parameters: stored.parameters ?? [],
      displayName: `run-${stored.sequence ?? 0}`,
      description: stored.description,
      ...(stored.correlationId ? { correlationId: stored.correlationId } : {}),
    });
    await this.deps.store.recordRequestExecution(stored.pipelineName, stored.requestId, executionArn);
    return executionArn;
  }

  private answer(stored: StoredDecision, executionArn: string | undefined): CoordinatorAnswer {
    return {
      requestId: stored.requestId,
      start: stored.start,
      reason: stored.reason,
      ...(stored.delayUntilMs !== undefined ? { delayUntilMs: stored.delayUntilMs } : {}),
      ...(stored.sequence !== undefined ? { sequence: stored.sequence } : {}),
      ...(executionArn ? { executionArn } : {}),
    };
  }

  private async log(request: StartRequest, decision: Decision, executionArn: string | undefined, blockedBy: string | undefined): Promise<void> {
    const record: DecisionRecord = {
      pipelineName: request.pipelineName,
      requestId: request.requestId,
      atMs: this.deps.now(),
      triggerType: request.triggerType,
      priority: request.priority,
      outcome: decision.start
        ? 'started'
        : decision.reason === 'awaiting-approval'
          ? 'awaiting-approval'
          : decision.reason === 'rejected'
            ? 'rejected'
            : 'suppressed',
      reason: blockedBy && decision.reason === 'pending-approval' ? `pending-approval (${blockedBy})` : decision.reason,
      requestReason: request.reason,
      ...(request.correlationId ? { correlationId: request.correlationId } : {}),
      ...(decision.delayUntilMs !== undefined ? { delayUntilMs: decision.delayUntilMs } : {}),
      estimatedCost: decision.estimatedCost,
      ...(executionArn ? { executionArn } : {}),
      ...(decision.sequence !== undefined ? { sequence: decision.sequence } : {}),
      ...(decision.bypassed.length ? { bypassed: decision.bypassed } : {}),
    };
    await this.deps.store.logDecision(record);
    this.deps.observer.decided(record);
  }
}
