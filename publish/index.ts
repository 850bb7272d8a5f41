import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';

/** Where events go: what a TriggerEventBus exposes (its name and source namespace). */
export interface BusTarget {
  readonly eventBusName: string;
  readonly source: string;
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
  /** @default detected from the environment (see `safePublish`) */
  readonly deployed?: boolean;
  /** Consulted when `deployed` is unset. @default detected from the environment */
  readonly isDeployed?: () => boolean;
}

export type SafePublishResult = { published: true; eventId: string } | { published: false; reason: string };

/** An event that was not published: rejected before sending, or by PutEvents. */
export class PublishError extends Error {
  /**
   * @param code `InvalidName`, `InvalidPayload`, `EntryTooLarge`, the `ErrorCode` of a failed PutEvents entry,
   *   or the SDK error name when the whole PutEvents call failed
   * @param entryIndex position of the event in the list given to `publishEvents` (0 for `publishEvent`)
   */
  constructor(readonly code: string, message: string, readonly entryIndex?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PublishError';
  }
}

/** PutEvents' entry size limit (EventBridge User Guide, "Calculating PutEvents event entry size"). */
// EventBridge raised the event size limit from 256 KB to 1 MB on 29 January 2026 (AWS Compute Blog).
const MAX_ENTRY_BYTES = 1024 * 1024;
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
 * Publishes events in order, at most 10 per PutEvents call, and returns one outcome per event in input order.
 * Invalid events are not sent; entries failing with a retryable code are resent up to 3 attempts in all.
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
    const entry = toEntry(target, name, payload, options, index);
    if (entry instanceof PublishError) outcomes[index] = entry;
    else pending.push({ index, entry });
  });
  for (let start = 0; start < pending.length; start += MAX_ENTRIES_PER_CALL) {
    await sendWithRetries(client, pending.slice(start, start + MAX_ENTRIES_PER_CALL), outcomes);
  }
  return outcomes;
}

/**
 * Like `publishEvent`, but sends nothing outside a deployed environment. Deployed means, in order:
 * not when ML_TRIGGERS_PUBLISH=false (the operator's switch wins over everything); else `options.deployed`;
 * else `options.isDeployed()`; else running in Lambda (AWS_LAMBDA_FUNCTION_NAME), in ECS
 * (ECS_CONTAINER_METADATA_URI_V4 or ECS_CONTAINER_METADATA_URI), or ML_TRIGGERS_PUBLISH=true.
 * The event is validated either way, so a bad event fails in tests too.
 */
export async function safePublish(
  target: BusTarget,
  name: string,
  payload: Record<string, unknown>,
  options: SafePublishOptions = {},
): Promise<SafePublishResult> {
  const checked = toEntry(target, name, payload, options, 0);
  if (checked instanceof PublishError) throw checked;
  const reason = whyNotPublishing(options, process.env);
  if (reason !== undefined) return { published: false, reason };
  const { eventId } = await publishEvent(target, name, payload, options);
  return { published: true, eventId };
}

function whyNotPublishing(options: SafePublishOptions, env: NodeJS.ProcessEnv): string | undefined {
  const publishSwitch = env.ML_TRIGGERS_PUBLISH?.trim().toLowerCase();
  if (publishSwitch === 'false') return 'ML_TRIGGERS_PUBLISH=false disables publishing';
  if (options.deployed !== undefined) return options.deployed ? undefined : 'options.deployed is false';
  if (options.isDeployed) return options.isDeployed() ? undefined : 'options.isDeployed() returned false';
  const deployed = Boolean(env.AWS_LAMBDA_FUNCTION_NAME || env.ECS_CONTAINER_METADATA_URI_V4 || env.ECS_CONTAINER_METADATA_URI)
    || publishSwitch === 'true';
  return deployed
    ? undefined
    : 'not a deployed environment: none of AWS_LAMBDA_FUNCTION_NAME, ECS_CONTAINER_METADATA_URI_V4, '
      + 'ECS_CONTAINER_METADATA_URI or ML_TRIGGERS_PUBLISH=true is set';
}

function toEntry(
  target: BusTarget,
  name: string,
  payload: Record<string, unknown>,
  options: PublishOptions,
  index: number,
): PutEventsRequestEntry | PublishError {
  if (typeof name !== 'string' || !EVENT_NAME.test(name)) {
    const message = `event name must be 1-128 letters, digits, '.', '_' or '-', got ${JSON.stringify(name)}`;
    return new PublishError('InvalidName', message, index);
  }
  const detail = jsonObject(payload);
  if (detail === undefined) {
    const message = `payload of '${name}' must be a JSON object (not an array, null, a primitive or a value JSON cannot encode)`;
    return new PublishError('InvalidPayload', message, index);
  }
  const entry: PutEventsRequestEntry = {
    EventBusName: target.eventBusName,
    Source: target.source,
    DetailType: name,
    Detail: detail,
    ...(options.time ? { Time: options.time } : {}),
    ...(options.resources ? { Resources: options.resources } : {}),
  };
  const size = entrySize(entry);
  if (size > MAX_ENTRY_BYTES) {
    const message = `event '${name}' is ${size} bytes by the PutEvents entry size formula, over the ${MAX_ENTRY_BYTES}-byte limit; `
      + 'store the payload (e.g. in S3) and publish its location instead';
    return new PublishError('EntryTooLarge', message, index);
  }
  return entry;
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
