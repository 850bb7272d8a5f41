/**
 * The schedule-gated trigger of the workload: its batches close only at the firings of its batch schedule (half
 * past every hour), never by count (10,000) or within the run by window (8 days). Its objects arrive one event at
 * a time; the scheduler invokes the batcher at a firing at least once and now and then again within the firing's
 * tolerance. Every object must still land in exactly one run (invariant 1); a firing with nothing sent since the
 * firing before starts nothing; and each firing acts at most once.
 */
import type { BatchTriggerConfig } from '../../lambda/core/contracts/batch';
import { CALENDAR_LIMITS } from '../../lambda/core/contracts/arrival-calendar';
import type { CalendarResult } from '../../lambda/aws/batcher/calendar';
import type { Violation } from './invariants';
import { calendarOf } from './model-calendar';
import type { WorkloadStepContext } from './model-keyed-join';
import type { Observation } from './observe';
import { scan } from './observe';
import { BATCH_TABLE, type Faults } from './system';

const INVARIANT = '12 a batch schedule firing with nothing waiting starts nothing, and acts at most once' as const;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const FIRING_OFFSET = 30 * MINUTE;

/** The schedule-gated trigger's configuration, from one of the deployment's batch triggers: batches close at half past each hour. */
export function scheduleGated(base: BatchTriggerConfig, pipelineName: string): BatchTriggerConfig {
  const { coordinatorFunction: _coordinator, priority: _priority, calendar: _calendar, ...direct } = base;
  return { ...direct, triggerId: 'hourly-close', pipelineName, batchSize: 10_000, batchWindowSeconds: 8 * 86_400, calendar: { close: { schedule: 'cron(30 * * * ? *)', timeZone: 'UTC' } } };
}

export function batchScheduleSteps(context: WorkloadStepContext, faults: Faults) {
  const { services, system, model, clock, delivery, random, chance, nextId } = context;
  const config = context.deployment.gatedBatch;
  const calendar = calendarOf(context, faults, config);
  const pipelineRuns = () => services.sagemaker.executions.filter((execution) => execution.pipelineName === config.pipelineName).length;
  let sentSinceFiring = 0;
  /** Whether a batch sealed before waits for its start: a firing's flush starts it too, rightly. */
  const backlog = async () =>
    (await scan(services, BATCH_TABLE)).some((item) => String(item.pk).includes(config.triggerId)
      && ((item.sk === 'STATE' && Object.keys((item.unfinished as object) ?? {}).length > 0) || (item.sk === 'H' && ['RETRY', 'CLAIMED'].includes(item.status as string))));

  async function newObject(): Promise<void> {
    const key = `incoming/${config.triggerId}/object-${nextId()}.parquet`;
    const object = { bucket: 'system-data', key, size: 2_000_000, sequencer: '0A1B2C3D', eventTime: new Date(clock.now()).toISOString() };
    model.objects.push({ triggerId: config.triggerId, key });
    sentSinceFiring++;
    const arrive = () => system.batcher.arrive(config, object);
    await delivery.deliver(`arrive ${config.triggerId} ${key}`, arrive);
    if (chance(0.3)) await delivery.deliver(`arrive ${config.triggerId} ${key} again`, arrive);
  }

  /** The scheduler's invocation at the next firing, a few minutes late, and now and then again within the firing's tolerance. */
  async function firing(): Promise<void> {
    clock.advance(((FIRING_OFFSET - (clock.now() % HOUR) + HOUR) % HOUR || HOUR) + Math.floor(random() * 5) * MINUTE);
    const firingMs = clock.now() - ((clock.now() - FIRING_OFFSET + HOUR) % HOUR);
    const record = { firingMs, waiting: sentSinceFiring, replies: [] as Array<{ readonly reply: string; readonly started: number; readonly backlog: boolean }> };
    model.closeFirings.push(record);
    const invoke = async () => {
      const [before, waitingBatch] = [pipelineRuns(), await backlog()];
      const reply = (await calendar.fire({ triggerId: config.triggerId, calendar: 'close' })) as CalendarResult | { status: 'rejected' };
      const late = clock.now() - firingMs > CALENDAR_LIMITS.toleranceMs;
      if (reply.status === 'fired') sentSinceFiring = 0;
      record.replies.push({ reply: reply.status === 'fired' ? `fired: ${reply.batch}` : `${reply.status}${late ? ' (late)' : ''}`, started: pipelineRuns() - before, backlog: waitingBatch });
      return reply;
    };
    await delivery.deliver(`batch schedule firing at ${new Date(firingMs).toISOString()}`, invoke);
    if (chance(0.4)) {
      clock.advance(Math.floor(random() * 5) * MINUTE);
      await delivery.deliver(`batch schedule firing at ${new Date(firingMs).toISOString()} again`, invoke);
    }
  }

  /** The end phase: objects waiting in an open batch get the next firing; a sealed batch whose start failed, a flush. */
  async function drain(): Promise<string[]> {
    await delivery.deliver(`flush ${config.triggerId}`, () => system.batcher.flush(config));
    const state = (await scan(services, BATCH_TABLE)).find((item) => item.pk === `T#${config.triggerId}` && item.sk === 'STATE');
    if (state && (state.count as number) > 0) await firing();
    return [];
  }

  return { newObject, firing, drain };
}

/**
 * Invariant 12: per firing of the batch schedule, at most one delivery acted on it (the others found it acted on,
 * or came too late); and, unless a batch sealed before still waited for its start, a firing acted on as empty, or
 * with no object sent since the firing before, started nothing.
 */
export function checkCloseFirings(observation: Observation): Violation[] {
  const violations: Violation[] = [];
  const flag = (detail: string) => violations.push({ invariant: INVARIANT, detail });
  for (const { firingMs, waiting, replies } of observation.model.closeFirings) {
    const at = new Date(firingMs).toISOString();
    const told = replies.map(({ reply, started }) => `${reply} (${started} started)`).join(', ');
    const acted = replies.filter(({ reply }) => reply.startsWith('fired')).length;
    if (acted > 1) flag(`the batch schedule firing at ${at} acted ${acted} times: ${told}`);
    if (replies.some(({ reply }) => !reply.startsWith('fired') && reply !== 'duplicate' && reply !== 'rejected (late)')) flag(`the batch schedule firing at ${at} was answered ${told}`);
    if (replies.some(({ reply, started, backlog }) => !backlog && started > 0 && (reply !== 'fired: closed' || waiting === 0))) {
      flag(`the batch schedule firing at ${at}, with ${waiting} object(s) sent since the firing before, started a run where it should start none: ${told}`);
    }
  }
  return violations;
}
