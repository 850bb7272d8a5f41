/**
 * The N-of-M join and the ordered sequence of the workload: events of a 2-of-3 join and of a 2-step sequence,
 * each stamped up to 40 minutes before its delivery (so that the order sent is not the order of their times),
 * delivered at least once, again at once, and again long after. As for the per-key join, a window longer than
 * the run and direct starts (a failed start fails the delivery, so no join stays pending past it) make the
 * completions follow from the deliveries alone: the reference join below replays them, one by one, by the
 * documented rule (latest occurrence per name by time, then event id; never one a start already consumed).
 */
import type { ReceivedEvent } from '../../lambda/aws/events/event-starter';
import type { RecordedExecution } from '../support/local-services';
import type { Deployment } from './deployment';
import type { Violation } from './invariants';
import type { WorkloadStepContext } from './model-keyed-join';
import type { JoinModeEvent, JoinModeTrigger } from './model-record';
import type { Observation } from './observe';
import { LABELS_SCHEMA, handleTyped, labelRows } from './model-typed-events';

const INVARIANT = '9 each N-of-M or sequence completion starts exactly once, each occurrence in one run, steps in order' as const;
const MINUTE = 60_000;

/** Each modelled trigger's names, in order, with the run parameter that carries each name's event id. */
export const JOIN_MODE_NAMES: Readonly<Record<JoinModeTrigger, ReadonlyArray<readonly [name: string, parameter: string]>>> = {
  quorum: [
    ['labels_ready', 'QuorumLabelsId'],
    ['features_built', 'QuorumFeaturesId'],
    ['data_landed', 'QuorumDataId'],
  ],
  sequence: [
    ['candidate_trained', 'CandidateTrainedId'],
    ['candidate_approved', 'CandidateApprovedId'],
  ],
};
/** What a quorum run renders for a name the join left out. */
export const ABSENT = 'none';

/** The event trigger configurations the deployment parses: a 2-of-3 join and a 2-step sequence, both started directly. */
export function joinModeTriggers(quorum: string, ordered: string): Record<JoinModeTrigger, Record<string, unknown>> {
  const config = (triggerId: string, pipelineName: string, trigger: JoinModeTrigger, extra: Record<string, unknown>) => {
    const names = JOIN_MODE_NAMES[trigger];
    const read = (name: string) => (trigger === 'quorum' ? `{{ events.${name}.eventId | default: '${ABSENT}' }}` : `{{ events.${name}.eventId }}`);
    return {
      triggerId, pipelineName, events: names.map(([name]) => name), windowSeconds: 30 * 86_400, pattern: { 'detail-type': names.map(([name]) => name) },
      parameters: Object.fromEntries(names.map(([name, parameter]) => [parameter, read(name)])), ...extra,
    };
  };
  return {
    quorum: config('any-two-inputs', quorum, 'quorum', { mode: 'join', minimum: 2, schemas: LABELS_SCHEMA }),
    sequence: config('trained-then-approved', ordered, 'sequence', { mode: 'sequence' }),
  };
}

type Mark = { readonly eventId: string; readonly atMs: number };
const isAfter = (candidate: Mark, than: Mark | undefined) =>
  than === undefined || (candidate.eventId !== than.eventId && (candidate.atMs > than.atMs || (candidate.atMs === than.atMs && candidate.eventId > than.eventId)));

/** The modelled triggers' steps: a new event (and at times its duplicate), and a late redelivery of an old one. */
export function joinModeSteps({ system, deployment, model, clock, delivery, random, pick, chance, nextId }: WorkloadStepContext) {
  const sent: Array<{ readonly trigger: JoinModeTrigger; readonly event: ReceivedEvent }> = [];
  const held: Record<JoinModeTrigger, Map<string, Mark>> = { quorum: new Map(), sequence: new Map() };
  const consumed: Record<JoinModeTrigger, Map<string, Mark>> = { quorum: new Map(), sequence: new Map() };
  const configOf = (trigger: JoinModeTrigger) => (trigger === 'quorum' ? deployment.quorumTrigger : deployment.sequenceTrigger);

  /** The reference join: records one delivery of `name`'s occurrence, and the completion it makes, if any. */
  function reference(trigger: JoinModeTrigger, name: string, mark: Mark): void {
    const holding = held[trigger];
    if (isAfter(mark, holding.get(name)) && isAfter(mark, consumed[trigger].get(name))) holding.set(name, mark);
    const names = JOIN_MODE_NAMES[trigger].map(([candidate]) => candidate);
    const complete = trigger === 'quorum'
      ? holding.size >= 2
      : names.every((step, index) => holding.has(step) && (index === 0 || isAfter(holding.get(step)!, holding.get(names[index - 1]))));
    if (!complete) return;
    const joined = names.filter((candidate) => holding.has(candidate));
    for (const candidate of joined) consumed[trigger].set(candidate, holding.get(candidate)!);
    model.joinModes.expected.push({ trigger, joinKey: [...joined].sort().map((candidate) => `${candidate}=${holding.get(candidate)!.eventId}`).join('&') });
    holding.clear();
  }

  async function handle(trigger: JoinModeTrigger, event: ReceivedEvent): Promise<void> {
    const eventId = String(event.detail.event_id);
    const sent = model.joinModes.events.get(eventId)!;
    // An event failing its schema is rejected before the join reads it: the reference join never sees it either.
    if (sent.conforms) reference(trigger, event.name, { eventId, atMs: event.atMs });
    await delivery.deliver(`${trigger} event ${eventId}`, async () => {
      const outcome = await handleTyped(system, configOf(trigger), event);
      sent.replies.push(outcome.status === 'rejected' ? `rejected ${outcome.error.field}` : outcome.status);
      return outcome;
    });
  }

  async function newEvent(): Promise<void> {
    const trigger = pick(['quorum', 'sequence'] as const);
    const name = pick(JOIN_MODE_NAMES[trigger])[0];
    const eventId = `${name.split('_')[0]}-${nextId()}`;
    const atMs = clock.now() - Math.floor(random() * 40) * MINUTE;
    const { data, conforms } = name === 'labels_ready' ? labelRows(random) : { data: {}, conforms: true };
    const event: ReceivedEvent = { id: `eb-${eventId}`, name, atMs, detail: { event_id: eventId, data: { eventId, ...data } } };
    model.joinModes.events.set(eventId, { trigger, name, atMs, conforms, replies: [] });
    sent.push({ trigger, event });
    await handle(trigger, event);
    if (chance(0.3)) await handle(trigger, { ...event, id: `${event.id}-again` });
  }

  /** EventBridge delivers an old event again, after later ones joined it, replaced it, or were joined without it. */
  async function redelivery(): Promise<void> {
    if (sent.length === 0) return;
    const { trigger, event } = pick(sent);
    await handle(trigger, { ...event, id: `${event.id}-late` });
  }

  return { newEvent, redelivery };
}

/** The trigger a run belongs to, and the occurrences it names (name to event id), or undefined for other pipelines. */
function runOf(execution: RecordedExecution, deployment: Deployment): { trigger: JoinModeTrigger; joined: Array<[string, string]> } | undefined {
  const trigger = execution.pipelineName === deployment.quorum ? 'quorum' : execution.pipelineName === deployment.ordered ? 'sequence' : undefined;
  if (trigger === undefined) return undefined;
  const joined = JOIN_MODE_NAMES[trigger].flatMap(([name, parameter]): Array<[string, string]> => {
    const eventId = execution.parameters[parameter];
    return eventId === undefined || (trigger === 'quorum' && eventId === ABSENT) ? [] : [[name, eventId]];
  });
  return { trigger, joined };
}

/** The logical request of an N-of-M or sequence run (`quorum:` or `sequence:` and its join key), for invariant 2. */
export function joinModeKeyOf(execution: RecordedExecution, deployment: Deployment): string | undefined {
  const run = runOf(execution, deployment);
  return run && `${run.trigger}:${[...run.joined].sort(([a], [b]) => a.localeCompare(b)).map(([name, eventId]) => `${name}=${eventId}`).join('&')}`;
}

/**
 * Invariant 9: the N-of-M join's and the sequence's runs are exactly the completions the reference join made, each
 * once; each run joins events sent under the names it reads them as, as many as its rule needs, a sequence's
 * steps in order; no occurrence is in two runs; and no join is left pending.
 */
export function checkJoinModes(observation: Observation): Violation[] {
  const violations: Violation[] = [];
  const flag = (detail: string) => violations.push({ invariant: INVARIANT, detail });
  const { events, expected } = observation.model.joinModes;
  const usedBy = new Map<string, string>();
  const started = new Map<string, number>();
  for (const execution of observation.executions) {
    const run = runOf(execution, observation.deployment);
    if (!run) continue;
    const need = run.trigger === 'quorum' ? 2 : JOIN_MODE_NAMES.sequence.length;
    if (run.joined.length < need) flag(`${run.trigger} run ${execution.executionArn} joins ${run.joined.length} occurrence(s), fewer than its ${need}: ${JSON.stringify(execution.parameters)}`);
    const sentAs: Array<JoinModeEvent | undefined> = run.joined.map(([, eventId]) => events.get(eventId));
    for (const [index, [name, eventId]] of run.joined.entries()) {
      const sent = sentAs[index];
      if (!sent || sent.trigger !== run.trigger || sent.name !== name) flag(`${run.trigger} run ${execution.executionArn} joins ${eventId} as ${name}, which was never sent as one`);
      const earlier = usedBy.get(eventId);
      if (earlier) flag(`occurrence ${eventId} is in two runs: ${earlier} and ${execution.executionArn}`);
      usedBy.set(eventId, execution.executionArn);
    }
    if (run.trigger === 'sequence') {
      for (let index = 1; index < sentAs.length; index++) {
        const [before, after] = [sentAs[index - 1], sentAs[index]];
        if (before && after && !isAfter({ eventId: run.joined[index][1], atMs: after.atMs }, { eventId: run.joined[index - 1][1], atMs: before.atMs })) {
          flag(`sequence run ${execution.executionArn} has its steps out of order: ${run.joined[index - 1][0]} at ${new Date(before.atMs).toISOString()}, ${run.joined[index][0]} at ${new Date(after.atMs).toISOString()}`);
        }
      }
    }
    const key = joinModeKeyOf(execution, observation.deployment)!;
    started.set(key, (started.get(key) ?? 0) + 1);
  }
  const wanted = new Set(expected.map(({ trigger, joinKey }) => `${trigger}:${joinKey}`));
  for (const join of wanted) {
    const count = started.get(join) ?? 0;
    if (count !== 1) flag(`the completion ${join} started ${count} runs`);
  }
  for (const [join, count] of started) {
    if (!wanted.has(join)) flag(`${count} run(s) started for ${join}, which the sent events never complete`);
  }
  const triggerIds = new Set([observation.deployment.quorumTrigger.triggerId, observation.deployment.sequenceTrigger.triggerId].map((triggerId) => `J#${triggerId}`));
  for (const item of observation.joinItems.filter((candidate) => triggerIds.has(String(candidate.pk)))) {
    if ((JSON.parse(item.state as string) as { pending?: unknown }).pending) flag(`the join ${String(item.pk)} still holds a pending join: ${String(item.state)}`);
  }
  return violations;
}
