/**
 * `cdk-ml-triggers/testing`: the simulator for a team's own tests. Give it an `App` or `Stack` and the
 * events; get back what would run, and why not, as the `simulate` command prints it.
 *
 *   const timeline = await simulateApp(app, [
 *     { at: '2024-01-29T09:05:00Z', s3: { bucket: 'churn-labelled-data', key: 'labels/a.parquet' } },
 *   ], { until: '2024-01-30T00:00:00Z' });
 *   expect(timeline.runs).toHaveLength(1);
 *
 * It needs the optional packages `dynalite` and `s3rver` (`npm install --save-dev dynalite s3rver`).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Stage } from 'aws-cdk-lib';
import type { Timeline } from '../simulator/timeline';

export type { Timeline, TimelineDecision, TimelineError, TimelineRejectedLine, TimelineRun, TimelineUnheard } from '../simulator/timeline';
export { renderTimeline } from '../simulator/timeline';

/** Options of {@link simulateApp}. */
export interface SimulateAppOptions {
  /** Stop the clock here (ISO 8601). @default a day after the last event */
  readonly until?: string;
  /** Start the clock here (ISO 8601). @default the start (00:00Z) of the first event's day */
  readonly from?: string;
  /** Where alarm lines' `report` paths are read from. @default the current directory */
  readonly baseDir?: string;
}

/** One line of the events: an object as the events file holds it. */
export type SimulatedEvent = Readonly<Record<string, unknown>>;

/** The operator command, bundled with the simulator: `bin/cdk-ml-triggers.js` of this package. */
function commandPath(): string {
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'bin', 'cdk-ml-triggers.js');
    if (fs.existsSync(candidate) && fs.existsSync(path.join(dir, 'package.json'))) return candidate;
  }
  throw new Error('cannot find bin/cdk-ml-triggers.js above the testing entry point');
}

/**
 * Synthesizes `scope` (an `App`, or a `Stack` of one: only that stack is simulated) into its app's output folder
 * and replays `events` (objects, or the text of an events file) against it. The simulation runs in a Node.js
 * process of its own, as `cdk-ml-triggers simulate --json` does: the bundled handlers load there as they do in
 * Lambda, whatever module system the test runner gives the test.
 */
export async function simulateApp(scope: App | Stack, events: readonly SimulatedEvent[] | string, options: SimulateAppOptions = {}): Promise<Timeline> {
  const stack = Stack.isStack(scope) ? scope : undefined;
  const stage = Stage.of(scope) ?? (scope as App);
  const text = withReportsFrom(typeof events === 'string' ? events : events.map((event) => JSON.stringify(event)).join('\n'), options.baseDir ?? process.cwd());
  const assembly = (stage as Stage).synth({ force: true });
  const eventsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-ml-triggers-events-'));
  try {
    const eventsFile = path.join(eventsDir, 'events.jsonl');
    fs.writeFileSync(eventsFile, text);
    const args = [commandPath(), 'simulate', '--app', assembly.directory, '--events', eventsFile, '--json'];
    if (stack) args.push('--stack', stack.stackName);
    if (options.from !== undefined) args.push('--from', options.from);
    if (options.until !== undefined) args.push('--until', options.until);
    const { stdout, stderr, status } = await run(process.execPath, args, options.baseDir);
    // Exit 1 with no timeline is an error the command could not get past, not a rejected line or a failed handler.
    if ((status !== 0 && status !== 1) || stdout.trim() === '') throw new Error(`simulate failed (exit ${status}): ${stderr.trim()}`);
    return JSON.parse(stdout) as Timeline;
  } finally {
    fs.rmSync(eventsDir, { recursive: true, force: true });
  }
}

/**
 * The events with each line's relative `report` path made absolute against `baseDir`: the command reads reports
 * next to its events file, and that file is written to a folder of its own. Other lines are left as written, so
 * line numbers stay those of the caller's events.
 */
function withReportsFrom(text: string, baseDir: string): string {
  return text
    .split('\n')
    .map((line) => {
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        return line;
      }
      if (typeof record !== 'object' || record === null || Array.isArray(record)) return line;
      const report = (record as { report?: unknown }).report;
      if (typeof report !== 'string' || report === '' || path.isAbsolute(report)) return line;
      return JSON.stringify({ ...record, report: path.resolve(baseDir, report) });
    })
    .join('\n');
}

function run(command: string, args: readonly string[], cwd: string | undefined): Promise<{ stdout: string; stderr: string; status: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: cwd ?? process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ stdout, stderr, status }));
  });
}
