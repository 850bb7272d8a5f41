import { TerraformStack } from 'cdktf';
import { RoleDefinition } from '@cdktf/provider-azurerm/lib/role-definition';
import { Construct } from 'constructs';
import { azureDeploymentHash } from './deployment-hash';
import type { AzureMLPipeline } from './azure-ml-pipeline';

/**
 * What submitting a pipeline job needs on the workspace, and nothing more: read and write jobs (Jobs - Get, Jobs -
 * Create Or Update), read the workspace, the component or source job the run copies, and the compute, datastores and
 * environments the job resolves at submission. The built-in `AzureML Data Scientist` role would also let the
 * functions delete jobs, write components, models and datastores, and start compute.
 */
export const AZURE_ML_JOB_SUBMITTER_ACTIONS: readonly string[] = [
  'Microsoft.MachineLearningServices/workspaces/read',
  'Microsoft.MachineLearningServices/workspaces/jobs/read',
  'Microsoft.MachineLearningServices/workspaces/jobs/write',
  'Microsoft.MachineLearningServices/workspaces/experiments/runs/submit/action',
  'Microsoft.MachineLearningServices/workspaces/components/read',
  'Microsoft.MachineLearningServices/workspaces/components/versions/read',
  'Microsoft.MachineLearningServices/workspaces/computes/read',
  'Microsoft.MachineLearningServices/workspaces/datastores/read',
  'Microsoft.MachineLearningServices/workspaces/environments/read',
];

/**
 * The custom role `cdk-ml-triggers job submitter`, defined on one workspace and assignable there only, one per stack
 * and workspace. Role names are unique in a tenant, so the name carries the deployment hash.
 */
export class AzureMLJobSubmitterRole extends Construct {
  /** The role of `pipeline`'s workspace in the stack of `scope`, created with its first user. */
  static of(scope: Construct, pipeline: AzureMLPipeline): AzureMLJobSubmitterRole {
    const stack = TerraformStack.of(scope);
    const id = `MlTriggersJobSubmitter-${pipeline.subscriptionId}-${pipeline.resourceGroup}-${pipeline.workspaceName}`;
    return (stack.node.tryFindChild(id) as AzureMLJobSubmitterRole | undefined) ?? new AzureMLJobSubmitterRole(stack, id, pipeline);
  }

  readonly role: RoleDefinition;

  private constructor(scope: Construct, id: string, pipeline: AzureMLPipeline) {
    super(scope, id);
    const scopeId = pipeline.workspaceId;
    this.role = new RoleDefinition(this, 'Role', {
      name: `cdk-ml-triggers job submitter ${azureDeploymentHash(this, pipeline, 12)}`,
      scope: scopeId,
      description: `Lets the cdk-ml-triggers functions submit pipeline jobs to workspace ${pipeline.workspaceName}, and nothing else.`,
      permissions: [{ actions: [...AZURE_ML_JOB_SUBMITTER_ACTIONS], notActions: [] }],
      assignableScopes: [scopeId],
    });
  }
}
