/**
 * The workload and the model: a seeded sequence of steps (arrivals with duplicates, flushes, schedule
 * ticks, events, joins, per-key joins, 2-of-3 joins with a typed event, sequences, debounced bursts,
 * data-arrival deadline firings, batches closed by a schedule's firings, a trigger turned off and on again
 * that catches up, scheduled checks, chains, drift
 * reports raising several alarms, approvals, SageMaker failures, clock jumps), each delivered at least
 * once like Lambda and EventBridge deliver, with crashes injected between side effects. What the model
 * asked for is recorded, so that the invariants can tell what should have started from what did.
 */
import type { BatchTriggerConfig } from '../../lambda/core/contracts/batch';
import type { CreatedObject } from '../../lambda/core/s3-object-created';
import type { ReceivedEvent } from '../../lambda/aws/events/event-starter';
import { seeded } from '../support/batcher-env';
import { deploymentOf, type Plan } from './deployment';
import { deliveryOf } from './model-delivery';
import { arrivalQueueOf } from './model-queue';
import { driftOccasions } from './model-drift';
import { calendarSteps } from './model-calendar';
import { debounceSteps } from './model-debounce';
import { joinModeSteps } from './model-join-modes';
import { batchScheduleSteps } from './model-batch-schedule';
import { scheduledCheckSteps } from './model-scheduled-check';
import { keyedJoinSteps } from './model-keyed-join';
import { reEnableSteps } from './model-re-enable';
import { scheduledCatchUpSteps } from './model-scheduled-catch-up';
import { emptyModelRecord, type ModelRecord, type Progress } from './model-record';
import { joinState, observe, waitingWork, type Observation } from './observe';
import { COORDINATOR_FUNCTION, Faults, VirtualClock, buildSystem, type Services, type System } from './system';

export { planOf, type Plan } from './deployment';
export type { Observation } from './observe';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
export const T0 = Date.parse('2027-03-01T06:00:00Z');
const END_ROUNDS = 80;
const DATA_BUCKET = 'system-data';

/** Runs one seed's workload against fresh tables of `services` and returns what the invariants check. */
export async function runModel(services: Services, plan: Plan, options: { readonly tamper?: (system: System) => void } = {}): Promise<Observation> {
  const random = seeded(plan.seed);
  const clock = new VirtualClock(T0);
  const faults = new Faults(seeded(plan.seed * 7919 + 1), plan.crashProbability);
  const system = buildSystem(services, clock, faults, plan.policy, seeded(plan.seed * 31 + 7));
  options.tamper?.(system);
  const deployment = deploymentOf(plan);
  const model: ModelRecord = emptyModelRecord();
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  const chance = (p: number) => random() < p;
  let counter = 0;
  const nextId = () => counter++;
  const sagemaker = services.sagemaker;

  const delivery = deliveryOf(model, clock, faults, sagemaker);
  const { ask, deliver } = delivery;
  const queue = plan.delivery === 'queue' ? arrivalQueueOf(system, delivery, random) : undefined;

  const eventProgress = (outcome: Awaited<ReturnType<System['events']['handle']>>): Progress => {
    switch (outcome.status) {
      case 'started':
        return { state: 'done', how: 'started' };
      case 'deferred':
        return { state: 'open', reason: outcome.reason, ...(outcome.delayUntilMs !== undefined ? { delayUntilMs: outcome.delayUntilMs } : {}) };
      default:
        return { state: 'done', how: outcome.status === 'refused' ? outcome.reason : outcome.status };
    }
  };

  const busEvent = (name: string, eventId: string, detail: Record<string, unknown>): ReceivedEvent => ({ id: `eb-${eventId}-${nextId()}`, name, atMs: clock.now(), detail: { event_id: eventId, ...detail } });

  // ---- steps -------------------------------------------------------------------------------------
  async function arrive(config: BatchTriggerConfig, object: CreatedObject): Promise<void> {
    if (queue) return queue.send(config, object);
    await deliver(`arrive ${config.triggerId} ${object.key}`, () => system.batcher.arrive(config, object));
  }
  const createdObject = (key: string): CreatedObject => ({ bucket: DATA_BUCKET, key, size: 1_000_000 * (1 + (key.length % 7)), sequencer: '0A1B2C3D', eventTime: new Date(clock.now()).toISOString() });
  const sentObjects: CreatedObject[] = [];
  const configOf = (triggerId: string) => (triggerId === deployment.coordinatedBatch.triggerId ? deployment.coordinatedBatch : deployment.directBatch);

  async function newObject(): Promise<void> {
    const config = chance(0.6) ? deployment.coordinatedBatch : deployment.directBatch;
    const key = `incoming/${config.triggerId}/object-${nextId()}.parquet`;
    const object = createdObject(key);
    model.objects.push({ triggerId: config.triggerId, key });
    sentObjects.push(object);
    await arrive(config, object);
    if (chance(0.3)) await arrive(config, object);
  }

  async function duplicateObject(): Promise<void> {
    if (sentObjects.length === 0) return;
    const object = pick(sentObjects);
    await arrive(configOf(object.key.split('/')[1]), object);
  }

  async function flush(config: BatchTriggerConfig): Promise<void> {
    await deliver(`flush ${config.triggerId}`, () => system.batcher.flush(config));
  }

  async function tick(): Promise<void> {
    const at = new Date(clock.now() - (clock.now() % (15 * MINUTE))).toISOString();
    const key = `tick:${at}`;
    if (model.asked.has(key)) return;
    await ask(key, `tick ${at}`, async () => {
      const reply = await system.coordinatorClient.request(COORDINATOR_FUNCTION, {
        requestId: `tick#${at}`, pipelineName: deployment.shared, triggerType: 'scheduled', reason: `scheduled retraining at ${at}`,
        priority: 4, correlationId: `tick:${at}`, parameters: { ScheduledTime: at },
      });
      if (reply.start) return { state: 'done', how: 'started' };
      if (['rejected', 'start-failed', 'invalid-parameters'].includes(reply.reason)) return { state: 'done', how: reply.reason };
      return { state: 'open', reason: reply.reason, ...(reply.delayUntilMs !== undefined ? { delayUntilMs: reply.delayUntilMs } : {}) };
    });
  }

  async function namedEvent(): Promise<void> {
    const eventId = `ev-${nextId()}`;
    const event = busEvent('model.added', eventId, { data: { eventId } });
    await ask(`event:${eventId}`, `event ${eventId}`, async () => eventProgress(await system.events.handle(deployment.eventTrigger, event)));
    if (chance(0.4)) {
      const again = await deliver(`event ${eventId} again`, () => system.events.handle(deployment.eventTrigger, { ...event, id: `${event.id}-again` }));
      if (again) model.asked.get(`event:${eventId}`)!.progress = eventProgress(again);
    }
  }

  const lastJoinEvent: { event?: ReceivedEvent } = {};
  async function joinEvent(): Promise<void> {
    const name = pick(['data_updated', 'features_ready']);
    const eventId = `${name === 'data_updated' ? 'data' : 'features'}-${nextId()}`;
    model.joinEvents.set(eventId, name);
    const event = busEvent(name, eventId, { data: { eventId } });
    lastJoinEvent.event = event;
    const deliveries = chance(0.3) ? 2 : 1;
    for (let i = 0; i < deliveries; i++) await deliver(`join event ${eventId}`, () => system.events.handle(deployment.joinTrigger, event));
  }

  async function chain(): Promise<void> {
    const upstream = sagemaker.executions.filter((execution) => execution.pipelineName === deployment.shared);
    if (upstream.length === 0) return;
    const arn = pick(upstream).executionArn;
    const event = busEvent('SageMaker Model Building Pipeline Execution Status Change', `chain-${nextId()}`, {
      pipelineExecutionArn: arn, currentPipelineExecutionStatus: 'Succeeded', previousPipelineExecutionStatus: 'Executing',
    });
    const key = `chain:${arn}`;
    const deliverChain = async () => eventProgress(await system.events.handle(deployment.chainTrigger, event));
    if (!model.asked.has(key)) await ask(key, `chain ${arn}`, deliverChain);
    else await deliver(`chain ${arn} again`, deliverChain);
    if (chance(0.5)) await deliver(`chain ${arn} again`, deliverChain);
  }

  const stepContext = { services, system, deployment, model, clock, delivery, random, pick, chance, nextId };
  const keyedJoin = keyedJoinSteps(stepContext);
  const debounce = debounceSteps(stepContext);
  const joinModes = joinModeSteps(stepContext);
  const batchSchedule = batchScheduleSteps(stepContext, faults);
  const scheduledCheck = scheduledCheckSteps(stepContext, faults);
  const deadline = calendarSteps(stepContext, faults);
  const reEnable = reEnableSteps(stepContext, faults, plan.batchSize);
  const scheduledCatchUp = scheduledCatchUpSteps(stepContext, faults);
  const driftOccasion = driftOccasions(stepContext);

  async function answerApprovals(approveShare: number): Promise<void> {
    for (const pipeline of deployment.coordinatedPipelines) {
      const pending = (await system.coordinatorStore.readState(pipeline)).pendingApproval;
      if (!pending) continue;
      const approve = random() < approveShare;
      model.approvals.push({ pipeline, requestId: pending.requestId, approve });
      await deliver(`${approve ? 'approve' : 'reject'} ${pending.requestId}`, () => system.coordinator.answerApproval(pipeline, pending.requestId, approve));
    }
  }

  /** The coordinator's own schedule (every minute in production): asks its waiting list again. */
  async function sweep(): Promise<void> {
    await deliver('coordinator sweep', () => system.coordinator.sweep());
  }

  function advance(): void {
    const jump = pick(['minutes', 'minutes', 'minutes', 'cooldown', 'day'] as const);
    if (jump === 'minutes') clock.advance((1 + Math.floor(random() * 40)) * MINUTE);
    else if (jump === 'cooldown') clock.advance(plan.policy.minIntervalMs + MINUTE);
    else clock.advance(DAY - (clock.now() % DAY) + (1 + Math.floor(random() * 120)) * MINUTE);
  }

  const steps: Array<[number, () => Promise<void> | void]> = [
    [8, newObject],
    [2, duplicateObject],
    [2, () => flush(pick([deployment.coordinatedBatch, deployment.directBatch]))],
    [2, tick],
    [2, namedEvent],
    [3, joinEvent],
    [5, keyedJoin.newEvent],
    [0.7, keyedJoin.redelivery],
    [6, joinModes.newEvent],
    [0.7, joinModes.redelivery],
    [3, batchSchedule.newObject],
    [1.5, batchSchedule.firing],
    [1.5, scheduledCheck.firing],
    [1, scheduledCheck.runMovesOn],
    [2, debounce.burst],
    [3, deadline.firing],
    [3, reEnable.land],
    [1.5, reEnable.toggle],
    [2, scheduledCatchUp.toggle],
    [1, chain],
    [1.5, driftOccasion],
    [1, () => answerApprovals(0.7)],
    [2, sweep],
    [1, () => sagemaker.failNext(1, pick(['throttle', 'internal', 'accessDenied'] as const))],
    [3, advance],
    ...(queue ? [[4, () => queue.receive(1 + Math.floor(random() * 40))] as [number, () => Promise<void>]] : []),
  ];
  const totalWeight = steps.reduce((sum, [weight]) => sum + weight, 0);
  for (let step = 0; step < plan.steps; step++) {
    let roll = random() * totalWeight;
    const [, run] = steps.find(([weight]) => (roll -= weight) < 0) ?? steps[0];
    await run();
  }

  // ---- end: no more faults; run until nothing waits -------------------------------------------------
  faults.enabled = false;
  sagemaker.clearFailures();
  for (let round = 0; round < END_ROUNDS; round++) {
    for (let i = 0; queue && queue.waiting > 0 && i < 20; i++) await queue.receive(100);
    await answerApprovals(0.7);
    await sweep();
    for (const config of [deployment.coordinatedBatch, deployment.directBatch]) await flush(config);
    for (const asked of model.asked.values()) {
      if (asked.progress.state === 'open' && (asked.progress.delayUntilMs ?? 0) <= clock.now()) asked.progress = await asked.redeliver();
    }
    const join = await joinState(services, deployment.joinTrigger.triggerId);
    if (join?.pending && lastJoinEvent.event) {
      const event = lastJoinEvent.event;
      await deliver('join redelivery', () => system.events.handle(deployment.joinTrigger, event));
    }
    const waiting = [...(await waitingWork(services, deployment, model)), ...(await keyedJoin.nudge()), ...(await debounce.drain()), ...(await batchSchedule.drain()), ...(await reEnable.drain())];
    if (queue?.waiting) waiting.push(`arrival queue: ${queue.waiting} message(s)`);
    for (const entry of await system.coordinatorStore.waiting()) {
      waiting.push(`waiting list: ${entry.request.requestId} of ${entry.request.pipelineName}${entry.parked ? ' (parked)' : ''}${entry.dueAtMs !== undefined ? ` until ${entry.dueAtMs}` : ''}`);
    }
    if (waiting.length === 0) break;
    if (round === END_ROUNDS - 1) model.notQuiescent.push(...waiting);
    clock.advance(Math.max(MINUTE, nextWake(model, waiting, clock.now()) - clock.now()));
  }

  model.crashes = faults.injected.length;
  return observe(services, system, plan, deployment, model, clock.now());
}

function nextWake(model: ModelRecord, waiting: readonly string[], nowMs: number): number {
  const delays = [...model.asked.values()].flatMap((asked) => (asked.progress.state === 'open' && asked.progress.delayUntilMs ? [asked.progress.delayUntilMs] : []));
  const batchTimes = waiting.flatMap((line) => {
    const match = / until (\d+)$/.exec(line);
    return match ? [Number(match[1])] : [];
  });
  const future = [...delays, ...batchTimes].filter((at) => at > nowMs);
  // Open batches close after their window (30 minutes); anything else waits at most an hour.
  return future.length > 0 ? Math.min(...future) + 1_000 : nowMs + 31 * MINUTE;
}
