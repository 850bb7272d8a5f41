import { DataAzurermEventgridSystemTopic } from '@cdktf/provider-azurerm/lib/data-azurerm-eventgrid-system-topic';
import { EventgridSystemTopic } from '@cdktf/provider-azurerm/lib/eventgrid-system-topic';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { DefaultTokenResolver, StringConcat, TerraformStack, Token, Tokenization } from 'cdktf';
import { Construct } from 'constructs';
import { shortHash } from '../private/short-hash';
import { containerScope, type AzureFunctionSupport } from './function-deployment';

/** The Event Grid topic type of storage accounts' events (Blob Created). */
export const STORAGE_TOPIC_TYPE = 'Microsoft.Storage.StorageAccounts';
/** The Event Grid topic type of Azure Machine Learning workspaces' events (Run Completed, Run Status Changed). */
export const ML_WORKSPACE_TOPIC_TYPE = 'Microsoft.MachineLearningServices.Workspaces';

/** A resource whose events a system topic carries. */
export interface SystemTopicSource {
  /** Its ARM id. */
  readonly resourceId: string;
  readonly topicType: string;
  /** Its resource group, where the topic goes too. */
  readonly resourceGroup: string;
  /** Its region: a system topic lives in the region of its source. */
  readonly location: string;
}

/** A system topic made outside the stack: its name and resource group. It must have a system-assigned identity. */
export interface ExistingSystemTopic {
  readonly name: string;
  readonly resourceGroup: string;
}

/**
 * The Event Grid system topic of one source resource, with its system identity allowed to write dead letters to the
 * stack's dead-letter container (that container only). Azure allows one system topic per source resource, so every
 * trigger of a stack that watches the same resource shares it: {@link AzureSystemTopic.of} makes it once per stack and
 * source, keyed by the source's ARM id.
 */
export class AzureSystemTopic extends Construct {
  /** The topic of `source` in the stack of `scope`, created with its first subscriber. */
  static of(scope: Construct, source: SystemTopicSource, support: AzureFunctionSupport): AzureSystemTopic {
    const stack = TerraformStack.of(scope);
    const id = `MlTriggersSystemTopic-${shortHash(sourceKey(stack, source.resourceId), 16)}`;
    return (stack.node.tryFindChild(id) as AzureSystemTopic | undefined) ?? new AzureSystemTopic(stack, id, support, { source });
  }

  /** The system topic `existing` (made outside the stack), once per stack. */
  static fromExisting(scope: Construct, existing: ExistingSystemTopic, support: AzureFunctionSupport): AzureSystemTopic {
    const stack = TerraformStack.of(scope);
    const id = `MlTriggersExistingSystemTopic-${shortHash(JSON.stringify([existing.resourceGroup.toLowerCase(), existing.name.toLowerCase()]), 16)}`;
    return (stack.node.tryFindChild(id) as AzureSystemTopic | undefined) ?? new AzureSystemTopic(stack, id, support, { existing });
  }

  readonly name: string;
  readonly resourceGroup: string;
  /** The topic, when the stack made it. */
  readonly topic?: EventgridSystemTopic;
  readonly deadLetterGrant: RoleAssignment;

  private constructor(scope: Construct, id: string, support: AzureFunctionSupport, from: { source?: SystemTopicSource; existing?: ExistingSystemTopic }) {
    super(scope, id);
    let principalId: string;
    if (from.source) {
      const { source } = from;
      this.topic = new EventgridSystemTopic(this, 'Topic', {
        // 3-128 letters, digits and hyphens.
        name: `mlt-${shortHash(`${TerraformStack.of(this).node.id}|${sourceKey(TerraformStack.of(this), source.resourceId)}`, 16)}`,
        resourceGroupName: source.resourceGroup,
        location: source.location,
        sourceResourceId: source.resourceId,
        topicType: source.topicType,
        identity: { type: 'SystemAssigned' },
      });
      this.name = this.topic.name;
      this.resourceGroup = source.resourceGroup;
      principalId = this.topic.identity.principalId;
    } else {
      const existing = from.existing!;
      const topic = new DataAzurermEventgridSystemTopic(this, 'Topic', { name: existing.name, resourceGroupName: existing.resourceGroup });
      this.name = existing.name;
      this.resourceGroup = existing.resourceGroup;
      principalId = topic.identity.get(0).principalId;
    }
    // Event Grid writes dead letters as the topic's identity; Contributor on the one container, as Event Grid asks.
    this.deadLetterGrant = new RoleAssignment(this, 'WritesDeadLetters', {
      principalId,
      principalType: 'ServicePrincipal',
      scope: containerScope(support.account.id, support.deadLetters.name),
      roleDefinitionName: 'Storage Blob Data Contributor',
    });
  }
}

/**
 * What identifies a source resource: its ARM id without regard to case (as ARM compares them), or, for an id known only
 * at deploy time, the Terraform expression it resolves to, which does not change with the order constructs are made in.
 */
function sourceKey(stack: TerraformStack, resourceId: string): string {
  const resolved: unknown = Token.isUnresolved(resourceId)
    ? Tokenization.resolve(resourceId, { scope: stack, resolver: new DefaultTokenResolver(new StringConcat()) })
    : resourceId;
  return String(resolved).toLowerCase();
}
