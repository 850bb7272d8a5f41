import type { S3Client } from '@aws-sdk/client-s3';
import { reportKeyOf, MONITOR_MESSAGE_SOURCE, DRIFT_MONITOR_LIMITS, type DriftMonitorSettings, type MonitorReportMessage } from '../../core/contracts/drift-monitor';
import { captureEndpointPrefix } from '../../core/data-capture';
import { assessWindow, type MonitorAssessment } from '../../core/drift-monitor';
import { compareWindow, mergeWindows, parseWindowSketch, windowAccumulator, type WindowComparison, type WindowSketch } from '../../core/drift-statistics';
import { CLOCK_SKEW_MS, isRfc3339Time } from '../../core/event-time';
import { accept, isRecord, reject, type FieldError, type Parsed } from '../../core/result';
import { listCaptureObjects } from '../adapters/capture-objects';
import { s3Lines } from '../adapters/s3-lines';
import { readCapture } from './capture-reader';
import type { BaselineBuilder, StoredBaseline } from './baseline-builder';
import { isRunId, type MonitorStore } from './store';

/** What a run assesses: a window of capture, split into slices of at most `bytesPerInvocation`. */
export interface RunRecord {
  readonly runId: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly slices: number;
  readonly baselineEtag: string;
}

export type PlanOutput = { readonly runId: string; readonly mode: 'empty' | 'single' | 'fan-out'; readonly manifestKey?: string };

export interface MonitorObserver {
  sliceRead(rows: number, malformed: number, firstProblem: FieldError | undefined): void;
  assessed(assessment: MonitorAssessment, reportKey: string, rows: number): void;
}

export interface RunDeps {
  readonly s3: S3Client;
  readonly store: MonitorStore;
  readonly baselines: BaselineBuilder;
  readonly publish: (topicArn: string, message: MonitorReportMessage) => Promise<void>;
  readonly now: () => number;
  readonly observer: MonitorObserver;
}

const WATERMARK = 'watermark.json';
const runFolder = (runId: string) => `runs/${runId}/`;

function parseRunRecord(input: unknown): Parsed<RunRecord> {
  if (!isRecord(input) || !isRunId(input.runId)) return reject('runId', 'must be a run id');
  const numbers = ['fromMs', 'toMs', 'slices'].map((name) => input[name]);
  if (!numbers.every((value) => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)) return reject('run', 'must hold fromMs, toMs and slices');
  if (typeof input.baselineEtag !== 'string') return reject('baselineEtag', 'must be a string');
  return accept({ runId: input.runId, fromMs: input.fromMs as number, toMs: input.toMs as number, slices: input.slices as number, baselineEtag: input.baselineEtag });
}
const parseKeys = (input: unknown): Parsed<string[]> =>
  Array.isArray(input) && input.every((key) => typeof key === 'string') ? accept(input as string[]) : reject('keys', 'must be a list of keys');
const parseWatermark = (input: unknown): Parsed<number> =>
  isRecord(input) && typeof input.toMs === 'number' && Number.isSafeInteger(input.toMs) ? accept(input.toMs) : reject('toMs', 'must be a time in ms');

/**
 * A monitor's runs: plan a window, sketch its slices, assess. Every step reads what it works on from the store
 * (the run's record, its slices' keys, the baseline), never from its input beyond a run id, so an invocation
 * that did not come from the monitor's state machine can make it do nothing it would not do on schedule.
 */
export class MonitorRuns {
  constructor(
    private readonly settings: DriftMonitorSettings,
    private readonly deps: RunDeps,
  ) {}

  /** The window since the last assessed one up to a capture delay before the execution's start, listed and cut into slices. */
  async plan(input: { executionName: unknown; executionStartTime: unknown }): Promise<Parsed<PlanOutput>> {
    if (!isRunId(input.executionName)) return reject('executionName', 'must be a Step Functions execution name');
    if (typeof input.executionStartTime !== 'string' || !isRfc3339Time(input.executionStartTime)) return reject('executionStartTime', 'must be an RFC 3339 time');
    const now = this.deps.now();
    const started = Date.parse(input.executionStartTime);
    if (Math.abs(now - started) > CLOCK_SKEW_MS) return reject('executionStartTime', `is more than ${CLOCK_SKEW_MS / 60_000} minutes from now`);
    const runId = input.executionName;
    // The window ends a capture delay before the run, so that SageMaker has written the capture of its last minutes.
    const toMs = Math.floor((started - this.settings.captureDelayMs) / 60_000) * 60_000;
    const watermark = (await this.deps.store.read(WATERMARK, parseWatermark)) ?? toMs - this.settings.firstWindowMs;
    const fromMs = Math.max(watermark, toMs - DRIFT_MONITOR_LIMITS.maxWindowMs);
    if (fromMs >= toMs) return accept({ runId, mode: 'empty' });

    const { capture, endpointName, variantName } = this.settings;
    const objects = await listCaptureObjects(this.deps.s3, { bucket: capture.bucket, prefix: capture.prefix, endpointName, variantName, fromMs, toMs });
    if (objects.length === 0) return accept({ runId, mode: 'empty' });
    const baseline = await this.deps.baselines.current();
    const slices: string[][] = [];
    let bytes = Infinity;
    for (const object of objects) {
      if (bytes + object.size > this.settings.bytesPerInvocation && (slices.at(-1)?.length ?? 0) > 0) bytes = Infinity;
      if (bytes === Infinity) {
        slices.push([]);
        bytes = 0;
      }
      slices.at(-1)!.push(object.key);
      bytes += object.size;
    }
    const folder = runFolder(runId);
    for (const [index, keys] of slices.entries()) await this.deps.store.write(`${folder}slices/${index}.json`, keys);
    const manifestKey = this.deps.store.key(`${folder}manifest.json`);
    await this.deps.store.write(`${folder}manifest.json`, slices.map((_, slice) => ({ slice })));
    await this.deps.store.write(`${folder}run.json`, { runId, fromMs, toMs, slices: slices.length, baselineEtag: baseline.sourceEtag } satisfies RunRecord);
    return accept({ runId, mode: slices.length === 1 ? 'single' : 'fan-out', manifestKey });
  }

  /** Sketches one slice of a planned run and keeps the sketch for the assessment. */
  async sketch(input: { runId: unknown; slice: unknown }): Promise<Parsed<{ slice: number; rows: number }>> {
    const run = await this.run(input.runId);
    if (!run.ok) return run;
    const slice = input.slice;
    if (typeof slice !== 'number' || !Number.isInteger(slice) || slice < 0 || slice >= run.value.slices) return reject('slice', `must be a slice of run ${run.value.runId}`);
    const window = await this.sketchSlice(run.value, slice, await this.baselineOf(run.value));
    await this.deps.store.write(`${runFolder(run.value.runId)}partials/${slice}.json`, window);
    return accept({ slice, rows: window.rows });
  }

  /** Merges the run's slices, compares with the baseline, writes the report, tells the triggers, then moves the watermark. */
  async assess(input: { runId: unknown }): Promise<Parsed<{ reportKey: string; rows: number; violations: number }>> {
    const run = await this.run(input.runId);
    if (!run.ok) return run;
    const baseline = await this.baselineOf(run.value);
    let window: WindowSketch | undefined;
    for (let slice = 0; slice < run.value.slices; slice++) {
      const part = run.value.slices === 1
        ? await this.sketchSlice(run.value, 0, baseline)
        : await this.deps.store.read(`${runFolder(run.value.runId)}partials/${slice}.json`, parseWindowSketch);
      if (!part) throw new Error(`run ${run.value.runId}: slice ${slice} has no sketch yet`);
      const merged: Parsed<WindowSketch> = window ? mergeWindows(window, part) : accept(part);
      if (!merged.ok) throw new Error(`run ${run.value.runId}: slice ${slice} ${merged.error.field} ${merged.error.problem}`);
      window = merged.value;
    }
    const compared = compareWindow(baseline.baseline, window!);
    if (!compared.ok) throw new Error(`run ${run.value.runId}: ${compared.error.field} ${compared.error.problem}: the baseline changed during the run`);
    const comparison = withoutApproximate(compared.value, baseline.approximate);
    const assessment = assessWindow(comparison, this.settings.statistic, this.settings.drift);
    const reportKey = reportKeyOf(this.deps.store.prefix, run.value.toMs);
    const reportName = reportKey.slice(this.deps.store.prefix.length);
    await this.deps.store.write(reportName.replace(/constraint_violations\.json$/, 'statistics.json'), { window: { fromMs: run.value.fromMs, toMs: run.value.toMs }, comparison });
    await this.deps.store.write(reportName, assessment.report);
    this.deps.observer.assessed(assessment, reportKey, window!.rows);
    for (const topicArn of this.settings.topicArns) {
      await this.deps.publish(topicArn, { source: MONITOR_MESSAGE_SOURCE, monitorId: this.settings.monitorId, reportKey });
    }
    // The window counts as assessed only once its report is written and told: a failure before here assesses it again.
    const watermark = await this.deps.store.read(WATERMARK, parseWatermark);
    if (watermark === undefined || watermark < run.value.toMs) await this.deps.store.write(WATERMARK, { toMs: run.value.toMs });
    return accept({ reportKey, rows: window!.rows, violations: assessment.report.violations.length });
  }

  /**
   * The baseline the run was planned with: a run whose baseline was replaced meanwhile fails, and the next run
   * assesses its window (the watermark has not moved) against the new one, never a mix of both.
   */
  private async baselineOf(run: RunRecord): Promise<StoredBaseline> {
    const baseline = await this.deps.baselines.current();
    if (baseline.sourceEtag !== run.baselineEtag) throw new Error(`run ${run.runId}: the baseline changed since it was planned; the next run assesses its window against the new one`);
    return baseline;
  }

  private async run(runId: unknown): Promise<Parsed<RunRecord>> {
    if (!isRunId(runId)) return reject('runId', 'must be a run id');
    const run = await this.deps.store.read(`${runFolder(runId)}run.json`, parseRunRecord);
    return run ? accept(run) : reject('runId', `names no run of this monitor: ${runId}`);
  }

  /** Streams a slice's capture files, keeping only requests inside the run's window; malformed lines are counted and skipped. */
  private async sketchSlice(run: RunRecord, slice: number, baseline: StoredBaseline): Promise<WindowSketch> {
    const keys = await this.deps.store.read(`${runFolder(run.runId)}slices/${slice}.json`, parseKeys);
    if (!keys) throw new Error(`run ${run.runId}: slice ${slice} has no keys`);
    const { capture, endpointName, features, outputName } = this.settings;
    const endpointPrefix = captureEndpointPrefix(capture.prefix, endpointName);
    const accumulator = windowAccumulator(baseline.baseline);
    const schema = { features, ...(outputName ? { outputFeature: outputName } : {}) };
    let rows = 0;
    let malformed = 0;
    let firstProblem: FieldError | undefined;
    for (const key of keys) {
      if (!key.startsWith(endpointPrefix)) throw new Error(`run ${run.runId}: ${key} is not capture of endpoint ${endpointName}`);
      const read = await readCapture(s3Lines(this.deps.s3, { bucket: capture.bucket, key }), schema, run, (row) => accumulator.add(row));
      rows += read.rows;
      malformed += read.malformed;
      firstProblem ??= read.firstProblem;
    }
    this.deps.observer.sliceRead(rows, malformed, firstProblem);
    return accumulator.sketch();
  }
}

/** KS and Wasserstein against a histogram-built baseline would understate their error: they are left out. */
function withoutApproximate(comparison: WindowComparison, approximate: readonly string[]): WindowComparison {
  if (approximate.length === 0) return comparison;
  const rough = new Set(approximate);
  return {
    ...comparison,
    features: comparison.features.map((feature) =>
      feature.kind === 'numeric' && rough.has(feature.feature) ? { ...feature, kolmogorovSmirnov: null, wasserstein: null } : feature),
  };
}
