import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

const USAGE = `usage: cdk-ml-triggers <approve|reject> --function <coordinator function name or ARN> --pipeline <name> --request <request id> [--region <region>]

Answers the run that waits for approval at a RetrainingCoordinator. The approval notification names
all three values. Approving starts the run; rejecting clears it. Either lets the pipeline run again.`;

/** Reads `--name value` pairs; unknown or missing values are reported, never guessed. */
export function parseArgs(argv: readonly string[]): { verb: string; options: Record<string, string> } | { error: string } {
  const [verb, ...rest] = argv;
  if (verb !== 'approve' && verb !== 'reject') return { error: `unknown command ${JSON.stringify(verb ?? '')}` };
  const options: Record<string, string> = {};
  for (let i = 0; i < rest.length; i += 2) {
    const name = rest[i];
    if (!['--function', '--pipeline', '--request', '--region'].includes(name)) return { error: `unknown option ${name}` };
    if (rest[i + 1] === undefined || rest[i + 1].startsWith('--')) return { error: `${name} needs a value` };
    options[name.slice(2)] = rest[i + 1];
  }
  for (const required of ['function', 'pipeline', 'request']) {
    if (!options[required]) return { error: `--${required} is required` };
  }
  return { verb, options };
}

/** Runs the command; returns the process exit code (0 done, 1 refused or failed, 2 usage). */
export async function main(argv: readonly string[], out: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Promise<number> {
  const parsed = parseArgs(argv);
  if ('error' in parsed) {
    out(`${parsed.error}\n\n${USAGE}`);
    return 2;
  }
  const { verb, options } = parsed;
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
