import { DynamoDBClient, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { performance } from 'node:perf_hooks';
import type { Batcher } from '../lambda/aws/batcher/batcher';
import type { CreatedObject } from '../lambda/core/s3-object-created';
import { createdObject, LocalAws, seeded, triggerConfig, TABLE } from '../test/support/batcher-env';
import { table, type BenchmarkSection } from './harness';
import { TextbookBatcher } from './textbook-batcher';

const DISTINCT_OBJECTS = 2000;
const DUPLICATE_SHARE = 0.3;
const CONCURRENCY = 16;
const BATCH_SIZE = 100;
const SEED = 20270301;
const BATCH_WINDOW_SECONDS = 3600;

/** The `p`-th percentile (0-100) of `samples` by nearest rank. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** 2,000 distinct objects, about 30% of them delivered twice, shuffled (Fisher-Yates) with a seeded generator. */
function deliveryStream(): { objects: CreatedObject[]; deliveries: CreatedObject[] } {
  const random = seeded(SEED);
  const objects = Array.from({ length: DISTINCT_OBJECTS }, (_, i) => {
    const key = `labels/2027/03/01/part-${String(i).padStart(5, '0')}-c000.snappy.parquet`;
    return createdObject(key, (0x617f0829932a0000 + i).toString(16));
  });
  const deliveries = [...objects, ...objects.filter(() => random() < DUPLICATE_SHARE)];
  for (let i = deliveries.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [deliveries[i], deliveries[j]] = [deliveries[j], deliveries[i]];
  }
  return { objects, deliveries };
}

/**
 * Delivers the stream from `workers` concurrent callers, each handling one delivery at a time (as one
 * Lambda container does), and returns each delivery's latency in milliseconds and the burst's wall clock.
 */
async function deliver(
  deliveries: readonly CreatedObject[],
  workers: number,
  arrive: (worker: number, object: CreatedObject) => Promise<unknown>,
): Promise<{ latenciesMs: number[]; wallMs: number }> {
  const latenciesMs: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (next < deliveries.length) {
        const object = deliveries[next++];
        const before = performance.now();
        await arrive(worker, object);
        latenciesMs.push(performance.now() - before);
      }
    }),
  );
  return { latenciesMs, wallMs: performance.now() - started };
}

/** What one algorithm did with the stream. */
interface RunResult {
  readonly name: string;
  readonly deliveries: number;
  readonly wallMs: number;
  readonly latenciesMs: readonly number[];
  /** One entry per start: the object keys it covered. */
  readonly starts: ReadonlyArray<readonly string[]>;
  /** Batches (by their own identity) that more than one start covered. */
  readonly batchesStartedTwice: number;
  readonly note: string;
}

interface Verdict {
  readonly startedOnce: number;
  readonly lost: number;
  readonly inSeveralStarts: number;
  readonly extraStartsOfObjects: number;
  readonly exactlyOnce: boolean;
}

function verdict(result: RunResult, objects: readonly CreatedObject[]): Verdict {
  const timesStarted = new Map<string, number>(objects.map((o) => [o.key, 0]));
  for (const start of result.starts) for (const key of start) timesStarted.set(key, (timesStarted.get(key) ?? 0) + 1);
  const counts = [...timesStarted.values()];
  const startedOnce = counts.filter((n) => n === 1).length;
  const lost = counts.filter((n) => n === 0).length;
  const inSeveralStarts = counts.filter((n) => n > 1).length;
  const extraStartsOfObjects = counts.reduce((sum, n) => sum + Math.max(0, n - 1), 0);
  const unknown = timesStarted.size - objects.length;
  const exactlyOnce = lost === 0 && inSeveralStarts === 0 && unknown === 0 && result.batchesStartedTwice === 0;
  return { startedOnce, lost, inSeveralStarts, extraStartsOfObjects, exactlyOnce };
}

/** This library's batcher: 16 containers (`local.batcher(now)`), then the flush after the window. */
async function runOurs(local: LocalAws, deliveries: readonly CreatedObject[]): Promise<RunResult> {
  let clock = Date.parse('2027-03-01T10:00:00Z');
  const now = () => clock;
  const trigger = triggerConfig({ triggerId: 'throughput-trigger', batchSize: BATCH_SIZE, batchWindowSeconds: BATCH_WINDOW_SECONDS, maxStartAttempts: 5 });
  const containers: Batcher[] = Array.from({ length: CONCURRENCY }, () => local.batcher(now));
  const ofTrigger = () => local.sagemaker.executions.filter((e) => e.description?.includes(`trigger ${trigger.triggerId}:`));
  const outcomes: Record<string, number> = {};

  const { latenciesMs, wallMs } = await deliver(deliveries, CONCURRENCY, async (worker, object) => {
    const outcome = await containers[worker].arrive(trigger, object);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  });

  // The last batch is partial: move the clock past its window and flush until no further run starts.
  const startsAfterBurst = ofTrigger().length;
  clock += BATCH_WINDOW_SECONDS * 1000 + 60_000;
  let quietFlushes = 0;
  for (let flush = 0; flush < 20 && quietFlushes < 2; flush++) {
    const before = ofTrigger().length;
    await containers[flush % CONCURRENCY].flush(trigger);
    quietFlushes = ofTrigger().length === before ? quietFlushes + 1 : 0;
    clock += 60_000;
  }

  const executions = ofTrigger();
  const manifests = await Promise.all(executions.map((e) => local.manifestLines(e.parameters.ManifestS3Uri)));
  const byManifest = new Map<string, number>();
  for (const e of executions) byManifest.set(e.parameters.ManifestS3Uri, (byManifest.get(e.parameters.ManifestS3Uri) ?? 0) + 1);
  const countMismatches = executions.filter((e, i) => e.parameters.ObjectCount !== String(manifests[i].length)).length;
  return {
    name: 'this library',
    deliveries: deliveries.length,
    wallMs,
    latenciesMs,
    starts: manifests.map((lines) => lines.map((line) => String(line.key))),
    batchesStartedTwice: [...byManifest.values()].filter((n) => n > 1).length,
    note:
      `${outcomes.accepted ?? 0} accepted / ${outcomes.duplicate ?? 0} duplicate; ${executions.length - startsAfterBurst} run(s) started by the flush; ` +
      `batch sizes ${Math.min(...manifests.map((m) => m.length))}-${Math.max(...manifests.map((m) => m.length))}; ` +
      `${countMismatches === 0 ? 'every' : `**${countMismatches} runs' ObjectCount differs from their manifest**; the other`} run's ObjectCount matches its manifest`,
  };
}

/**
 * One caller of the textbook algorithm with its own DynamoDB client, recording which objects each of its
 * starts covered: the listing queries (those that do not COUNT) seen during an `arrive` that started a run
 * are that run's batch. A caller handles one delivery at a time, so its listings belong to its own start.
 */
class RecordingTextbookCaller {
  readonly starts: string[][] = [];
  private readonly batcher: TextbookBatcher;
  private listed: string[] = [];

  constructor() {
    const client = new DynamoDBClient({});
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const input = args.input as { Select?: string };
        if (context.commandName === 'QueryCommand' && input.Select !== 'COUNT') {
          const items = (result.output as { Items?: Array<Record<string, AttributeValue>> }).Items ?? [];
          this.listed.push(...items.map((item) => item.key?.S ?? '?'));
        }
        return result;
      },
      { step: 'initialize', name: 'recordTextbookListing' },
    );
    this.batcher = new TextbookBatcher(client, TABLE, BATCH_SIZE);
  }

  async arrive(triggerId: string, object: CreatedObject): Promise<void> {
    this.listed = [];
    const before = this.batcher.starts;
    await this.batcher.arrive(triggerId, object);
    if (this.batcher.starts > before) this.starts.push(this.listed);
  }
}

/** What is still stored for a textbook trigger: the objects its count never reached a start for. */
async function textbookLeftovers(local: LocalAws, triggerId: string): Promise<string[]> {
  const keys: string[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await local.dynamo.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: marshall({ ':pk': `TEXTBOOK#${triggerId}` }),
        ExclusiveStartKey: startKey,
        ConsistentRead: true,
      }),
    );
    keys.push(...(page.Items ?? []).map((item) => item.key?.S ?? '?'));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return keys;
}

/** The textbook algorithm: 16 concurrent callers on the same stream, then a flush of what is left. */
async function runTextbook(local: LocalAws, deliveries: readonly CreatedObject[]): Promise<RunResult> {
  const triggerId = 'throughput-textbook';
  const callers = Array.from({ length: CONCURRENCY }, () => new RecordingTextbookCaller());
  const { latenciesMs, wallMs } = await deliver(deliveries, CONCURRENCY, (worker, object) => callers[worker].arrive(triggerId, object));
  const starts = callers.flatMap((caller) => caller.starts);
  // The textbook has no window; its flush is taken to be one start of whatever is still stored.
  const leftovers = await textbookLeftovers(local, triggerId);
  if (leftovers.length > 0) starts.push(leftovers);
  // A batch of the textbook is what one listing saw; a start whose objects an earlier start already covered
  // started (part of) that batch again.
  const seen = new Set<string>();
  let startedAgain = 0;
  for (const start of starts) {
    if (start.some((key) => seen.has(key))) startedAgain += 1;
    for (const key of start) seen.add(key);
  }
  const sizes = starts.map((s) => s.length);
  return {
    name: 'textbook',
    deliveries: deliveries.length,
    wallMs,
    latenciesMs,
    starts,
    batchesStartedTwice: startedAgain,
    note: `${leftovers.length} object(s) started by the flush; batch sizes ${Math.min(...sizes)}-${Math.max(...sizes)}`,
  };
}

/** Events per second and per-event latency with 16 concurrent invocations, with exactly-once checked after each run. */
export async function benchThroughput(): Promise<BenchmarkSection> {
  const local = await LocalAws.start();
  try {
    const { objects, deliveries } = deliveryStream();
    const results = [await runOurs(local, deliveries), await runTextbook(local, deliveries)];
    const checked = results.map((result) => ({ result, verdict: verdict(result, objects) }));
    const ms = (n: number) => n.toFixed(1);
    const body = [
      `${DISTINCT_OBJECTS} distinct Object Created events plus ${deliveries.length - DISTINCT_OBJECTS} duplicate deliveries`,
      `(${Math.round(DUPLICATE_SHARE * 100)}% of objects drawn twice, seed ${SEED}), shuffled, into one trigger with batch size ${BATCH_SIZE},`,
      `delivered by ${CONCURRENCY} concurrent callers against dynalite, s3rver and the SageMaker stand-in on loopback. Each caller`,
      'handles one delivery at a time with its own SDK clients, as one Lambda container does. Events/s is deliveries',
      'divided by the wall clock from the first delivery to the last one finishing; latency is one `arrive` call,',
      'including any start it performs. After the burst a fake clock moves past the batch window and the flush',
      'starts the last partial batch (the textbook has no window, so its flush is one start of whatever is still stored).',
      'Exactly-once is then checked from what was started: for this library the manifests of the runs the SageMaker',
      "stand-in recorded; for the textbook the objects each start listed. dynalite runs in the benchmark's own Node",
      'process, so server and callers share one event loop: read the two rows against each other, not as DynamoDB figures.',
      '',
      table(
        ['algorithm', 'deliveries', 'wall clock', 'events/s', 'p50 / p99 latency', 'starts', 'objects started once / lost / in 2+ starts', 'batches started twice', 'exactly-once'],
        checked.map(({ result, verdict: v }) => [
          result.name,
          result.deliveries,
          `${(result.wallMs / 1000).toFixed(2)} s`,
          Math.round(result.deliveries / (result.wallMs / 1000)),
          `${ms(percentile(result.latenciesMs, 50))} / ${ms(percentile(result.latenciesMs, 99))} ms`,
          result.starts.length,
          `${v.startedOnce} / ${v.lost} / ${v.inSeveralStarts}`,
          result.batchesStartedTwice,
          v.exactlyOnce ? 'holds' : `**FAILS** (${v.lost} lost, ${v.inSeveralStarts} objects started ${v.inSeveralStarts + v.extraStartsOfObjects} times)`,
        ]),
      ),
      '',
      ...checked.map(({ result }) => `- ${result.name}: ${result.note}.`),
      '- The textbook fails by design: callers that COUNT the batch at the same moment all see it full, list it and',
      '  start it, and a duplicate delivered after its batch was deleted is stored again and started in a later batch.',
    ].join('\n');
    return { title: 'Batcher: throughput and exactly-once with 16 concurrent invocations', body };
  } finally {
    await local.stop();
  }
}
