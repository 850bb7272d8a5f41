/**
 * The simulator's events file: JSON lines, each an input at a time (an object created, a platform event, an
 * alarm transition, an upstream run that finished, a trigger disabled or enabled again by a redeployment, an
 * approval or a rejection). Pure: the caller reads the file.
 *
 * `{"at": T, "disable": ID}` and `{"at": T, "enable": ID}` redeploy the app with the trigger `ID` (its
 * `triggerId`) disabled or enabled: its rule stops or resumes matching, its configuration parameter is written
 * again with the new state, and Parameter Store's change event for it goes to the default bus.
 */
import { EVENT_NAME, EVENT_NAME_RULE, PIPELINE_NAME, TRIGGER_ID, TRIGGER_ID_RULE } from '../../lambda/core/contracts/shared';
import { isRfc3339Time } from '../../lambda/core/event-time';
import { describe, isRecord } from '../../lambda/core/result';

interface InputBase {
  /** When the input happens, in epoch milliseconds. */
  readonly atMs: number;
  /** The line of the file it came from, counted from 1. */
  readonly line: number;
  /** Runs started because of this input fail instead of succeeding. */
  readonly fail: boolean;
}

export interface S3Input extends InputBase {
  readonly kind: 's3';
  readonly bucket: string;
  readonly key: string;
  readonly size?: number;
  readonly versionId?: string;
}

export interface PlatformEventInput extends InputBase {
  readonly kind: 'event';
  readonly name: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly project?: string;
  /** `main` when the line names a project and no branch, as a trigger bus namespaces it. */
  readonly branch?: string;
  readonly id?: string;
}

export interface AlarmInput extends InputBase {
  readonly kind: 'alarm';
  readonly name: string;
  readonly state: 'ALARM' | 'OK';
  readonly reason?: string;
  /** A report file to place where the drift evaluator reads. */
  readonly report?: string;
}

export interface PipelineSucceededInput extends InputBase {
  readonly kind: 'pipelineSucceeded';
  readonly pipeline: string;
}

export interface ReviewInput extends InputBase {
  readonly kind: 'approve' | 'reject';
  readonly pipeline: string;
  readonly request: string;
}

/** A redeployment that disables or enables a trigger. */
export interface TriggerSwitchInput extends InputBase {
  readonly kind: 'enable' | 'disable';
  /** The trigger's `triggerId`. */
  readonly triggerId: string;
}

/** Whether a line redeploys a trigger disabled or enabled. */
export function isTriggerSwitch(input: SimulationInput): input is TriggerSwitchInput {
  return input.kind === 'enable' || input.kind === 'disable';
}

/** One line of the events file, read. */
export type SimulationInput = S3Input | PlatformEventInput | AlarmInput | PipelineSucceededInput | ReviewInput | TriggerSwitchInput;
export type SimulationInputKind = SimulationInput['kind'];

/** A line that cannot be simulated: where, which field, and why. `atMs` is set when the line's time could be read. */
export interface RejectedLine {
  readonly line: number;
  readonly field: string;
  readonly problem: string;
  readonly atMs?: number;
}

export interface EventsFile {
  /** The inputs in time order; inputs at the same time keep the file's order. */
  readonly lines: SimulationInput[];
  readonly rejected: RejectedLine[];
}

export const INPUT_KINDS: readonly SimulationInputKind[] = ['s3', 'event', 'alarm', 'pipelineSucceeded', 'approve', 'reject', 'enable', 'disable'];
/** The longest line read; a longer one is rejected without being parsed. */
export const MAX_LINE_BYTES = 256 * 1024;
/** A trigger bus's project and branch (TriggerEventBus's namespace rule). */
const NAMESPACE_NAME = /^[a-z0-9_-]{1,32}$/;
const NAMESPACE_RULE = 'must be 1-32 lowercase letters, digits, - or _';
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IP_ADDRESS = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const BUCKET_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const BUCKET_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];
const TOP_LEVEL = new Set<string>(['at', 'fail', 'report', ...INPUT_KINDS]);
const LIST = `${INPUT_KINDS.slice(0, -1).join(', ')} or ${INPUT_KINDS[INPUT_KINDS.length - 1]}`;

class LineProblem extends Error {
  constructor(readonly field: string, readonly problem: string) {
    super(`${field} ${problem}`);
  }
}

/** Reads every line of an events file: blank lines and lines starting with `#` are skipped. Linear in the text's length. */
export function parseEventsFile(text: string): EventsFile {
  const lines: SimulationInput[] = [];
  const rejected: RejectedLine[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    let atMs: number | undefined;
    try {
      if (Buffer.byteLength(trimmed, 'utf8') > MAX_LINE_BYTES) {
        throw new LineProblem('line', `is longer than ${MAX_LINE_BYTES / 1024} KB: store large data elsewhere and name it`);
      }
      const record = jsonRecord(trimmed);
      atMs = parseAt(record.at);
      lines.push(parseLine(record, { atMs, line, fail: parseFail(record.fail) }));
    } catch (error) {
      if (!(error instanceof LineProblem)) throw error;
      rejected.push({ line, field: error.field, problem: error.problem, ...(atMs !== undefined ? { atMs } : {}) });
    }
  });
  lines.sort((a, b) => a.atMs - b.atMs || a.line - b.line);
  return { lines, rejected };
}

function jsonRecord(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new LineProblem('line', `is not JSON: ${(error as Error).message}`);
  }
  if (!isRecord(value)) throw new LineProblem('line', `must be a JSON object, got ${describe(value)}`);
  return value;
}

function parseAt(value: unknown): number {
  if (value === undefined) throw new LineProblem('at', 'is missing: give the time as ISO 8601 with an offset or Z, such as 2024-01-29T03:00:00Z');
  if (typeof value !== 'string') throw new LineProblem('at', `must be an ISO 8601 time string, got ${describe(value)}`);
  const atMs = Date.parse(value);
  if (!isRfc3339Time(value) || Number.isNaN(atMs)) {
    throw new LineProblem('at', `must be a real ISO 8601 time with an offset or Z, such as 2024-01-29T03:00:00Z, got '${value.slice(0, 64)}'`);
  }
  return atMs;
}

function parseFail(value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new LineProblem('fail', `must be true or false, got ${describe(value)}`);
  return value;
}

function parseLine(record: Record<string, unknown>, base: InputBase): SimulationInput {
  const unknown = Object.keys(record).find((key) => !TOP_LEVEL.has(key));
  if (unknown !== undefined) throw new LineProblem(unknown, `is not a field of an events line: use at, fail and one of ${LIST}`);
  const kinds = INPUT_KINDS.filter((kind) => Object.hasOwn(record, kind));
  if (kinds.length === 0) throw new LineProblem('line', `names no input: give exactly one of ${LIST}`);
  if (kinds.length > 1) throw new LineProblem(kinds[1], `is a second input on a line that has ${kinds[0]}: give each its own line`);
  const kind = kinds[0];
  if (record.report !== undefined && kind !== 'alarm') throw new LineProblem('report', 'is only valid on an alarm line');
  const value = record[kind];
  switch (kind) {
    case 's3':
      return { ...base, kind, ...parseS3(fields(value, kind, ['bucket', 'key', 'size', 'versionId'])) };
    case 'event':
      return { ...base, kind, ...parseEvent(fields(value, kind, ['name', 'data', 'project', 'branch', 'id'])) };
    case 'alarm':
      return { ...base, kind, ...parseAlarm(fields(value, kind, ['name', 'state', 'reason']), record.report) };
    case 'pipelineSucceeded':
      return { ...base, kind, pipeline: pipelineName(value, kind) };
    case 'approve':
    case 'reject': {
      const review = fields(value, kind, ['pipeline', 'request']);
      return { ...base, kind, pipeline: pipelineName(review.pipeline, `${kind}.pipeline`), request: text(review.request, `${kind}.request`) };
    }
    case 'enable':
    case 'disable': {
      const triggerId = text(value, kind);
      if (!TRIGGER_ID.test(triggerId)) throw new LineProblem(kind, `must be a trigger's triggerId, which ${TRIGGER_ID_RULE}, got '${triggerId.slice(0, 64)}'`);
      return { ...base, kind, triggerId };
    }
  }
}

function fields(value: unknown, path: string, allowed: readonly string[]): Record<string, unknown> {
  if (!isRecord(value)) throw new LineProblem(path, `must be an object, got ${describe(value)}`);
  const unknown = Object.keys(value).find((key) => !allowed.includes(key));
  if (unknown !== undefined) throw new LineProblem(`${path}.${unknown}`, `is not a field of ${path}: use ${allowed.join(', ')}`);
  return value;
}

function text(value: unknown, path: string): string {
  if (value === undefined) throw new LineProblem(path, 'is missing');
  if (typeof value !== 'string' || value === '') throw new LineProblem(path, `must be a non-empty string, got ${describe(value)}`);
  return value;
}

function optionalText(value: unknown, path: string): string | undefined {
  return value === undefined ? undefined : text(value, path);
}

function pipelineName(value: unknown, path: string): string {
  const name = text(value, path);
  if (!PIPELINE_NAME.test(name)) throw new LineProblem(path, `must be a SageMaker pipeline name (1-256 letters, digits and single hyphens between them), got '${name.slice(0, 64)}'`);
  return name;
}

function parseS3(s3: Record<string, unknown>): Omit<S3Input, keyof InputBase | 'kind'> {
  const bucket = text(s3.bucket, 's3.bucket');
  const bucketProblem = bucketNameProblem(bucket);
  if (bucketProblem) throw new LineProblem('s3.bucket', `${bucketProblem}, got '${bucket.slice(0, 64)}'`);
  const key = text(s3.key, 's3.key');
  if (Buffer.byteLength(key, 'utf8') > 1024) throw new LineProblem('s3.key', 'must be at most 1,024 bytes of UTF-8');
  if (s3.size !== undefined && !(Number.isSafeInteger(s3.size) && (s3.size as number) >= 0)) {
    throw new LineProblem('s3.size', `must be a whole number of bytes, 0 or more, got ${describe(s3.size)}`);
  }
  const versionId = optionalText(s3.versionId, 's3.versionId');
  return { bucket, key, ...(s3.size !== undefined ? { size: s3.size as number } : {}), ...(versionId !== undefined ? { versionId } : {}) };
}

/** Why `name` is not a general purpose bucket name under S3's naming rules, or undefined. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'must be 3-63 characters long';
  if (!BUCKET_NAME.test(name)) return 'must be lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit';
  if (name.includes('..')) return 'must not hold two adjacent dots';
  if (IP_ADDRESS.test(name)) return 'must not be formatted as an IP address';
  const prefix = BUCKET_PREFIXES.find((reserved) => name.startsWith(reserved));
  if (prefix) return `must not start with the reserved prefix '${prefix}'`;
  const suffix = BUCKET_SUFFIXES.find((reserved) => name.endsWith(reserved));
  return suffix ? `must not end with the reserved suffix '${suffix}'` : undefined;
}

function parseEvent(event: Record<string, unknown>): Omit<PlatformEventInput, keyof InputBase | 'kind'> {
  const name = text(event.name, 'event.name');
  if (!EVENT_NAME.test(name)) throw new LineProblem('event.name', `${EVENT_NAME_RULE}, got '${name.slice(0, 64)}'`);
  if (event.data === undefined) throw new LineProblem('event.data', 'is missing: give the event\'s payload as an object, {} when it has none');
  if (!isRecord(event.data)) throw new LineProblem('event.data', `must be an object, got ${describe(event.data)}`);
  const project = optionalText(event.project, 'event.project');
  const branch = optionalText(event.branch, 'event.branch');
  for (const [field, value] of [['event.project', project], ['event.branch', branch]] as const) {
    if (value !== undefined && !NAMESPACE_NAME.test(value)) throw new LineProblem(field, `${NAMESPACE_RULE}, got '${value.slice(0, 64)}'`);
  }
  if (branch !== undefined && project === undefined) throw new LineProblem('event.branch', 'needs a project: give event.project too, or leave the branch out');
  const id = optionalText(event.id, 'event.id');
  return {
    name,
    data: event.data,
    ...(project !== undefined ? { project, branch: branch ?? 'main' } : {}),
    ...(id !== undefined ? { id } : {}),
  };
}

function parseAlarm(alarm: Record<string, unknown>, report: unknown): Omit<AlarmInput, keyof InputBase | 'kind'> {
  const name = text(alarm.name, 'alarm.name');
  if (name.length > 255) throw new LineProblem('alarm.name', 'must be at most 255 characters, as CloudWatch allows');
  if (alarm.state !== 'ALARM' && alarm.state !== 'OK') {
    throw new LineProblem('alarm.state', alarm.state === undefined ? "is missing: use 'ALARM' or 'OK'" : `must be 'ALARM' or 'OK', got ${describe(alarm.state)}`);
  }
  const reason = optionalText(alarm.reason, 'alarm.reason');
  const reportPath = optionalText(report, 'report');
  return { name, state: alarm.state, ...(reason !== undefined ? { reason } : {}), ...(reportPath !== undefined ? { report: reportPath } : {}) };
}
