import type { AzureMLPipeline } from './azure-ml-pipeline';
import type { AzureJobIdentity, AzureMLTarget } from '../../lambda/core/contracts/azure-functions';

/**
 * What the functions and the Logic App need to submit `pipeline`'s jobs (without the trigger id and parameters), in
 * the contract's terms. A function of this module, not a member of the class, so that the public API stays jsii-shaped.
 */
export function pipelineTarget(pipeline: AzureMLPipeline): Omit<AzureMLTarget, 'triggerId' | 'parameters'> {
  const identity: AzureJobIdentity | undefined = pipeline.jobIdentityClientId
    ? { identityType: 'Managed', clientId: pipeline.jobIdentityClientId, ...(pipeline.jobIdentityResourceId ? { resourceId: pipeline.jobIdentityResourceId } : {}) }
    : undefined;
  const workspaceId = pipeline.workspaceId;
  return {
    subscriptionId: pipeline.subscriptionId,
    resourceGroup: pipeline.resourceGroup,
    workspace: pipeline.workspaceName,
    experimentName: pipeline.experimentName,
    pipelineName: pipeline.pipelineName,
    ...(pipeline.component ? { componentId: `${workspaceId}/components/${pipeline.component.name}/versions/${pipeline.component.version}` } : {}),
    ...(pipeline.sourceJobName ? { sourceJobId: `${workspaceId}/jobs/${pipeline.sourceJobName}` } : {}),
    ...(pipeline.computeName ? { computeId: `${workspaceId}/computes/${pipeline.computeName}` } : {}),
    ...(identity ? { jobIdentity: identity } : {}),
  };
}
