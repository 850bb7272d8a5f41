import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { BaselineSource } from '../../core/contracts/drift-monitor';
import { parseCsvRows, toCaptureValue } from '../../core/data-capture-csv';
import {
  parseBaseline,
  planBaseline,
  profileAccumulator,
  toBaseline,
  windowAccumulator,
  type Baseline,
  type Row,
} from '../../core/drift-statistics';
import { baselineFromModelMonitorStatistics } from '../../core/drift-statistics/model-monitor-baseline';
import { accept, isRecord, reject, type Parsed } from '../../core/result';
import { s3Lines } from '../adapters/s3-lines';
import type { MonitorStore } from './store';

/** The baseline as the monitor keeps it: built from which version of its source, and which features are approximate. */
export interface StoredBaseline {
  readonly sourceEtag: string;
  readonly baseline: Baseline;
  /** Features whose quantile sketch was rebuilt from a histogram: their KS and Wasserstein are not reported. */
  readonly approximate: readonly string[];
}

export function parseStoredBaseline(input: unknown): Parsed<StoredBaseline> {
  if (!isRecord(input) || typeof input.sourceEtag !== 'string') return reject('sourceEtag', 'must be a string');
  const baseline = parseBaseline(input.baseline);
  if (!baseline.ok) return baseline;
  const approximate = input.approximate ?? [];
  if (!Array.isArray(approximate) || approximate.some((name) => typeof name !== 'string')) return reject('approximate', 'must be a list of feature names');
  return accept({ sourceEtag: input.sourceEtag, baseline: baseline.value, approximate: approximate as string[] });
}

const BASELINE = 'baseline.json';

/** What one line of a training sample holds, or why it is skipped. */
type SampleRow = { readonly row: Row } | { readonly skipped: string };

/**
 * Builds, keeps and returns a monitor's baseline: built again only when its source object changed (its ETag),
 * so every run compares with the same baseline until the training sample is replaced.
 */
export class BaselineBuilder {
  constructor(
    private readonly client: S3Client,
    private readonly store: MonitorStore,
    private readonly source: BaselineSource,
    private readonly features: readonly string[],
    private readonly bins: number,
  ) {}

  /** The current baseline; `rebuild` builds it even when the source did not change. */
  async current(rebuild = false): Promise<StoredBaseline> {
    const etag = await this.store.etagOf(this.source.bucket, this.source.key);
    if (etag === undefined) throw new Error(`the baseline source s3://${this.source.bucket}/${this.source.key} does not exist`);
    const kept = rebuild ? undefined : await this.store.read(BASELINE, parseStoredBaseline);
    if (kept && kept.sourceEtag === etag) return kept;
    const built = await this.build(etag);
    await this.store.write(BASELINE, built);
    return built;
  }

  private async build(sourceEtag: string): Promise<StoredBaseline> {
    if (this.source.kind === 'model-monitor-statistics') {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.source.bucket, Key: this.source.key }));
      const converted = baselineFromModelMonitorStatistics((await object.Body?.transformToString()) ?? '');
      if (!converted.ok) throw new Error(`s3://${this.source.bucket}/${this.source.key}: ${converted.error.field} ${converted.error.problem}`);
      return { sourceEtag, baseline: converted.value.baseline, approximate: converted.value.approximate };
    }
    // Two passes over the sample: the first chooses each feature's kind and bin edges, the second counts against them.
    const profile = profileAccumulator({ bins: this.bins });
    await this.eachRow((row) => profile.add(row));
    const plan = planBaseline(profile.sketch(), { bins: this.bins });
    const counted = windowAccumulator(plan);
    await this.eachRow((row) => counted.add(row));
    return { sourceEtag, baseline: toBaseline(counted.sketch()), approximate: [] };
  }

  /** Streams the sample's rows; a line that cannot be read is skipped, never guessed at. */
  private async eachRow(add: (row: Row) => void): Promise<void> {
    if (this.source.kind !== 'training-sample') return;
    let header: readonly string[] | undefined;
    let first = true;
    for await (const line of s3Lines(this.client, this.source)) {
      if (line.kind !== 'line' || line.text.trim() === '') continue;
      if (first && this.source.format === 'csv' && this.source.header) {
        const names = parseCsvRows(line.text, 'header');
        header = names.ok ? names.value[0] : undefined;
        first = false;
        continue;
      }
      first = false;
      const read = this.rowOf(line.text, header);
      if ('row' in read) add(read.row);
    }
  }

  private rowOf(text: string, header: readonly string[] | undefined): SampleRow {
    if (this.source.kind === 'training-sample' && this.source.format === 'jsonl') {
      try {
        const value: unknown = JSON.parse(text);
        return isRecord(value) ? { row: value } : { skipped: 'not a JSON object' };
      } catch {
        return { skipped: 'not JSON' };
      }
    }
    const cells = parseCsvRows(text, 'line');
    if (!cells.ok || cells.value.length !== 1) return { skipped: 'not one CSV row' };
    const names = header ?? this.features;
    const row: Record<string, unknown> = {};
    cells.value[0].forEach((cell, index) => {
      row[names[index] ?? `_c${index}`] = toCaptureValue(cell);
    });
    return { row };
  }
}
