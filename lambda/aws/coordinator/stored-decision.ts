import type { BypassedRule, Decision, DecisionReason, PipelineState, StartRequest } from '../../core/coordination';
import { reservationOf, type Reservation } from '../../core/reservation';
import type { PipelineParameter } from '../../core/pipeline-parameters';
import type { ApprovalNeeded } from '../adapters/approval-notifier';
import type { DecisionRecord } from '../adapters/decision-log';

/** What a trigger hears back. */
export interface CoordinatorAnswer {
  readonly requestId: string;
  readonly start: boolean;
  readonly reason: DecisionReason;
  /** Ask again, with the same request id, after this time: the request is then decided afresh. */
  readonly delayUntilMs?: number;
  readonly sequence?: number;
  readonly executionArn?: string;
  /** Why the start failed, when reason is `start-failed`. */
  readonly error?: string;
}

/** What the answer is kept with, so that a redelivered request starts the same run, if any. */
export interface StoredDecision extends CoordinatorAnswer {
  readonly parameters?: readonly PipelineParameter[];
  readonly correlationId?: string;
  readonly pipelineName: string;
  readonly description: string;
  readonly triggerType: StartRequest['triggerType'];
  readonly priority: number;
  readonly requestReason: string;
  readonly estimatedCost: number;
  readonly bypassed: readonly BypassedRule[];
  /** What the start charged to the state, until it started (or was released). */
  readonly reservation?: Reservation;
  /** The request that held this one back, when reason is `pending-approval`. */
  readonly blockedBy?: string;
  /** The notice to (re)send, when reason is `awaiting-approval`. */
  readonly notice?: ApprovalNeeded;
}

/** The decision as the request ledger keeps it: what a redelivery is answered with, and what a start needs. */
export function storedDecisionOf(request: StartRequest, decision: Decision, before: PipelineState, functionName: string, how?: string): StoredDecision {
  const notice: ApprovalNeeded | undefined = decision.reason === 'awaiting-approval'
    ? {
      pipelineName: request.pipelineName, requestId: request.requestId, triggerType: request.triggerType, reason: request.reason,
      priority: request.priority, estimatedCost: decision.estimatedCost, coordinatorFunction: functionName,
    }
    : undefined;
  return {
    requestId: request.requestId,
    pipelineName: request.pipelineName,
    start: decision.start,
    reason: decision.reason,
    ...(decision.delayUntilMs !== undefined ? { delayUntilMs: decision.delayUntilMs } : {}),
    ...(decision.sequence !== undefined ? { sequence: decision.sequence } : {}),
    parameters: decision.parameters,
    ...(request.correlationId ? { correlationId: request.correlationId } : {}),
    description: `${request.triggerType} trigger, priority ${request.priority}${how ? `, ${how}` : ''}: ${request.reason}`,
    triggerType: request.triggerType,
    priority: request.priority,
    requestReason: request.reason,
    estimatedCost: decision.estimatedCost,
    bypassed: decision.bypassed,
    ...(decision.start ? { reservation: reservationOf(before, decision.state, decision.estimatedCost) } : {}),
    ...(decision.reason === 'pending-approval' && before.pendingApproval ? { blockedBy: before.pendingApproval.requestId } : {}),
    ...(notice ? { notice } : {}),
  };
}

/** What the trigger hears of a stored decision, with the run it started, if any. */
export function answerOf(stored: StoredDecision, executionArn: string | undefined): CoordinatorAnswer {
  return {
    requestId: stored.requestId,
    start: stored.start,
    reason: stored.reason,
    ...(stored.delayUntilMs !== undefined ? { delayUntilMs: stored.delayUntilMs } : {}),
    ...(stored.sequence !== undefined ? { sequence: stored.sequence } : {}),
    ...(executionArn ? { executionArn } : {}),
    ...(stored.error !== undefined ? { error: stored.error } : {}),
  };
}

/** What a decision record adds to the stored decision: the run, or an attempt that failed. */
export interface DecisionExtra {
  readonly executionArn?: string;
  readonly outcome?: 'failed';
  readonly reason?: string;
  readonly error?: string;
}

/** The decision log's record of a stored decision, at `atMs`. */
export function decisionRecordOf(request: StartRequest, stored: StoredDecision, atMs: number, extra: DecisionExtra = {}): DecisionRecord {
  const outcome: DecisionRecord['outcome'] = extra.outcome
    ?? (stored.reason === 'start-failed' ? 'failed'
      : stored.start ? 'started'
        : stored.reason === 'awaiting-approval' || stored.reason === 'rejected' || stored.reason === 'withdrawn' ? stored.reason
          : 'suppressed');
  return {
    pipelineName: request.pipelineName,
    requestId: request.requestId,
    atMs,
    triggerType: request.triggerType,
    priority: request.priority,
    outcome,
    reason: extra.reason ?? (stored.blockedBy ? `pending-approval (${stored.blockedBy})` : stored.reason),
    requestReason: request.reason,
    ...(request.correlationId ? { correlationId: request.correlationId } : {}),
    ...(stored.delayUntilMs !== undefined ? { delayUntilMs: stored.delayUntilMs } : {}),
    estimatedCost: stored.estimatedCost,
    ...(extra.executionArn ? { executionArn: extra.executionArn } : {}),
    ...(stored.sequence !== undefined ? { sequence: stored.sequence } : {}),
    ...(stored.bypassed.length ? { bypassed: stored.bypassed } : {}),
    ...(extra.error !== undefined ? { error: extra.error } : {}),
  };
}
