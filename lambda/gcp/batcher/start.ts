import { manifestBody, startFailureOutcome } from '../../core/batching';
import { log } from '../adapters/functions-framework';
import type { CloudStorage } from '../adapters/gcs';
import { isRetryable } from '../adapters/google-rest';
import { pipelineJobRequest, VertexApiError, type VertexPipelines } from '../adapters/vertex-pipelines';
import { parameterValues } from '../../core/pipeline-job';
import { batchJobId, batchJobLabels, manifestObjectName } from '../../core/batch-lease';
import type { BatcherConfig } from './settings';
import type { Batches } from './store';

export type StartOutcome =
  | { readonly status: 'started'; readonly generation: number; readonly pipelineJobId: string; readonly pipelineJob: string; readonly alreadyExisted: boolean; readonly objectCount: number }
  | { readonly status: 'not-claimable'; readonly generation: number }
  | { readonly status: 'retry' | 'failed'; readonly generation: number; readonly pipelineJobId: string; readonly error: string; readonly nextAttemptAtMs?: number };

export interface Services {
  readonly store: Batches;
  readonly storage: CloudStorage;
  readonly pipelines: VertexPipelines;
}

/**
 * One start attempt for a closed batch: claim it, write its manifest unless an earlier attempt did, create its
 * pipeline job under the batch's own id, record STARTED. A failed attempt records RETRY with backoff (FAILED once the
 * attempts run out, or at once when the refusal is permanent). A crash leaves the claim to expire; the next attempt
 * meets the job if it was created.
 */
export async function startBatch(services: Services, config: BatcherConfig, generation: number, nowMs: number): Promise<StartOutcome> {
  const claim = await services.store.claim(generation, nowMs);
  if (!claim) return { status: 'not-claimable', generation };
  const jobId = batchJobId(config.triggerId, claim.epoch, generation);
  const context = { triggerId: config.triggerId, generation, attempt: claim.attempts, pipelineJobId: jobId };
  try {
    const members = await services.store.members(generation);
    if (members.length !== claim.count) throw new Error(`batch ${generation} lists ${members.length} of its ${claim.count} members`);
    // The name is the batch's (trigger, epoch, generation) and a sealed batch's members never change, so an object
    // already under it was written by an earlier attempt with these same lines: it is kept, never replaced.
    const name = manifestObjectName(config.manifestPrefix, config.triggerId, claim.epoch, generation);
    const manifest = await services.storage.createIfAbsent(config.manifestBucket, name, manifestBody(members), 'application/x-ndjson');
    const parameters = parameterValues(config.parameters, { ManifestGcsUri: manifest.uri, ObjectCount: String(members.length) });
    if (!parameters.ok) throw new VertexApiError(400, 'INVALID_ARGUMENT', `${parameters.error.field} ${parameters.error.problem}`, false);
    const job = await services.pipelines.createPipelineJob(pipelineJobRequest(config, jobId, parameters.value, batchJobLabels(config.triggerId)));
    await services.store.finish(claim, 'STARTED', { pipelineJob: job.name, pipelineJobId: jobId, manifestUri: manifest.uri, startedAtMs: nowMs });
    log('INFO', job.alreadyExisted ? 'the batch\'s pipeline job existed already' : 'started the batch\'s pipeline job', {
      ...context, pipelineJob: job.name, manifestUri: manifest.uri, manifestWritten: manifest.created, objectCount: members.length,
    });
    return { status: 'started', generation, pipelineJobId: jobId, pipelineJob: job.name, alreadyExisted: job.alreadyExisted, objectCount: members.length };
  } catch (error) {
    const retryable = isRetryable(error);
    const message = error instanceof Error ? error.message.slice(0, 500) : String(error);
    const outcome = retryable ? startFailureOutcome(claim.attempts, config.maxStartAttempts, nowMs) : { status: 'FAILED' as const };
    const next: { nextAttemptAtMs?: number } = outcome.nextAttemptAtMs !== undefined ? { nextAttemptAtMs: outcome.nextAttemptAtMs } : {};
    await services.store.finish(claim, outcome.status, outcome.nextAttemptAtMs !== undefined ? { lastError: message, nextAttemptAtMs: outcome.nextAttemptAtMs } : { lastError: message });
    log(outcome.status === 'FAILED' ? 'CRITICAL' : 'ERROR', `could not start the batch: ${message}`, { ...context, retryable, outcome: outcome.status, ...next });
    return { status: outcome.status === 'FAILED' ? 'failed' : 'retry', generation, pipelineJobId: jobId, error: message, ...next };
  }
}
