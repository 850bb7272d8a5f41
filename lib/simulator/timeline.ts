/**
 * What a simulation produced: the runs started, the decisions not to start, the lines that could not be
 * simulated, the inputs nothing listens to and the functions that failed. In time order, deterministic.
 */

export interface TimelineRun {
  readonly at: string;
  readonly pipeline: string;
  /** What started it, such as `scheduled NightlyRetraining`. */
  readonly trigger: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly correlationId: string;
}

export interface TimelineDecision {
  readonly at: string;
  readonly pipeline: string;
  readonly trigger: string;
  /** `suppressed`, `deferred`, `rejected`, `missed-deadline`, `skipped`, ...: what was decided instead of a start. */
  readonly outcome: string;
  readonly reason: string;
  /** The request a run that waits for approval is answered under (`approve` / `reject` lines name it). */
  readonly request?: string;
  /** The firing a `missed-deadline` or `skipped` decision answered: the deadline, or the schedule's firing. */
  readonly firing?: string;
  /** When the trigger last took an object, on a `missed-deadline` decision; left out when it never did. */
  readonly lastArrival?: string;
  /** The execution within the window that made a scheduled trigger's firing `skipped`. */
  readonly counted?: { readonly executionArn: string; readonly status: string; readonly startedAt?: string };
}

export interface TimelineRejectedLine {
  /** The line's time, or null when its time could not be read. */
  readonly at: string | null;
  readonly line: number;
  readonly field: string;
  readonly problem: string;
}

export interface TimelineUnheard {
  readonly at: string;
  readonly line: number;
  /** The input nothing listens to, such as `s3://bucket/key`. */
  readonly what: string;
}

export interface TimelineError {
  readonly at: string;
  readonly function: string;
  readonly message: string;
}

export interface Timeline {
  readonly runs: readonly TimelineRun[];
  readonly decisions: readonly TimelineDecision[];
  readonly rejected: readonly TimelineRejectedLine[];
  readonly nothingListens: readonly TimelineUnheard[];
  readonly errors: readonly TimelineError[];
}

/** A timeline's items with their times in epoch milliseconds, in any order. */
export interface TimelineParts {
  readonly runs?: readonly (Omit<TimelineRun, 'at'> & { readonly atMs: number })[];
  readonly decisions?: readonly (Omit<TimelineDecision, 'at'> & { readonly atMs: number })[];
  readonly rejected?: readonly (Omit<TimelineRejectedLine, 'at'> & { readonly atMs?: number })[];
  readonly nothingListens?: readonly (Omit<TimelineUnheard, 'at'> & { readonly atMs: number })[];
  readonly errors?: readonly (Omit<TimelineError, 'at'> & { readonly atMs: number })[];
}

/** A time as the timeline writes it: ISO 8601 in UTC, milliseconds only when there are some. */
export function timelineTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

type Keyed = { readonly atMs?: number };
const byTimeThen = <T extends Keyed>(...keys: ((item: T) => string | number)[]) => (a: T, b: T): number => {
  const time = (a.atMs ?? -Infinity) - (b.atMs ?? -Infinity);
  if (time !== 0 && !Number.isNaN(time)) return time;
  for (const key of keys) {
    const [x, y] = [key(a), key(b)];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
};

function withAt<T extends Keyed>(items: readonly T[] | undefined, order: (a: T, b: T) => number): (Omit<T, 'atMs'> & { at: string })[] {
  return [...(items ?? [])].sort(order).map(({ atMs, ...rest }) => ({ at: timelineTime(atMs ?? 0), ...rest }));
}

/**
 * The timeline of `parts`: each list in time order, ties broken by the item's own fields, so that the same
 * simulation always reads the same. A rejected line whose time could not be read comes first, with `at` null.
 */
export function buildTimeline(parts: TimelineParts): Timeline {
  const rejected = [...(parts.rejected ?? [])]
    .sort(byTimeThen((item) => item.line, (item) => item.field))
    .map(({ atMs, ...rest }) => ({ at: atMs === undefined ? null : timelineTime(atMs), ...rest }));
  return {
    runs: withAt(parts.runs, byTimeThen((run) => run.pipeline, (run) => run.trigger, (run) => run.correlationId)),
    decisions: withAt(parts.decisions, byTimeThen((d) => d.pipeline, (d) => d.trigger, (d) => d.outcome, (d) => d.reason)),
    rejected,
    nothingListens: withAt(parts.nothingListens, byTimeThen((item) => item.line, (item) => item.what)),
    errors: withAt(parts.errors, byTimeThen((error) => error.function, (error) => error.message)),
  };
}

/** One line of the rendered text, before it is sorted with the others. */
interface Row {
  readonly at: string | null;
  /** Where a row goes among rows at the same time: rejections, unheard inputs, runs, decisions, errors. */
  readonly rank: number;
  readonly index: number;
  readonly label: string;
  readonly text: string;
}

const LABEL_WIDTH = 10;
const COORDINATOR_PARAMETERS: ReadonlySet<string> = new Set(['TriggerType', 'TriggerReason', 'TriggerPriority', 'RunSequence']);
const TIME_WIDTH = 20;

/** The time column: `2024-01-29 03:00:00Z`, or `-` for a line whose time could not be read. */
function clock(at: string | null): string {
  return (at === null ? '-' : at.replace('T', ' ')).padEnd(TIME_WIDTH);
}

const plural = (count: number, one: string, many = `${one}s`): string => `${count} ${count === 1 ? one : many}`;

/**
 * The timeline as text for a person: one line per item in time order (at the same time: rejected lines,
 * inputs nothing listens to, runs, decisions, errors), then a summary of the counts.
 */
export function renderTimeline(timeline: Timeline): string {
  const rows: Row[] = [
    ...timeline.rejected.map((item, index) => ({
      at: item.at, rank: 0, index, label: 'rejected', text: `line ${item.line}  ${item.field}: ${item.problem}`,
    })),
    ...timeline.nothingListens.map((item, index) => ({
      at: item.at, rank: 1, index, label: 'unheard', text: `line ${item.line}  nothing listens to ${item.what}`,
    })),
    ...timeline.runs.map((run, index) => {
      // The coordinator's own parameters (type, reason, priority, sequence) repeat what the line says; the JSON keeps them.
      const parameters = Object.entries(run.parameters).filter(([name]) => !COORDINATOR_PARAMETERS.has(name)).map(([name, value]) => `${name}=${value}`).join(' ');
      return {
        at: run.at, rank: 2, index, label: 'run',
        text: `${run.pipeline}  (${run.trigger})  ${parameters === '' ? '(no parameters)' : parameters}${run.correlationId ? `  [corr ${run.correlationId}]` : ''}`,
      };
    }),
    ...timeline.decisions.map((decision, index) => ({
      at: decision.at, rank: 3, index, label: decision.outcome,
      text: `${decision.pipeline}  (${decision.trigger})  ${decision.reason}${decision.request ? `  [request ${decision.request}]` : ''}`,
    })),
    ...timeline.errors.map((error, index) => ({
      at: error.at, rank: 4, index, label: 'error', text: `${error.function}: ${error.message}`,
    })),
  ];
  rows.sort((a, b) => {
    if (a.at !== b.at) return a.at === null ? -1 : b.at === null ? 1 : Date.parse(a.at) - Date.parse(b.at) || (a.at < b.at ? -1 : 1);
    return a.rank - b.rank || a.index - b.index;
  });
  const lines = rows.map((row) => `${clock(row.at)}  ${row.label.padEnd(LABEL_WIDTH)}  ${row.text}`.trimEnd());
  const summary = [
    plural(timeline.runs.length, 'run'),
    plural(timeline.decisions.length, 'decision'),
    plural(timeline.rejected.length, 'rejected line'),
    plural(timeline.nothingListens.length, 'input nothing listens to', 'inputs nothing listens to'),
    plural(timeline.errors.length, 'error'),
  ].join(', ');
  return [...lines, summary].join('\n');
}
