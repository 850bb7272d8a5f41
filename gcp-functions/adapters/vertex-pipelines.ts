import { compact, isRecord } from '../../lambda/core/result';
import { PIPELINE_JOB_ID_PATTERN } from '../core/pipeline-job';
import type { AccessTokenSource } from './metadata-token';

/** One Vertex AI pipeline run to create; the id makes a repeated create return the existing job instead of a second run. */
export interface CreatePipelineJobRequest {
  readonly project: string;
  readonly region: string;
  /** Becomes the job name's last segment; must match PIPELINE_JOB_ID_PATTERN. */
  readonly pipelineJobId: string;
  readonly displayName: string;
  /** A compiled KFP template: `gs://...` or an Artifact Registry `https://<region>-kfp.pkg.dev/...` URI. */
  readonly templateUri: string;
  /** runtimeConfig.parameterValues: strings, as every trigger's parameters are. */
  readonly parameterValues: Readonly<Record<string, string>>;
  /** runtimeConfig.gcsOutputDirectory, the pipeline root. @default the template's defaultPipelineRoot */
  readonly pipelineRoot?: string;
  /** @default the Compute Engine default service account */
  readonly serviceAccount?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface CreatedPipelineJob {
  /** `projects/<project>/locations/<region>/pipelineJobs/<id>`: as Vertex returns it (with the project number) when created. */
  readonly name: string;
  /** True when the id was used before: the job exists and nothing new was started. */
  readonly alreadyExisted: boolean;
}

/** An error answer from Vertex AI, in Google's error shape `{ error: { code, message, status } }`. */
export class VertexApiError extends Error {
  constructor(
    readonly httpStatus: number,
    /** The canonical code name: INVALID_ARGUMENT, PERMISSION_DENIED, RESOURCE_EXHAUSTED, UNAVAILABLE... */
    readonly status: string,
    readonly detail: string,
    /** 429, 5xx and 409 ABORTED: the same request may succeed later. */
    readonly retryable: boolean,
  ) {
    super(`Vertex AI pipelineJobs.create failed with ${status} (HTTP ${httpStatus}): ${detail}`);
    this.name = 'VertexApiError';
  }
}

const REQUEST_TIMEOUT_MS = 30_000;

/** The API base: `VERTEX_API_ENDPOINT` when set (tests, private endpoints), else the region's endpoint. */
export function vertexEndpoint(region: string): string {
  return (process.env.VERTEX_API_ENDPOINT || `https://${region}-aiplatform.googleapis.com`).replace(/\/+$/, '');
}

/**
 * Vertex AI Pipelines through its REST API (projects.locations.pipelineJobs.create, v1), authorised with the
 * function's own service account.
 */
export class VertexPipelines {
  constructor(private readonly tokens: AccessTokenSource) {}

  /** Creates the job, or reports that a job with this id already exists (HTTP 409 ALREADY_EXISTS). Throws VertexApiError. */
  async createPipelineJob(request: CreatePipelineJobRequest): Promise<CreatedPipelineJob> {
    if (!PIPELINE_JOB_ID_PATTERN.test(request.pipelineJobId)) {
      throw new VertexApiError(400, 'INVALID_ARGUMENT', `pipelineJobId '${request.pipelineJobId}' does not match ${PIPELINE_JOB_ID_PATTERN}`, false);
    }
    const parent = `projects/${encodeURIComponent(request.project)}/locations/${encodeURIComponent(request.region)}`;
    const url = `${vertexEndpoint(request.region)}/v1/${parent}/pipelineJobs?pipelineJobId=${request.pipelineJobId}`;
    const body = compact({
      displayName: request.displayName,
      templateUri: request.templateUri,
      runtimeConfig: compact({ parameterValues: request.parameterValues, gcsOutputDirectory: request.pipelineRoot }),
      serviceAccount: request.serviceAccount,
      labels: request.labels,
    });
    const token = await this.tokens.token();
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new VertexApiError(0, 'UNAVAILABLE', `could not reach ${url}: ${(error as Error).message}`, true);
    }
    const text = await response.text();
    const json = parseBody(text);
    if (response.ok) {
      const name = isRecord(json) && typeof json.name === 'string' ? json.name : `${parent}/pipelineJobs/${request.pipelineJobId}`;
      return { name, alreadyExisted: false };
    }
    const error = googleError(response.status, json, text);
    if (error.status === 'ALREADY_EXISTS') {
      // The id is derived from the triggering event alone, so the existing job is this event's job.
      return { name: `projects/${request.project}/locations/${request.region}/pipelineJobs/${request.pipelineJobId}`, alreadyExisted: true };
    }
    throw error;
  }
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Reads `{ error: { code, message, status } }`; a body in another shape (a proxy's HTML page) is kept as text. */
function googleError(httpStatus: number, json: unknown, text: string): VertexApiError {
  const error = isRecord(json) && isRecord(json.error) ? json.error : {};
  const status = typeof error.status === 'string' && error.status !== '' ? error.status : `HTTP_${httpStatus}`;
  const message = typeof error.message === 'string' ? error.message : text.slice(0, 300);
  // 409 is also ABORTED (a concurrency conflict), which Google's guidance retries; ALREADY_EXISTS is handled by the caller.
  const retryable = httpStatus === 429 || httpStatus >= 500 || (httpStatus === 409 && status === 'ABORTED');
  return new VertexApiError(httpStatus, status, message, retryable);
}
