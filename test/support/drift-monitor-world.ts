import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { BUCKET, DriftWorld } from './handler-drift';
import { setEnv } from './local-services';

/** What the drift monitor's handler answers: a plan, a sketch, an assessment, or `{ status: 'rejected', error }`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each step answers its own shape, read by the assertions
export type MonitorHandler = (event: unknown) => Promise<any>;

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const MIB = 1024 * 1024;
export const FEATURES = ['f1', 'f2', 'f3', 'segment'] as const;
export const SAMPLE_KEY = 'training/sample.csv';
export const CAPTURE_PREFIX = 'datacapture/';
export const VARIANT = 'AllTraffic';
export const MONITOR_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:drift-monitor-reports';
export const MONITOR_THRESHOLDS = { medium: 0.1, high: 0.3, critical: 0.5 };

type Row = readonly [number, number, number, string];

/** mulberry32: the same rows every run. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rows of the training distribution: f1 normal(50, 10), f2 uniform(0, 100), f3 exponential(mean 3), segment a/b/c; `shift` moves f1. */
export function rowSource(seed: number, shift = 0): () => Row {
  const random = seeded(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return () => [
    Number((50 + shift + 10 * normal()).toFixed(2)),
    Number((100 * random()).toFixed(2)),
    Number((-3 * Math.log(1 - random())).toFixed(3)),
    ['a', 'b', 'c'][Math.floor(3 * random() ** 1.5)],
  ];
}

/** The training sample: a header, then `rows` rows of the training distribution. */
export function trainingSampleCsv(rows = 2000, seed = 7): string {
  const next = rowSource(seed);
  return [FEATURES.join(','), ...Array.from({ length: rows }, () => next().join(','))].join('\n') + '\n';
}

/** A request as the endpoint captured it: at `atMs`, its rows. */
export interface CaptureRequest {
  readonly atMs: number;
  readonly rows: readonly Row[];
}

/** `count` requests of `rowsEach` rows, evenly spread over [fromMs, toMs). */
export function requestsBetween(fromMs: number, toMs: number, count: number, next: () => Row, rowsEach = 1): CaptureRequest[] {
  const step = (toMs - fromMs) / count;
  return Array.from({ length: count }, (_, i) => ({ atMs: Math.floor(fromMs + i * step), rows: Array.from({ length: rowsEach }, next) }));
}

/** One capture line as SageMaker writes it: CSV input and output, then the event's metadata. */
export function captureLine(request: CaptureRequest, id: number): string {
  return JSON.stringify({
    captureData: {
      endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: request.rows.map((row) => row.join(',')).join('\n'), encoding: 'CSV' },
      endpointOutput: { observedContentType: 'text/csv; charset=utf-8', mode: 'OUTPUT', data: request.rows.map(() => '0.5').join('\n'), encoding: 'CSV' },
    },
    eventMetadata: { eventId: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`, inferenceTime: new Date(request.atMs).toISOString() },
    eventVersion: '0',
  });
}

/** `yyyy/mm/dd/hh/` of the hour holding `atMs`, UTC. */
export const hourFolder = (atMs: number): string => new Date(atMs).toISOString().slice(0, 13).replace(/[-T]/g, '/') + '/';

/** The capture delay of the tests' monitors: their windows end this long before their runs. */
export const CAPTURE_DELAY_MS = 5 * MINUTE;
/** The run's window end for an execution started at `startedMs`: the minute a capture delay before it. */
export const windowEnd = (startedMs: number): number => Math.floor((startedMs - CAPTURE_DELAY_MS) / MINUTE) * MINUTE;

/** A monitor's settings, as its construct writes them; each test's monitor has its own store folder. */
export function monitorSettings(monitorId: string, endpointName: string, overrides: Record<string, unknown> = {}) {
  return {
    monitorId,
    endpointName,
    variantName: VARIANT,
    capture: { bucket: BUCKET, prefix: CAPTURE_PREFIX },
    features: [...FEATURES],
    baseline: { kind: 'training-sample', bucket: BUCKET, key: SAMPLE_KEY, format: 'csv', header: true },
    store: { bucket: BUCKET, prefix: `drift-monitor/${monitorId}/` },
    statistic: 'jensen-shannon',
    bins: 10,
    drift: { thresholds: MONITOR_THRESHOLDS, featureThresholds: {}, autoRetrain: false },
    bytesPerInvocation: 512 * MIB,
    firstWindowMs: 2 * HOUR,
    captureDelayMs: CAPTURE_DELAY_MS,
    topicArns: [MONITOR_TOPIC],
    ...overrides,
  };
}

/** The drift monitor's surroundings: the drift evaluator's world (S3, SNS, SageMaker, functions), one bucket for capture, sample and store. */
export class DriftMonitorWorld {
  readonly drift = new DriftWorld();
  private files = 0;
  private lines = 0;

  async start(): Promise<void> {
    await this.drift.start();
    await this.put(SAMPLE_KEY, trainingSampleCsv());
  }

  async stop(): Promise<void> {
    await this.drift.stop();
  }

  /** The monitor's handler as deployed with `settings`: they are read once, when the module loads. */
  async handlerWith(settings: Record<string, unknown>): Promise<MonitorHandler> {
    const restore = setEnv({ DRIFT_MONITOR_SETTINGS: JSON.stringify(settings) });
    let loaded: MonitorHandler | undefined;
    try {
      await jest.isolateModulesAsync(async () => {
        loaded = (await import('../../lambda/aws/drift-monitor')).handler;
      });
    } finally {
      restore();
    }
    return loaded!;
  }

  /** Writes `requests` as capture of `endpointName`: one file per hour folder, named as SageMaker names them. */
  async putCapture(endpointName: string, requests: readonly CaptureRequest[], extraLines: readonly string[] = []): Promise<string[]> {
    const byHour = new Map<string, string[]>();
    for (const request of requests) {
      const folder = hourFolder(request.atMs);
      byHour.set(folder, [...(byHour.get(folder) ?? []), captureLine(request, ++this.lines)]);
    }
    const keys: string[] = [];
    for (const [index, [folder, lines]] of [...byHour.entries()].entries()) {
      const key = `${CAPTURE_PREFIX}${endpointName}/${VARIANT}/${folder}00-00-000-${String(++this.files).padStart(8, '0')}.jsonl`;
      await this.put(key, [...lines, ...(index === 0 ? extraLines : [])].join('\n') + '\n');
      keys.push(key);
    }
    return keys;
  }

  async put(key: string, body: string): Promise<void> {
    await this.drift.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  }

  async text(key: string): Promise<string | undefined> {
    try {
      const object = await this.drift.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      return await object.Body!.transformToString();
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async json(key: string): Promise<unknown> {
    const body = await this.text(key);
    return body === undefined ? undefined : JSON.parse(body);
  }

  async keys(prefix: string): Promise<string[]> {
    const listed = await this.drift.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
    return (listed.Contents ?? []).map((object) => object.Key!);
  }

  /** What the monitor `monitorId` published to the drift triggers' topic, parsed. */
  published(monitorId: string): Array<{ source: string; monitorId: string; reportKey: string }> {
    return this.drift.sns.messages
      .filter((message) => message.topicArn === MONITOR_TOPIC)
      .map((message) => JSON.parse(message.message))
      .filter((message) => message.monitorId === monitorId);
  }
}

/** Runs plan then assess, as the state machine does for a window that fits one invocation. */
export async function planAndAssess(handler: MonitorHandler, executionName: string, startedMs: number) {
  const plan = await handler({ action: 'plan', executionName, executionStartTime: new Date(startedMs).toISOString() });
  const assessment = plan.mode === 'empty' ? undefined : await handler({ action: 'assess', runId: plan.runId });
  return { plan, assessment };
}
