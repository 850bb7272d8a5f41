import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { calendarAction, deadlineMissed, firingAnswered, previousFiring } from '../../core/arrival-calendar';
import { calendarScheduleOf, parseCalendarInvocation, type CalendarKind } from '../../core/contracts/arrival-calendar';
import type { BatchTriggerConfig } from '../../core/contracts/batch';
import { MetricDimension, MetricName } from '../../core/contracts/metrics';
import type { Parsed } from '../../core/result';
import type { HandlerShell, Rejected } from '../adapters/handler-shell';
import type { Batcher } from './batcher';
import type { CalendarStateStore, CalendarView } from './calendar-store';

/** What a calendar invocation did: acted on its firing (a deadline met or missed, the open batch closed, empty or left open), or nothing, acted on before. */
export type CalendarResult =
  | {
    readonly status: 'fired';
    readonly triggerId: string;
    readonly calendar: CalendarKind;
    readonly firing: string;
    readonly pipelineName: string;
    readonly deadline?: 'met' | 'missed';
    /** When the trigger last took an object, at a deadline's firing: left out when it never did. */
    readonly lastArrival?: string;
    readonly batch: 'closed' | 'empty' | 'left-open';
  }
  | { readonly status: 'duplicate'; readonly triggerId: string; readonly calendar: CalendarKind; readonly firing: string };

export interface ArrivalCalendarDeps {
  readonly configs: { get(triggerId: unknown): Promise<Parsed<BatchTriggerConfig>> };
  readonly store: Pick<CalendarStateStore, 'read' | 'record' | 'close'>;
  /** Starts the batches sealed and ready: the batcher's own start path, with its retries. */
  readonly batcher: Pick<Batcher, 'flush'>;
  readonly shell: Pick<HandlerShell, 'logger' | 'metrics' | 'reject'>;
  readonly now: () => number;
  readonly newEpoch: () => string;
  readonly pause: (ms: number) => Promise<void>;
}

/** Conditional writes tried before the invocation fails (and is retried) while objects keep taking places. */
const MAX_WRITES = 20;

/**
 * Acts on a firing of a data-arrival trigger's deadline or batch schedule, `{ triggerId, calendar }`. The
 * schedule and its time zone are read from the trigger's deployed configuration; an invocation at a time
 * that is no firing of it is rejected and changes nothing; a firing acts once, however often it comes.
 */
export class ArrivalCalendar {
  constructor(private readonly deps: ArrivalCalendarDeps) {}

  async fire(input: Readonly<Record<string, unknown>>): Promise<CalendarResult | Rejected> {
    const { shell, store } = this.deps;
    const request = parseCalendarInvocation(input);
    if (!request.ok) return shell.reject(request.error);
    const { triggerId, kind } = request.value;
    const config = await this.deps.configs.get(triggerId);
    if (!config.ok) return shell.reject(config.error);
    const schedule = calendarScheduleOf(triggerId, config.value.calendar, kind);
    if (!schedule.ok) return shell.reject(schedule.error);
    const firing = firingAnswered(schedule.value, this.deps.now());
    if (!firing.ok) return shell.reject(firing.error);

    const firingAt = new Date(firing.value).toISOString();
    const told = { triggerId, calendar: kind, firing: firingAt };
    let view = await store.read(triggerId, kind);
    const deadlineConfig = config.value.calendar?.deadline;
    const action = () => calendarAction({ kind, firingMs: firing.value, actedOnMs: view.actedOnMs, openCount: view.count, deadline: deadlineConfig });
    if (action() === 'already-acted') return this.duplicate(told);
    let deadline: { deadline: 'met' | 'missed'; lastArrival?: string } | undefined;
    if (kind === 'deadline') {
      deadline = { deadline: deadlineMissed(view.lastArrivalAtMs, previousFiring(schedule.value, firing.value)) ? 'missed' : 'met', ...lastArrival(view.lastArrivalAtMs) };
      // Told before the firing is recorded: an invocation that dies in between tells it again on its retry, never not at
      // all (two deliveries of one firing at the very same moment may both tell it; the alarm fires alike).
      if (deadline.deadline === 'missed') this.count(MetricName.MissedDeadlines, config.value, 'no object of the trigger arrived by its deadline', { ...told, ...lastArrival(view.lastArrivalAtMs) });
      else shell.logger.info('objects arrived by the deadline', { ...told, ...lastArrival(view.lastArrivalAtMs) });
    }
    const fired = { ...told, pipelineName: config.value.pipelineName, ...deadline };
    if (!view.chunked) {
      // A state kept one slot at a time (before chunks) is converted by the next object; until then no firing closes it.
      shell.logger.warn('left the open batch as it is: the trigger\'s state predates chunks', told);
      return { status: 'fired', ...fired, batch: 'left-open' };
    }

    const closes = kind === 'close' || deadlineConfig?.startWithWhatArrived === true;
    for (let write = 1; ; write++) {
      const next = action();
      if (next === 'already-acted') return this.duplicate(told);
      const written = next === 'close'
        ? await store.close(config.value, kind, firing.value, view, this.deps.now())
        : await store.record(config.value, kind, firing.value, this.deps.newEpoch(), closes);
      if (written === 'already-acted') return this.duplicate(told);
      if (written === 'written') return this.acted(config.value, next, closes, view, fired);
      if (write >= MAX_WRITES) throw new Error(`trigger ${triggerId}: objects kept arriving through ${MAX_WRITES} attempts to act on the ${kind} firing at ${firingAt}`);
      await this.deps.pause(20 + Math.floor(Math.random() * 80));
      view = await store.read(triggerId, kind);
    }
  }

  private async acted(
    config: BatchTriggerConfig,
    action: 'close' | 'record',
    closes: boolean,
    view: CalendarView,
    fired: Omit<Extract<CalendarResult, { status: 'fired' }>, 'status' | 'batch'>,
  ): Promise<CalendarResult> {
    const { triggerId, calendar, firing } = fired;
    const told = { triggerId, calendar, firing, ...(fired.deadline ? { deadline: fired.deadline } : {}) };
    const { logger, metrics } = this.deps.shell;
    if (action === 'record') {
      if (told.calendar === 'close') this.count(MetricName.BatchFiringsSkipped, config, 'skipped a batch schedule firing: no object arrived since the batch before', told);
      else if (closes) logger.info('started nothing at the deadline: the open batch is empty', told);
      return { status: 'fired', ...fired, batch: closes ? 'empty' : 'left-open' };
    }
    logger.info('sealed the open batch at a firing of its calendar', { ...told, generation: view.generation, slots: view.count });
    metrics.addMetric(MetricName.BatchesSealed, MetricUnit.Count, 1);
    try {
      await this.deps.batcher.flush(config);
    } catch (error) {
      // The batch is sealed: the flush schedule starts it within a minute, with the batcher's own retries.
      logger.error('could not start the sealed batch yet; the next flush starts it', { ...told, error: error as Error });
    }
    return { status: 'fired', ...fired, batch: 'closed' };
  }

  private duplicate(told: { triggerId: string; calendar: CalendarKind; firing: string }): CalendarResult {
    this.deps.shell.logger.info('this firing was acted on before: nothing to do', told);
    return { status: 'duplicate', ...told };
  }

  /** One of the trigger's own calendar metrics (dimension TriggerId, published at once), with its log line. */
  private count(name: MetricName, config: BatchTriggerConfig, message: string, fields: Readonly<Record<string, unknown>>): void {
    this.deps.shell.logger.warn(message, fields);
    const metric = this.deps.shell.metrics.singleMetric();
    // The service and trigger type come with the default dimensions; the trigger is this metric's own.
    metric.addDimensions({ [MetricDimension.TriggerId]: config.triggerId });
    metric.addMetric(name, MetricUnit.Count, 1);
  }
}

/** When the trigger last took an object, for the log: left out when it never did. */
const lastArrival = (ms: number | undefined) => (ms === undefined ? {} : { lastArrival: new Date(ms).toISOString() });
