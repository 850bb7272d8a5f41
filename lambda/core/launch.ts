/**
 * The one start path's contract: what a trigger hands to its launcher, what it hears back, and the
 * identities every start carries (request id, SageMaker token, correlation id), derived here only.
 * Pure: no SDK, no clock.
 */
import { sha256 } from './batching';
import type { TriggerType } from './coordination';
import type { PipelineParameter } from './pipeline-parameters';

/** One run a trigger wants started. */
export interface LaunchRequest {
  readonly triggerType: TriggerType;
  readonly triggerId: string;
  /**
   * What this run is for: a batch, an event id, a completed join, an upstream execution, a drift
   * report. The same occasion always gives the same request id and token, so a redelivered or retried
   * start starts nothing new.
   */
  readonly occasion: string;
  readonly pipelineName: string;
  readonly parameters: readonly PipelineParameter[];
  /** 1 (most urgent) to 5. */
  readonly priority: number;
  /** Why, in a sentence; becomes the run's description and the decision's reason (cut to 512 characters). */
  readonly reason: string;
  /** The run's display name when started directly (a coordinator names runs by sequence). */
  readonly displayName: string;
  readonly dataSizeGb?: number;
  /** Park the run until an operator approves it (coordinated routes only). */
  readonly requireApproval?: boolean;
  /** The earliest the run can have been created: where a withdrawal on a direct route looks for it. @default 0 */
  readonly notBeforeMs?: number;
}

export type LaunchOutcome =
  | { readonly status: 'started'; readonly requestId: string; readonly executionArn: string }
  /** Not now: ask again with the same occasion after `delayUntilMs` (or, without it, after an approval). */
  | { readonly status: 'deferred'; readonly requestId: string; readonly reason: string; readonly delayUntilMs?: number }
  /** Decided for good: the start was refused (an operator rejected it, or SageMaker refused it). */
  | { readonly status: 'refused'; readonly requestId: string; readonly reason: string; readonly error?: string };

/** Starts runs: directly, or through a coordinator; picked once per route. */
export interface Launcher {
  launch(request: LaunchRequest): Promise<LaunchOutcome>;
  /**
   * Gives up on a request whose outcome is unknown, so that nothing starts it later: `refused` (withdrawn,
   * or refused before) when it will never start, `started` when it did. A coordinator withdraws it; a direct
   * route, which has nothing pending, looks for the run in the pipeline's executions.
   */
  readonly withdraw?: (request: LaunchRequest) => Promise<LaunchOutcome>;
}

const PREFIX: Readonly<Record<TriggerType, string>> = {
  'data-arrival': 'batch',
  event: 'evt',
  drift: 'drift',
  scheduled: 'sched',
  manual: 'manual',
};

/** The request id of a trigger's occasion: stable across retries and redeliveries, and within the coordinator's pattern. */
export function requestIdOf(triggerType: TriggerType, triggerId: string, occasion: string): string {
  return `${PREFIX[triggerType]}#${sha256(`${triggerId}#${occasion}`).slice(0, 40)}`;
}

/**
 * The request id of a scheduled start: the trigger's key and the scheduled time, which EventBridge
 * Scheduler fills in (`scheduledTime` may be its context attribute, resolved per invocation).
 */
export function scheduledRequestId(triggerKey: string, scheduledTime: string): string {
  return `${PREFIX.scheduled}#${triggerKey}#${scheduledTime}`;
}

/** SageMaker's ClientRequestToken for a request: the same one whoever makes the start, directly or a coordinator. */
export function startTokenOf(pipelineName: string, requestId: string): string {
  return sha256(`${pipelineName}#${requestId}`);
}

/** The id that follows a start from its occasion to the decision log and the run's description. */
export function correlationIdOf(triggerType: TriggerType, occasion: string): string {
  return `${PREFIX[triggerType]}:${occasion}`.replace(/[^\x21-\x7e]+/g, '+').slice(0, 256);
}

/** The reason as the coordinator takes it (at most 512 characters). */
export function launchReason(request: LaunchRequest): string {
  return request.reason.slice(0, 512);
}

/** Replies of a coordinator that no later asking changes. */
export const TERMINAL_REASONS: ReadonlySet<string> = new Set(['start-failed', 'rejected', 'invalid-parameters', 'withdrawn']);
