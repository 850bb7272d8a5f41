/**
 * A scheduled check ("at least every 7 days"): whether a firing starts a run, and under which identity.
 * Pure: the clock is a parameter; the executions are read by the shell and handed in.
 */
import { receiptProblem } from './event-time';
import { accept, reject, type Parsed } from './result';
import { COUNTING_STATUSES, type ScheduledCheckConfig } from './contracts/scheduled-check';
import { priorityOf } from './contracts/shared';
import type { LaunchRequest } from './launch';

/** `<aws.scheduler.scheduled-time>` as EventBridge Scheduler fills it in: UTC, whole seconds. */
const SCHEDULER_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/**
 * How late a firing may arrive: Scheduler retries a delivery for at most 24 hours (`maxEventAge`), and the
 * function's own asynchronous retries add at most 6 more. An older firing is no firing of this schedule.
 */
export const MAX_FIRING_AGE_MS = 2 * 86_400_000;

/** One firing of a schedule, as its input names it. */
export interface Firing {
  /** As Scheduler wrote it: it names the firing, whichever delivery or retry carries it. */
  readonly scheduledTime: string;
  readonly scheduledMs: number;
}

/** One pipeline execution, as ListPipelineExecutions summarizes it. */
export interface ExecutionSummary {
  readonly executionArn: string;
  readonly status: string;
  /** Milliseconds since the epoch; absent when SageMaker gave no start time. */
  readonly startMs?: number;
}

/** What a firing does: nothing, because a counting execution started within the window, or a start. */
export type CheckDecision =
  | { readonly action: 'skip'; readonly execution: ExecutionSummary }
  | { readonly action: 'start'; readonly occasion: string };

/** Reads the firing's scheduled time: Scheduler's format, not from the future, not older than a delivery can be. */
export function parseFiring(scheduledTime: unknown, nowMs: number): Parsed<Firing> {
  if (typeof scheduledTime !== 'string') return reject('scheduledTime', "must be Scheduler's scheduled time, such as 2027-03-01T10:00:00Z");
  const match = SCHEDULER_TIME.exec(scheduledTime);
  const scheduledMs = match ? Date.parse(scheduledTime) : NaN;
  if (!match || Number.isNaN(scheduledMs) || new Date(scheduledMs).toISOString().slice(0, 19) !== scheduledTime.slice(0, 19)) {
    return reject('scheduledTime', `must be a UTC time written YYYY-MM-DDThh:mm:ssZ that exists, got '${scheduledTime.slice(0, 64)}'`);
  }
  const future = receiptProblem(scheduledMs, nowMs);
  if (future) return reject('scheduledTime', future);
  if (nowMs - scheduledMs > MAX_FIRING_AGE_MS) {
    return reject('scheduledTime', `must be at most ${MAX_FIRING_AGE_MS / 3_600_000} hours old, as any delivery of a firing is, got ${scheduledTime}`);
  }
  return accept({ scheduledTime, scheduledMs });
}

/** The earliest creation time of an execution that counts for a check at `nowMs`. */
export function windowStartMs(nowMs: number, withinSeconds: number): number {
  return nowMs - withinSeconds * 1000;
}

/** The first execution (of those given, newest first) whose status counts as "ran". */
export function countingExecution(summaries: readonly ExecutionSummary[]): ExecutionSummary | undefined {
  return summaries.find((summary) => COUNTING_STATUSES.has(summary.status));
}

/**
 * The decision for a firing, given the counting execution found in the window (if any). A start's occasion is
 * the firing itself, so every delivery and retry of one firing asks with the same request id and token.
 */
export function decideCheck(firing: Firing, counting: ExecutionSummary | undefined): CheckDecision {
  return counting ? { action: 'skip', execution: counting } : { action: 'start', occasion: `firing#${firing.scheduledTime}` };
}

/**
 * The start a scheduled trigger's check function asks for: the trigger's pipeline, parameters and priority, named
 * by `occasion` (a firing, or a catch-up's latest missed firing), and not before `notBeforeMs`.
 */
export function scheduledRequest(
  config: ScheduledCheckConfig,
  ask: { readonly occasion: string; readonly reason: string; readonly displayName: string; readonly notBeforeMs: number },
): LaunchRequest {
  return {
    triggerType: 'scheduled',
    triggerId: config.triggerId,
    pipelineName: config.pipelineName,
    parameters: config.parameters,
    priority: priorityOf(config),
    ...ask,
  };
}
