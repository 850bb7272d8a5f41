import { log, receivePush, type FunctionRequest, type FunctionResponse } from '../adapters/functions-framework';
import { Firestore } from '../adapters/firestore';
import type { CloudStorage } from '../adapters/gcs';
import type { AccessTokenSource } from '../adapters/metadata-token';
import type { VertexPipelines } from '../adapters/vertex-pipelines';
import { parseBatcherMessage } from './message';
import { parseBatcherConfig } from './settings';
import { startBatch, type Services, type StartOutcome } from './start';
import { BatchStore } from './store';

/** What the batcher talks to and reads the time from; the entry point (index.ts) wires the real ones. */
export interface BatcherDependencies {
  readonly tokens: AccessTokenSource;
  readonly storage: CloudStorage;
  readonly pipelines: VertexPipelines;
  /** The clock, in epoch milliseconds. */
  readonly now: () => number;
}

/**
 * GCS object finalize -> Pub/Sub -> push subscription -> this function: batches objects (deduplicated by bucket, name
 * and generation) in Firestore and starts one Vertex AI pipeline job per batch. A flush message from Cloud Scheduler
 * closes a batch whose window ran out and retries due starts. Answers: 200 added / duplicate / ignored / flushed /
 * rejected (bad input, never retried); 500 retry (Firestore or Cloud Storage unavailable) and misconfigured.
 */
export function batcherHandler({ tokens, storage, pipelines, now }: BatcherDependencies): (req: FunctionRequest, res: FunctionResponse) => Promise<void> {
  return (req, res) => handle(req, res, tokens, { storage, pipelines }, now());
}

async function handle(req: FunctionRequest, res: FunctionResponse, tokens: AccessTokenSource, apis: Omit<Services, 'store'>, nowMs: number): Promise<void> {
  const received = receivePush(req, res, 'BATCHER_CONFIG', parseBatcherConfig, parseBatcherMessage);
  if (!received) return;
  const { trigger, message, content: request, context } = received;
  if (request.kind === 'ignored') {
    log('INFO', `ignored a message: ${request.reason}`, context);
    return void res.status(200).json({ status: 'ignored', reason: request.reason });
  }

  const services: Services = { ...apis, store: new BatchStore(new Firestore(trigger.project, tokens), trigger.triggerId) };
  try {
    if (request.kind === 'object') {
      const recorded = await services.store.recordObject(request.identity, request.entry, message.messageId, nowMs, trigger.batchSize, trigger.batchWindowSeconds);
      // A duplicate may be the redelivery of a message whose start was interrupted: its batch is tried again.
      const starts = recorded.status === 'duplicate' || recorded.sealed ? [await startBatch(services, trigger, recorded.generation, nowMs)] : [];
      log('INFO', recorded.status === 'duplicate' ? 'the object was seen before' : 'added the object to its batch', {
        ...context, object: request.entry.uri, generation: recorded.generation, status: recorded.status,
      });
      return void res.status(200).json({ status: recorded.status, generation: recorded.generation, starts: started(starts) });
    }
    const sealed = await services.store.sealExpired(nowMs, trigger.batchWindowSeconds);
    const starts: StartOutcome[] = [];
    for (const generation of await services.store.dueBatches(nowMs)) starts.push(await startBatch(services, trigger, generation, nowMs));
    log('INFO', 'flushed', { ...context, sealed: sealed ?? null, attempted: starts.length });
    res.status(200).json({ status: 'flushed', sealed: sealed ?? null, starts: started(starts) });
  } catch (error) {
    // Nothing was decided that a redelivery cannot finish: records are transactional, starts idempotent.
    const detail = error instanceof Error ? { name: error.name, message: error.message.slice(0, 500) } : { name: 'UnknownError', message: String(error) };
    log('ERROR', `could not record the message: ${detail.message}`, { ...context, error: detail });
    res.status(500).json({ status: 'retry', error: detail });
  }
}

/** Attempts that did something; a batch another invocation holds is left out of the answer. */
function started(starts: readonly StartOutcome[]): StartOutcome[] {
  return starts.filter((start) => start.status !== 'not-claimable');
}
