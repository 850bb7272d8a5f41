/**
 * The data-arrival deadline of the workload: the direct trigger's data is expected every hour, and each firing
 * closes and starts its open batch with what arrived (`startWithWhatArrived`). The scheduler invokes the
 * batcher at a firing, at least once, and again within the firing's tolerance; every object must still land
 * in exactly one run (invariant 1), and each firing acts at most once.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HandlerShell } from '../../lambda/aws/adapters/handler-shell';
import { ArrivalCalendar, type CalendarResult } from '../../lambda/aws/batcher/calendar';
import { CalendarStateStore } from '../../lambda/aws/batcher/calendar-store';
import { CALENDAR_LIMITS, type ArrivalCalendarConfig } from '../../lambda/core/contracts/arrival-calendar';
import type { BatchTriggerConfig } from '../../lambda/core/contracts/batch';
import { MetricName, MetricService } from '../../lambda/core/contracts/metrics';
import { accept, isRecord } from '../../lambda/core/result';
import type { Violation } from './invariants';
import type { WorkloadStepContext } from './model-keyed-join';
import type { Observation } from './observe';
import { BATCH_TABLE, type Faults } from './system';

const INVARIANT = '8 each firing of a deadline acts at most once' as const;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The direct trigger's deadline: data expected every hour, its open batch started with what arrived at each firing. */
export const HOURLY_DEADLINE: ArrivalCalendarConfig = { deadline: { schedule: 'cron(0 * * * ? *)', timeZone: 'UTC', startWithWhatArrived: true } };

/** The batcher's calendar invocations, as the deployed function composes them, on the system's batcher. */
export function calendarOf({ system, clock }: WorkloadStepContext, faults: Faults, config: BatchTriggerConfig): ArrivalCalendar {
  const shell = new HandlerShell({ serviceName: MetricService.DataArrivalBatcher, rejectionMetric: MetricName.EventsRejected, rejectionMessage: 'rejected a calendar invocation' });
  // Its missed deadlines and retried starts are the workload's ordinary course: the replies tell the invariants what happened.
  shell.logger.setLogLevel('SILENT');
  return new ArrivalCalendar({
    configs: { get: async () => accept(config) },
    store: new CalendarStateStore(faults.wrap(new DynamoDBClient({}), 'calendar.dynamodb'), BATCH_TABLE),
    batcher: system.batcher,
    shell,
    now: clock.now,
    newEpoch: () => 'epoch',
    pause: clock.pause,
  });
}

export function calendarSteps(context: WorkloadStepContext, faults: Faults) {
  const { model, clock, delivery, random, chance } = context;
  const config = context.deployment.directBatch;
  const calendar = calendarOf(context, faults, config);

  /** The scheduler's invocation at the next firing, a few minutes late, and now and then again within the firing's tolerance. */
  async function firing(): Promise<void> {
    clock.advance(HOUR - (clock.now() % HOUR) + Math.floor(random() * 5) * MINUTE);
    const firingMs = clock.now() - (clock.now() % HOUR);
    const replies: string[] = [];
    model.firings.push({ firingMs, replies });
    const invoke = async () => {
      const reply = (await calendar.fire({ triggerId: config.triggerId, calendar: 'deadline' })) as CalendarResult | { status: 'rejected' };
      // A delivery retried past the firing's tolerance is no longer that firing's, and is rightly turned away.
      const late = clock.now() - firingMs > CALENDAR_LIMITS.toleranceMs;
      replies.push(reply.status === 'fired' ? `fired: ${reply.batch}` : `${reply.status}${late ? ' (late)' : ''}`);
      return reply;
    };
    await delivery.deliver(`deadline firing at ${new Date(firingMs).toISOString()}`, invoke);
    if (chance(0.4)) {
      clock.advance(Math.floor(random() * 5) * MINUTE);
      await delivery.deliver(`deadline firing at ${new Date(firingMs).toISOString()} again`, invoke);
    }
  }

  return { firing };
}

/** Invariant 8: per firing, at most one delivery acted on it; the others found it acted on (or crashed); and the trigger's state holds the last firing. */
export function checkFirings(observation: Observation): Violation[] {
  const violations: Violation[] = [];
  for (const { firingMs, replies } of observation.model.firings) {
    const at = new Date(firingMs).toISOString();
    const acted = replies.filter((reply) => reply.startsWith('fired')).length;
    if (acted > 1) violations.push({ invariant: INVARIANT, detail: `the deadline firing at ${at} acted ${acted} times: ${replies.join(', ')}` });
    const unexpected = replies.filter((reply) => !reply.startsWith('fired') && reply !== 'duplicate' && reply !== 'rejected (late)');
    if (unexpected.length > 0) violations.push({ invariant: INVARIANT, detail: `the deadline firing at ${at} was answered ${unexpected.join(', ')}` });
  }
  const last = observation.model.firings.at(-1);
  const state = observation.batchItems.find((item) => item.pk === `T#${observation.deployment.directBatch.triggerId}` && item.sk === 'STATE');
  if (last && (!isRecord(state) || state.deadlineFiredAt !== last.firingMs)) {
    violations.push({ invariant: INVARIANT, detail: `the last firing acted on should be ${new Date(last.firingMs).toISOString()}, the trigger's state holds ${String(state?.deadlineFiredAt)}` });
  }
  return violations;
}
