import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Agenda } from './agenda';
import { readAssembly } from './assembly';
import { VirtualClock } from './clock';
import { recordedDecisions } from './decisions';
import { parseEventsFile, type EventsFile } from './events-file';
import { FunctionHost } from './function-host';
import type { QueueReport } from './queues';
import { firings } from './schedules';
import { startServices, type Services } from './services';
import { buildTimeline, type Timeline, type TimelineParts } from './timeline';
import { World, type Recorded } from './world';

const DAY_MS = 86_400_000;
/** More firings than this of one schedule means a mistake in `until`, not a simulation worth running. */
const MAX_FIRINGS = 200_000;

export interface SimulateOptions {
  /** The cloud assembly: `cdk.out`, or the `outdir` of an `App` that was synthesized. */
  readonly assemblyDir: string;
  /** Simulate this stack only. @default every stack of the assembly */
  readonly stackName?: string;
  /** The events file's text: JSON lines, see `parseEventsFile`. */
  readonly events: string;
  /** Where the `report` paths of alarm lines are read from. @default the current directory */
  readonly baseDir?: string;
  /** When the clock starts. @default the start (00:00Z) of the first line's day */
  readonly fromMs?: number;
  /** When the clock stops. @default a day after the last line */
  readonly untilMs?: number;
  /** Told of every function invocation, with its payload, in order (for measuring the handlers alone). */
  readonly onInvoke?: (functionName: string, payload: unknown) => void;
}

export interface SimulationResult {
  readonly timeline: Timeline;
  /** Handler invocations, schedule firings and lines processed. */
  readonly stats: { readonly invocations: number; readonly firings: number; readonly lines: number; readonly fromMs: number; readonly untilMs: number };
  /** Resource types of the app that move events the simulator does not run, with their count. */
  readonly notSimulated: Readonly<Record<string, number>>;
  /** The queues event source mappings poll, with their pollers' settings and every message they held; none without such queues. */
  readonly queues: readonly QueueReport[];
}

/**
 * Replays `events` against the synthesized app: the bundled handlers run against local services, on a virtual
 * clock that jumps from one thing happening to the next. Schedules fire by themselves; queues are polled in
 * batches, as Lambda's poller does; every run started succeeds at once unless its line says `"fail": true`.
 */
export async function simulate(options: SimulateOptions): Promise<SimulationResult> {
  const stacks = readAssembly(options.assemblyDir, { stackName: options.stackName });
  const baseDir = options.baseDir ?? process.cwd();
  const parsed = withReports(parseEventsFile(options.events), baseDir);
  // A rejected line's time, when it could be read, still says when the events happen: a file whose every line is
  // rejected is simulated over its own days, not over today's.
  const times = [...parsed.lines.map((line) => line.atMs), ...parsed.rejected.flatMap((line) => (line.atMs === undefined ? [] : [line.atMs]))];
  const fallbackMs = options.untilMs ?? Date.now();
  const fromMs = options.fromMs ?? Math.floor((times.length ? Math.min(...times) : fallbackMs) / DAY_MS) * DAY_MS;
  const untilMs = options.untilMs ?? (times.length ? Math.max(...times) + DAY_MS : fromMs + DAY_MS);
  if (untilMs < fromMs) throw new Error(`until (${new Date(untilMs).toISOString()}) is before the simulation starts (${new Date(fromMs).toISOString()})`);
  const [first] = stacks;
  const region = first?.region ?? 'us-east-1';
  const account = first?.account ?? '123456789012';

  const clock = new VirtualClock(fromMs);
  const recorded: Recorded = { runs: [], decisions: [], nothingListens: [], errors: [] };
  let world: World | undefined;
  let services: Services | undefined;
  clock.install();
  const restoreIds = deterministicIds();
  try {
    services = await startServices({
      region,
      account,
      now: () => clock.now(),
      invoke: async (functionName, payload) => world!.invokeForLambda(functionName, payload),
      publish: async (topicArn, message, subject) => {
        await world!.publish(topicArn, message, subject);
      },
      onRunStarted: (run) => world!.runStarted(run),
      onReplayStarted: (request) => world!.replayStarted(request),
      ruleState: (busName, ruleName) => world!.ruleState(busName, ruleName),
      startOutcome: () => 'succeed',
    });
    const host = new FunctionHost({ environment: { ...services.environment, POWERTOOLS_METRICS_DISABLED: 'true' }, region, account, now: () => clock.now() });
    for (const stack of stacks) for (const fn of stack.functions) host.add(fn);
    await services.createTables(stacks.flatMap((stack) => stack.tables));
    await services.createBuckets([...new Set([...stacks.flatMap((stack) => stack.buckets.map((bucket) => bucket.bucketName))])]);
    services.putParameters(stacks.flatMap((stack) => stack.parameters));

    const agenda = new Agenda();
    for (const input of parsed.lines) agenda.add({ kind: 'line', atMs: input.atMs, input });
    let firingCount = 0;
    for (const stack of stacks) {
      for (const schedule of stack.schedules) {
        // A disabled schedule's firings too: a redeployment in the events file may enable it; the world skips those of a disabled one.
        const at = firings({ ...schedule, enabled: true }, fromMs, untilMs, MAX_FIRINGS + 1);
        if (at.length > MAX_FIRINGS) throw new Error(`schedule ${schedule.logicalId} fires more than ${MAX_FIRINGS} times before until: bring until closer`);
        for (const atMs of at) agenda.add({ kind: 'schedule', atMs, stack, schedule });
        firingCount += at.length;
      }
    }
    world = new World({ stacks, services, host, agenda, clock, recorded, region, account, baseDir, onInvoke: options.onInvoke });
    for (let item = agenda.next(); item !== undefined && item.atMs <= untilMs; item = agenda.next()) {
      clock.set(item.atMs);
      await world.happen(item);
    }
    world.queues.finish(untilMs);
    const tables = stacks.flatMap((stack) => stack.functions.filter((fn) => fn.environment.COORDINATOR_POLICY !== undefined).map((fn) => fn.environment.COORDINATOR_TABLE_NAME));
    const decisions = await recordedDecisions(services.environment.AWS_ENDPOINT_URL_DYNAMODB, tables);
    const parts: TimelineParts = {
      runs: recorded.runs,
      decisions: [
        ...recorded.decisions,
        ...decisions
          .filter((decision) => decision.outcome !== 'started' || decision.reason !== 'started')
          .map((decision) => ({
            atMs: decision.atMs,
            pipeline: decision.pipelineName,
            trigger: decision.triggerType,
            outcome: decision.outcome === 'started' ? decision.reason : decision.outcome,
            reason: decision.reason === decision.outcome ? decision.requestReason : `${decision.reason}: ${decision.requestReason}`,
            ...(decision.outcome === 'awaiting-approval' ? { request: decision.requestId } : {}),
          })),
      ],
      rejected: parsed.rejected.map(({ line, field, problem, atMs }) => ({ line, field, problem, ...(atMs !== undefined ? { atMs } : {}) })),
      nothingListens: recorded.nothingListens,
      errors: recorded.errors,
    };
    const notSimulated: Record<string, number> = {};
    for (const stack of stacks) for (const [type, count] of Object.entries(stack.notSimulated)) notSimulated[type] = (notSimulated[type] ?? 0) + count;
    return {
      timeline: buildTimeline(parts),
      stats: { invocations: world.invocations, firings: firingCount, lines: parsed.lines.length, fromMs, untilMs },
      notSimulated,
      queues: world.queues.report(),
    };
  } finally {
    restoreIds();
    clock.uninstall();
    await services?.stop();
  }
}

/**
 * Makes `crypto.randomUUID` count instead of draw, until the returned function restores it: the ids the
 * handlers make (a batch's id, in its manifest's name) are then the same in every simulation of the same events.
 */
function deterministicIds(): () => void {
  // The module object itself, not an import's copy of it: the bundles read `randomUUID` from it at each call.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const crypto = require('node:crypto') as { randomUUID: () => string };
  const original = crypto.randomUUID;
  let count = 0;
  const next = (): string => {
    const hex = createHash('sha256').update(`simulated-id#${count++}`).digest('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  };
  crypto.randomUUID = next;
  return () => {
    crypto.randomUUID = original;
  };
}

/** The events with each alarm line's `report` checked: a line whose report is not a readable file is rejected. */
function withReports(parsed: EventsFile, baseDir: string): EventsFile {
  const missing = parsed.lines.filter((line) => line.kind === 'alarm' && line.report !== undefined && !fs.existsSync(path.resolve(baseDir, line.report)));
  return {
    lines: parsed.lines.filter((line) => !missing.includes(line)),
    rejected: [
      ...parsed.rejected,
      ...missing.map((line) => ({ line: line.line, field: 'report', problem: `is no file: ${path.resolve(baseDir, (line as { report: string }).report)}`, atMs: line.atMs })),
    ],
  };
}

/** The assembly folder of a path given on the command line: `cdk.out` when it is a project folder. */
export function assemblyDirOf(given: string | undefined): string {
  return path.resolve(given ?? 'cdk.out');
}
