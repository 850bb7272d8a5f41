import type { TableClient } from '@azure/data-tables';
import { parseAzureBatcherSettings, type AzureBatcherSettings } from '../../core/contracts/azure-functions';
import type { Backoff } from '../../core/persistence';
import { isRecord } from '../../core/result';
import type { ManifestBlobs } from '../adapters/blobs';
import { log, misconfigured, rejected, settingsFromEnv, type Outcome } from '../adapters/functions-host';
import { TablePartition, type PartitionRows } from '../adapters/tables';
import { parseBatcherEvent } from './message';
import { startBatch, type JobSubmitter, type Services, type StartOutcome } from './start';
import { BatchStore } from './store';

/** What the batcher talks to and reads the time from; the entry point (index.ts) wires the real ones. */
export interface BatcherDependencies {
  /** The client of the state table at `endpoint` (the settings' stateTableEndpoint and stateTable). */
  readonly stateTable: (endpoint: string, table: string) => TableClient;
  /** The rows of the trigger's partition; a test may wrap them. @default the partition of `stateTable`, as it is */
  readonly stateRows?: (table: TableClient, triggerId: string) => PartitionRows;
  /** Where manifests are written: the Blob service of the settings' manifestAccount. */
  readonly manifests: (account: string) => ManifestBlobs;
  readonly jobs: JobSubmitter;
  /** The clock, in epoch milliseconds. */
  readonly now: () => number;
  /** How a write that lost to another writer waits before it reads again. @default a real pause with full jitter */
  readonly backoff?: Backoff;
}

/** Settings as the function reads them: the app setting TRIGGER_SETTINGS, which the construct writes. */
export const SETTINGS = 'TRIGGER_SETTINGS';

const REAL_BACKOFF: Backoff = { pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), random: Math.random };

/**
 * Blob Created -> Event Grid -> this function: batches blobs (deduplicated by account, container, name and eTag) in
 * Table Storage and submits one Azure ML pipeline job per batch. Outcomes: added / duplicate / ignored / rejected (bad
 * input, never retried, naming the field), all final; retry (Table or Blob Storage unavailable) and misconfigured, for
 * which the entry point fails the invocation so that Event Grid redelivers. A start that fails is kept for the flush.
 */
export function batcherHandler(deps: BatcherDependencies): (event: unknown, invocationId: string) => Promise<Outcome> {
  return (event, invocationId) => handleEvent(deps, event, invocationId);
}

/**
 * The timer (every minute): closes a batch whose window ran out and starts every closed batch that is due (sealed,
 * a retry whose backoff passed, or a claim whose holder died). The invocation id is the correlation id.
 */
export function flushHandler(deps: BatcherDependencies): (timer: unknown, invocationId: string) => Promise<Outcome> {
  return (_timer, invocationId) => handleFlush(deps, invocationId);
}

async function handleEvent(deps: BatcherDependencies, event: unknown, invocationId: string): Promise<Outcome> {
  const nowMs = deps.now();
  const settings = settingsFromEnv(SETTINGS, parseAzureBatcherSettings);
  if (!settings.ok) return misconfigured(settings.error);
  const trigger = settings.value;
  const correlationId = isRecord(event) && typeof event.id === 'string' ? event.id.slice(0, 200) : invocationId;
  const context = { triggerId: trigger.triggerId, correlationId, invocationId };
  const parsed = parseBatcherEvent(event, trigger);
  if (!parsed.ok) return rejected(parsed.error, context);
  const request = parsed.value;
  if (request.kind === 'ignored') {
    log('INFO', `ignored an event: ${request.reason}`, { ...context, decision: 'ignored', reason: request.reason });
    return { status: 'ignored', reason: request.reason };
  }
  const services = servicesFor(deps, trigger);
  const { entry } = request;
  try {
    const recorded = await services.store.recordObject(request.identityKey, entry, request.eventId, nowMs, trigger.batchSize, trigger.batchWindowSeconds);
    log('INFO', recorded.status === 'duplicate' ? 'the blob was counted before' : 'added the blob to its batch', {
      ...context, decision: recorded.status, blob: entry.uri, eTag: entry.versionId, generation: recorded.generation,
      reason: recorded.status === 'duplicate'
        ? `blob ${entry.key} with eTag ${entry.versionId} is in batch ${recorded.generation} already`
        : `blob ${entry.key} is object ${recorded.seq} of batch ${recorded.generation}${recorded.sealed ? ', which it closes' : ''}`,
    });
    // A duplicate may be the redelivery of an event whose start was interrupted: its batch is tried again.
    const starts = recorded.status === 'duplicate' || recorded.sealed ? [await startBatch(services, trigger, recorded.generation, nowMs, correlationId)] : [];
    return { status: recorded.status, generation: recorded.generation, starts: attempted(starts) };
  } catch (error) {
    return retry(error, context);
  }
}

async function handleFlush(deps: BatcherDependencies, invocationId: string): Promise<Outcome> {
  const nowMs = deps.now();
  const settings = settingsFromEnv(SETTINGS, parseAzureBatcherSettings);
  if (!settings.ok) return misconfigured(settings.error);
  const trigger = settings.value;
  const context = { triggerId: trigger.triggerId, correlationId: invocationId, invocationId };
  const services = servicesFor(deps, trigger);
  try {
    const sealed = await services.store.sealExpired(nowMs, trigger.batchWindowSeconds);
    log('INFO', sealed === undefined ? 'no batch to close' : 'closed a batch whose window ran out', {
      ...context, decision: sealed === undefined ? 'kept' : 'sealed', sealed: sealed ?? null,
      reason: sealed === undefined ? 'the open batch is empty or its window has not run out' : `batch ${sealed}'s window of ${trigger.batchWindowSeconds} s ran out`,
    });
    const starts: StartOutcome[] = [];
    for (const generation of await services.store.dueBatches(nowMs)) starts.push(await startBatch(services, trigger, generation, nowMs, invocationId));
    return { status: 'flushed', sealed: sealed ?? null, starts: attempted(starts) };
  } catch (error) {
    return retry(error, context);
  }
}

function servicesFor(deps: BatcherDependencies, trigger: AzureBatcherSettings): Services {
  const table = deps.stateTable(trigger.stateTableEndpoint, trigger.stateTable);
  const rows = deps.stateRows ? deps.stateRows(table, trigger.triggerId) : new TablePartition(table, trigger.triggerId);
  return { store: new BatchStore(rows, deps.backoff ?? REAL_BACKOFF), manifests: deps.manifests(trigger.manifestAccount), jobs: deps.jobs };
}

/** Nothing was decided that a redelivery cannot finish: records are transactions, starts are idempotent. */
function retry(error: unknown, context: Readonly<Record<string, unknown>>): Outcome {
  const detail = error instanceof Error ? { status: error.name, message: error.message.slice(0, 500) } : { status: 'UnknownError', message: String(error).slice(0, 500) };
  log('ERROR', `could not record the delivery: ${detail.message}`, { ...context, decision: 'retry', reason: detail.message, error: detail });
  return { status: 'retry', error: detail };
}

/** Attempts that did something; a batch another invocation holds is left out of the answer. */
function attempted(starts: readonly StartOutcome[]): StartOutcome[] {
  return starts.filter((start) => start.status !== 'not-claimable');
}
