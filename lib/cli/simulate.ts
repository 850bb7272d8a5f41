import * as fs from 'node:fs';
import * as path from 'node:path';
import { simulate } from '../simulator/simulator';
import { renderTimeline } from '../simulator/timeline';
import type { CommandValues } from './args';

type Out = (line: string) => void;

/**
 * `simulate`: the events file replayed against the synthesized app. Prints the timeline (or its JSON);
 * exits 1 when a handler threw or an events line was rejected, 2 when the arguments cannot be used.
 */
export async function simulateCommand(options: CommandValues<'simulate'>, out: Out, err: Out, parseIsoTime: (text: string) => number | undefined): Promise<number> {
  const assemblyDir = path.resolve(options.app ?? 'cdk.out');
  if (!fs.existsSync(path.join(assemblyDir, 'manifest.json'))) {
    err(`error: ${assemblyDir} holds no synthesized app (manifest.json): run \`cdk synth\` first, or give --app`);
    return 2;
  }
  const untilMs = options.until === undefined ? undefined : parseIsoTime(options.until);
  if (options.until !== undefined && untilMs === undefined) {
    err(`error: --until must be an ISO 8601 time such as 2024-02-05T00:00:00Z, got ${JSON.stringify(options.until)}`);
    return 2;
  }
  const fromMs = options.from === undefined ? undefined : parseIsoTime(options.from);
  if (options.from !== undefined && fromMs === undefined) {
    err(`error: --from must be an ISO 8601 time such as 2024-01-29T00:00:00Z, got ${JSON.stringify(options.from)}`);
    return 2;
  }
  if (fromMs !== undefined && untilMs !== undefined && untilMs < fromMs) {
    err(`error: --until (${options.until}) is before --from (${options.from})`);
    return 2;
  }
  let events: string;
  try {
    events = fs.readFileSync(options.events, 'utf8');
  } catch (error) {
    err(`error: cannot read --events ${options.events}: ${(error as Error).message}`);
    return 2;
  }
  const result = await simulate({ assemblyDir, stackName: options.stack, events, fromMs, untilMs, baseDir: path.dirname(path.resolve(options.events)) });
  out(options.json ? JSON.stringify(result.timeline, null, 2) : renderTimeline(result.timeline));
  return result.timeline.errors.length > 0 || result.timeline.rejected.length > 0 ? 1 : 0;
}
