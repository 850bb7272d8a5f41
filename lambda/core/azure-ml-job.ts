import type { AzureMLTarget } from './contracts/azure-functions';

/**
 * What an Azure ML pipeline job submission is, as the functions send it and the scheduled trigger's Logic App writes
 * it: one module, so that both send the same body. Pure: no I/O.
 */

/** What one submission asks for: the job's name, its inputs, its tags, and the id the request is correlated by. */
export interface PipelineJobSubmission {
  readonly name: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
  /** Sent as `x-ms-correlation-request-id` and `x-ms-client-request-id`, so ARM's logs find the decision's log line. */
  readonly correlationId: string;
}

/** The Jobs - Create Or Update body of a pipeline job: a copy of the component or source job, with literal inputs. */
export function pipelineJobBody(target: AzureMLTarget, submission: Omit<PipelineJobSubmission, 'correlationId'>): Record<string, unknown> {
  const inputs = Object.fromEntries(Object.entries(submission.parameters).map(([name, value]) => [name, { jobInputType: 'literal', value }]));
  return {
    properties: {
      jobType: 'Pipeline',
      displayName: target.pipelineName,
      experimentName: target.experimentName,
      ...(target.componentId ? { componentId: target.componentId } : {}),
      ...(target.sourceJobId ? { sourceJobId: target.sourceJobId } : {}),
      ...(target.jobIdentity ? { identity: target.jobIdentity } : {}),
      inputs,
      settings: target.computeId ? { default_compute: target.computeId } : {},
      tags: { ...submission.tags },
    },
  };
}

/** The ARM path of a job of the target's workspace. */
export function jobPath(target: AzureMLTarget, name: string): string {
  return `/subscriptions/${target.subscriptionId}/resourceGroups/${encodeURIComponent(target.resourceGroup)}/providers/Microsoft.MachineLearningServices/workspaces/${target.workspace}/jobs/${encodeURIComponent(name)}`;
}

