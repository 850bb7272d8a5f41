import { joinKey, latestOccurrence, recordOccurrence, settleJoin, type JoinState, type Occurrence } from '../../core/joins';
import { accept, isRecord, own, reject, type FieldError, type Parsed } from '../../core/result';
import { renderParameters } from '../../core/templates';
import type { Launchers } from '../adapters/launcher';
import { readDecideWrite, type Backoff } from '../../core/persistence';
import { isRfc3339Time, receiptProblem } from '../../core/event-time';
import type { JoinDocuments } from './join-store';
import { readJoinKey } from '../../core/join-keys';
import { priorityOf } from '../../core/contracts/shared';
import { joinWindowMs, UPSTREAM_EXECUTION_PARAMETER, type EventTriggerConfig } from '../../core/contracts/event-trigger';

/** An EventBridge event, as far as a trigger needs it. */
export interface ReceivedEvent {
  readonly id: string;
  readonly name: string;
  readonly atMs: number;
  readonly detail: Readonly<Record<string, unknown>>;
}

export type EventOutcome =
  | { readonly status: 'started'; readonly executionArn: string; readonly requestId: string }
  | { readonly status: 'deferred'; readonly reason: string; readonly requestId: string; readonly delayUntilMs?: number }
  | { readonly status: 'waiting'; readonly waitingFor: readonly string[] }
  | { readonly status: 'unchanged' }
  | { readonly status: 'rejected'; readonly error: FieldError }
  /** The coordinator refused the start for good (an operator rejected it, or SageMaker refused it). */
  | { readonly status: 'refused'; readonly reason: string; readonly requestId: string };


/** Renders, joins and starts: one start per event, per completed join, or per upstream execution. */
export class EventStarter {
  constructor(
    private readonly deps: { readonly joins: JoinDocuments; readonly launchers: Pick<Launchers, 'for'>; readonly now: () => number } & Backoff,
  ) {}

  /**
   * Handles one event. A replayed event (a catch-up's) is evaluated as of its own time, as when it was published:
   * a join it completed then completes now, however long the trigger was off.
   */
  async handle(config: EventTriggerConfig, event: ReceivedEvent, options: { readonly replayed?: boolean } = {}): Promise<EventOutcome> {
    // A publisher sets an event's time: one from the future would outlive its join window and hold the join.
    const timeProblem = receiptProblem(event.atMs, this.deps.now());
    if (timeProblem) return { status: 'rejected', error: { field: 'event.time', problem: timeProblem } };
    if (config.mode === 'chain') {
      const executionArn = event.detail.pipelineExecutionArn;
      if (typeof executionArn !== 'string') return { status: 'rejected', error: { field: 'event.detail.pipelineExecutionArn', problem: 'must be a string' } };
      // SageMaker may send one status change more than once: the id follows the upstream execution.
      return this.start(config, `chain#${executionArn}`, { event: event.detail }, { [UPSTREAM_EXECUTION_PARAMETER]: executionArn });
    }
    const data = event.detail.data ?? {};
    if (config.mode === 'event') {
      const eventId = typeof event.detail.event_id === 'string' ? event.detail.event_id : event.id;
      return this.start(config, `event#${eventId}`, { event: data }, {});
    }
    return this.join(config, event, data, options.replayed === true);
  }

  /**
   * Records the occurrence; a completed join is stored as pending (an intent) and started with a request
   * id derived from its occurrences, so a retry after a failed start, a crash or a deferral asks again
   * with the same token. The occurrences are given up only after the start (or a template that can
   * never render them); a deferred join stays pending and re-asks with the next occurrence or retry.
   */
  private async join(config: EventTriggerConfig, event: ReceivedEvent, data: unknown, replayed: boolean): Promise<EventOutcome> {
    const occurrence: Occurrence = { eventId: typeof event.detail.event_id === 'string' ? event.detail.event_id : event.id, atMs: event.atMs, data };
    // A per-key join keeps one state per key value: the value is the event's, so it is read as untrusted.
    const key = config.forEach === undefined ? undefined : readJoinKey(data, config.forEach);
    if (key !== undefined && !key.ok) return { status: 'rejected', error: key.error };
    const keyId = key?.value.id;
    const rule = { minimum: config.minimum, ordered: config.mode === 'sequence' };
    const { decided } = await readDecideWrite(
      this.deps.joins.document(config.triggerId, keyId),
      (state) => {
        const asOfMs = replayed ? Math.min(this.deps.now(), event.atMs) : this.deps.now();
        const decision = recordOccurrence(state, config.events, event.name, occurrence, joinWindowMs(config), asOfMs, rule);
        return { next: decision.state, decision, before: state };
      },
      this.deps,
      `join ${config.triggerId}`,
    );
    const { decision, before } = decided;
    const joined = decision.complete ? decision.joined : decision.pending;
    if (joined === undefined) {
      return decision.state === before && isConsumed(before, event.name, occurrence) ? { status: 'unchanged' } : { status: 'waiting', waitingFor: decision.complete ? [] : decision.waitingFor };
    }
    const events = Object.fromEntries(Object.entries(joined).map(([name, occ]) => [name, occ.data]));
    const identity = `${config.mode}#${keyId === undefined ? '' : `key=${keyId.slice(0, 32)}#`}${joinKey(joined)}`;
    const outcome = await this.start(config, identity, { event: latestOccurrence(joined).data, events }, {});
    // A deferred join keeps its occurrences; a start, a refusal, or a template that can never render them, gives them up.
    if (outcome.status !== 'deferred') await this.settle(config.triggerId, keyId, joined);
    return outcome;
  }

  private async settle(triggerId: string, keyId: string | undefined, joined: Readonly<Record<string, Occurrence>>): Promise<void> {
    await readDecideWrite(this.deps.joins.document(triggerId, keyId), (state) => ({ next: settleJoin(state, joined) }), this.deps, `join ${triggerId}`);
  }

  private async start(
    config: EventTriggerConfig,
    identity: string,
    context: { event: unknown; events?: Readonly<Record<string, unknown>> },
    extra: Readonly<Record<string, string>>,
  ): Promise<EventOutcome> {
    const rendered = renderParameters(config.templates, context);
    if (!rendered.ok) return { status: 'rejected', error: rendered.error };
    const parameters = [...rendered.value.filter((p) => own(extra, p.Name) === undefined), ...Object.entries(extra).map(([Name, Value]) => ({ Name, Value }))].sort((a, b) =>
      a.Name.localeCompare(b.Name),
    );
    const outcome = await this.deps.launchers.for(config).launch({
      triggerType: 'event',
      triggerId: config.triggerId,
      occasion: identity,
      pipelineName: config.pipelineName,
      parameters,
      priority: priorityOf(config),
      reason: `${config.mode} trigger ${config.triggerId}: ${identity}`,
      displayName: `${config.mode}-trigger`,
    });
    return outcome.status === 'refused' ? { status: 'refused', reason: outcome.reason, requestId: outcome.requestId } : outcome;
  }
}

/** Whether the last start already consumed this occurrence (a redelivery after the join started). */
function isConsumed(state: JoinState, name: string, occurrence: Occurrence): boolean {
  const mark = state.consumed === undefined ? undefined : own(state.consumed, name);
  return mark !== undefined && mark.eventId === occurrence.eventId;
}

/** Reads the EventBridge envelope of the event. */
export function parseReceivedEvent(input: unknown): Parsed<ReceivedEvent> {
  if (!isRecord(input)) return reject('event', 'must be an object');
  if (typeof input.id !== 'string') return reject('event.id', 'must be a string');
  if (typeof input['detail-type'] !== 'string') return reject('event.detail-type', 'must be a string');
  if (typeof input.time !== 'string' || !isRfc3339Time(input.time)) return reject('event.time', 'must be an RFC 3339 time that exists');
  const atMs = Date.parse(input.time);
  if (!isRecord(input.detail)) return reject('event.detail', 'must be an object');
  return accept({ id: input.id, name: input['detail-type'], atMs, detail: input.detail });
}
