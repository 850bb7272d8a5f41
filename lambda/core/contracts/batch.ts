/**
 * The batcher's contract: what a data-arrival trigger is, as its construct writes it and the batcher reads
 * it back, with its defaults and limits. Pure: no SDK, no clock, no environment.
 */
import { accept, isRecord, reject, requiredNumber, requiredString, type Parsed } from '../result';
import { DEFAULT_PRIORITY, PRIORITY_LIMITS, TRIGGER_ID, TRIGGER_ID_RULE, type StartRoute } from './shared';
import { parseEnabled, parseReEnablePolicy, type ReEnablePolicy } from './re-enable';
import { CALENDAR_LIMITS, closeWindowSeconds, parseArrivalCalendar, type ArrivalCalendarConfig } from './arrival-calendar';

/** What a data-arrival trigger is, as its rule hands it to the batcher with every event. */
export interface BatchTriggerConfig extends StartRoute {
  readonly triggerId: string;
  readonly pipelineName: string;
  /** The watched bucket and key filter: an event the trigger's rule would not pass is rejected. */
  readonly source: ObjectSource;
  /** Objects per batch. */
  readonly batchSize: number;
  /** Seconds after a batch's first object at which it closes, full or not. */
  readonly batchWindowSeconds: number;
  readonly manifestBucket: string;
  /** Empty or ending in `/`. */
  readonly manifestPrefix: string;
  readonly manifestParameterName: string;
  readonly countParameterName: string;
  readonly parameters: Readonly<Record<string, string>>;
  /** Start attempts before a batch is recorded as failed. */
  readonly maxStartAttempts: number;
  /** Written only for a trigger with a deadline or a batch schedule: see arrival-calendar.ts. */
  readonly calendar?: ArrivalCalendarConfig;
  /** Written only when false: the trigger's rule is disabled. */
  readonly enabled?: boolean;
  /** Written only for a catch-up: what the trigger does when it is turned back on. @default skip */
  readonly whenReEnabled?: ReEnablePolicy;
}

/** Which objects a data-arrival trigger counts: its bucket, and keys with this prefix and suffix. */
export interface ObjectSource {
  readonly bucket: string;
  readonly prefix?: string;
  readonly suffix?: string;
}

export const BATCH_LIMITS = {
  maxBatchSize: 10_000,
  minWindowSeconds: 60,
  maxWindowSeconds: 7 * 86_400,
  maxStartAttempts: 50,
} as const;

/** The prefix manifests go under unless a trigger says otherwise; reserved for the library's manifests. */
export const DEFAULT_MANIFEST_PREFIX = 'ml-triggers/manifests/';

/** What a data-arrival trigger's construct writes when its props leave a setting out. */
export const BATCH_DEFAULTS = {
  batchSize: 1000,
  batchWindowSeconds: 3600,
  manifestPrefix: DEFAULT_MANIFEST_PREFIX,
  manifestParameterName: 'ManifestS3Uri',
  countParameterName: 'ObjectCount',
  maxStartAttempts: 6,
} as const;

export function parseBatchTriggerConfig(input: unknown): Parsed<BatchTriggerConfig> {
  if (!isRecord(input)) return reject('trigger', 'must be an object');
  const triggerId = requiredString(input, 'triggerId', 'trigger.triggerId');
  if (!triggerId.ok) return triggerId;
  if (!TRIGGER_ID.test(triggerId.value)) return reject('trigger.triggerId', TRIGGER_ID_RULE);
  const strings = ['pipelineName', 'manifestBucket', 'manifestParameterName', 'countParameterName'] as const;
  const values: Partial<Record<(typeof strings)[number], string>> = {};
  for (const name of strings) {
    const value = requiredString(input, name, `trigger.${name}`);
    if (!value.ok) return value;
    values[name] = value.value;
  }
  const prefix = input.manifestPrefix ?? '';
  if (typeof prefix !== 'string' || (prefix !== '' && !prefix.endsWith('/'))) {
    return reject('trigger.manifestPrefix', "must be '' or end with '/'");
  }
  const batchSize = requiredNumber(input, 'batchSize', 'trigger.batchSize', 1, BATCH_LIMITS.maxBatchSize);
  if (!batchSize.ok) return batchSize;
  const calendar = parseArrivalCalendar(input.calendar);
  if (!calendar.ok) return calendar;
  const window = requiredNumber(
    input,
    'batchWindowSeconds',
    'trigger.batchWindowSeconds',
    BATCH_LIMITS.minWindowSeconds,
    // A batch a schedule closes keeps a window past the schedule's longest gap.
    calendar.value?.close ? closeWindowSeconds(CALENDAR_LIMITS.maxCloseGapSeconds) : BATCH_LIMITS.maxWindowSeconds,
  );
  if (!window.ok) return window;
  const attempts = requiredNumber(input, 'maxStartAttempts', 'trigger.maxStartAttempts', 1, BATCH_LIMITS.maxStartAttempts);
  if (!attempts.ok) return attempts;
  const coordinator = input.coordinatorFunction;
  if (coordinator !== undefined && (typeof coordinator !== 'string' || coordinator.length === 0)) {
    return reject('trigger.coordinatorFunction', 'must be a function name or ARN when present');
  }
  const priority =
    input.priority === undefined ? accept(DEFAULT_PRIORITY) : requiredNumber(input, 'priority', 'trigger.priority', PRIORITY_LIMITS.min, PRIORITY_LIMITS.max);
  if (!priority.ok) return priority;
  const parameters = input.parameters ?? {};
  if (!isRecord(parameters) || Object.values(parameters).some((value) => typeof value !== 'string')) {
    return reject('trigger.parameters', 'must map names to string values');
  }
  const source = parseObjectSource(input.source);
  if (!source.ok) return source;
  const enabled = parseEnabled(input.enabled);
  if (!enabled.ok) return enabled;
  const reEnable = parseReEnablePolicy(input.whenReEnabled, batchSize.value);
  if (!reEnable.ok) return reEnable;
  return accept({
    triggerId: triggerId.value,
    pipelineName: values.pipelineName!,
    source: source.value,
    manifestBucket: values.manifestBucket!,
    manifestParameterName: values.manifestParameterName!,
    countParameterName: values.countParameterName!,
    manifestPrefix: prefix,
    batchSize: batchSize.value,
    batchWindowSeconds: window.value,
    maxStartAttempts: attempts.value,
    parameters: parameters as Record<string, string>,
    ...(coordinator !== undefined ? { coordinatorFunction: coordinator, priority: priority.value } : {}),
    ...(calendar.value ? { calendar: calendar.value } : {}),
    ...(enabled.value ? {} : { enabled: false }),
    ...(reEnable.value.mode === 'skip' ? {} : { whenReEnabled: reEnable.value }),
  });
}

function parseObjectSource(input: unknown): Parsed<ObjectSource> {
  if (!isRecord(input) || typeof input.bucket !== 'string' || input.bucket === '') return reject('trigger.source.bucket', 'must be a bucket name');
  for (const name of ['prefix', 'suffix'] as const) {
    if (input[name] !== undefined && typeof input[name] !== 'string') return reject(`trigger.source.${name}`, 'must be a string when present');
  }
  return accept({
    bucket: input.bucket,
    ...(typeof input.prefix === 'string' ? { prefix: input.prefix } : {}),
    ...(typeof input.suffix === 'string' ? { suffix: input.suffix } : {}),
  });
}
