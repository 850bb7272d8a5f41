import { pipelineJobBody, jobPath, type PipelineJobSubmission } from '../../core/azure-ml-job';
import { AZURE_ML_API_VERSION, type AzureMLTarget } from '../../core/contracts/azure-functions';
import { isRecord } from '../../core/result';
import type { AzureTokenSource } from './managed-identity';

/** The Azure Resource Manager audience tokens for the Azure ML REST API are issued for. */
export const ARM_RESOURCE = 'https://management.azure.com/';
const REQUEST_TIMEOUT_MS = 20_000;

export { pipelineJobBody, jobPath, type PipelineJobSubmission };

/**
 * An error answer from Azure Resource Manager, in ARM's shape `{ error: { code, message } }`, or a request that never
 * got an answer (`httpStatus` 0). 401, 403 (a role assignment not yet in effect), 408, 429 and 5xx may succeed when
 * sent again; `retryAfterMs` is the server's own Retry-After, when it gave one.
 */
export class AzureMLError extends Error {
  constructor(
    readonly operation: string,
    readonly httpStatus: number,
    /** ARM's error code (`UserError`, `TooManyRequests`...), or `HTTP_<n>` without one. */
    readonly status: string,
    readonly detail: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(`${operation} failed with ${status} (HTTP ${httpStatus}): ${detail}`);
    this.name = 'AzureMLError';
  }
}

/** A job the function submitted, or met because an earlier attempt had submitted it. */
export interface SubmittedJob {
  /** The job's name (its id in the workspace). */
  readonly name: string;
  /** The job's ARM id. */
  readonly id: string;
  readonly alreadyExisted: boolean;
}

/**
 * Azure ML pipeline jobs through the REST API, as the function's managed identity. A job's name is its identity: the
 * callers derive it from what the job is for, so a submission is idempotent. A job that exists is met, not replaced:
 * Jobs - Get first, then Create Or Update only when it answers 404; a create that races another (201 or 200 for an
 * update, 409 for a conflict) is read back.
 * The endpoint is `AZURE_ML_ENDPOINT` when set (tests, sovereign clouds), else https://management.azure.com.
 */
export class AzureMLJobs {
  constructor(private readonly tokens: AzureTokenSource) {}

  async submit(target: AzureMLTarget, submission: PipelineJobSubmission): Promise<SubmittedJob> {
    const path = jobPath(target, submission.name);
    const found = await this.request('Jobs - Get', 'GET', path, submission.correlationId);
    if (found.httpStatus === 200) return { name: submission.name, id: armId(found.json, path), alreadyExisted: true };
    if (found.httpStatus !== 404) throw failure('Jobs - Get', found);
    const created = await this.request('Jobs - Create Or Update', 'PUT', path, submission.correlationId, pipelineJobBody(target, submission));
    if (created.httpStatus === 201) return { name: submission.name, id: armId(created.json, path), alreadyExisted: false };
    if (created.httpStatus === 200 || created.httpStatus === 409) return { name: submission.name, id: armId(created.json, path), alreadyExisted: true };
    throw failure('Jobs - Create Or Update', created);
  }

  private async request(operation: string, method: string, path: string, correlationId: string, body?: unknown): Promise<Answer> {
    const token = await this.tokens.token(ARM_RESOURCE);
    const base = (process.env.AZURE_ML_ENDPOINT || 'https://management.azure.com').replace(/\/+$/, '');
    const url = `${base}${path}?api-version=${AZURE_ML_API_VERSION}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          'x-ms-correlation-request-id': correlationId,
          'x-ms-client-request-id': correlationId,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new AzureMLError(operation, 0, 'Unreachable', (error as Error).message, true);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { httpStatus: response.status, text, json, retryAfter: response.headers.get('retry-after') };
  }
}

interface Answer {
  readonly httpStatus: number;
  readonly text: string;
  readonly json: unknown;
  readonly retryAfter: string | null;
}

function armId(json: unknown, path: string): string {
  return isRecord(json) && typeof json.id === 'string' ? json.id : path;
}

function failure(operation: string, answer: Answer): AzureMLError {
  const error = isRecord(answer.json) && isRecord(answer.json.error) ? answer.json.error : undefined;
  const code = typeof error?.code === 'string' ? error.code : `HTTP_${answer.httpStatus}`;
  const message = typeof error?.message === 'string' ? error.message : answer.text.slice(0, 300);
  // 401 and 403 may pass later too: a role assignment takes effect minutes after it is created (Azure RBAC documents
  // up to 10), so the first deliveries after a deploy may be refused; they are retried with backoff and, past the
  // delivery's retries, dead-lettered, never dropped. 400, 404 and 409 repeat themselves.
  const retryable = [401, 403, 408, 429].includes(answer.httpStatus) || answer.httpStatus >= 500;
  const seconds = answer.retryAfter !== null && /^\d{1,5}$/.test(answer.retryAfter) ? Number(answer.retryAfter) : undefined;
  return new AzureMLError(operation, answer.httpStatus, code, message, retryable, seconds === undefined ? undefined : seconds * 1000);
}
