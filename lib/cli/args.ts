import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * The command line's grammar: each command's options, its usage and help text (derived from the same
 * table, so the two cannot disagree), and one parser on `util.parseArgs` that turns argv into a typed
 * request or a one-line usage error.
 */

const PROGRAM = 'cdk-ml-triggers';

/** One option of a command: a string value unless `flag`, required when `required`. */
interface OptionSpec {
  readonly value?: string;
  readonly required?: boolean;
  readonly flag?: boolean;
  readonly help: string;
}

interface CommandSpec {
  /** The name in the usage line: approve and reject share one. */
  readonly usageName: string;
  readonly summary: string;
  readonly description: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
}

const REGION = { value: 'region', help: 'AWS Region; by default the one the AWS SDK finds (AWS_REGION, the profile).' } as const;

const APPROVAL = {
  usageName: '<approve|reject>',
  description: `Answers the run that waits for approval at a RetrainingCoordinator. The approval notification names
all three values. Approving starts the run; rejecting clears it. Either lets the pipeline run again.
Exits 0 when the run was answered, 1 when the coordinator refused or no run waits under that request.`,
  options: {
    function: { value: 'coordinator function name or ARN', required: true, help: "The coordinator's function." },
    pipeline: { value: 'name', required: true, help: 'The SageMaker pipeline whose run waits.' },
    request: { value: 'request id', required: true, help: 'The request id in the approval notification.' },
    region: REGION,
  },
} as const;

export const COMMANDS = {
  approve: { ...APPROVAL, summary: 'start the run that waits for approval at a coordinator' },
  reject: { ...APPROVAL, summary: 'clear the run that waits for approval, without starting it' },
  explain: {
    usageName: 'explain',
    summary: "say why a pipeline did or did not run, from the coordinator's decision log",
    description: `Says why the pipeline did or did not run between --from and --to, from the decision log in the
coordinator's table (its \`table\` property). Times are ISO 8601 in UTC or with an offset, e.g.
2027-03-01 or 2027-03-01T06:00:00Z.`,
    options: {
      table: { value: 'coordinator table name', required: true, help: "The coordinator's DynamoDB table." },
      pipeline: { value: 'name', required: true, help: 'The pipeline to explain.' },
      from: { value: 'ISO time', help: 'Start of the window; by default 24 hours before --to.' },
      to: { value: 'ISO time', help: 'End of the window; by default now.' },
      region: REGION,
      json: { flag: true, help: 'Print the counts and lines as one JSON document.' },
    },
  },
  baseline: {
    usageName: 'baseline',
    summary: "build a DriftMonitor's baseline again from its training sample",
    description: `Builds the drift monitor's baseline again from its training sample (or Model Monitor statistics),
now, instead of at its next run after the sample changed. Prints the rows and features read.
Exits 0 when the baseline was built, 1 when the monitor's function failed.`,
    options: {
      function: { value: 'monitor function name or ARN', required: true, help: "The monitor's function (its `function` property)." },
      region: REGION,
    },
  },
  simulate: {
    usageName: 'simulate',
    summary: 'replay events against a synthesized app, offline, and print what would run',
    description: `Replays the events in --events (JSON lines: s3, event, alarm, pipelineSucceeded, approve, reject,
each with an \`at\` time) against the synthesized app in --app, running the same bundled handler code that
deploys against local services, on a virtual clock: schedules and batch flushes fire by themselves. Prints
every run with its trigger and parameters, and every suppression, deferral and rejection with its reason.
Needs the optional packages dynalite and s3rver. Exits 0 when every handler answered, 1 when one threw
or an events line was rejected.`,
    options: {
      app: { value: 'cloud assembly folder', help: 'The synthesized app; cdk.out by default.' },
      stack: { value: 'stack name', help: 'Simulate this stack only; all of the app by default.' },
      events: { value: 'file', required: true, help: 'The events, one JSON object per line.' },
      from: { value: 'ISO time', help: "Start the clock here; by default at 00:00Z of the first event's day." },
      until: { value: 'ISO time', help: 'Stop the clock here; by default a day after the last event.' },
      json: { flag: true, help: 'Print the timeline as one JSON document.' },
    },
  },
} as const satisfies Readonly<Record<string, CommandSpec>>;

export type CommandName = keyof typeof COMMANDS;
const isCommand = (name: string): name is CommandName => Object.hasOwn(COMMANDS, name);

type OptionsOf<C extends CommandName> = (typeof COMMANDS)[C]['options'];

/** A command's option values as parsed: flags are booleans, required options are present. */
export type CommandValues<C extends CommandName> = {
  readonly [K in keyof OptionsOf<C>]: OptionsOf<C>[K] extends { flag: true } ? boolean : OptionsOf<C>[K] extends { required: true } ? string : string | undefined;
};

/** A command to run, with its values; `command` tells which values. */
export type RunRequest = { [C in CommandName]: { readonly kind: 'run'; readonly command: C; readonly values: CommandValues<C> } }[CommandName];

/** What the arguments ask for: a command to run, help (for the program or one command), or the version. */
export type Request = RunRequest | { readonly kind: 'help'; readonly command?: CommandName } | { readonly kind: 'version' };

/** A usage error: one line saying what is wrong, and the command it concerns, if any, for its usage. */
export interface UsageError {
  readonly error: string;
  readonly command?: CommandName;
}

function usageLine(command: CommandName): string {
  const spec: CommandSpec = COMMANDS[command];
  const words = Object.entries(spec.options).map(([name, option]) => {
    const word = option.flag ? `--${name}` : `--${name} <${option.value}>`;
    return option.required ? word : `[${word}]`;
  });
  return `usage: ${PROGRAM} ${[spec.usageName, ...words].join(' ')}`;
}

function programUsage(): string {
  return `usage: ${PROGRAM} <${Object.keys(COMMANDS).join('|')}|help> [options]`;
}

/** The error on one line, the usage it breaks, and where each option is explained. */
export function usageErrorText({ error, command }: UsageError): string {
  return `error: ${error}\n${command ? usageLine(command) : programUsage()}\nmore: ${PROGRAM} ${command ? `${command} ` : ''}--help`;
}

export function commandHelp(command: CommandName): string {
  const spec: CommandSpec = COMMANDS[command];
  const rows: [string, string][] = Object.entries(spec.options).map(([name, option]) => [
    option.flag ? `--${name}` : `--${name} <${option.value}>`,
    option.required ? `${option.help} Required.` : option.help,
  ]);
  rows.push(['-h, --help', 'Show this help.']);
  return `${usageLine(command)}\n\n${spec.description}\n\noptions:\n${table(rows)}`;
}

export function programHelp(version: string): string {
  const rows: [string, string][] = [...Object.entries(COMMANDS).map(([name, spec]): [string, string] => [name, spec.summary]), ['help <command>', "show a command's options"]];
  return `${programUsage()}

The operator command of cdk-ml-triggers ${version}: answers approvals at a RetrainingCoordinator,
explains its decisions, and simulates a synthesized app offline. The commands that reach AWS use the
credentials and Region the AWS SDK finds.

commands:
${table(rows)}

options:
${table([['-h, --help', 'Show this help; after a command, that command\'s.'], ['--version', 'Print the version.']])}`;
}

function table(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`).join('\n');
}

/** `util.parseArgs`' own messages say what is wrong at length; the usage error is one line naming the argument. */
function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'(\S+?)(?: <value>)?'/.exec(message)?.[1];
  const code = (error as { code?: string }).code;
  if (quoted && code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${quoted}`;
  if (quoted && code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument ${JSON.stringify(quoted)}`;
  if (quoted && code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return message.includes('does not take an argument') ? `${quoted} takes no value` : `${quoted} needs a value`;
  }
  return message.split('\n')[0];
}

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/** Reads argv into a request; unknown commands or options and missing values are reported, never guessed. */
export function parseCommandLine(argv: readonly string[]): Request | UsageError {
  const [first, ...rest] = argv;
  if (first === undefined) return { error: 'a command is needed' };
  try {
    if (first.startsWith('-')) {
      const { values } = parseArgs({ args: [...argv], options: { ...HELP, version: { type: 'boolean' } }, strict: true });
      return values.version && !values.help ? { kind: 'version' } : { kind: 'help' };
    }
    if (first === 'help') {
      const { positionals } = parseArgs({ args: rest, options: HELP, strict: true, allowPositionals: true });
      if (positionals.length > 1) return { error: `unexpected argument ${JSON.stringify(positionals[1])}` };
      const [topic] = positionals;
      if (topic === undefined) return { kind: 'help' };
      return isCommand(topic) ? { kind: 'help', command: topic } : { error: `unknown command ${JSON.stringify(topic)}` };
    }
    if (!isCommand(first)) return { error: `unknown command ${JSON.stringify(first)}` };
    return parseCommand(first, rest);
  } catch (error) {
    return { error: describeParseError(error), command: isCommand(first) ? first : undefined };
  }
}

function parseCommand(command: CommandName, args: readonly string[]): Request | UsageError {
  const spec: CommandSpec = COMMANDS[command];
  const config: NonNullable<ParseArgsConfig['options']> = { ...HELP };
  for (const [name, option] of Object.entries(spec.options)) config[name] = { type: option.flag ? 'boolean' : 'string' };
  const { values } = parseArgs({ args: [...args], options: config, strict: true });
  if (values.help) return { kind: 'help', command };
  const parsed: Record<string, string | boolean | undefined> = {};
  for (const [name, option] of Object.entries(spec.options)) {
    const value = values[name];
    // An empty value is as good as none: `--table ""` would only fail later, at AWS.
    if (option.required && !value) return { error: `--${name} is required`, command };
    parsed[name] = option.flag ? value === true : (value as string | undefined);
  }
  // parseArgs checked every type against the same table the values type is derived from.
  return { kind: 'run', command, values: parsed } as RunRequest;
}
