import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { UnknownPublishMode, whyNotPublishing, type PublishMode } from './platform';
import { schemaError } from './schemas';

export type { PublishMode } from './platform';

/** Where events go: what a TriggerEventBus exposes as `publishTarget` (its name, source namespace and schemas). */
export interface BusTarget {
  readonly eventBusName: string;
  readonly source: string;
  /**
   * The JSON Schemas the bus declares for its events' `data`, by event name (`bus.declareEvent`): an event
   * of a declared name is validated before it is sent, and fails with `SchemaViolation`.
   * @default - every event is untyped
   */
  readonly schemas?: Readonly<Record<string, unknown>>;
}

/** How events are sent; `time` and `resources` apply to every event of one call. */
export interface PublishOptions {
  /** @default one client per process, configured by the SDK from the environment (`AWS_ENDPOINT_URL_EVENTBRIDGE`, `AWS_REGION`) */
  readonly client?: EventBridgeClient;
  /** @default unset: EventBridge stamps the time it receives the event */
  readonly time?: Date;
  /** ARNs of the resources the event is about. @default none */
  readonly resources?: string[];
}

/** An event EventBridge accepted. */
export interface PublishResult {
  readonly eventId: string;
}

/** Options of `safePublish`: `PublishOptions` plus an override of deployment detection. */
export interface SafePublishOptions extends PublishOptions {
  /**
   * `always`, `never`, or `auto` (publish where a deployed platform is detected). `never` from either this or
   * ML_TRIGGERS_PUBLISH wins; otherwise this wins over ML_TRIGGERS_PUBLISH.
   * @default ML_TRIGGERS_PUBLISH, else 'auto'
   */
  readonly mode?: PublishMode;
  /**
   * @deprecated use `mode`: `true` is `'always'`, `false` is `'never'`; ignored when `mode` is set.
   * @default unset
   */
  readonly deployed?: boolean;
  /** Replaces the platform detection of `auto`. @default detected from the environment (see `safePublish`) */
  readonly isDeployed?: () => boolean;
}

export type SafePublishResult = { published: true; eventId: string } | { published: false; reason: string };

/** An event that was not published: rejected before sending, or by PutEvents. */
export class PublishError extends Error {
  /**
   * @param code `InvalidName`, `InvalidPayload`, `SchemaViolation` (the event's `data` fails the schema its name
   *   declares; the message starts with the failing field, `data.owner.team: must be a string`), `InvalidSchema` (a
   *   schema in the target outside the subset), `EntryTooLarge`, `InvalidSetting` (ML_TRIGGERS_PUBLISH), the
   *   `ErrorCode` of a failed PutEvents entry, or the SDK error name when the whole PutEvents call failed
   * @param entryIndex position of the event in the list given to `publishEvents` (0 for `publishEvent`)
   */
  constructor(readonly code: string, message: string, readonly entryIndex?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PublishError';
  }
}

/**
 * PutEvents' size limit, for one entry and for the sum of the entries of one request: "You can batch multiple event
 * entries into one request for efficiency. However, the total entry size must be less than 1MB" (EventBridge API
 * Reference, PutEvents), each entry counted as "Calculating PutEvents event entry size" (EventBridge User Guide) says.
 * It was 256 KB until EventBridge raised it on 29 January 2026 (AWS Compute Blog, "More room to build").
 */
const MAX_REQUEST_BYTES = 1024 * 1024;
/** PutEvents accepts at most 10 entries per call (EventBridge API Reference, PutEvents `Entries`). */
const MAX_ENTRIES_PER_CALL = 10;
const MAX_ATTEMPTS = 3;
const BACKOFF_MS = 50;
/** Per-entry error codes the PutEventsResultEntry reference calls retryable; InternalException is the modeled name. */
const RETRYABLE_CODES: ReadonlySet<string> = new Set(['ThrottlingException', 'InternalFailure', 'InternalException']);
const EVENT_NAME = /^[A-Za-z0-9._-]{1,128}$/;

let defaultClient: EventBridgeClient | undefined;

function clientFor(options: PublishOptions): EventBridgeClient {
  return options.client ?? (defaultClient ??= new EventBridgeClient({}));
}

type Outcome = PublishResult | PublishError;
interface PendingEntry {
  readonly index: number;
  readonly entry: PutEventsRequestEntry;
  readonly size: number;
}
interface EntryFailure {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
  readonly cause?: unknown;
}

/** Publishes one named event; throws `PublishError` when it is invalid or PutEvents does not accept it. */
export async function publishEvent(
  target: BusTarget,
  name: string,
  payload: Record<string, unknown>,
  options: PublishOptions = {},
): Promise<PublishResult> {
  const [outcome] = await publishEvents(target, [{ name, payload }], options);
  if (outcome instanceof PublishError) throw outcome;
  return outcome;
}

/**
 * Publishes events in order, at most 10 and at most 1 MB of entries (by the PutEvents size formula) per call, and
 * returns one outcome per event in input order. Invalid events, and events over 1 MB alone, are not sent and fail;
 * entries failing with a retryable code are resent up to 3 attempts in all.
 */
export async function publishEvents(
  target: BusTarget,
  events: ReadonlyArray<{ name: string; payload: Record<string, unknown> }>,
  options: PublishOptions = {},
): Promise<Array<PublishResult | PublishError>> {
  const client = clientFor(options);
  const outcomes: Outcome[] = [];
  const pending: PendingEntry[] = [];
  events.forEach(({ name, payload }, index) => {
    const checked = toEntry(target, name, payload, options, index);
    if (checked instanceof PublishError) outcomes[index] = checked;
    else pending.push({ index, ...checked });
  });
  for (const batch of requests(pending)) await sendWithRetries(client, batch, outcomes);
  return outcomes;
}

/** Consecutive entries grouped into PutEvents requests of at most 10 entries and at most MAX_REQUEST_BYTES. */
function requests(pending: readonly PendingEntry[]): PendingEntry[][] {
  const batches: PendingEntry[][] = [];
  let current: PendingEntry[] = [];
  let bytes = 0;
  for (const item of pending) {
    if (current.length === MAX_ENTRIES_PER_CALL || (current.length > 0 && bytes + item.size > MAX_REQUEST_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * Like `publishEvent`, but sends only where it should, as `whyNotPublishing` decides: ML_TRIGGERS_PUBLISH=never (or
 * `options.mode` 'never') never sends; `options.mode`, else ML_TRIGGERS_PUBLISH (`always`, `never`, `auto`; `true` and
 * `false` are read as `always` and `never`), else `auto`. `auto` asks `options.isDeployed()` when given, else detects
 * the platform from the environment variables and files each platform documents: it publishes in Lambda, ECS and
 * Fargate, EKS (IAM roles for service accounts, Pod Identity) and SageMaker training and processing jobs; not in
 * GitHub Actions, CodeBuild or another CI service (CI=true), not in a SageMaker notebook or Studio app, and not on
 * EC2 or anywhere else it cannot tell (it makes no network call). The event is validated either way, so a bad event
 * fails in tests too; so does an ML_TRIGGERS_PUBLISH value it does not know.
 */
export async function safePublish(
  target: BusTarget,
  name: string,
  payload: Record<string, unknown>,
  options: SafePublishOptions = {},
): Promise<SafePublishResult> {
  const checked = toEntry(target, name, payload, options, 0);
  if (checked instanceof PublishError) throw checked;
  const legacyMode = options.deployed === undefined ? undefined : options.deployed ? 'always' : 'never';
  let reason: string | undefined;
  try {
    reason = whyNotPublishing({ env: process.env, mode: options.mode ?? legacyMode, isDeployed: options.isDeployed });
  } catch (error) {
    if (error instanceof UnknownPublishMode) throw new PublishError('InvalidSetting', error.message, 0, { cause: error });
    throw error;
  }
  if (reason !== undefined) return { published: false, reason };
  const { eventId } = await publishEvent(target, name, payload, options);
  return { published: true, eventId };
}

function toEntry(
  target: BusTarget,
  name: string,
  payload: Record<string, unknown>,
  options: PublishOptions,
  index: number,
): { entry: PutEventsRequestEntry; size: number } | PublishError {
  if (typeof name !== 'string' || !EVENT_NAME.test(name)) {
    const message = `event name must be 1-128 letters, digits, '.', '_' or '-', got ${JSON.stringify(name)}`;
    return new PublishError('InvalidName', message, index);
  }
  const detail = jsonObject(payload);
  if (detail === undefined) {
    const message = `payload of '${name}' must be a JSON object (not an array, null, a primitive or a value JSON cannot encode)`;
    return new PublishError('InvalidPayload', message, index);
  }
  const schemaProblem = schemaError(target.schemas, name, detail);
  if (schemaProblem) return new PublishError(schemaProblem.code, schemaProblem.message, index);
  const entry: PutEventsRequestEntry = {
    EventBusName: target.eventBusName,
    Source: target.source,
    DetailType: name,
    Detail: detail,
    ...(options.time ? { Time: options.time } : {}),
    ...(options.resources ? { Resources: options.resources } : {}),
  };
  const size = entrySize(entry);
  if (size > MAX_REQUEST_BYTES) {
    const message = `event '${name}' is ${size} bytes by the PutEvents entry size formula, over the ${MAX_REQUEST_BYTES}-byte limit; `
      + 'store the payload (e.g. in S3) and publish its location instead';
    return new PublishError('EntryTooLarge', message, index);
  }
  return { entry, size };
}

function jsonObject(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(payload);
  } catch {
    return undefined; // cycles, BigInt
  }
  return typeof json === 'string' && json.startsWith('{') ? json : undefined; // toJSON may turn it into a non-object
}

/**
 * Entry size as the EventBridge User Guide defines it ("Calculating PutEvents event entry size"): Time counts
 * 14 bytes when set; Source, DetailType, Detail and each Resources item count the bytes of their UTF-8 form.
 */
function entrySize(entry: PutEventsRequestEntry): number {
  const utf8 = (text: string | undefined): number => (text === undefined ? 0 : Buffer.byteLength(text, 'utf8'));
  const resources = (entry.Resources ?? []).reduce((sum, resource) => sum + utf8(resource), 0);
  return (entry.Time ? 14 : 0) + utf8(entry.Source) + utf8(entry.DetailType) + utf8(entry.Detail) + resources;
}

async function sendWithRetries(client: EventBridgeClient, batch: PendingEntry[], outcomes: Outcome[]): Promise<void> {
  let pending = batch;
  for (let attempt = 1; pending.length > 0; attempt++) {
    if (attempt > 1) await sleep(BACKOFF_MS * 2 ** (attempt - 2));
    const answers = await putEvents(client, pending.map(({ entry }) => entry));
    const retry: PendingEntry[] = [];
    pending.forEach((item, position) => {
      const answer = answers[position];
      if ('eventId' in answer) outcomes[item.index] = answer;
      else if (answer.retryable && attempt < MAX_ATTEMPTS) retry.push(item);
      else outcomes[item.index] = toPublishError(item, answer, attempt);
    });
    pending = retry;
  }
}

/** One PutEvents call; a failed call (after the SDK's own retries) fails each of its entries. */
async function putEvents(client: EventBridgeClient, entries: PutEventsRequestEntry[]): Promise<Array<PublishResult | EntryFailure>> {
  try {
    const answers = (await client.send(new PutEventsCommand({ Entries: entries }))).Entries ?? [];
    return entries.map((_, position): PublishResult | EntryFailure => {
      const { EventId: eventId, ErrorCode: code, ErrorMessage: message = '' } = answers[position] ?? {};
      if (code) return { code, message, retryable: RETRYABLE_CODES.has(code) };
      if (eventId) return { eventId };
      return { code: 'MissingResultEntry', message: `PutEvents answered ${answers.length} entries for ${entries.length}`, retryable: false };
    });
  } catch (error) {
    const code = error instanceof Error ? error.name : 'UnknownError';
    const message = `the PutEvents call failed: ${error instanceof Error ? error.message : String(error)}`;
    return entries.map(() => ({ code, message, retryable: false, cause: error }));
  }
}

function toPublishError({ index, entry }: PendingEntry, failure: EntryFailure, attempts: number): PublishError {
  const message = `PutEvents did not accept '${entry.DetailType}' on bus '${entry.EventBusName}' `
    + `(${attempts} attempt${attempts === 1 ? '' : 's'}): ${failure.code}: ${failure.message}`;
  return new PublishError(failure.code, message, index, failure.cause === undefined ? undefined : { cause: failure.cause });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
