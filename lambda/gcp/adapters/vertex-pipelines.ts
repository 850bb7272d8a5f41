import { compact, isRecord } from '../../core/result';
import { PIPELINE_JOB_ID_PATTERN } from '../../core/pipeline-job';
import type { VertexTarget } from '../../core/contracts/google-functions';
import { apiEndpoint, GoogleApiError, GoogleRestClient } from './google-rest';
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

/** The request for one run of `target`'s pipeline: its project, region, template, display name, root and service account. */
export function pipelineJobRequest(
  target: VertexTarget,
  pipelineJobId: string,
  parameterValues: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): CreatePipelineJobRequest {
  return {
    project: target.project,
    region: target.region,
    pipelineJobId,
    displayName: target.pipelineName,
    templateUri: target.templateUri,
    parameterValues,
    ...(target.pipelineRoot ? { pipelineRoot: target.pipelineRoot } : {}),
    ...(target.pipelineServiceAccount ? { serviceAccount: target.pipelineServiceAccount } : {}),
    labels,
  };
}

export interface CreatedPipelineJob {
  /** `projects/<project>/locations/<region>/pipelineJobs/<id>`: as Vertex returns it (with the project number) when created. */
  readonly name: string;
  /** True when the id was used before: the job exists and nothing new was started. */
  readonly alreadyExisted: boolean;
}

/** An error answer from Vertex AI, in Google's error shape `{ error: { code, message, status } }`. */
export class VertexApiError extends GoogleApiError {
  constructor(httpStatus: number, status: string, detail: string, retryable: boolean, googleError?: Readonly<Record<string, unknown>>) {
    super('Vertex AI pipelineJobs.create', httpStatus, status, detail, retryable, googleError);
    this.name = 'VertexApiError';
  }
}

/** The API base: `VERTEX_API_ENDPOINT` when set (tests, private endpoints), else the region's endpoint. */
export const vertexEndpoint = (region: string): string => apiEndpoint('VERTEX_API_ENDPOINT', `https://${region}-aiplatform.googleapis.com`);

/**
 * Vertex AI Pipelines through its REST API (projects.locations.pipelineJobs.create, v1), authorised with the
 * function's own service account.
 */
export class VertexPipelines {
  private readonly client: GoogleRestClient;

  constructor(tokens: AccessTokenSource) {
    this.client = new GoogleRestClient(tokens, { timeoutMs: 30_000, error: (...args) => new VertexApiError(...args) });
  }

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
    try {
      const { json } = await this.client.send('POST', url, { json: body });
      const name = isRecord(json) && typeof json.name === 'string' ? json.name : `${parent}/pipelineJobs/${request.pipelineJobId}`;
      return { name, alreadyExisted: false };
    } catch (error) {
      // The id is derived from the triggering event alone, so the existing job is this event's job.
      if (error instanceof VertexApiError && error.status === 'ALREADY_EXISTS') {
        return { name: `projects/${request.project}/locations/${request.region}/pipelineJobs/${request.pipelineJobId}`, alreadyExisted: true };
      }
      throw error;
    }
  }
}
