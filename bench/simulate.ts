import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readAssembly } from '../lib/simulator/assembly';
import { VirtualClock } from '../lib/simulator/clock';
import { UnknownFunctionError } from '../lib/simulator/endpoints/lambda';
import { parseEventsFile } from '../lib/simulator/events-file';
import { FunctionHost } from '../lib/simulator/function-host';
import type { SimulatedStack } from '../lib/simulator/model';
import { scheduledInput } from '../lib/simulator/schedules';
import { startServices, type Services } from '../lib/simulator/services';
import { simulate } from '../lib/simulator/simulator';
import { machineDescription, table, type BenchmarkSection } from './harness';

const RUNS = 3;
const DAY_MS = 86_400_000;
const EVENTS = path.join(__dirname, '..', 'examples', 'week.jsonl');
const UNTIL = '2024-02-05T00:00:00Z';
const REFERENCE_PROPS = { pipelineName: 'churn-model-training', dataBucketName: 'churn-labelled-data', monitoringBucketName: 'churn-model-monitor', branch: 'main' };

/** One simulation, in order: the invocations, and the requests the simulator sent the services itself. */
type Entry =
  | { readonly kind: 'invoke'; readonly atMs: number; readonly functionName: string; readonly payload: string; readonly nested: boolean }
  | { readonly kind: 'request'; readonly atMs: number; readonly service: 's3' | 'sagemaker'; readonly method: string; readonly path: string; readonly headers: Record<string, string>; readonly body: string };

/** One child's run: wall time of the simulation (or replay), services started and stopped included. */
interface Probe {
  readonly wallMs: number; readonly cpuMs: number; readonly maxRssKiB: number;
  readonly invocations: number; readonly errors: number; readonly lines: number; readonly spanMs: number;
}

/** Where a child finds the app, the events and the recording (which the record child writes). */
interface ChildInput { readonly assemblyDir: string; readonly recording: string; readonly events: string }

/**
 * The simulator's rate on the example week against the reference app, next to the same invocations replayed
 * through the handlers alone (a function host on the same local services and virtual clock, no routing,
 * agenda or schedules). Each run is a child process of its own, so its peak RSS is its own.
 */
export async function benchSimulate(): Promise<BenchmarkSection> {
  const { App } = await import('aws-cdk-lib');
  const { PATH_METADATA_ENABLE_CONTEXT } = await import('aws-cdk-lib/cx-api');
  const { ReferenceStack } = await import('../bin/reference-stack');
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'simulate-bench-'));
  const started = performance.now();
  try {
    const assemblyDir = path.join(directory, 'cdk.out');
    // Construct paths in the metadata, as `cdk synth` writes them: the week's alarm line names its alarm by path.
    const app = new App({ outdir: assemblyDir, context: { [PATH_METADATA_ENABLE_CONTEXT]: true } });
    new ReferenceStack(app, 'MlTriggersReference', REFERENCE_PROPS);
    app.synth();
    const script = await bundleChild(directory);
    const input: ChildInput = { assemblyDir, recording: path.join(directory, 'recording.json'), events: EVENTS };
    const inputFile = path.join(directory, 'input.json');
    fs.writeFileSync(inputFile, JSON.stringify(input));

    await runChild(script, 'record', inputFile);
    const recording = JSON.parse(fs.readFileSync(input.recording, 'utf8')) as Entry[];
    const [simulated, replayed]: Probe[][] = [[], []];
    // Alternating, so a change in the machine's load falls on both sides alike.
    for (let run = 0; run < RUNS; run++) {
      simulated.push(await runChild(script, 'simulate', inputFile));
      replayed.push(await runChild(script, 'replay', inputFile));
    }
    return { title: 'Simulator: the example week against the reference app', body: report(simulated, replayed, recording, readAssembly(assemblyDir), (performance.now() - started) / 60_000) };
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

function report(simulated: readonly Probe[], replayed: readonly Probe[], recording: readonly Entry[], stacks: readonly SimulatedStack[], minutes: number): string {
  const invokes = recording.filter((entry): entry is Extract<Entry, { kind: 'invoke' }> => entry.kind === 'invoke');
  const nested = invokes.filter((entry) => entry.nested).length;
  const requests = recording.length - invokes.length;
  const [sim, base] = [figures(simulated), figures(replayed)];
  const over = (key: 'wall' | 'cpu') => `${sim[key].median >= base[key].median ? '+' : ''}${((sim[key].median / base[key].median - 1) * 100).toFixed(1)}%`;
  const count = (value: number) => value.toLocaleString('en-US');
  const busy = os.loadavg()[0] >= os.cpus().length * 0.75;
  const shares = new Map<string, number>();
  for (const entry of invokes) shares.set(causeOf(entry, stacks), (shares.get(causeOf(entry, stacks)) ?? 0) + 1);
  const breakdown = [...shares].sort(([, a], [, b]) => b - a).map(([cause, n]) => [...cause.split(' | '), count(n), `${((100 * n) / invokes.length).toFixed(1)}%`]);
  const [first] = simulated;
  return [
    `Reproduce with \`npm run bundle && npm run bench -- simulate\` (${minutes.toFixed(0)} minutes here: one recording simulation, then ${RUNS}`,
    'simulations and replays alternating, each in a child process of its own; loopback only).',
    '',
    `The example week (\`examples/week.jsonl\`, ${first.lines} lines) against the reference app with \`npm run simulate\`'s props,`,
    `synthesized by the benchmark, from the first line's day to \`${UNTIL}\` (${(first.spanMs / DAY_MS).toFixed(0)} simulated days). "Simulator" is \`simulate()\`.`,
    '"Handlers alone" replays the invocations one simulation recorded through `onInvoke`, each at its virtual time, on',
    'the same function host, local services and virtual clock, with no routing, agenda or schedule computation. A',
    'trigger asking the coordinator through the local Lambda endpoint is heard twice; the replay wires the endpoint',
    'to the host as the simulator does, so the outer invocation makes the inner one itself and the recorded inner',
    'one is skipped. The recording tells them apart by counting `FunctionHost.invoke` calls in progress: one heard',
    `while another runs came through the endpoint (${count(nested)} of ${count(invokes.length)}). The replay also repeats, in order, the requests`,
    `the simulator sent the services itself (${requests}: drift reports it placed in S3, starts by a schedule's universal target),`,
    'and creates the buckets the events name, so the handlers see the same state. Both sides are timed from starting the',
    `services to stopping them. Median of ${RUNS} runs [range]; CPU is the child's user + system time; peak RSS its`,
    `\`maxRSS\` (a bundled script, no TypeScript loader). Load average after the run: ${os.loadavg().map((v) => v.toFixed(1)).join(', ')} on ${os.cpus().length} CPUs${busy ? ', a busy machine: read the CPU row and the ratios rather than wall times' : ''}.`,
    '',
    table(['', 'simulator', 'handlers alone', 'simulator over handlers alone'], [
      ['wall time (s)', sim.wall.text, base.wall.text, over('wall')],
      ['CPU time (s)', sim.cpu.text, base.cpu.text, over('cpu')],
      ['events-file lines / wall s', sim.lines.text, base.lines.text, ''],
      ['handler invocations / wall s', sim.invocations.text, base.invocations.text, ''],
      ['simulated days / wall s', sim.days.text, base.days.text, ''],
      ['peak RSS (MiB)', sim.rss.text, base.rss.text, ''],
    ]),
    '',
    `Invocations: ${count(first.invocations)} by the simulator, ${count(replayed[0].invocations)} by the replay (its own plus those the Lambda endpoint`,
    `ran); handler errors ${first.errors} and ${replayed[0].errors}. Machine: ${machineDescription()}. By function and cause:`,
    '',
    table(['function', 'cause', 'invocations', 'share'], breakdown),
    '',
    'Reading: the handlers and the local services they call are the time; the simulator\'s own routing, agenda and',
    `schedule computation come to ${over('cpu')} CPU time over them. The every-minute batch flush and coordinator sweep`,
    'make almost every invocation (on this week, with one batch open for an hour and a few held requests, nearly',
    'all of them have nothing to do), and each is a few round trips to the local services over loopback HTTP through',
    'the SDK, with dynalite answering in the same process. So a faster simulation invokes less rather than routes faster:',
    'skipping a maintenance firing that provably does nothing (a flush while no batch is',
    'open, a sweep while no request waits, both known from the writes since the last firing) would remove most of',
    'the week\'s invocations; short of that, a cheaper local DynamoDB would cut the cost of each.',
  ].join('\n');
}

/** Which schedule fired an invocation (its payload is that firing's input), or that a handler or an events line did. */
function causeOf(entry: Extract<Entry, { kind: 'invoke' }>, stacks: readonly SimulatedStack[]): string {
  const name = (logicalId: string) => logicalId.replace(/[0-9A-F]{8}$/, '');
  const fn = stacks.flatMap((stack) => stack.functions).find((candidate) => candidate.functionName === entry.functionName);
  const label = `${fn ? name(fn.logicalId) : entry.functionName} | `;
  if (entry.nested) return `${label}another handler, through Lambda`;
  for (const stack of stacks) {
    for (const schedule of stack.schedules.filter((candidate) => candidate.targetArn === fn?.functionArn)) {
      const arn = `arn:aws:scheduler:${stack.region}:${stack.account}:schedule/default/${schedule.logicalId}`;
      if (JSON.stringify(JSON.parse(scheduledInput(schedule.input, entry.atMs, schedule, arn))) === entry.payload) return `${label}schedule ${name(schedule.logicalId)}`;
    }
  }
  return `${label}events lines and runs`;
}

interface Figure { readonly median: number; readonly text: string }

function figures(probes: readonly Probe[]): Record<'wall' | 'cpu' | 'lines' | 'invocations' | 'days' | 'rss', Figure> {
  const of = (value: (probe: Probe) => number, digits: number): Figure => {
    const values = probes.map(value).sort((a, b) => a - b);
    const median = values[Math.floor(values.length / 2)];
    const format = (v: number) => v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
    return { median, text: `${format(median)} [${format(values[0])}-${format(values[values.length - 1])}]` };
  };
  const seconds = (probe: Probe) => probe.wallMs / 1000;
  return {
    wall: of(seconds, 1),
    cpu: of((probe) => probe.cpuMs / 1000, 1),
    lines: of((probe) => probe.lines / seconds(probe), 2),
    invocations: of((probe) => probe.invocations / seconds(probe), 0),
    days: of((probe) => probe.spanMs / DAY_MS / seconds(probe), 3),
    rss: of((probe) => probe.maxRssKiB / 1024, 0),
  };
}

/** Bundles the child so that it runs without a TypeScript loader in its memory; packages load from this project. */
async function bundleChild(directory: string): Promise<string> {
  const esbuild = await import('esbuild');
  const outfile = path.join(directory, 'simulate-child.js');
  esbuild.buildSync({
    stdin: { contents: "import { simulateChild } from './simulate';\nvoid simulateChild(process.argv[2], process.argv[3]);\n", resolveDir: __dirname, loader: 'ts' },
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile, logLevel: 'error', packages: 'external',
  });
  return outfile;
}

async function runChild(script: string, mode: 'record' | 'simulate' | 'replay', inputFile: string): Promise<Probe> {
  const child = spawn(process.execPath, [script, mode, inputFile], {
    env: { ...process.env, NODE_PATH: path.join(__dirname, '..', 'node_modules') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let [stdout, stderr] = ['', ''];
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const line = stdout.split('\n').find((text) => text.startsWith('PROBE '));
  if (status !== 0 || !line) throw new Error(`the ${mode} child failed (exit ${status}): ${stderr.trim() || stdout.trim()}`);
  return JSON.parse(line.slice('PROBE '.length)) as Probe;
}

/** Run in a child process: records a simulation, or times one, or times the replay of the recording. */
export async function simulateChild(mode: string, inputFile: string): Promise<void> {
  const input = JSON.parse(fs.readFileSync(inputFile, 'utf8')) as ChildInput;
  const events = fs.readFileSync(input.events, 'utf8');
  let probe: Probe;
  if (mode === 'replay') {
    probe = await replay(input.assemblyDir, JSON.parse(fs.readFileSync(input.recording, 'utf8')) as Entry[], events);
  } else {
    const recording: Entry[] = [];
    const stopRecording = mode === 'record' ? record(recording) : () => undefined;
    const started = performance.now();
    const cpu = process.cpuUsage();
    const onInvoke = mode === 'record'
      ? (functionName: string, payload: unknown) => recording.push({ kind: 'invoke', atMs: Date.now(), functionName, payload: JSON.stringify(payload), nested: inProgress > 0 })
      : undefined;
    const result = await simulate({ assemblyDir: input.assemblyDir, events, untilMs: Date.parse(UNTIL), baseDir: path.dirname(input.events), onInvoke });
    const wallMs = performance.now() - started;
    stopRecording();
    if (mode === 'record') fs.writeFileSync(input.recording, JSON.stringify(recording));
    const { stats } = result;
    probe = { wallMs, cpuMs: cpuMsSince(cpu), maxRssKiB: process.resourceUsage().maxRSS, invocations: stats.invocations, errors: result.timeline.errors.length, lines: stats.lines, spanMs: stats.untilMs - stats.fromMs };
  }
  process.stdout.write(`\nPROBE ${JSON.stringify(probe)}\n`);
}

let inProgress = 0;

/**
 * Until the returned function is called: counts the function host's invocations in progress (an invocation
 * heard while one is in progress came through the Lambda endpoint), and keeps the simulator's own requests
 * to S3 and SageMaker (it sends them with `fetch`; the handlers' SDK clients use `node:http`).
 */
function record(recording: Entry[]): () => void {
  const invoke = FunctionHost.prototype.invoke;
  FunctionHost.prototype.invoke = async function counted(this: FunctionHost, functionName: string, payload: unknown) {
    inProgress += 1;
    try {
      return await invoke.call(this, functionName, payload);
    } finally {
      inProgress -= 1;
    }
  };
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (resource: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const url = new URL(resource instanceof Request ? resource.url : String(resource));
    const headers = { ...(init?.headers as Record<string, string> | undefined) };
    const method = init?.method ?? 'GET';
    const service = headers['x-amz-target']?.startsWith('SageMaker.') ? 'sagemaker' : method === 'PUT' ? 's3' : undefined;
    if (service) recording.push({ kind: 'request', atMs: Date.now(), service, method, path: `${url.pathname}${url.search}`, headers, body: String(init?.body ?? '') });
    return realFetch(resource, init);
  };
  return () => {
    FunctionHost.prototype.invoke = invoke;
    globalThis.fetch = realFetch;
  };
}

/** The recording replayed through the handlers: the same host, services and clock as `simulate()` sets up. */
async function replay(assemblyDir: string, recording: readonly Entry[], events: string): Promise<Probe> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const stacks = readAssembly(assemblyDir);
  const region = stacks[0]?.region ?? 'us-east-1';
  const account = stacks[0]?.account ?? '123456789012';
  const lines = parseEventsFile(events).lines;
  // Where `simulate()` starts the clock: the start (00:00Z) of the first line's day.
  const fromMs = Math.floor(Math.min(...lines.map((line) => line.atMs)) / DAY_MS) * DAY_MS;
  const clock = new VirtualClock(fromMs);
  let host: FunctionHost | undefined;
  let services: Services | undefined;
  let [errors, outer, nested] = [0, 0, 0];
  clock.install();
  try {
    services = await startServices({
      region, account, now: () => clock.now(),
      invoke: async (functionName, payload) => {
        if (!host?.has(functionName)) throw new UnknownFunctionError(functionName);
        nested += 1;
        const outcome = await host.invoke(functionName, payload);
        if (outcome.error) errors += 1;
        return outcome.error ? { error: outcome.error.message } : { payload: outcome.result };
      },
      startOutcome: () => 'succeed',
    });
    host = new FunctionHost({ environment: { ...services.environment, POWERTOOLS_METRICS_DISABLED: 'true' }, region, account, now: () => clock.now() });
    for (const stack of stacks) for (const fn of stack.functions) host.add(fn);
    await services.createTables(stacks.flatMap((stack) => stack.tables));
    const named = lines.flatMap((line) => (line.kind === 's3' ? [line.bucket] : []));
    const placed = recording.flatMap((entry) => (entry.kind === 'request' && entry.service === 's3' ? [decodeURIComponent(entry.path.split('/')[1])] : []));
    await services.createBuckets([...new Set([...stacks.flatMap((stack) => stack.buckets.map((bucket) => bucket.bucketName)), ...named, ...placed])]);
    services.putParameters(stacks.flatMap((stack) => stack.parameters));
    for (const entry of recording) {
      clock.set(entry.atMs);
      if (entry.kind === 'request') {
        const endpoint = entry.service === 's3' ? services.environment.AWS_ENDPOINT_URL_S3 : services.environment.AWS_ENDPOINT_URL_SAGEMAKER;
        const response = await fetch(`${endpoint}${entry.path}`, { method: entry.method, headers: entry.headers, body: entry.body });
        if (!response.ok) throw new Error(`replaying ${entry.method} ${entry.path} failed: HTTP ${response.status}`);
      } else if (!entry.nested) {
        outer += 1;
        if ((await host.invoke(entry.functionName, JSON.parse(entry.payload) as unknown)).error) errors += 1;
      }
    }
  } finally {
    clock.uninstall();
    await services?.stop();
  }
  return { wallMs: performance.now() - started, cpuMs: cpuMsSince(cpu), maxRssKiB: process.resourceUsage().maxRSS, invocations: outer + nested, errors, lines: lines.length, spanMs: Date.parse(UNTIL) - fromMs };
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
}
