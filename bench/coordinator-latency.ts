import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { marshall } from '@aws-sdk/util-dynamodb';
import { performance } from 'node:perf_hooks';
import { ApprovalNotifier } from '../lambda/aws/adapters/approval-notifier';
import { PipelineStarter } from '../lambda/aws/adapters/pipeline-starter';
import { isConditionFailure } from '../lambda/aws/adapters/conditional-writes';
import type { StartRequest } from '../lambda/core/coordination';
import { DEFAULT_POLICY } from '../lambda/core/contracts/coordinator';
import { Coordinator } from '../lambda/aws/coordinator/coordinator';
import { CoordinatorStore } from '../lambda/aws/coordinator/coordinator-store';
import { LOCAL_AWS_ENV, setEnv, startDynalite, startFakeSageMaker } from '../test/support/local-services';
import { createKeyedTable } from '../test/support/tables';
import { table, type BenchmarkSection } from './harness';
import { percentile } from './throughput';

const TABLE = 'ml-triggers-coordinator';
const CONCURRENCY = [1, 8, 32] as const;
const ROUNDS = 30;
const BASELINE_READS = 200;
const RETENTION_MS = 90 * 86_400_000;

/**
 * One Lambda container of the coordinator: its own SDK clients, counting the DynamoDB calls it makes and
 * the state writes that lost the optimistic-concurrency race (a conditional PutItem on the STATE item).
 */
class CoordinatorContainer {
  calls = 0;
  stateConflicts = 0;
  readonly coordinator: Coordinator;

  constructor(id: string) {
    const dynamodb = new DynamoDBClient({});
    dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        this.calls += 1;
        try {
          return await next(args);
        } catch (error) {
          const item = (args.input as { Item?: { sk?: { S?: string } } }).Item;
          if (context.commandName === 'PutItemCommand' && item?.sk?.S === 'STATE' && isConditionFailure(error)) this.stateConflicts += 1;
          throw error;
        }
      },
      { step: 'initialize', name: 'countStateConflicts' },
    );
    this.coordinator = new Coordinator({
      store: new CoordinatorStore(dynamodb, TABLE, RETENTION_MS),
      starter: new PipelineStarter(new SageMakerClient({})),
      notifier: new ApprovalNotifier(undefined, undefined),
      policy: DEFAULT_POLICY,
      observer: { decided() {} },
      functionName: 'coordinator',
      now: () => Date.now(),
      owner: () => id,
      pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      random: Math.random,
    });
  }

  /** Decides one request, returning its latency and what it cost this container. */
  async decide(request: StartRequest): Promise<{ ms: number; calls: number; conflicts: number; started: boolean }> {
    const [calls, conflicts] = [this.calls, this.stateConflicts];
    const before = performance.now();
    const answer = await this.coordinator.request(request);
    return { ms: performance.now() - before, calls: this.calls - calls, conflicts: this.stateConflicts - conflicts, started: answer.start };
  }
}

const startRequest = (pipelineName: string, requestId: string): StartRequest => ({
  requestId,
  pipelineName,
  triggerType: 'data-arrival',
  reason: 'benchmark: concurrent requests for one pipeline',
  priority: 3,
  parameters: { TrainingMode: 'data-arrival' },
});

interface LevelResult {
  readonly n: number;
  readonly latenciesMs: readonly number[];
  readonly getItemMs: readonly number[];
  readonly calls: readonly number[];
  readonly conflicts: readonly number[];
  /** Rounds that did not start exactly one run (the policy's cooldown allows one per fresh pipeline). */
  readonly badRounds: number;
}

async function measureLevel(n: number, reader: DynamoDBClient): Promise<LevelResult> {
  const containers = Array.from({ length: n }, (_, i) => new CoordinatorContainer(`container-${n}-${i}`));
  // Warm containers: their first requests open connections and load the SDK's code paths.
  await Promise.all(containers.map((c, i) => c.decide(startRequest(`warmup-n${n}`, `warm-${i}`))));
  const result = { n, latenciesMs: [] as number[], getItemMs: [] as number[], calls: [] as number[], conflicts: [] as number[] };
  let badRounds = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const pipeline = `latency-n${n}-r${round}`;
    const decisions = await Promise.all(containers.map((c, i) => c.decide(startRequest(pipeline, `req-${i}`))));
    for (const d of decisions) {
      result.latenciesMs.push(d.ms);
      result.calls.push(d.calls);
      result.conflicts.push(d.conflicts);
    }
    if (decisions.filter((d) => d.started).length !== 1) badRounds += 1;
    // The same concurrency of bare reads of the state item just written, as the round's own baseline.
    const reads = await Promise.all(containers.map(() => timedGetItem(reader, pipeline)));
    result.getItemMs.push(...reads);
  }
  return { ...result, badRounds };
}

async function timedGetItem(client: DynamoDBClient, pipeline: string): Promise<number> {
  const before = performance.now();
  await client.send(new GetItemCommand({ TableName: TABLE, Key: marshall({ pk: `P#${pipeline}`, sk: 'STATE' }), ConsistentRead: true }));
  return performance.now() - before;
}

/** Decision latency of the coordinator against dynalite under 1, 8 and 32 concurrent requests for one pipeline. */
export async function benchCoordinatorLatency(): Promise<BenchmarkSection> {
  const [dynamo, sagemaker] = await Promise.all([startDynalite(), startFakeSageMaker()]);
  const restoreEnv = setEnv({
    ...LOCAL_AWS_ENV,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SAGEMAKER: sagemaker.endpoint,
    AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1',
  });
  const reader = new DynamoDBClient({});
  try {
    await createKeyedTable(reader, TABLE);
    const single = new CoordinatorContainer('baseline');
    await single.decide(startRequest('baseline-pipeline', 'baseline-1'));
    for (let i = 0; i < 20; i++) await timedGetItem(reader, 'baseline-pipeline');
    const baseline: number[] = [];
    for (let i = 0; i < BASELINE_READS; i++) baseline.push(await timedGetItem(reader, 'baseline-pipeline'));

    const levels: LevelResult[] = [];
    for (const n of CONCURRENCY) levels.push(await measureLevel(n, reader));

    const ms = (samples: readonly number[], p: number) => percentile(samples, p).toFixed(1);
    const mean = (samples: readonly number[]) => samples.reduce((a, b) => a + b, 0) / samples.length;
    const baselineP50 = percentile(baseline, 50);
    const maxConflicts = Math.max(...levels.flatMap((level) => level.conflicts));
    const body = [
      `Each round sends N start requests at once for one fresh pipeline (distinct request ids), each from its own`,
      "coordinator container (the `Coordinator` class with its own DynamoDB and SageMaker clients, the default policy),",
      `against dynalite and the SageMaker stand-in on loopback; ${ROUNDS} rounds per N after one warm-up round. Latency is`,
      'one `request` call: take the request id, read the state, decide, write the state conditionally (again on a',
      'conflict), put the request on the waiting list (so that the sweep finishes it should the invocation die),',
      'record the decision, start the run if it won, log the decision, take it off the waiting list. A state-write conflict is a',
      'conditional PutItem of the state item that failed because another request changed the state first, counted',
      'by an SDK middleware. Baselines from the same run: a single ConsistentRead GetItem against the same table',
      `(${BASELINE_READS} sequential reads), and after each round N concurrent GetItems of the state item. dynalite runs in this`,
      'process, so concurrent requests queue on one event loop.',
      '',
      `Baseline: one GetItem round trip, p50 ${ms(baseline, 50)} ms, p99 ${ms(baseline, 99)} ms.`,
      '',
      table(
        ['N concurrent', 'decisions', 'decision p50 / p99', 'p50 in GetItem round trips', 'N concurrent GetItems p50 / p99', 'DynamoDB calls per decision', 'state-write conflicts per decision (mean / max)', 'rounds not starting exactly one run'],
        levels.map((level) => [
          level.n,
          level.latenciesMs.length,
          `${ms(level.latenciesMs, 50)} / ${ms(level.latenciesMs, 99)} ms`,
          (percentile(level.latenciesMs, 50) / baselineP50).toFixed(1),
          `${ms(level.getItemMs, 50)} / ${ms(level.getItemMs, 99)} ms`,
          mean(level.calls).toFixed(2),
          `${mean(level.conflicts).toFixed(2)} / ${Math.max(...level.conflicts)}`,
          level.badRounds,
        ]),
      ),
      '',
      `- Most conflicts on one decision: ${maxConflicts}. All N requests of a round read the empty state and decide to start;`,
      '  one conditional write wins, each other request loses, reads again and is suppressed by the cooldown without',
      '  writing. So a loser retries once whatever N, and the mean approaches 1 - 1/N. The retry adds no call (a',
      '  loser reads again instead of recording an execution), so the latency growth with N is queueing on the one',
      '  dynalite process, as the concurrent GetItems show, not retries.',
    ].join('\n');
    return { title: 'Coordinator: decision latency under concurrent requests', body };
  } finally {
    reader.destroy();
    await Promise.all([dynamo.close(), sagemaker.close()]);
    restoreEnv();
  }
}
