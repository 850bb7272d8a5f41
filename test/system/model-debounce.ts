/**
 * The debounced trigger of the workload: bursts of publications, each event delivered at once (at least
 * once, now and then lost) and again by the delay queue a quiet period after the queue took it (at least
 * once, again after its visibility timeout while its burst is not quiet). A burst is one step: its events
 * come 20 to 90 s apart, well inside the quiet period (5 minutes) less its slack, it ends early when crashes
 * delayed an event's delivery by more than a minute, and the next burst begins only once the delay queue is
 * empty, so each step's events are one burst to the trigger too. Now and then, before a burst, EventBridge
 * retries an event of an earlier, started burst, to the function and into the delay queue: it starts nothing.
 */
import { DEBOUNCE_SLACK_MS } from '../../lambda/core/debounce';
import { comesAgain } from '../../lambda/aws/events/debounce';
import type { ReceivedEvent } from '../../lambda/aws/events/event-starter';
import type { Violation } from './invariants';
import type { WorkloadStepContext } from './model-keyed-join';
import type { Observation } from './observe';

const INVARIANT = '7 each burst starts exactly one run, after its quiet period, with its last event' as const;
const SECOND = 1_000;
/** How long a delayed copy answered "not yet" stays invisible before the queue delivers it again. */
const VISIBILITY_TIMEOUT_MS = 60 * SECOND;
/** Rounds of the delay queue that drain it: each delivers what is due, then waits for the next due copy. */
const MAX_DRAIN_ROUNDS = 50;

interface Copy {
  readonly event: ReceivedEvent;
  readonly sentAtMs: number;
  dueAtMs: number;
}

export function debounceSteps({ system, deployment, model, clock, delivery, random, chance, nextId }: WorkloadStepContext) {
  const trigger = deployment.debouncedTrigger;
  const quietMs = (trigger.debounceSeconds ?? 0) * SECOND;
  let queue: Copy[] = [];
  /** The events published so far: once the queue is drained, every one of them belongs to a started burst. */
  const published: ReceivedEvent[] = [];

  /** Delivers every copy due by now, oldest first; one answered "not yet" comes again after the visibility timeout. */
  async function deliverDue(): Promise<void> {
    const due = queue.filter((copy) => copy.dueAtMs <= clock.now()).sort((a, b) => a.dueAtMs - b.dueAtMs);
    queue = queue.filter((copy) => !due.includes(copy));
    for (const copy of due) {
      const id = String(copy.event.detail.event_id);
      const outcome = await delivery.deliver(`delayed copy of ${id}`, () => system.debouncer.delayed(trigger, copy.event, copy.sentAtMs));
      if (!outcome || comesAgain(outcome)) {
        const notBefore = outcome?.status === 'quiet' ? outcome.dueAtMs : 0;
        queue.push({ ...copy, dueAtMs: Math.max(clock.now() + VISIBILITY_TIMEOUT_MS, notBefore) });
      }
    }
  }

  /** Waits for the delay queue to empty: the last burst quiet and started. Returns what still waits. */
  async function drain(): Promise<string[]> {
    for (let round = 0; round < MAX_DRAIN_ROUNDS && queue.length > 0; round++) {
      await deliverDue();
      if (queue.length > 0) clock.advance(Math.max(0, Math.min(...queue.map((copy) => copy.dueAtMs)) - clock.now()));
    }
    return queue.length > 0 ? [`delay queue: ${queue.length} copies of ${trigger.triggerId}'s events`] : [];
  }

  /** A late retry of an event of a started burst, immediate and delayed, and the drain that settles it. */
  async function redeliverLate(): Promise<void> {
    if (published.length === 0 || !chance(0.15)) return;
    const event = published[Math.floor(random() * published.length)];
    const id = String(event.detail.event_id);
    model.trace.push(`${new Date(clock.now()).toISOString()} late redelivery of ${id}`);
    await delivery.deliver(`late redelivery of ${id}`, () => system.debouncer.record(trigger, event));
    queue.push({ event, sentAtMs: clock.now(), dueAtMs: clock.now() + quietMs });
    await drain();
  }

  async function burst(): Promise<void> {
    await drain();
    await redeliverLate();
    const size = 1 + Math.floor(random() * 4);
    const record = { eventIds: [] as string[], lastAtMs: 0 };
    model.bursts.push(record);
    let lost = false;
    for (let index = 0; index < size; index++) {
      if (index > 0) {
        clock.advance(20 * SECOND + Math.floor(random() * 70) * SECOND);
        await deliverDue();
      }
      const eventId = `published-${nextId()}`;
      const event: ReceivedEvent = { id: `eb-${eventId}`, name: 'model.published', atMs: clock.now(), detail: { event_id: eventId, data: { eventId } } };
      record.eventIds.push(eventId);
      record.lastAtMs = event.atMs;
      published.push(event);
      queue.push({ event, sentAtMs: event.atMs, dueAtMs: event.atMs + quietMs });
      if (chance(0.2)) queue.push({ event, sentAtMs: event.atMs, dueAtMs: event.atMs + quietMs + Math.floor(random() * 120) * SECOND });
      // At most one immediate delivery of a burst is lost, and never the last of a longer one: the trigger learns of a
      // lost event only from its copy, a quiet period later, so a burst whose events it never heard of for a quiet
      // period (the copy of the one before closes it) is two bursts to it.
      if (!lost && (index < size - 1 || size === 1) && chance(0.15)) {
        lost = true;
        model.trace.push(`${new Date(clock.now()).toISOString()} immediate delivery of ${eventId} lost`);
        continue;
      }
      await delivery.deliver(`publication ${eventId}`, () => system.debouncer.record(trigger, event));
      if (chance(0.3)) await delivery.deliver(`publication ${eventId} again`, () => system.debouncer.record(trigger, { ...event, id: `${event.id}-again` }));
      // Redeliveries after crashes took minutes: the next publication would come after a quiet period, in a burst of its own.
      if (clock.now() - event.atMs > 60 * SECOND) break;
    }
  }

  return { burst, drain };
}

/**
 * Invariant 7: each burst started exactly one run, carrying its last event, no earlier than that event's quiet
 * period (less the debounce's slack) after it was sent; no run started for anything else; nothing is left
 * open or pending.
 */
export function checkBursts(observation: Observation): Violation[] {
  const violations: Violation[] = [];
  const flag = (detail: string) => violations.push({ invariant: INVARIANT, detail });
  const trigger = observation.deployment.debouncedTrigger;
  const quietMs = (trigger.debounceSeconds ?? 0) * SECOND;
  const runs = observation.executions.filter((execution) => execution.pipelineName === observation.deployment.debounced);
  const startedAt = (arn: string) => observation.starts.find((start) => start.executionArn === arn)?.atMs;
  const claimed = new Set<string>();
  for (const [index, burst] of observation.model.bursts.entries()) {
    const own = runs.filter((run) => burst.eventIds.includes(run.parameters.BurstEventId));
    own.forEach((run) => claimed.add(run.executionArn));
    const last = burst.eventIds[burst.eventIds.length - 1];
    const label = `burst ${index} [${burst.eventIds.join(', ')}]`;
    if (own.length !== 1) flag(`${label} started ${own.length} runs: ${own.map((run) => `${run.executionArn} with ${run.parameters.BurstEventId}`).join(', ')}`);
    for (const run of own) {
      if (run.parameters.BurstEventId !== last) flag(`${label} started ${run.executionArn} with ${run.parameters.BurstEventId}, not its last event ${last}`);
      const at = startedAt(run.executionArn);
      if (at === undefined || at < burst.lastAtMs + quietMs - DEBOUNCE_SLACK_MS) {
        flag(`${label} started ${run.executionArn} at ${at === undefined ? '?' : new Date(at).toISOString()}, before the quiet period after its last event (sent ${new Date(burst.lastAtMs).toISOString()})`);
      }
    }
  }
  for (const run of runs.filter((candidate) => !claimed.has(candidate.executionArn))) flag(`run ${run.executionArn} started for no burst: ${JSON.stringify(run.parameters)}`);
  const item = observation.joinItems.find((candidate) => candidate.pk === `D#${trigger.triggerId}`);
  const state = item ? (JSON.parse(item.state as string) as { burst?: unknown; pending?: unknown }) : {};
  if (state.burst || state.pending) flag(`the trigger still holds ${state.pending ? 'a pending' : 'an open'} burst: ${String(item?.state)}`);
  return violations;
}
