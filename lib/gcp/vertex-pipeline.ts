/** Properties of a {@link VertexPipeline}. */
export interface VertexPipelineProps {
  /** The Google Cloud project. */
  readonly project: string;
  /** The Vertex AI region, such as `europe-west1`. */
  readonly region: string;
  /** The compiled pipeline spec: a `gs://` URI or an Artifact Registry `https://` URI of a KFP template. */
  readonly templateUri: string;
  /** A name for the pipeline in job names and logs (lowercase letters, digits, hyphens). */
  readonly pipelineName: string;
  /**
   * The service account the pipeline jobs run as (email).
   * @default - Vertex AI's default compute service account
   */
  readonly serviceAccount?: string;
  /**
   * Where jobs write their outputs (`runtimeConfig.gcsOutputDirectory`), a `gs://` URI.
   * @default - the pipeline root compiled into the template
   */
  readonly pipelineRoot?: string;
}

const PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const REGION = /^[a-z]+-[a-z]+\d$/;
const NAME = /^[a-z][a-z0-9-]{0,39}$/;

/** A Vertex AI pipeline (a compiled KFP template) that triggers start as pipeline jobs. */
export class VertexPipeline {
  readonly project: string;
  readonly region: string;
  readonly templateUri: string;
  readonly pipelineName: string;
  readonly serviceAccount?: string;
  readonly pipelineRoot?: string;

  constructor(props: VertexPipelineProps) {
    if (!PROJECT.test(props.project)) throw new Error(`project must be a Google Cloud project id (6-30 lowercase letters, digits, hyphens), got '${props.project}'`);
    if (!REGION.test(props.region)) throw new Error(`region must be a Google Cloud region such as europe-west1, got '${props.region}'`);
    if (!/^(gs:\/\/|https:\/\/)\S+$/.test(props.templateUri)) throw new Error(`templateUri must be a gs:// or https:// URI of a compiled pipeline, got '${props.templateUri}'`);
    if (!NAME.test(props.pipelineName)) throw new Error(`pipelineName must be 1-40 lowercase letters, digits and hyphens, starting with a letter, got '${props.pipelineName}'`);
    this.project = props.project;
    this.region = props.region;
    this.templateUri = props.templateUri;
    this.pipelineName = props.pipelineName;
    this.serviceAccount = props.serviceAccount;
    if (props.pipelineRoot !== undefined && !/^gs:\/\/\S+$/.test(props.pipelineRoot)) {
      throw new Error(`pipelineRoot must be a gs:// URI, got '${props.pipelineRoot}'`);
    }
    this.pipelineRoot = props.pipelineRoot;
  }

  /** What the handlers need to create this pipeline's jobs. */
  get target(): Record<string, string> {
    return {
      project: this.project,
      region: this.region,
      templateUri: this.templateUri,
      pipelineName: this.pipelineName,
      ...(this.serviceAccount ? { pipelineServiceAccount: this.serviceAccount } : {}),
      ...(this.pipelineRoot ? { pipelineRoot: this.pipelineRoot } : {}),
    };
  }
}
