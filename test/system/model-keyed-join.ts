/**
 * The per-key join of the workload: training and evaluation events of two or three models, interleaved,
 * delivered at least once and again long after, each model's pair joined on its own. With a window longer
 * than the run and direct starts (a failed start fails the delivery, so no join stays pending past it), the
 * joins that must start follow from the order the events were sent in alone: per model, the latest
 * occurrence of each name, joined and reset as soon as both are held.
 */
import type { ReceivedEvent } from '../../lambda/aws/events/event-starter';
import type { Deployment } from './deployment';
import type { Violation } from './invariants';
import type { Delivery } from './model-delivery';
import type { ModelRecord } from './model-record';
import type { Observation } from './observe';
import { JOIN_TABLE, type Services, type System, type VirtualClock } from './system';
import { scan } from './observe';

const INVARIANT = "6 each key's completed join starts exactly once, from its own key's occurrences" as const;
const NAMES = ['model_trained', 'model_evaluated'] as const;

/** What a step of the workload reads and drives; `nextId` is the model's one counter, shared with its other steps. */
export interface WorkloadStepContext {
  readonly services: Services;
  readonly system: System;
  readonly deployment: Deployment;
  readonly model: ModelRecord;
  readonly clock: VirtualClock;
  readonly delivery: Pick<Delivery, 'deliver'>;
  readonly random: () => number;
  readonly pick: <T>(values: readonly T[]) => T;
  readonly chance: (p: number) => boolean;
  readonly nextId: () => number;
}

/** The per-key join's steps: a new event, a late redelivery of an old one, and the end phase's nudge of a join left waiting. */
export function keyedJoinSteps({ services, system, deployment, model, clock, delivery, random, pick, chance, nextId }: WorkloadStepContext) {
  const keys = ['churn-v1', 'churn-v2', 'fraud-v7'].slice(0, 2 + Math.floor(random() * 2));
  const sent: ReceivedEvent[] = [];
  const latestOf = new Map<string, ReceivedEvent>();
  const held = new Map<string, Map<string, string>>();
  const trigger = deployment.keyedJoinTrigger;
  const handle = (event: ReceivedEvent) => delivery.deliver(`keyed join event ${String(event.detail.event_id)}`, () => system.events.handle(trigger, event));

  /** The reference join: what the trigger must have done with a new occurrence of `name` for `key`. */
  function expect(key: string, name: string, eventId: string): void {
    const holding = held.get(key) ?? new Map<string, string>();
    held.set(key, holding);
    holding.set(name, eventId);
    if (holding.size < NAMES.length) return;
    const joinKey = [...holding.keys()].sort().map((held) => `${held}=${holding.get(held)}`).join('&');
    model.keyedJoins.expected.push({ key, joinKey });
    holding.clear();
  }

  async function newEvent(): Promise<void> {
    const key = pick(keys);
    // Mostly the name the key misses, so that joins complete; sometimes one it holds, which replaces the held occurrence.
    const missing = NAMES.filter((candidate) => !held.get(key)?.has(candidate));
    const name = chance(0.7) ? pick(missing) : pick(NAMES);
    const eventId = `${name === 'model_trained' ? 'trained' : 'evaluated'}-${nextId()}`;
    const event: ReceivedEvent = { id: `eb-${eventId}`, name, atMs: clock.now(), detail: { event_id: eventId, data: { eventId, model_id: key } } };
    model.keyedJoins.events.set(eventId, { key, name });
    sent.push(event);
    latestOf.set(key, event);
    expect(key, name, eventId);
    await handle(event);
    if (chance(0.3)) await handle({ ...event, id: `${event.id}-again` });
  }

  /** EventBridge delivers an old event again, after later ones of its key joined or replaced it. */
  async function redelivery(): Promise<void> {
    if (sent.length > 0) await handle(pick(sent));
  }

  /**
   * The end phase: a key whose join was left pending (its delivery lost) or complete but unstarted (completed
   * while an earlier join of the key was pending) is asked again by a redelivery of its latest event.
   */
  async function nudge(): Promise<string[]> {
    const waiting: string[] = [];
    for (const [key, event] of latestOf) {
      if (await keyWaits(services, deployment, key)) {
        await handle(event);
        if (await keyWaits(services, deployment, key)) waiting.push(`keyed join of ${key} still waits`);
      }
    }
    return waiting;
  }

  return { newEvent, redelivery, nudge };
}

async function keyWaits(services: Services, deployment: Deployment, key: string): Promise<boolean> {
  const items = (await scan(services, JOIN_TABLE)).filter((item) => item.pk === `J#${deployment.keyedJoinTrigger.triggerId}`);
  return items.some((item) => {
    const state = JSON.parse(item.state as string) as { pending?: unknown; occurrences: Record<string, { data?: { model_id?: string } }> };
    const ofKey = Object.values(state.occurrences).filter((occurrence) => occurrence.data?.model_id === key);
    return (state.pending !== undefined && JSON.stringify(state.pending).includes(`"model_id":"${key}"`)) || ofKey.length === NAMES.length;
  });
}

/**
 * Invariant 6: the per-key join's runs are exactly the joins the reference join completed, each once; no run
 * joins occurrences of two keys or names an event never sent; no occurrence is in two runs; and no key's join
 * is left pending.
 */
export function checkKeyedJoins(observation: Observation): Violation[] {
  const violations: Violation[] = [];
  const flag = (detail: string) => violations.push({ invariant: INVARIANT, detail });
  const { events, expected } = observation.model.keyedJoins;
  const runs = observation.executions.filter((execution) => execution.pipelineName === observation.deployment.keyed);
  const usedBy = new Map<string, string>();
  const started = new Map<string, number>();
  for (const run of runs) {
    const { ModelId: key, TrainedEventId: trained, EvaluatedEventId: evaluated } = run.parameters;
    const sources = [trained, evaluated].map((eventId) => ({ eventId, sent: eventId === undefined ? undefined : events.get(eventId) }));
    for (const [index, { eventId, sent }] of sources.entries()) {
      if (!sent || sent.name !== NAMES[index]) flag(`run ${run.executionArn} joins ${eventId ?? 'nothing'} as ${NAMES[index]}, which was never sent as one`);
      else if (sent.key !== key) flag(`run ${run.executionArn} for key ${key} joins ${eventId} of key ${sent.key}: ${JSON.stringify(run.parameters)}`);
      const earlier = eventId === undefined ? undefined : usedBy.get(eventId);
      if (earlier) flag(`occurrence ${eventId} is in two runs: ${earlier} and ${run.executionArn}`);
      if (eventId !== undefined) usedBy.set(eventId, run.executionArn);
    }
    const joinKey = `${NAMES[1]}=${evaluated}&${NAMES[0]}=${trained}`;
    started.set(`${key}|${joinKey}`, (started.get(`${key}|${joinKey}`) ?? 0) + 1);
  }
  const wanted = new Set(expected.map(({ key, joinKey }) => `${key}|${joinKey}`));
  for (const join of wanted) {
    const count = started.get(join) ?? 0;
    if (count !== 1) flag(`the completed join ${join} started ${count} runs`);
  }
  for (const [join, count] of started) {
    if (!wanted.has(join)) flag(`${count} run(s) started for ${join}, which no sequence of the sent events completes`);
  }
  for (const item of observation.joinItems.filter((candidate) => candidate.pk === `J#${observation.deployment.keyedJoinTrigger.triggerId}`)) {
    if ((JSON.parse(item.state as string) as { pending?: unknown }).pending) flag(`the join ${String(item.sk)} still holds a pending join: ${String(item.state)}`);
  }
  return violations;
}
