/**
 * The scheduled checks' contract: a scheduled trigger with `unlessRanWithin` ("at least every 7 days") or a
 * catch-up when re-enabled, as its construct writes it and the shared check function reads it back, with its
 * limits and which executions count as a run. Pure: no SDK, no clock, no environment.
 */
import { pipelineParameters, type PipelineParameter } from '../pipeline-parameters';
import { accept, isRecord, reject, requiredNumber, type Parsed } from '../result';
import { parseEnabled, RE_ENABLE_LIMITS } from './re-enable';
import { DEFAULT_PRIORITY, PIPELINE_NAME, PRIORITY_LIMITS, type StartRoute } from './shared';

/** What a scheduled trigger's construct writes for the check function, one per trigger. */
export interface ScheduledCheckConfigJson extends StartRoute {
  readonly triggerId: string;
  readonly pipelineName: string;
  /**
   * A firing starts a run only when no counting execution was created within this many seconds before it.
   * Absent for a trigger written only for its catch-up: its schedule does not invoke the function.
   */
  readonly withinSeconds?: number;
  /** The schedule's expression, for the run's reason and the logs. */
  readonly schedule: string;
  /** Static pipeline parameters, name to value. */
  readonly parameters: Readonly<Record<string, string>>;
  /**
   * Written `false` while the schedule is disabled, left out while it is on (as a data-arrival trigger's is). The
   * times a catch-up trigger was off are the times the deployment wrote it so (the parameter's history), never
   * anything an invocation says.
   */
  readonly enabled?: boolean;
  /** Written only for a trigger that catches up when re-enabled, with what its missed firings are computed from. */
  readonly whenReEnabled?: ScheduledCatchUpJson;
}

/** A scheduled trigger's catch-up, as its deployment writes it: what the function needs to compute the firings it missed while off. */
export interface ScheduledCatchUpJson {
  readonly mode: 'catch-up';
  /** Firings longer ago than this when the trigger is enabled again are not made up. */
  readonly maxAgeSeconds: number;
  /** The IANA time zone cron and one-time schedules are read in. */
  readonly timeZone: string;
  /** The schedule's `startDate`/`endDate`, ISO 8601: no firing falls outside them. */
  readonly startDate?: string;
  readonly endDate?: string;
}

/** What a scheduled check is, as its deployment wrote it, with its parameters checked against SageMaker's limits. */
export interface ScheduledCheckConfig extends Omit<ScheduledCheckConfigJson, 'parameters'> {
  readonly parameters: readonly PipelineParameter[];
}

/**
 * `unlessRanWithin`: a minute (the schedule's resolution) to a year. Beyond a year is a deadline no
 * retraining policy means (`Duration.days(3650)` is a slip of the keyboard more often than a wish), and
 * the check's look-back, which reads executions newest first, stays one that SageMaker answers in a few
 * pages for any pipeline that runs at least as often as its deadline asks.
 */
export const SCHEDULED_CHECK_LIMITS = { minWithinSeconds: 60, maxWithinSeconds: 365 * 86_400 } as const;

/**
 * A change of the configurations is acted on at most this long after the deployment that re-enabled the
 * trigger: the stack's rule retries a delivery for 6 hours. A later change (another trigger's deployment)
 * does not make up the firings again, even when the catch-up's run has failed since.
 */
export const CATCH_UP_NOTICE_MS = 12 * 3_600_000;


/**
 * The execution statuses that count as "ran": a run in progress (`Executing`), one being stopped
 * (`Stopping`: an operator is ending it; starting another beside it would undo their decision, and once it
 * is `Stopped` it no longer counts), and one that `Succeeded`. `Failed` and `Stopped` runs produced no
 * model, so the deadline they were meant to meet is still unmet: the next firing starts a run.
 */
export const COUNTING_STATUSES: ReadonlySet<string> = new Set(['Executing', 'Stopping', 'Succeeded']);

/** Reads the configuration the deployment wrote, checking again what synth checked. */
export function parseScheduledCheckConfig(input: unknown): Parsed<ScheduledCheckConfig> {
  if (!isRecord(input)) return reject('trigger', 'must be an object');
  const { triggerId, pipelineName, withinSeconds, schedule, parameters, coordinatorFunction, priority, whenReEnabled } = input;
  if (typeof triggerId !== 'string') return reject('trigger.triggerId', 'must be a string');
  if (typeof pipelineName !== 'string' || !PIPELINE_NAME.test(pipelineName)) return reject('trigger.pipelineName', 'must be a SageMaker pipeline name');
  const { minWithinSeconds: min, maxWithinSeconds: max } = SCHEDULED_CHECK_LIMITS;
  if (withinSeconds !== undefined && (typeof withinSeconds !== 'number' || !Number.isInteger(withinSeconds) || withinSeconds < min || withinSeconds > max)) {
    return reject('trigger.withinSeconds', `must be a whole number of seconds between ${min} and ${max}`);
  }
  if (typeof schedule !== 'string') return reject('trigger.schedule', 'must be the schedule expression');
  if (!isRecord(parameters ?? {})) return reject('trigger.parameters', 'must map names to values');
  const values = (parameters ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(values)) {
    if (typeof value !== 'string') return reject(`trigger.parameters.${name}`, 'must be a string');
  }
  const checked = pipelineParameters(values as Record<string, string>);
  if (!checked.ok) return reject(`trigger.${checked.error.field}`, checked.error.problem);
  if (coordinatorFunction !== undefined && typeof coordinatorFunction !== 'string') return reject('trigger.coordinatorFunction', 'must be a function ARN');
  if (priority !== undefined && (typeof priority !== 'number' || !Number.isInteger(priority) || priority < PRIORITY_LIMITS.min || priority > PRIORITY_LIMITS.max)) {
    return reject('trigger.priority', `must be a whole number between ${PRIORITY_LIMITS.min} and ${PRIORITY_LIMITS.max}`);
  }
  const enabled = parseEnabled(input.enabled);
  if (!enabled.ok) return enabled;
  const catchUp = whenReEnabled === undefined ? accept(undefined) : parseCatchUp(whenReEnabled);
  if (!catchUp.ok) return catchUp;
  if (withinSeconds === undefined && catchUp.value === undefined) return reject('trigger.withinSeconds', 'must be present when whenReEnabled is not');
  return accept({
    triggerId,
    pipelineName,
    ...(withinSeconds !== undefined ? { withinSeconds } : {}),
    schedule,
    parameters: checked.value,
    ...(typeof coordinatorFunction === 'string' ? { coordinatorFunction, priority: typeof priority === 'number' ? priority : DEFAULT_PRIORITY } : {}),
    ...(enabled.value ? {} : { enabled: false }),
    ...(catchUp.value ? { whenReEnabled: catchUp.value } : {}),
  });
}

function parseCatchUp(input: unknown): Parsed<ScheduledCatchUpJson> {
  if (!isRecord(input)) return reject('trigger.whenReEnabled', 'must be an object when present');
  const { mode, timeZone, startDate, endDate } = input;
  if (mode !== 'catch-up') return reject('trigger.whenReEnabled.mode', "must be 'catch-up' (a trigger that skips writes none)");
  const maxAge = requiredNumber(input, 'maxAgeSeconds', 'trigger.whenReEnabled.maxAgeSeconds', RE_ENABLE_LIMITS.minAgeSeconds, RE_ENABLE_LIMITS.maxAgeSeconds);
  if (!maxAge.ok) return maxAge;
  if (typeof timeZone !== 'string' || timeZone.length === 0) return reject('trigger.whenReEnabled.timeZone', 'must be an IANA time zone name');
  for (const [field, value] of [['startDate', startDate], ['endDate', endDate]] as const) {
    if (value !== undefined && (typeof value !== 'string' || Number.isNaN(Date.parse(value)))) return reject(`trigger.whenReEnabled.${field}`, 'must be an ISO 8601 date when present');
  }
  return accept({
    mode,
    maxAgeSeconds: maxAge.value,
    timeZone,
    ...(typeof startDate === 'string' ? { startDate } : {}),
    ...(typeof endDate === 'string' ? { endDate } : {}),
  });
}
