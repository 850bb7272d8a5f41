/**
 * The scheduled checks' contract: a scheduled trigger with `unlessRanWithin` ("at least every 7 days"), as
 * its construct writes it and the shared check function reads it back, with its limits and which
 * executions count as a run. Pure: no SDK, no clock, no environment.
 */
import { pipelineParameters, type PipelineParameter } from '../pipeline-parameters';
import { accept, isRecord, reject, type Parsed } from '../result';
import { DEFAULT_PRIORITY, PIPELINE_NAME, PRIORITY_LIMITS, type StartRoute } from './shared';

/** What a scheduled trigger's construct writes for the check function, one per trigger. */
export interface ScheduledCheckConfigJson extends StartRoute {
  readonly triggerId: string;
  readonly pipelineName: string;
  /** A firing starts a run only when no counting execution was created within this many seconds before it. */
  readonly withinSeconds: number;
  /** The schedule's expression, for the run's reason and the logs. */
  readonly schedule: string;
  /** Static pipeline parameters, name to value. */
  readonly parameters: Readonly<Record<string, string>>;
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
 * The execution statuses that count as "ran": a run in progress (`Executing`), one being stopped
 * (`Stopping`: an operator is ending it; starting another beside it would undo their decision, and once it
 * is `Stopped` it no longer counts), and one that `Succeeded`. `Failed` and `Stopped` runs produced no
 * model, so the deadline they were meant to meet is still unmet: the next firing starts a run.
 */
export const COUNTING_STATUSES: ReadonlySet<string> = new Set(['Executing', 'Stopping', 'Succeeded']);

/** Reads the configuration the deployment wrote, checking again what synth checked. */
export function parseScheduledCheckConfig(input: unknown): Parsed<ScheduledCheckConfig> {
  if (!isRecord(input)) return reject('trigger', 'must be an object');
  const { triggerId, pipelineName, withinSeconds, schedule, parameters, coordinatorFunction, priority } = input;
  if (typeof triggerId !== 'string') return reject('trigger.triggerId', 'must be a string');
  if (typeof pipelineName !== 'string' || !PIPELINE_NAME.test(pipelineName)) return reject('trigger.pipelineName', 'must be a SageMaker pipeline name');
  const { minWithinSeconds: min, maxWithinSeconds: max } = SCHEDULED_CHECK_LIMITS;
  if (typeof withinSeconds !== 'number' || !Number.isInteger(withinSeconds) || withinSeconds < min || withinSeconds > max) {
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
  return accept({
    triggerId,
    pipelineName,
    withinSeconds,
    schedule,
    parameters: checked.value,
    ...(typeof coordinatorFunction === 'string' ? { coordinatorFunction, priority: typeof priority === 'number' ? priority : DEFAULT_PRIORITY } : {}),
  });
}
