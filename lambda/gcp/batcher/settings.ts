import { BATCH_DEFAULTS, BATCH_LIMITS } from '../../core/contracts/batch';
import { accept, describe, isRecord, reject, requiredNumber, requiredString, type Parsed } from '../../core/result';
import { parseVertexTarget, type VertexTarget } from '../../core/contracts/google-functions';

/** BATCHER_CONFIG: one data-arrival trigger per deployment of the batcher function. */
export interface BatcherConfig extends VertexTarget {
  /** The bucket whose object notifications arrive; another bucket's are rejected. */
  readonly bucket: string;
  /** Only objects whose name starts with it are batched. @default '' (every object) */
  readonly prefix: string;
  /** Only objects whose name ends with it are batched. @default '' (every object) */
  readonly suffix: string;
  readonly batchSize: number;
  /** Seconds after a batch's first object at which a flush closes it, full or not. */
  readonly batchWindowSeconds: number;
  readonly manifestBucket: string;
  /** Empty or ending in `/`. */
  readonly manifestPrefix: string;
  /** Start attempts before a batch is recorded FAILED. @default BATCH_DEFAULTS.maxStartAttempts (6, as on AWS) */
  readonly maxStartAttempts: number;
}

/** Bucket names: 3-222 lowercase letters, digits, -, _ and ., from and to a letter or digit. */
const BUCKET = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

/** Reads BATCHER_CONFIG, naming fields relative to it (`batchSize`, `manifestPrefix`). */
export function parseBatcherConfig(input: unknown): Parsed<BatcherConfig> {
  const target = parseVertexTarget(input);
  if (!target.ok) return target;
  if (!isRecord(input)) return reject('settings', 'must be a JSON object');
  const buckets: Record<string, string> = {};
  for (const name of ['bucket', 'manifestBucket'] as const) {
    const value = requiredString(input, name, name);
    if (!value.ok) return value;
    if (!BUCKET.test(value.value)) return reject(name, `must be a Cloud Storage bucket name, got '${value.value}'`);
    buckets[name] = value.value;
  }
  const prefixes: Record<string, string> = {};
  for (const name of ['prefix', 'suffix', 'manifestPrefix'] as const) {
    const value = input[name] ?? '';
    if (typeof value !== 'string') return reject(name, `must be a string when present, got ${describe(value)}`);
    prefixes[name] = value;
  }
  if (prefixes.manifestPrefix !== '' && !prefixes.manifestPrefix.endsWith('/')) return reject('manifestPrefix', "must be '' or end with '/'");
  const batchSize = requiredNumber(input, 'batchSize', 'batchSize', 1, BATCH_LIMITS.maxBatchSize);
  if (!batchSize.ok) return batchSize;
  if (!Number.isInteger(batchSize.value)) return reject('batchSize', `must be a whole number, got ${batchSize.value}`);
  const window = requiredNumber(input, 'batchWindowSeconds', 'batchWindowSeconds', BATCH_LIMITS.minWindowSeconds, BATCH_LIMITS.maxWindowSeconds);
  if (!window.ok) return window;
  const attempts = input.maxStartAttempts === undefined
    ? accept<number>(BATCH_DEFAULTS.maxStartAttempts)
    : requiredNumber(input, 'maxStartAttempts', 'maxStartAttempts', 1, BATCH_LIMITS.maxStartAttempts);
  if (!attempts.ok) return attempts;
  return accept({
    ...target.value,
    bucket: buckets.bucket,
    prefix: prefixes.prefix,
    suffix: prefixes.suffix,
    batchSize: batchSize.value,
    batchWindowSeconds: window.value,
    manifestBucket: buckets.manifestBucket,
    manifestPrefix: prefixes.manifestPrefix,
    maxStartAttempts: attempts.value,
  });
}
