import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { explainDecisions } from '../../lambda/core/explain';
import { DecisionLog } from '../../lambda/aws/adapters/decision-log';
import { version } from '../../package.json';
import { simulateCommand } from './simulate';
import { commandHelp, parseCommandLine, programHelp, usageErrorText, type CommandValues, type UsageError } from './args';

const DAY_MS = 24 * 3_600_000;

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

const usageError = (err: Out, problem: UsageError): number => {
  err(usageErrorText(problem));
  return 2;
};

/**
 * Runs the command; returns the process exit code (0 done, 1 refused or failed, 2 usage). Answers,
 * help and the version go to `out`; usage errors and failures to `err`.
 */
export async function main(
  argv: readonly string[],
  out: Out = (line) => process.stdout.write(`${line}\n`),
  now: () => number = Date.now,
  err: Out = (line) => process.stderr.write(`${line}\n`),
): Promise<number> {
  const request = parseCommandLine(argv);
  if ('error' in request) return usageError(err, request);
  if (request.kind === 'version') out(version);
  if (request.kind === 'help') out(request.command ? commandHelp(request.command) : programHelp(version));
  if (request.kind !== 'run') return 0;
  if (request.command === 'explain') return explain(request.values, out, err, now);
  if (request.command === 'baseline') return buildBaseline(request.values, out, err);
  if (request.command === 'simulate') return simulateCommand(request.values, out, err, parseIsoTime);
  return answerApproval(request.command, request.values, out, err);
}

async function explain(options: CommandValues<'explain'>, out: Out, err: Out, now: () => number): Promise<number> {
  const toMs = options.to === undefined ? now() : parseIsoTime(options.to);
  if (toMs === undefined) return usageError(err, { error: `--to must be an ISO 8601 time such as 2027-03-01T06:00:00Z, got ${JSON.stringify(options.to)}`, command: 'explain' });
  const fromMs = options.from === undefined ? toMs - DAY_MS : parseIsoTime(options.from);
  if (fromMs === undefined) return usageError(err, { error: `--from must be an ISO 8601 time such as 2027-03-01T00:00:00Z, got ${JSON.stringify(options.from)}`, command: 'explain' });
  if (fromMs > toMs) return usageError(err, { error: `--from must not be after --to, got ${options.from} after ${options.to ?? 'now'}`, command: 'explain' });

  const client = new DynamoDBClient(options.region ? { region: options.region } : {});
  try {
    // Reading never writes an expiry, so the log's retention does not matter here.
    const records = await new DecisionLog(client, options.table, 0).read(options.pipeline, fromMs, toMs);
    const explanation = explainDecisions(options.pipeline, fromMs, toMs, records);
    if (options.json) out(JSON.stringify(explanation, null, 2));
    else for (const line of explanation.lines) out(line);
    return 0;
  } catch (error) {
    err(`could not read the decision log in table ${options.table}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    client.destroy();
  }
}

async function answerApproval(verb: 'approve' | 'reject', options: CommandValues<'approve'>, out: Out, err: Out): Promise<number> {
  const client = new LambdaClient(options.region ? { region: options.region } : {});
  const response = await client.send(
    new InvokeCommand({
      FunctionName: options.function,
      Payload: new TextEncoder().encode(JSON.stringify({ action: verb, pipelineName: options.pipeline, requestId: options.request })),
    }),
  );
  const body = response.Payload ? JSON.parse(new TextDecoder().decode(response.Payload)) : {};
  if (response.FunctionError) {
    err(`the coordinator failed: ${body.errorMessage ?? response.FunctionError}`);
    return 1;
  }
  out(JSON.stringify(body, null, 2));
  if (body.status === 'rejected') return 1;
  const answered = body.reason === 'approved' || body.reason === 'started' || body.reason === 'rejected';
  if (!answered) out(`no run of ${options.pipeline} waits for approval under request ${options.request}; nothing changed`);
  return answered ? 0 : 1;
}

async function buildBaseline(options: CommandValues<'baseline'>, out: Out, err: Out): Promise<number> {
  const client = new LambdaClient(options.region ? { region: options.region } : {});
  try {
    const response = await client.send(new InvokeCommand({ FunctionName: options.function, Payload: new TextEncoder().encode(JSON.stringify({ action: 'baseline' })) }));
    const body = response.Payload ? JSON.parse(new TextDecoder().decode(response.Payload)) : {};
    if (response.FunctionError) {
      err(`the monitor failed: ${body.errorMessage ?? response.FunctionError}`);
      return 1;
    }
    out(JSON.stringify(body, null, 2));
    return body.status === 'rejected' ? 1 : 0;
  } finally {
    client.destroy();
  }
}
