import { AZURE_ML_WORKSPACE_NAME } from '../../lambda/core/contracts/azure-functions';

/** A registered pipeline component version that each run is a job of. */
export interface AzureMLPipelineComponent {
  readonly name: string;
  readonly version: string;
}

/** Properties of an {@link AzureMLPipeline}. */
export interface AzureMLPipelineProps {
  /** The subscription of the workspace (a GUID). */
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  /** The Azure Machine Learning workspace's name. */
  readonly workspaceName: string;
  /** The Azure region the workspace is in and the trigger's resources go to, such as `westeurope`. */
  readonly location: string;
  /** A name for the pipeline in job display names, tags and logs (letters, digits, hyphens). */
  readonly pipelineName: string;
  /**
   * The registered pipeline component each run is a job of. Give this or `sourceJobName`.
   * @default - none
   */
  readonly component?: AzureMLPipelineComponent;
  /**
   * A pipeline job of the workspace whose definition each run repeats (its name). Give this or `component`.
   * @default - none
   */
  readonly sourceJobName?: string;
  /**
   * The experiment runs are filed under.
   * @default - the pipeline name
   */
  readonly experimentName?: string;
  /**
   * The compute cluster the pipeline's steps default to (its name in the workspace).
   * @default - what the component says
   */
  readonly computeName?: string;
  /**
   * The client id of the user-assigned managed identity the jobs run as. Without it, jobs run with Azure ML's
   * default identity (that of the compute).
   * @default - Azure ML's default
   */
  readonly jobIdentityClientId?: string;
  /**
   * The ARM id of that user-assigned identity.
   * @default - none
   */
  readonly jobIdentityResourceId?: string;
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const RESOURCE_GROUP = /^[-\w.()]{0,89}[-\w()]$/;
const LOCATION = /^[a-z]+[a-z0-9]*$/;
const NAME = /^[a-z][a-z0-9-]{0,39}$/;
const COMPONENT = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,254}$/;

/**
 * An Azure Machine Learning pipeline that triggers start as pipeline jobs: a registered pipeline component, or a
 * pipeline job whose definition each run repeats, in one workspace.
 */
export class AzureMLPipeline {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly workspaceName: string;
  readonly location: string;
  readonly pipelineName: string;
  readonly experimentName: string;
  readonly component?: AzureMLPipelineComponent;
  readonly sourceJobName?: string;
  readonly computeName?: string;
  readonly jobIdentityClientId?: string;
  readonly jobIdentityResourceId?: string;

  constructor(props: AzureMLPipelineProps) {
    if (!GUID.test(props.subscriptionId)) throw new Error(`subscriptionId must be a subscription id (a GUID), got '${props.subscriptionId}'`);
    if (!RESOURCE_GROUP.test(props.resourceGroup)) throw new Error(`resourceGroup must be a resource group name (1-90 letters, digits, _ - . ( ), not ending in a period), got '${props.resourceGroup}'`);
    if (!AZURE_ML_WORKSPACE_NAME.test(props.workspaceName)) throw new Error(`workspaceName must be an Azure ML workspace name (3-33 letters, digits, _ and -), got '${props.workspaceName}'`);
    if (!LOCATION.test(props.location)) throw new Error(`location must be an Azure region name such as westeurope, got '${props.location}'`);
    if (!NAME.test(props.pipelineName)) throw new Error(`pipelineName must be 1-40 lowercase letters, digits and hyphens, starting with a letter, got '${props.pipelineName}'`);
    if ((props.component === undefined) === (props.sourceJobName === undefined)) throw new Error('give exactly one of component and sourceJobName: what each run is a job of');
    if (props.component && (!COMPONENT.test(props.component.name) || !COMPONENT.test(props.component.version))) {
      throw new Error(`component must have a name and a version of letters, digits, _, . and -, got ${JSON.stringify(props.component)}`);
    }
    if (props.sourceJobName !== undefined && !COMPONENT.test(props.sourceJobName)) throw new Error(`sourceJobName must be a job name, got '${props.sourceJobName}'`);
    const experimentName = props.experimentName ?? props.pipelineName;
    if (!/^[a-zA-Z0-9][\w.-]{0,254}$/.test(experimentName)) throw new Error(`experimentName must be letters, digits, _, - and ., got '${experimentName}'`);
    if (props.computeName !== undefined && !/^[a-zA-Z][a-zA-Z0-9-]{1,31}$/.test(props.computeName)) throw new Error(`computeName must be a compute name (2-32 letters, digits and hyphens), got '${props.computeName}'`);
    if (props.jobIdentityClientId !== undefined && !GUID.test(props.jobIdentityClientId)) throw new Error(`jobIdentityClientId must be a GUID, got '${props.jobIdentityClientId}'`);
    if (props.jobIdentityResourceId !== undefined && props.jobIdentityClientId === undefined) throw new Error('jobIdentityResourceId needs jobIdentityClientId');
    this.subscriptionId = props.subscriptionId;
    this.resourceGroup = props.resourceGroup;
    this.workspaceName = props.workspaceName;
    this.location = props.location;
    this.pipelineName = props.pipelineName;
    this.experimentName = experimentName;
    this.component = props.component;
    this.sourceJobName = props.sourceJobName;
    this.computeName = props.computeName;
    this.jobIdentityClientId = props.jobIdentityClientId;
    this.jobIdentityResourceId = props.jobIdentityResourceId;
  }

  /** The workspace's ARM id: the scope of the functions' role assignment and the topic of its Event Grid events. */
  get workspaceId(): string {
    return `/subscriptions/${this.subscriptionId}/resourceGroups/${this.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${this.workspaceName}`;
  }
}
