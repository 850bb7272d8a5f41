/**
 * The retraining coordinator's policy: one gate in front of a SageMaker pipeline that every trigger
 * goes through. Pure: the clock is a parameter and the state is read in and handed back, so the
 * shell can store it with a conditional write on `version` (optimistic concurrency).
 */
import { pipelineParameters, type PipelineParameter } from './pipeline-parameters';
import { dayIn, nextDayStartMs } from './calendar';
import { accept, describe, isRecord, reject, requiredNumber, requiredString, type Parsed } from './result';
import { PIPELINE_NAME, PRIORITY_LIMITS } from './contracts/shared';
import type { CostModel, CoordinatorPolicy } from './contracts/coordinator';

export { dayIn, nextDayStartMs } from './calendar';

export type TriggerType = 'scheduled' | 'data-arrival' | 'drift' | 'event' | 'manual';
export const TRIGGER_TYPES: readonly TriggerType[] = Object.freeze<TriggerType[]>(['scheduled', 'data-arrival', 'drift', 'event', 'manual']);

/** A request to start a pipeline, as a trigger sends it. */
export interface StartRequest {
  /** Idempotency key: 1-128 characters of `A-Za-z0-9._:#_-`. */
  readonly requestId: string;
  readonly pipelineName: string;
  readonly triggerType: TriggerType;
  /** Free text, 1-512 characters. */
  readonly reason: string;
  /** An integer from 1 (most urgent) to 5; 1 and 2 are critical. */
  readonly priority: number;
  /** @default 0 */
  readonly dataSizeGb?: number;
  /** @default false */
  readonly requireApproval?: boolean;
  /** One id that follows a start from the triggering event to the pipeline run (1-256 printable characters). */
  readonly correlationId?: string;
  /** @default {} */
  readonly parameters?: Readonly<Record<string, string>>;
}

const isTriggerType = (value: unknown): value is TriggerType => TRIGGER_TYPES.some((type) => type === value);

// Trigger ids (letters, digits, - and _) and scheduled times (ISO 8601) both fit.
const REQUEST_ID = /^[A-Za-z0-9._:#_-]{1,128}$/;
const MAX_REASON_LENGTH = 512;
/** An exabyte: more than any one run reads (10,000 objects of S3's largest size are 50 PB). */
export const MAX_DATA_SIZE_GB = 1_000_000_000;
/** The largest estimate: a cost model and a size that multiply past it are charged this, never Infinity. */
export const MAX_ESTIMATED_COST = 1e15;

/** Reads a trigger's request; an error names the field. Absent and null optional fields are omitted. */
/** The pipeline and request an operator's answer or a withdrawal names, checked like a request's. */
export function parseRequestRef(input: Record<string, unknown>): Parsed<{ readonly pipelineName: string; readonly requestId: string }> {
  const pipelineName = requiredString(input, 'pipelineName', 'pipelineName');
  if (!pipelineName.ok) return pipelineName;
  if (!PIPELINE_NAME.test(pipelineName.value)) return reject('pipelineName', 'must be 1-256 letters, digits and hyphens, starting and ending with a letter or digit');
  const requestId = requiredString(input, 'requestId', 'requestId');
  if (!requestId.ok) return requestId;
  if (!REQUEST_ID.test(requestId.value)) return reject('requestId', 'must be 1-128 characters of A-Za-z0-9._:#_-');
  return accept({ pipelineName: pipelineName.value, requestId: requestId.value });
}

export function parseStartRequest(input: unknown): Parsed<StartRequest> {
  if (!isRecord(input)) return reject('request', `must be an object, got ${describe(input)}`);
  const requestId = requiredString(input, 'requestId', 'requestId');
  if (!requestId.ok) return requestId;
  if (!REQUEST_ID.test(requestId.value)) return reject('requestId', 'must be 1-128 characters of A-Za-z0-9._:#_-');
  const pipelineName = requiredString(input, 'pipelineName', 'pipelineName');
  if (!pipelineName.ok) return pipelineName;
  if (!PIPELINE_NAME.test(pipelineName.value)) {
    return reject('pipelineName', 'must be 1-256 letters, digits and hyphens, starting and ending with a letter or digit');
  }
  const triggerType = input.triggerType;
  if (!isTriggerType(triggerType)) {
    return reject('triggerType', `must be one of ${TRIGGER_TYPES.join(', ')}, got ${describe(triggerType)}`);
  }
  const reason = requiredString(input, 'reason', 'reason');
  if (!reason.ok) return reason;
  if (reason.value.length > MAX_REASON_LENGTH) return reject('reason', `must be at most ${MAX_REASON_LENGTH} characters, got ${reason.value.length}`);
  const priority = requiredNumber(input, 'priority', 'priority', PRIORITY_LIMITS.min, PRIORITY_LIMITS.max);
  if (!priority.ok) return priority;
  if (!Number.isInteger(priority.value)) return reject('priority', `must be an integer from ${PRIORITY_LIMITS.min} to ${PRIORITY_LIMITS.max}, got ${priority.value}`);

  let request: StartRequest = {
    requestId: requestId.value, pipelineName: pipelineName.value, triggerType,
    reason: reason.value, priority: priority.value,
  };
  if (input.dataSizeGb != null) {
    const size = requiredNumber(input, 'dataSizeGb', 'dataSizeGb', 0, MAX_DATA_SIZE_GB);
    if (!size.ok) return size;
    request = { ...request, dataSizeGb: size.value };
  }
  if (input.correlationId != null) {
    const correlationId = input.correlationId;
    if (typeof correlationId !== 'string' || !/^[\x21-\x7e]{1,256}$/.test(correlationId)) {
      return reject('correlationId', `must be 1-256 printable characters without spaces, got ${describe(correlationId)}`);
    }
    request = { ...request, correlationId };
  }
  if (input.requireApproval != null) {
    if (typeof input.requireApproval !== 'boolean') return reject('requireApproval', `must be a boolean, got ${describe(input.requireApproval)}`);
    request = { ...request, requireApproval: input.requireApproval };
  }
  if (input.parameters != null) {
    const parameters = parseParameters(input.parameters);
    if (!parameters.ok) return parameters;
    request = { ...request, parameters: parameters.value };
  }
  return accept(request);
}

function parseParameters(input: unknown): Parsed<Record<string, string>> {
  if (!isRecord(input)) return reject('parameters', `must be an object of strings, got ${describe(input)}`);
  const copy: Record<string, string> = {};
  for (const [name, value] of Object.entries(input)) {
    if (typeof value !== 'string') return reject(`parameters.${name}`, `must be a string, got ${describe(value)}`);
    copy[name] = value;
  }
  const checked = pipelineParameters(copy);
  return checked.ok ? accept(copy) : checked;
}

const toCents = (amount: number): number => Math.round(amount * 100) / 100;

/** The estimated cost of one run, rounded to cents; an unknown size counts as 0 GB. */
export function estimateCost(model: CostModel, dataSizeGb: number | undefined): number {
  const cost = model.baseCost * (1 + (dataSizeGb ?? 0) / model.gbPerIncrement);
  return Number.isFinite(cost) ? toCents(Math.min(cost, MAX_ESTIMATED_COST)) : MAX_ESTIMATED_COST;
}

/** A pipeline run parked until an operator answers. */
export interface PendingApproval {
  readonly requestId: string;
  readonly triggerType: TriggerType;
  readonly reason: string;
  readonly priority: number;
  readonly requestedAtMs: number;
  readonly estimatedCost: number;
  readonly parameters: Readonly<Record<string, string>>;
  /** The request's correlation id, so that the run an operator approves carries it too. */
  readonly correlationId?: string;
}

/** Per-pipeline state, as stored. `version` increments with every change (optimistic concurrency). */
export interface PipelineState {
  readonly version: number;
  readonly lastStartAtMs?: number;
  /** 'YYYY-MM-DD' in the policy's time zone: the day runsToday and spentToday belong to. */
  readonly day?: string;
  readonly runsToday: number;
  readonly spentToday: number;
  /** Runs started so far, ever. */
  readonly sequence: number;
  readonly pendingApproval?: PendingApproval;
}
export const EMPTY_STATE: PipelineState = Object.freeze({ version: 0, runsToday: 0, spentToday: 0, sequence: 0 });

export type DecisionReason =
  | 'started' | 'cooldown' | 'daily-cap' | 'budget' | 'pending-approval' | 'awaiting-approval' | 'approved' | 'rejected' | 'invalid-parameters'
  /** SageMaker refused the start for good (access denied, no such pipeline); its reservation was released. */
  | 'start-failed'
  /** Its trigger gave up on it (a batch out of attempts): it will not start, and any reservation was released. */
  | 'withdrawn';
export type BypassedRule = 'cooldown' | 'daily-cap' | 'budget';

export interface Decision {
  readonly start: boolean;
  readonly reason: DecisionReason;
  /** When a suppressed request could pass: the cooldown's end, or the next day's start in the time zone. */
  readonly delayUntilMs?: number;
  readonly estimatedCost: number;
  /** Rules a critical request passed by its priority. */
  readonly bypassed: readonly BypassedRule[];
  /** The run number, when start. */
  readonly sequence?: number;
  /** When start: the request's parameters plus TriggerType, TriggerReason, TriggerPriority and RunSequence. */
  readonly parameters?: readonly PipelineParameter[];
  /** The state to write: the same object when nothing changed, otherwise version + 1. */
  readonly state: PipelineState;
}

/** What a run carries into its parameters, whether it comes from a request or an approval. */
type Run = Pick<PendingApproval, 'triggerType' | 'reason' | 'priority' | 'estimatedCost' | 'parameters'>;

function runParameters(run: Run, sequence: number): Parsed<PipelineParameter[]> {
  return pipelineParameters(run.parameters, {
    TriggerType: run.triggerType, TriggerReason: run.reason, TriggerPriority: String(run.priority), RunSequence: String(sequence),
  });
}

function unchanged(state: PipelineState, reason: DecisionReason, estimatedCost: number, bypassed: readonly BypassedRule[] = [], delayUntilMs?: number): Decision {
  return delayUntilMs === undefined
    ? { start: false, reason, estimatedCost, bypassed, state }
    : { start: false, reason, delayUntilMs, estimatedCost, bypassed, state };
}

/** Starts `run` now: counts it against today's runs and spend (after a day rollover), bumps sequence and version. */
function startRun(policy: CoordinatorPolicy, state: PipelineState, run: Run, nowMs: number, reason: 'started' | 'approved', bypassed: readonly BypassedRule[]): Decision {
  const sequence = state.sequence + 1;
  const parameters = runParameters(run, sequence);
  if (!parameters.ok) return unchanged(state, 'invalid-parameters', run.estimatedCost, bypassed);
  const today = todayOf(policy, state, nowMs);
  return {
    start: true, reason, estimatedCost: run.estimatedCost, bypassed, sequence, parameters: parameters.value,
    state: {
      version: state.version + 1, lastStartAtMs: nowMs, day: today.day, runsToday: today.runs + 1,
      spentToday: toCents(today.spent + run.estimatedCost), sequence,
    },
  };
}

/** Today's runs and spend: zero when the stored counts belong to another day. */
function todayOf(policy: CoordinatorPolicy, state: PipelineState, nowMs: number): { day: string; runs: number; spent: number } {
  const day = dayIn(policy.timeZone, nowMs);
  return state.day === day ? { day, runs: state.runsToday, spent: state.spentToday } : { day, runs: 0, spent: 0 };
}

/** Decides one request against the state read at `nowMs`. Pure. */
export function decide(policy: CoordinatorPolicy, state: PipelineState, request: StartRequest, nowMs: number): Decision {
  const run: Run = {
    triggerType: request.triggerType, reason: request.reason, priority: request.priority,
    estimatedCost: estimateCost(policy.costModel, request.dataSizeGb), parameters: { ...request.parameters },
  };
  if (state.pendingApproval !== undefined) return unchanged(state, 'pending-approval', run.estimatedCost);
  if (request.requireApproval === true) {
    // Parking a request whose parameters SageMaker would refuse would only block the gate until rejected.
    if (!runParameters(run, state.sequence + 1).ok) return unchanged(state, 'invalid-parameters', run.estimatedCost);
    const pendingApproval: PendingApproval = { requestId: request.requestId, requestedAtMs: nowMs, ...run, ...(request.correlationId ? { correlationId: request.correlationId } : {}) };
    return { start: false, reason: 'awaiting-approval', estimatedCost: run.estimatedCost, bypassed: [], state: { ...state, version: state.version + 1, pendingApproval } };
  }
  const critical = request.priority <= 2;
  const bypassed: BypassedRule[] = [];
  if (state.lastStartAtMs !== undefined && nowMs - state.lastStartAtMs < policy.minIntervalMs) {
    if (!critical) return unchanged(state, 'cooldown', run.estimatedCost, bypassed, state.lastStartAtMs + policy.minIntervalMs);
    bypassed.push('cooldown');
  }
  const today = todayOf(policy, state, nowMs);
  if (today.runs >= policy.maxDailyRuns) {
    if (!critical) return unchanged(state, 'daily-cap', run.estimatedCost, bypassed, nextDayStartMs(policy.timeZone, nowMs));
    bypassed.push('daily-cap');
  }
  if (toCents(today.spent + run.estimatedCost) > policy.dailyBudget) {
    if (request.priority !== 1) return unchanged(state, 'budget', run.estimatedCost, bypassed, nextDayStartMs(policy.timeZone, nowMs));
    bypassed.push('budget');
  }
  return startRun(policy, state, run, nowMs, 'started', bypassed);
}

/**
 * An operator's answer to the pending approval `requestId`: approve starts it (counted against cap and
 * budget but not blocked by them, nor by cooldown), reject clears it. A stale or unknown requestId
 * changes nothing.
 */
export function decideApproval(policy: CoordinatorPolicy, state: PipelineState, requestId: string, approve: boolean, nowMs: number): Decision {
  const { pendingApproval: pending, ...cleared } = state;
  if (pending === undefined || pending.requestId !== requestId) return unchanged(state, 'pending-approval', pending?.estimatedCost ?? 0);
  if (!approve) return { start: false, reason: 'rejected', estimatedCost: pending.estimatedCost, bypassed: [], state: { ...cleared, version: state.version + 1 } };
  return startRun(policy, state, pending, nowMs, 'approved', []);
}
