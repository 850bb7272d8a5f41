import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Timeline } from '../../lib/testing';

const COMMAND = path.join(__dirname, '..', '..', 'bin', 'cdk-ml-triggers.js');
const TIMEOUT = 300_000;

interface Exit {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `cdk-ml-triggers simulate <args>` in a process of its own. */
function simulate(...args: string[]): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(process.execPath, [COMMAND, 'simulate', ...args], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('cdk-ml-triggers simulate', () => {
  let dir: string;
  let assembly: string;

  /** An events file of `lines` in the test's folder. */
  const eventsFile = (name: string, lines: readonly string[]): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, lines.join('\n'));
    return file;
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-cli-simulate-'));
    const app = new App({ outdir: path.join(dir, 'cdk.out') });
    new sns.Topic(new Stack(app, 'Quiet'), 'Topic');
    assembly = app.synth().directory;
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('explains --events in its help', async () => {
    // Act
    const { code, stdout } = await simulate('--help');

    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain('--events <file>');
  }, TIMEOUT);

  test('exits 2 with a usage line when --events is missing', async () => {
    // Act
    const { code, stderr } = await simulate('--app', assembly);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain('--events is required');
    expect(stderr).toMatch(/^usage: cdk-ml-triggers simulate /m);
  }, TIMEOUT);

  test('exits 2 naming the folder when --app holds no manifest.json', async () => {
    // Prepare
    const empty = fs.mkdtempSync(path.join(dir, 'empty-'));

    // Act
    const { code, stderr } = await simulate('--app', empty, '--events', eventsFile('unused.jsonl', []));

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain(empty);
    expect(stderr).toContain('manifest.json');
  }, TIMEOUT);

  test('exits 2 when --until is not a time', async () => {
    // Act
    const { code, stderr } = await simulate('--app', assembly, '--events', eventsFile('until.jsonl', []), '--until', 'next tuesday');

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain('--until must be an ISO 8601 time');
  }, TIMEOUT);

  test('exits 2 when --until is before --from', async () => {
    // Act
    const { code, stderr } = await simulate('--app', assembly, '--events', eventsFile('order.jsonl', []), '--from', '2024-01-30T00:00:00Z', '--until', '2024-01-29T00:00:00Z');

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain('--until (2024-01-29T00:00:00Z) is before --from (2024-01-30T00:00:00Z)');
  }, TIMEOUT);

  test('exits 1 and names the line and field of a malformed line in its text', async () => {
    // Prepare
    const file = eventsFile('malformed.jsonl', [
      '{"at": "2024-01-29T09:00:00Z", "pipelineSucceeded": "upstream"}',
      '{"at": "2024-01-29T09:05:00Z", "s3": {"bucket": "Bad_Bucket", "key": "k"}}',
    ]);

    // Act
    const { code, stdout } = await simulate('--app', assembly, '--events', file, '--until', '2024-01-29T10:00:00Z');

    // Assess
    expect(code).toBe(1);
    expect(stdout).toMatch(/rejected\s+line 2 {2}s3\.bucket: /);
    expect(stdout).toContain('1 rejected line');
  }, TIMEOUT);

  test('prints the timeline as JSON with --json, and rejects a report that is no file', async () => {
    // Prepare
    const file = eventsFile('report.jsonl', [
      '{"at": "2024-01-29T09:00:00Z", "alarm": {"name": "some-alarm", "state": "ALARM"}, "report": "no-such-report.json"}',
      '{"at": "2024-01-29T09:01:00Z", "alarm": {"name": "some-alarm", "state": "OK"}}',
    ]);

    // Act
    const { code, stdout } = await simulate('--app', assembly, '--events', file, '--until', '2024-01-29T10:00:00Z', '--json');

    // Assess
    const timeline = JSON.parse(stdout) as Timeline;
    expect(code).toBe(1);
    for (const list of [timeline.runs, timeline.decisions, timeline.rejected, timeline.nothingListens, timeline.errors]) expect(Array.isArray(list)).toBe(true);
    expect(timeline.rejected).toEqual([{ at: '2024-01-29T09:00:00Z', line: 1, field: 'report', problem: `is no file: ${path.join(dir, 'no-such-report.json')}` }]);
    expect(timeline.nothingListens.map((item) => [item.line, item.what])).toEqual([[2, 'alarm some-alarm']]);
  }, TIMEOUT);

  test('exits 0 when every line was simulated', async () => {
    // Prepare
    const file = eventsFile('clean.jsonl', ['{"at": "2024-01-29T09:00:00Z", "pipelineSucceeded": "upstream"}']);

    // Act
    const { code, stdout } = await simulate('--app', assembly, '--events', file, '--until', '2024-01-29T10:00:00Z');

    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain('nothing listens to success of pipeline upstream');
  }, TIMEOUT);
});
