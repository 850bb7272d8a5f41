import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCommandLine } from '../lib/cli/args';
import { main as cli } from '../lib/cli/index';

const VERSION: string = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version;

/** Runs the command line with stdout and stderr captured; nothing here reaches AWS. */
async function run(...argv: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await cli(argv, (line) => stdout.push(line), Date.now, (line) => stderr.push(line));
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

describe('cdk-ml-triggers help and version', () => {
  test.each([['--help'], ['-h'], ['help']])('%s prints the program help on stdout and exits 0', async (arg) => {
    const { code, stdout, stderr } = await run(arg);

    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^usage: cdk-ml-triggers <approve\|reject\|explain\|baseline\|simulate\|help> \[options\]\n/);
    for (const command of ['approve', 'reject', 'explain', 'baseline', 'help <command>']) expect(stdout).toMatch(new RegExp(`^  ${command} +\\S`, 'm'));
    expect(stdout).toContain(`cdk-ml-triggers ${VERSION}`);
  });

  test.each<[string, string, string[]]>([
    ['approve', 'cdk-ml-triggers <approve|reject> --function', ['--function', '--pipeline', '--request', '--region']],
    ['reject', 'cdk-ml-triggers <approve|reject> --function', ['--function', '--pipeline', '--request', '--region']],
    ['explain', 'cdk-ml-triggers explain --table', ['--table', '--pipeline', '--from', '--to', '--region', '--json']],
  ])('%s --help prints that command\'s usage and every option, without its required options', async (command, usage, options) => {
    const { code, stdout, stderr } = await run(command, '--help');

    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout.split('\n')[0]).toContain(`usage: ${usage}`);
    for (const option of [...options, '-h, --help']) expect(stdout).toMatch(new RegExp(`^  ${option}\\b`, 'm'));
  });

  test('help explain prints the same as explain --help, and -h after options works too', async () => {
    const viaHelp = await run('help', 'explain');
    const viaOption = await run('explain', '--help');
    const viaShort = await run('explain', '--table', 't', '-h');

    expect(viaHelp).toEqual({ code: 0, stdout: viaOption.stdout, stderr: '' });
    expect(viaShort).toEqual(viaHelp);
  });

  test('--version prints the version from package.json and nothing else', async () => {
    expect(await run('--version')).toEqual({ code: 0, stdout: VERSION, stderr: '' });
  });
});

describe('cdk-ml-triggers usage errors', () => {
  test.each<[string, string[], string, string]>([
    ['no command', [], 'error: a command is needed', 'usage: cdk-ml-triggers <approve|reject|explain|baseline|simulate|help>'],
    ['an unknown command', ['deploy'], 'error: unknown command "deploy"', 'usage: cdk-ml-triggers <approve|reject|explain|baseline|simulate|help>'],
    ['help on an unknown command', ['help', 'deploy'], 'error: unknown command "deploy"', 'usage: cdk-ml-triggers <approve|reject|explain|baseline|simulate|help>'],
    ['an unknown program option', ['--verbose'], 'error: unknown option --verbose', 'usage: cdk-ml-triggers <approve|reject|explain|baseline|simulate|help>'],
    ['an unknown option', ['explain', '--table', 't', '--pipeline', 'p', '--since', '2027-03-01'], 'error: unknown option --since', 'usage: cdk-ml-triggers explain --table'],
    ['an option of another command', ['approve', '--table', 't'], 'error: unknown option --table', 'usage: cdk-ml-triggers <approve|reject> --function'],
    ['a missing value at the end', ['explain', '--pipeline', 'p', '--table'], 'error: --table needs a value', 'usage: cdk-ml-triggers explain --table'],
    ['a missing value before the next option', ['reject', '--function', '--pipeline', 'p'], 'error: --function needs a value', 'usage: cdk-ml-triggers <approve|reject> --function'],
    ['a value given to a flag', ['explain', '--table', 't', '--pipeline', 'p', '--json=yes'], 'error: --json takes no value', 'usage: cdk-ml-triggers explain --table'],
    ['a stray argument', ['explain', 'churn', '--table', 't'], 'error: unexpected argument "churn"', 'usage: cdk-ml-triggers explain --table'],
    ['a missing required option', ['approve', '--function', 'f', '--pipeline', 'p'], 'error: --request is required', 'usage: cdk-ml-triggers <approve|reject> --function'],
  ])('%s: one error line and the usage on stderr, exit 2', async (_what, argv, error, usage) => {
    const { code, stdout, stderr } = await run(...argv);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    const [first, second, third] = stderr.split('\n');
    expect(first).toBe(error);
    expect(second).toContain(usage);
    expect(third).toMatch(/^more: cdk-ml-triggers (\w+ )?--help$/);
  });
});

describe('parseCommandLine', () => {
  test('gives typed values: every option of the command, flags as booleans, absent options undefined', () => {
    expect(parseCommandLine(['explain', '--pipeline', 'churn', '--table', 'decisions', '--json'])).toEqual({
      kind: 'run',
      command: 'explain',
      values: { table: 'decisions', pipeline: 'churn', from: undefined, to: undefined, region: undefined, json: true },
    });
    expect(parseCommandLine(['reject', '--function', 'f', '--pipeline', 'p', '--request', 'r', '--region', 'eu-west-1'])).toEqual({
      kind: 'run',
      command: 'reject',
      values: { function: 'f', pipeline: 'p', request: 'r', region: 'eu-west-1' },
    });
  });

  test('takes --name=value and a value that starts with a dash when written that way', () => {
    expect(parseCommandLine(['explain', '--table=t', '--pipeline=-odd-name'])).toMatchObject({ values: { table: 't', pipeline: '-odd-name' } });
  });

  test('an empty value counts as missing', () => {
    expect(parseCommandLine(['explain', '--table', '', '--pipeline', 'p'])).toEqual({ error: '--table is required', command: 'explain' });
  });
});
