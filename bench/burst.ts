import { performance } from 'node:perf_hooks';
import type { CreatedObject } from '../lambda/core/s3-object-created';
import { createdObject, LocalAws, seeded, triggerConfig } from '../test/support/batcher-env';
import { table, type BenchmarkSection } from './harness';

const EVENTS = 100_000;
const BURST_MS = 60_000;
/** The arrival queue's event source mapping, with the library's defaults. */
const QUEUE_BATCH = 1000;
const QUEUE_WINDOW_MS = 30_000;
const MAX_CONCURRENCY = 2;
const TRIGGER_BATCH = 1000;
const TRIGGER_WINDOW_SECONDS = 900;
/** The account's default regional concurrency; Lambda adds 1,000 execution environments per 10 s per function, so all are there at once. */
const ACCOUNT_CONCURRENCY = 1000;
const QUEUE_SAMPLES = 20;
const PER_EVENT_SAMPLES = 2000;
const SEED = 20270301;

function objects(prefix: string, count: number): CreatedObject[] {
  return Array.from({ length: count }, (_, i) =>
    createdObject(`labels/2027/03/01/${prefix}-${String(i).padStart(6, '0')}-c000.snappy.parquet`, (0x617f0829932a0000 + i).toString(16)),
  );
}

/**
 * Wall times (ms) of the batcher against dynalite in this process: `arriveAll` with 1,000 objects (each call fills
 * and starts one batch of 1,000) and `arrive` with one object (one call in 1,000 starts a batch).
 */
async function measureServiceTimes(): Promise<{ queueMs: number[]; perEventMs: number[] }> {
  const local = await LocalAws.start();
  try {
    let clock = Date.parse('2027-03-01T10:00:00Z');
    const batcher = local.batcher(() => clock);
    const timed = async (call: () => Promise<unknown>) => {
      const before = performance.now();
      await call();
      return performance.now() - before;
    };
    const queueTrigger = triggerConfig({ triggerId: 'burst-queue', batchSize: TRIGGER_BATCH, batchWindowSeconds: TRIGGER_WINDOW_SECONDS });
    const queueObjects = objects('queue', QUEUE_SAMPLES * QUEUE_BATCH);
    await batcher.arriveAll(triggerConfig({ triggerId: 'burst-warm-up', batchSize: TRIGGER_BATCH }), objects('warm', QUEUE_BATCH));
    const queueMs: number[] = [];
    for (let i = 0; i < queueObjects.length; i += QUEUE_BATCH) {
      clock += 1000;
      queueMs.push(await timed(() => batcher.arriveAll(queueTrigger, queueObjects.slice(i, i + QUEUE_BATCH))));
    }
    const perEventTrigger = triggerConfig({ triggerId: 'burst-per-event', batchSize: TRIGGER_BATCH, batchWindowSeconds: TRIGGER_WINDOW_SECONDS });
    const perEventMs: number[] = [];
    for (const object of objects('event', PER_EVENT_SAMPLES)) {
      clock += 1;
      perEventMs.push(await timed(() => batcher.arrive(perEventTrigger, object)));
    }
    return { queueMs, perEventMs };
  } finally {
    await local.stop();
  }
}

/** A binary min-heap of times: when each execution environment is next free. */
class FreeAt {
  private readonly heap: number[] = [];

  constructor(environments: number) {
    for (let i = 0; i < environments; i++) this.heap.push(0);
  }

  take(): number {
    const top = this.heap[0];
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      for (let i = 0; ;) {
        const [l, r] = [2 * i + 1, 2 * i + 2];
        let least = i;
        if (l < this.heap.length && this.heap[l] < this.heap[least]) least = l;
        if (r < this.heap.length && this.heap[r] < this.heap[least]) least = r;
        if (least === i) break;
        [this.heap[i], this.heap[least]] = [this.heap[least], this.heap[i]];
        i = least;
      }
    }
    return top;
  }

  give(at: number): void {
    this.heap.push(at);
    for (let i = this.heap.length - 1; i > 0 && this.heap[(i - 1) >> 1] > this.heap[i]; i = (i - 1) >> 1) {
      [this.heap[i], this.heap[(i - 1) >> 1]] = [this.heap[(i - 1) >> 1], this.heap[i]];
    }
  }
}

interface Invocation {
  readonly startMs: number;
  readonly endMs: number;
  readonly objects: number;
  /** How long its oldest event waited for it. */
  readonly waitedMs: number;
}

/** Draws service times from the measured samples with a seeded generator. */
function sampler(samples: readonly number[], seed: number): () => number {
  const random = seeded(seed);
  return () => samples[Math.floor(random() * samples.length)];
}

/**
 * The queue path: the event source mapping invokes, when an environment is free, with the next 1,000 messages once
 * they are in the queue, or with those there when the oldest has waited the batching window. A smaller batch takes
 * the measured time scaled by its size.
 */
function queuePath(arrivals: readonly number[], service: () => number): Invocation[] {
  const free = new FreeAt(MAX_CONCURRENCY);
  const invocations: Invocation[] = [];
  for (let next = 0; next < arrivals.length;) {
    const full = next + QUEUE_BATCH - 1 < arrivals.length ? arrivals[next + QUEUE_BATCH - 1] : Infinity;
    const startMs = Math.max(free.take(), Math.min(full, arrivals[next] + QUEUE_WINDOW_MS));
    let end = next;
    while (end < arrivals.length && end - next < QUEUE_BATCH && arrivals[end] <= startMs) end++;
    const endMs = startMs + (service() * (end - next)) / QUEUE_BATCH;
    free.give(endMs);
    invocations.push({ startMs, endMs, objects: end - next, waitedMs: startMs - arrivals[next] });
    next = end;
  }
  return invocations;
}

/**
 * One asynchronous invocation per event. Lambda keeps the events in its own queue and invokes as environments
 * are free; an event that finds none is throttled and retried later, modelled here as waiting first in, first
 * out with no back-off (the best case).
 */
function perEvent(arrivals: readonly number[], environments: number, service: () => number): Invocation[] {
  const free = new FreeAt(environments);
  return arrivals.map((arrival) => {
    const startMs = Math.max(free.take(), arrival);
    const endMs = startMs + service();
    free.give(endMs);
    return { startMs, endMs, objects: 1, waitedMs: startMs - arrival };
  });
}

interface Outcome {
  readonly peak: number;
  readonly invocations: number;
  readonly allStartedMs: number;
  readonly longestWaitMs: number;
  readonly batches: number;
}

/** Peak concurrency by a sweep; a batch starts when the invocation that places its last object ends. */
function outcome(invocations: readonly Invocation[], firstEventMs: number): Outcome {
  const edges = invocations.flatMap((i) => [[i.startMs, 1], [i.endMs, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let running = 0;
  let peak = 0;
  for (const [, change] of edges) peak = Math.max(peak, (running += change));
  let placed = 0;
  let batches = 0;
  let allStartedMs = 0;
  for (const invocation of [...invocations].sort((a, b) => a.endMs - b.endMs)) {
    placed += invocation.objects;
    if (Math.floor(placed / TRIGGER_BATCH) > batches) {
      batches = Math.floor(placed / TRIGGER_BATCH);
      allStartedMs = invocation.endMs - firstEventMs;
    }
  }
  return { peak, invocations: invocations.length, allStartedMs, longestWaitMs: Math.max(...invocations.map((i) => i.waitedMs)), batches };
}

const mean = (samples: readonly number[]) => samples.reduce((sum, x) => sum + x, 0) / samples.length;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A burst of 100,000 objects through the queue path and through one invocation per event, on a virtual clock. */
export async function benchBurst(): Promise<BenchmarkSection> {
  const { queueMs, perEventMs } = await measureServiceTimes();
  const random = seeded(SEED);
  const arrivals = Array.from({ length: EVENTS }, () => random() * BURST_MS).sort((a, b) => a - b);
  const designs = [
    { name: 'queue: batches of 1,000, window 30 s', limit: `maximum concurrency ${MAX_CONCURRENCY}`, result: outcome(queuePath(arrivals, sampler(queueMs, SEED + 1)), arrivals[0]) },
    { name: 'per event, asynchronous', limit: `reserved concurrency ${MAX_CONCURRENCY}`, result: outcome(perEvent(arrivals, MAX_CONCURRENCY, sampler(perEventMs, SEED + 2)), arrivals[0]) },
    { name: 'per event, asynchronous', limit: `account default ${ACCOUNT_CONCURRENCY.toLocaleString('en-US')}`, result: outcome(perEvent(arrivals, ACCOUNT_CONCURRENCY, sampler(perEventMs, SEED + 3)), arrivals[0]) },
  ];
  const [queue, throttled] = designs.map((design) => design.result);
  const body = [
    `${EVENTS.toLocaleString('en-US')} Object Created events for distinct objects, at times drawn uniformly at random (seeded) within`,
    `${BURST_MS / 1000} s, into one trigger with batch size ${TRIGGER_BATCH.toLocaleString('en-US')} and window ${TRIGGER_WINDOW_SECONDS / 60} minutes. A discrete-event simulation on a`,
    'virtual clock; each invocation takes a service time drawn (seeded) from wall times measured on this machine',
    'against dynalite running in this process, with the real SDK client:',
    '',
    table(
      ['call', 'calls measured', 'mean wall time', 'slowest'],
      [
        ['`arriveAll` with 1,000 objects (fills and starts one batch)', queueMs.length, `${mean(queueMs).toFixed(1)} ms`, `${Math.max(...queueMs).toFixed(1)} ms`],
        ['`arrive` with one object (one in 1,000 starts a batch)', perEventMs.length, `${mean(perEventMs).toFixed(2)} ms`, `${Math.max(...perEventMs).toFixed(1)} ms`],
      ],
    ),
    '',
    'dynalite in process is not DynamoDB: the absolute times are this machine\'s, and a call to DynamoDB takes',
    'longer over the network. The model:',
    '',
    `- Queue path: SQS, then Lambda's event source mapping with batch size ${QUEUE_BATCH.toLocaleString('en-US')}, maximum batching window ${QUEUE_WINDOW_MS / 1000} s and`,
    `  maximum concurrency ${MAX_CONCURRENCY} (the library's defaults). When an execution is free it invokes with the next ${QUEUE_BATCH.toLocaleString('en-US')}`,
    '  messages once they are in the queue, or with those there when the oldest has waited the window.',
    `- Per event, reserved concurrency ${MAX_CONCURRENCY}: each event is an asynchronous invocation; Lambda holds the events in its`,
    '  internal queue and retries throttled ones with back-off. Modelled as first in, first out on the free',
    '  executions with no back-off, which is the best case: back-off only adds delay.',
    `- Per event without a limit: concurrency bounded by the account's default regional limit of ${ACCOUNT_CONCURRENCY.toLocaleString('en-US')}. Lambda`,
    `  scales a function by 1,000 execution environments per 10 s, so all ${ACCOUNT_CONCURRENCY.toLocaleString('en-US')} are available from the start.`,
    '- Not modelled: invocation overhead, cold starts of new execution environments, and DynamoDB\'s limit of',
    "  1,000 write units per second on one item: the per-event design updates the trigger's state item once per",
    `  event, and at ${Math.round(EVENTS / (BURST_MS / 1000)).toLocaleString('en-US')} events per second that item would be throttled. Overhead and cold starts come with`,
    '  every invocation and every new environment, so they weigh most on the per-event rows; the item limit applies to them alone.',
    '- A batch starts when the invocation that places its last object ends. Whether each object lands in exactly',
    '  one run is not simulated here; the capacity benchmark checks it against dynalite for every path.',
    '',
    table(
      ['design', 'concurrency limit', 'invocations', 'peak concurrent executions', 'longest wait for an invocation', 'batches started', 'first event until every batch started'],
      designs.map(({ name, limit, result }) => [
        name,
        limit,
        result.invocations.toLocaleString('en-US'),
        result.peak,
        seconds(result.longestWaitMs),
        result.batches,
        seconds(result.allStartedMs),
      ]),
    ),
    '',
    `- The queue path makes ${(throttled.invocations / queue.invocations).toFixed(0)}x fewer invocations than the per-event design and, under the same`,
    `  limit of ${MAX_CONCURRENCY}, starts every batch ${queue.allStartedMs <= throttled.allStartedMs ? `${seconds(throttled.allStartedMs - queue.allStartedMs)} sooner` : `${seconds(queue.allStartedMs - throttled.allStartedMs)} later`} (${seconds(queue.allStartedMs)} against ${seconds(throttled.allStartedMs)}).`,
    `- Without a limit the per-event design peaks at ${designs[2].result.peak} concurrent executions and starts every batch after ${seconds(designs[2].result.allStartedMs)}.`,
  ].join('\n');
  return { title: 'Batcher: a burst of 100,000 objects', body };
}
