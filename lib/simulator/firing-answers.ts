import { timelineTime, type TimelineParts } from './timeline';

/**
 * The parts of a calendar firing's answer (the batcher's `{ triggerId, calendar }` invocations) and of a scheduled
 * check's answer the timeline shows; the handlers' own result types, as far as read here.
 */
export interface FiringAnswer {
  readonly status?: string;
  readonly triggerId?: string;
  readonly pipelineName?: string;
  /** `deadline` or `close` (a batch schedule), on a calendar firing's answer. */
  readonly calendar?: string;
  readonly firing?: string;
  readonly deadline?: string;
  readonly lastArrival?: string;
  readonly batch?: string;
  /** The firing a scheduled check answered. */
  readonly scheduledTime?: string;
  readonly windowStart?: string;
  /** The execution within the window that made a scheduled check skip its firing. */
  readonly execution?: { readonly executionArn?: string; readonly status?: string; readonly startMs?: number };
  readonly reason?: string;
  readonly read?: number;
}

type Decision = NonNullable<TimelineParts['decisions']>[number];

/** A handler's ISO time as the timeline writes times: without milliseconds when there are none. */
const time = (value: string): string => value.replace('.000Z', 'Z');

/**
 * What a trigger's firing decided instead of a start, read from its handler's answer: a deadline missed, a batch
 * schedule's firing skipped with nothing waiting, a scheduled check's firing skipped because the pipeline ran within
 * its window. Nothing for any other answer (a run it started shows as a run).
 */
export function firingDecisions(answer: FiringAnswer, atMs: number): Decision[] {
  const { triggerId, pipelineName } = answer;
  if (triggerId === undefined || pipelineName === undefined) return [];
  if (answer.status === 'fired' && answer.firing !== undefined) {
    const base = { atMs, pipeline: pipelineName, trigger: `data-arrival ${triggerId}` };
    const firing = time(answer.firing);
    if (answer.calendar === 'deadline' && answer.deadline === 'missed') {
      const last = answer.lastArrival === undefined ? 'no object yet' : `last object ${time(answer.lastArrival)}`;
      return [{
        ...base, outcome: 'missed-deadline', reason: `deadline ${firing}: nothing arrived since the deadline before (${last})`,
        firing, ...(answer.lastArrival !== undefined ? { lastArrival: time(answer.lastArrival) } : {}),
      }];
    }
    if (answer.calendar === 'close' && answer.batch === 'empty') {
      return [{ ...base, outcome: 'skipped', reason: `batch schedule ${firing}: nothing arrived since the batch before`, firing }];
    }
    return [];
  }
  if (answer.status === 'skipped' && answer.scheduledTime !== undefined) {
    const firing = time(answer.scheduledTime);
    const base = { atMs, pipeline: pipelineName, trigger: `scheduled ${triggerId}`, outcome: 'skipped' };
    const since = answer.windowStart === undefined ? '' : ` since ${time(answer.windowStart)}`;
    const { execution } = answer;
    if (execution?.executionArn !== undefined) {
      const started = execution.startMs === undefined ? '' : ` started at ${timelineTime(execution.startMs)}`;
      return [{
        ...base,
        reason: `firing ${firing}: ran within the window${since}: execution ${execution.executionArn} (${execution.status ?? 'unknown'})${started}`,
        firing,
        counted: { executionArn: execution.executionArn, status: execution.status ?? 'unknown', ...(execution.startMs !== undefined ? { startedAt: timelineTime(execution.startMs) } : {}) },
      }];
    }
    return [{ ...base, reason: `firing ${firing}: ${answer.reason ?? 'skipped'}: ${answer.read ?? 'too many'} executions within the window${since}, none of them counting`, firing }];
  }
  return [];
}
