import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { explainDecisions } from '../lambda/core/explain';
import { CoordinatorStore } from '../lambda/coordinator/coordinator-store';

const USAGE = `usage: cdk-ml-triggers <approve|reject> --function <coordinator function name or ARN> --pipeline <name> --request <request id> [--region <region>]
       cdk-ml-triggers explain --table <coordinator table name> --pipeline <name> [--from <ISO time>] [--to <ISO time>] [--region <region>] [--json]

approve, reject: answers the run that waits for approval at a RetrainingCoordinator. The approval
notification names all three values. Approving starts the run; rejecting clears it. Either lets the
pipeline run again.

explain: says why the pipeline did or did not run between --from and --to, from the decision log in
the coordinator's table (its \`table\` property). --to defaults to now, --from to 24 hours before --to.
Times are ISO 8601 in UTC or with an offset, e.g. 2027-03-01 or 2027-03-01T06:00:00Z. --json prints
the counts and lines as JSON.`;

const DAY_MS = 24 * 3_600_000;

/** The options each command takes: `options` carry a value, `flags` do not. */
const COMMANDS: Readonly<Record<string, { options: readonly string[]; flags: readonly string[]; required: readonly string[] }>> = {
  approve: { options: ['function', 'pipeline', 'request', 'region'], flags: [], required: ['function', 'pipeline', 'request'] },
  reject: { options: ['function', 'pipeline', 'request', 'region'], flags: [], required: ['function', 'pipeline', 'request'] },
  explain: { options: ['table', 'pipeline', 'from', 'to', 'region'], flags: ['json'], required: ['table', 'pipeline'] },
};

/** Reads `--name value` pairs and `--flag`s; unknown or missing values are reported, never guessed. */
export function parseArgs(
  argv: readonly string[],
): { verb: string; options: Record<string, string>; flags: readonly string[] } | { error: string } {
  const [verb, ...rest] = argv;
  const command = Object.hasOwn(COMMANDS, verb ?? '') ? COMMANDS[verb] : undefined;
  if (!command) return { error: `unknown command ${JSON.stringify(verb ?? '')}` };
  const options: Record<string, string> = {};
  const flags: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const name = rest[i];
    if (name.startsWith('--') && command.flags.includes(name.slice(2))) {
      flags.push(name.slice(2));
      continue;
    }
    if (!name.startsWith('--') || !command.options.includes(name.slice(2))) return { error: `unknown option ${name}` };
    if (rest[i + 1] === undefined || rest[i + 1].startsWith('--')) return { error: `${name} needs a value` };
    options[name.slice(2)] = rest[++i];
  }
  for (const required of command.required) {
    if (!options[required]) return { error: `--${required} is required` };
  }
  return { verb, options, flags };
}

/**
 * An ISO 8601 date, or date and time with `Z` or an offset, as epoch milliseconds. A time without a
 * zone is refused: JavaScript would read it in the machine's local time zone.
 */
function parseIsoTime(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0));
  // Date.parse rolls 2027-02-30 over into March; the calendar date must exist as written.
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

type Out = (line: string) => void;
const usageError = (out: Out, error: string): number => {
  out(`${error}\n\n${USAGE}`);
  return 2;
};

/** Runs the command; returns the process exit code (0 done, 1 refused or failed, 2 usage). */
export async function main(
  argv: readonly string[],
  out: Out = (line) => process.stdout.write(`${line}\n`),
  now: () => number = Date.now,
): Promise<number> {
  const parsed = parseArgs(argv);
  if ('error' in parsed) return usageError(out, parsed.error);
  if (parsed.verb === 'explain') return explain(parsed.options, parsed.flags.includes('json'), out, now);
  return answerApproval(parsed.verb, parsed.options, out);
}

async function explain(options: Readonly<Record<string, string>>, json: boolean, out: Out, now: () => number): Promise<number> {
  const toMs = options.to === undefined ? now() : parseIsoTime(options.to);
  if (toMs === undefined) return usageError(out, `--to must be an ISO 8601 time such as 2027-03-01T06:00:00Z, got ${JSON.stringify(options.to)}`);
  const fromMs = options.from === undefined ? toMs - DAY_MS : parseIsoTime(options.from);
  if (fromMs === undefined) return usageError(out, `--from must be an ISO 8601 time such as 2027-03-01T00:00:00Z, got ${JSON.stringify(options.from)}`);
  if (fromMs > toMs) return usageError(out, `--from must not be after --to, got ${options.from} after ${options.to ?? 'now'}`);

  const client = new DynamoDBClient(options.region ? { region: options.region } : {});
  try {
    // Reading never writes an expiry, so the store's retention does not matter here.
    const records = await new CoordinatorStore(client, options.table, 0).decisions(options.pipeline, fromMs, toMs);
    const explanation = explainDecisions(options.pipeline, fromMs, toMs, records);
    if (json) out(JSON.stringify(explanation, null, 2));
    else for (const line of explanation.lines) out(line);
    return 0;
  } catch (error) {
    out(`could not read the decision log in table ${options.table}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    client.destroy();
  }
}

async function answerApproval(verb: string, options: Readonly<Record<string, string>>, out: Out): Promise<number> {
  const client = new LambdaClient(options.region ? { region: options.region } : {});
  const response = await client.send(
    new InvokeCommand({
      FunctionName: options.function,
      Payload: new TextEncoder().encode(JSON.stringify({ action: verb, pipelineName: options.pipeline, requestId: options.request })),
    }),
  );
  const body = response.Payload ? JSON.parse(new TextDecoder().decode(response.Payload)) : {};
  if (response.FunctionError) {
    out(`the coordinator failed: ${body.errorMessage ?? response.FunctionError}`);
    return 1;
  }
  out(JSON.stringify(body, null, 2));
  if (body.status === 'rejected') return 1;
  const answered = body.reason === 'approved' || body.reason === 'started' || body.reason === 'rejected';
  if (!answered) out(`no run of ${options.pipeline} waits for approval under request ${options.request}; nothing changed`);
  return answered ? 0 : 1;
}
