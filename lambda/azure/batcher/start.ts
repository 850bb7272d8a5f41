import { batchJobId, batchJobLabels, manifestObjectName } from '../../core/batch-lease';
import { manifestBody, startFailureOutcome } from '../../core/batching';
import type { AzureBatcherSettings } from '../../core/contracts/azure-functions';
import { parameterValues } from '../../core/pipeline-job';
import { AzureMLError, type PipelineJobSubmission, type SubmittedJob } from '../adapters/azure-ml-jobs';
import type { ManifestBlobs } from '../adapters/blobs';
import { log } from '../adapters/functions-host';
import { statusCode } from '../adapters/tables';
import type { Batches } from './store';

/**
 * The inputs a batch's job receives besides the trigger's static parameters: the manifest blob's URL and the number of
 * blobs it lists (the Google batcher's ManifestGcsUri and ObjectCount).
 */
export const BATCH_INPUTS = { manifest: 'ManifestUri', count: 'ObjectCount' } as const;

/** Submits Azure ML pipeline jobs (AzureMLJobs, or a test's decorator of it). */
export interface JobSubmitter {
  submit(target: AzureBatcherSettings, submission: PipelineJobSubmission): Promise<SubmittedJob>;
}

export type StartOutcome =
  | { readonly status: 'started'; readonly generation: number; readonly jobName: string; readonly jobId: string; readonly alreadyExisted: boolean; readonly objectCount: number }
  | { readonly status: 'not-claimable'; readonly generation: number }
  | { readonly status: 'retry' | 'failed'; readonly generation: number; readonly jobName: string; readonly error: string; readonly nextAttemptAtMs?: number };

export interface Services {
  readonly store: Batches;
  readonly manifests: ManifestBlobs;
  readonly jobs: JobSubmitter;
}

/**
 * One start attempt for a closed batch: claim it, write its manifest unless an earlier attempt did, submit its job
 * under the batch's own name, record STARTED. A failed attempt records RETRY with backoff (FAILED once the attempts
 * run out, or at once when the refusal is permanent). A crash leaves the claim to expire; the next attempt meets the
 * job if it was created.
 */
export async function startBatch(services: Services, settings: AzureBatcherSettings, generation: number, nowMs: number, correlationId: string): Promise<StartOutcome> {
  const claim = await services.store.claim(generation, nowMs);
  if (!claim) return { status: 'not-claimable', generation };
  const jobName = batchJobId(settings.triggerId, claim.epoch, generation);
  const context = { triggerId: settings.triggerId, correlationId, generation, attempt: claim.attempts, jobName };
  try {
    const members = await services.store.members(generation);
    if (members.length !== claim.count) throw new Error(`batch ${generation} lists ${members.length} of its ${claim.count} members`);
    // The name is the batch's (trigger, epoch, generation) and a sealed batch's members never change, so a blob
    // already under it was written by an earlier attempt with these same lines: it is kept, never replaced.
    const name = manifestObjectName(settings.manifestPrefix, settings.triggerId, claim.epoch, generation);
    const manifest = await services.manifests.createIfAbsent(settings.manifestContainer, name, manifestBody(members), 'application/x-ndjson');
    const parameters = parameterValues(settings.parameters, { [BATCH_INPUTS.manifest]: manifest.url, [BATCH_INPUTS.count]: String(members.length) });
    if (!parameters.ok) throw new AzureMLError('Jobs - Create Or Update', 400, 'UserError', `${parameters.error.field} ${parameters.error.problem}`, false);
    const job = await services.jobs.submit(settings, { name: jobName, parameters: parameters.value, tags: batchJobLabels(settings.triggerId), correlationId });
    await services.store.finish(claim, 'STARTED', { jobName, jobId: job.id, manifestUrl: manifest.url, startedAtMs: nowMs });
    log('INFO', job.alreadyExisted ? 'the batch\'s job existed already' : 'submitted the batch\'s job', {
      ...context, decision: 'started', reason: job.alreadyExisted ? 'an earlier attempt had submitted the job' : `batch ${generation} is closed`,
      jobId: job.id, manifestUrl: manifest.url, manifestWritten: manifest.created, objectCount: members.length,
    });
    return { status: 'started', generation, jobName, jobId: job.id, alreadyExisted: job.alreadyExisted, objectCount: members.length };
  } catch (error) {
    const retryable = isRetryable(error);
    const message = error instanceof Error ? error.message.slice(0, 500) : String(error);
    const outcome = retryable ? startFailureOutcome(claim.attempts, settings.maxStartAttempts, nowMs) : { status: 'FAILED' as const };
    // A throttled submission waits at least as long as Azure Resource Manager asked.
    const retryAfterMs = error instanceof AzureMLError ? error.retryAfterMs : undefined;
    const nextAttemptAtMs = outcome.nextAttemptAtMs === undefined ? undefined : Math.max(outcome.nextAttemptAtMs, nowMs + (retryAfterMs ?? 0));
    const next: { nextAttemptAtMs?: number } = nextAttemptAtMs !== undefined ? { nextAttemptAtMs } : {};
    await services.store.finish(claim, outcome.status, nextAttemptAtMs !== undefined ? { lastError: message, nextAttemptAtMs } : { lastError: message });
    log(outcome.status === 'FAILED' ? 'CRITICAL' : 'ERROR', `could not start the batch: ${message}`, {
      ...context, decision: outcome.status === 'FAILED' ? 'failed' : 'retry', reason: message, retryable, ...next,
    });
    return { status: outcome.status === 'FAILED' ? 'failed' : 'retry', generation, jobName, error: message, ...next };
  }
}

/**
 * Whether a failed attempt may pass later: Azure ML's own verdict; for Blob and Table Storage, no answer, 401 and 403 (a
 * role assignment takes minutes to take effect after a deploy), 408, 429 and 5xx; any other error of unknown kind too,
 * unless it says it is not. A retried batch is still recorded FAILED once its attempts run out.
 */
function isRetryable(error: unknown): boolean {
  if (error instanceof AzureMLError) return error.retryable;
  const status = statusCode(error);
  if (status !== undefined) return [401, 403, 408, 429].includes(status) || status >= 500;
  return !(error instanceof Error && 'retryable' in error && error.retryable === false);
}
