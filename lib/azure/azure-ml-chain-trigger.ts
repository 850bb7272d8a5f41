import type { EventgridSystemTopicEventSubscriptionAdvancedFilterStringIn } from '@cdktf/provider-azurerm/lib/eventgrid-system-topic-event-subscription';
import { Construct } from 'constructs';
import { CHAIN_STATUSES, type AzureChainSettings, type ChainStatus } from '../../lambda/core/contracts/azure-functions';
import { pipelineParameters } from '../../lambda/core/pipeline-parameters';
import type { AzureMLPipeline } from './azure-ml-pipeline';
import { azureDeploymentHash } from './deployment-hash';
import { AzureFunctionDeployment, AzureFunctionSupport } from './function-deployment';
import { AzureSystemTopic, ML_WORKSPACE_TOPIC_TYPE } from './system-topic';
import type { IAzureTriggerFunction } from './trigger-function';
import { pipelineTarget } from './pipeline-target';

/** Properties of an {@link AzureMLChainTrigger}. */
export interface AzureMLChainTriggerProps {
  /** The pipeline to start. */
  readonly pipeline: AzureMLPipeline;
  /** The pipeline whose runs start it, in the same workspace or another one. */
  readonly upstream: AzureMLPipeline;
  /**
   * The upstream run statuses that start the pipeline: `Completed`, `Failed`, `Canceled`.
   * @default ['Completed']
   */
  readonly onStatuses?: string[];
  /** Static pipeline parameters. @default - none */
  readonly parameters?: { [name: string]: string };
}

const RUN_COMPLETED = 'Microsoft.MachineLearningServices.RunCompleted';
const RUN_STATUS_CHANGED = 'Microsoft.MachineLearningServices.RunStatusChanged';

/**
 * Starts an Azure ML pipeline when a run of another one ends: the upstream workspace's Event Grid system topic (shared
 * by every trigger of the stack on that workspace) delivers the upstream experiment's run events to the chain function.
 * Undeliverable events are dead-lettered to the stack's dead-letter container.
 */
export class AzureMLChainTrigger extends Construct {
  readonly handler: IAzureTriggerFunction;
  readonly triggerId: string;

  constructor(scope: Construct, id: string, props: AzureMLChainTriggerProps) {
    super(scope, id);
    const statuses = props.onStatuses ?? ['Completed'];
    if (statuses.length === 0) throw new Error(`onStatuses must list at least one of ${CHAIN_STATUSES.join(', ')}, got none`);
    for (const status of statuses) {
      if (!(CHAIN_STATUSES as readonly string[]).includes(status)) throw new Error(`onStatuses must hold only ${CHAIN_STATUSES.join(', ')}, got '${status}'`);
    }
    const parameters = pipelineParameters(props.parameters ?? {});
    if (!parameters.ok) throw new Error(`${parameters.error.field} ${parameters.error.problem}`);
    const { pipeline, upstream } = props;
    if (upstream.workspaceId.toLowerCase() === pipeline.workspaceId.toLowerCase() && upstream.experimentName === pipeline.experimentName) {
      throw new Error(`upstream must be another pipeline than the one it starts, got experiment '${upstream.experimentName}' of workspace ${upstream.workspaceName} for both: a chain onto itself would never stop`);
    }

    this.triggerId = `chain-${azureDeploymentHash(this, pipeline, 12)}`;
    const support = AzureFunctionSupport.of(this, pipeline);
    const topic = AzureSystemTopic.of(this, {
      resourceId: upstream.workspaceId,
      topicType: ML_WORKSPACE_TOPIC_TYPE,
      resourceGroup: upstream.resourceGroup,
      location: upstream.location,
    }, support);

    const settings = {
      triggerId: this.triggerId,
      ...pipelineTarget(pipeline),
      parameters: props.parameters ?? {},
      upstream: { workspaceId: upstream.workspaceId, experimentNames: [upstream.experimentName], statuses: [...new Set(statuses)] as ChainStatus[] },
    } satisfies AzureChainSettings;
    // RunCompleted carries no runStatus, and advanced filters apply to every event type of a subscription: a run status
    // filter would drop it. So Completed alone listens to RunCompleted; any other status listens to RunStatusChanged,
    // filtered to the statuses listed (Completed among them when listed).
    const onlyCompleted = settings.upstream.statuses.every((status) => status === 'Completed');
    const stringIn: EventgridSystemTopicEventSubscriptionAdvancedFilterStringIn[] = [
      { key: 'data.experimentName', values: [upstream.experimentName] },
      ...(onlyCompleted ? [] : [{ key: 'data.runStatus', values: [...settings.upstream.statuses] }]),
    ];
    this.handler = new AzureFunctionDeployment(this, 'Chain', {
      functionName: 'chain',
      pipeline,
      settings,
      eventGrid: {
        topic,
        name: `mlt-${this.triggerId}`,
        includedEventTypes: [onlyCompleted ? RUN_COMPLETED : RUN_STATUS_CHANGED],
        advancedFilter: { stringIn },
      },
    });
  }
}
