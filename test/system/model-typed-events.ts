/**
 * Typed events in the workload: the 2-of-3 join declares a schema for `labels_ready`, and a share of those
 * events is sent with `data` that fails it. The system drives the event starter directly, below the events
 * function's handler, which checks an event against its schema (lambda/aws/events/index.ts) before the
 * starter or the debouncer reads it and rejects one that fails; `handleTyped` applies that same check at that
 * same layer, so a failing event never reaches the join, as in the deployed function.
 */
import type { EventOutcome, ReceivedEvent } from '../../lambda/aws/events/event-starter';
import type { EventTriggerConfig } from '../../lambda/core/contracts/event-trigger';
import { eventDataProblem } from '../../lambda/core/typed-events';
import type { Violation } from './invariants';
import type { Observation } from './observe';
import type { System } from './system';

const INVARIANT = '11 no run carries an event that fails its schema, and no join records one' as const;

/** The schema the 2-of-3 join declares for its labels: an id, and a positive whole number of rows. */
export const LABELS_SCHEMA = {
  labels_ready: {
    type: 'object',
    required: ['eventId', 'rows'],
    properties: { eventId: { type: 'string' }, rows: { type: 'integer', minimum: 1 } },
  },
} as const;

/**
 * The row count a labels event is sent with: mostly a valid one, now and then one the schema refuses (none,
 * a string, zero, a fraction); `conforms` is the model's own reading of the schema, not the validator's.
 */
export function labelRows(random: () => number): { readonly data: { rows?: unknown }; readonly conforms: boolean } {
  const roll = random();
  if (roll < 0.1) return { data: {}, conforms: false };
  if (roll < 0.2) return { data: { rows: String(1 + Math.floor(roll * 1000)) }, conforms: false };
  if (roll < 0.4) return { data: { rows: roll < 0.3 ? 0 : 2.5 }, conforms: false };
  return { data: { rows: 1 + Math.floor(roll * 1000) }, conforms: true };
}

/** What the events function does with one delivery: the schema check its handler makes, then the starter. */
export async function handleTyped(system: System, config: EventTriggerConfig, event: ReceivedEvent): Promise<EventOutcome> {
  const problem = eventDataProblem(config.schemas, event.name, event.detail);
  return problem ? { status: 'rejected', error: problem } : system.events.handle(config, event);
}

/**
 * Invariant 11: no run of the typed trigger names an event whose sent `data` fails its schema; every delivery
 * of such an event was rejected naming a field of its `data`; and the join's state (its held, pending and
 * consumed occurrences) names none of them.
 */
export function checkTypedEvents(observation: Observation): Violation[] {
  const violations: Violation[] = [];
  const flag = (detail: string) => violations.push({ invariant: INVARIANT, detail });
  const { quorumTrigger, quorum } = observation.deployment;
  const failing = new Set<string>();
  for (const [eventId, sent] of observation.model.joinModes.events) {
    if (sent.conforms) continue;
    failing.add(eventId);
    const accepted = sent.replies.filter((reply) => !/^rejected data\b/.test(reply));
    if (accepted.length > 0) flag(`${eventId}, whose data fails its schema, was answered ${accepted.join(', ')}`);
  }
  for (const execution of observation.executions.filter((candidate) => candidate.pipelineName === quorum)) {
    for (const eventId of Object.values(execution.parameters).filter((value) => failing.has(value))) {
      flag(`run ${execution.executionArn} carries ${eventId}, whose data fails its schema: ${JSON.stringify(execution.parameters)}`);
    }
  }
  for (const item of observation.joinItems.filter((candidate) => candidate.pk === `J#${quorumTrigger.triggerId}`)) {
    const recorded = [...failing].filter((eventId) => String(item.state).includes(`"${eventId}"`));
    if (recorded.length > 0) flag(`the join ${String(item.pk)} records ${recorded.join(', ')}, which fail their schema: ${String(item.state)}`);
  }
  return violations;
}
