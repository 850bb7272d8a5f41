import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApplicationInsights } from '@cdktf/provider-azurerm/lib/application-insights';
import {
  EventgridSystemTopicEventSubscription,
  type EventgridSystemTopicEventSubscriptionAdvancedFilter,
  type EventgridSystemTopicEventSubscriptionSubjectFilter,
} from '@cdktf/provider-azurerm/lib/eventgrid-system-topic-event-subscription';
import { FunctionAppFlexConsumption } from '@cdktf/provider-azurerm/lib/function-app-flex-consumption';
import { LogAnalyticsWorkspace } from '@cdktf/provider-azurerm/lib/log-analytics-workspace';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { ServicePlan } from '@cdktf/provider-azurerm/lib/service-plan';
import { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account';
import { StorageBlob } from '@cdktf/provider-azurerm/lib/storage-blob';
import { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { AssetType, TerraformAsset, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { packageRoot } from '../private/handler-code';
import type { AzureMLPipeline } from './azure-ml-pipeline';
import { azureDeploymentHash } from './deployment-hash';
import { AzureMLJobSubmitterRole } from './job-submitter-role';
import type { AzureSystemTopic } from './system-topic';
import type { IAzureTriggerFunction } from './trigger-function';

/**
 * Construct context that points the Azure functions at another folder of bundles (`<dir>/<name>/index.js`). For the
 * library's own tests, which run before the Azure bundles exist; not public API.
 */
export const AZURE_BUNDLE_DIR_CONTEXT = '@cdk-ml-triggers/azure:bundleDir';

/** The Functions host's own containers (timer locks, host keys), made once so that no function needs account-wide rights. */
export const HOST_CONTAINERS = ['azure-webjobs-hosts', 'azure-webjobs-secrets'] as const;

/** The ARM id of a blob container, the narrowest scope a container-level role assignment takes. */
export function containerScope(accountId: string, container: string): string {
  return `${accountId}/blobServices/default/containers/${container}`;
}

/**
 * The stack-wide pieces every Azure function shares: one storage account without keys (host storage, deployment
 * packages, batch state, dead letters), and one Application Insights component, backed by a Log Analytics workspace,
 * that receives every function's decision log. Made in the resource group and region of the first pipeline.
 */
export class AzureFunctionSupport extends Construct {
  static of(scope: Construct, pipeline: AzureMLPipeline): AzureFunctionSupport {
    const stack = TerraformStack.of(scope);
    return (stack.node.tryFindChild('MlTriggersAzureFunctions') as AzureFunctionSupport | undefined) ?? new AzureFunctionSupport(stack, 'MlTriggersAzureFunctions', pipeline);
  }

  readonly account: StorageAccount;
  /** The account's name, a literal: 'mlt' and a hash. */
  readonly accountName: string;
  readonly insights: ApplicationInsights;
  /** Where Event Grid puts events it could not deliver, written by each system topic's identity. */
  readonly deadLetters: StorageContainer;
  /** The Functions host's containers. */
  readonly hostContainers: StorageContainer[];
  readonly resourceGroup: string;
  readonly location: string;

  private constructor(scope: Construct, id: string, pipeline: AzureMLPipeline) {
    super(scope, id);
    this.resourceGroup = pipeline.resourceGroup;
    this.location = pipeline.location;
    const hash = azureDeploymentHash(this, pipeline, 12);
    const where = { resourceGroupName: pipeline.resourceGroup, location: pipeline.location };
    // Storage account names are global: 3-24 lowercase letters and digits; this is 15.
    this.accountName = `mlt${hash}`;
    this.account = new StorageAccount(this, 'Storage', {
      name: this.accountName,
      ...where,
      accountTier: 'Standard',
      accountReplicationType: 'LRS',
      accountKind: 'StorageV2',
      sharedAccessKeyEnabled: false,
      defaultToOauthAuthentication: true,
      minTlsVersion: 'TLS1_2',
      allowNestedItemsToBePublic: false,
      httpsTrafficOnlyEnabled: true,
      crossTenantReplicationEnabled: false,
    });
    this.hostContainers = HOST_CONTAINERS.map((name) => new StorageContainer(this, name, { name, storageAccountId: this.account.id, containerAccessType: 'private' }));
    this.deadLetters = new StorageContainer(this, 'DeadLetters', { name: 'dead-letters', storageAccountId: this.account.id, containerAccessType: 'private' });
    const logs = new LogAnalyticsWorkspace(this, 'Logs', { name: `mlt-logs-${hash}`, ...where, sku: 'PerGB2018', retentionInDays: 30 });
    this.insights = new ApplicationInsights(this, 'Insights', {
      name: `mlt-insights-${hash}`,
      ...where,
      applicationType: 'Node.JS',
      workspaceId: logs.id,
      // Telemetry is accepted only from Entra identities (each function's, with Monitoring Metrics Publisher).
      localAuthenticationDisabled: true,
    });
  }
}

export interface AzureFunctionDeploymentProps {
  /** The bundled function app: `assets/azure/<name>/` (index.js, host.json, package.json); also its one function's name. */
  readonly functionName: string;
  readonly pipeline: AzureMLPipeline;
  /** The function's `TRIGGER_SETTINGS`, typed by the caller against its contract. */
  readonly settings: object;
  /** @default - no Event Grid subscription: something else calls the function */
  readonly eventGrid?: AzureEventGridSource;
}

/** Which events of a system topic reach the function. */
export interface AzureEventGridSource {
  readonly topic: AzureSystemTopic;
  /** The subscription's name: 3-64 letters, digits and hyphens. */
  readonly name: string;
  readonly includedEventTypes: string[];
  readonly subjectFilter?: EventgridSystemTopicEventSubscriptionSubjectFilter;
  readonly advancedFilter?: EventgridSystemTopicEventSubscriptionAdvancedFilter;
}

/** Event Grid's own limits: 30 attempts over at most a day (1,440 minutes), then the event is dead-lettered. */
export const EVENT_GRID_RETRY = { maxDeliveryAttempts: 30, eventTimeToLive: 1440 } as const;

/**
 * One Flex Consumption function app (Node 22) with its own user-assigned identity, which is also how it reaches its
 * host storage: no account keys anywhere. The identity may submit jobs of the pipeline's workspace (the job-submitter
 * custom role, on the workspace only) and use the host's containers and its own deployment container; the trigger adds
 * what its function needs beyond that.
 */
export class AzureFunctionDeployment extends Construct implements IAzureTriggerFunction {
  readonly functionApp: FunctionAppFlexConsumption;
  readonly identity: UserAssignedIdentity;
  readonly support: AzureFunctionSupport;
  /** `${functionApp.id}/functions/<name>`: what an Event Grid subscription delivers to. */
  readonly functionId: string;
  readonly eventSubscription?: EventgridSystemTopicEventSubscription;

  constructor(scope: Construct, id: string, props: AzureFunctionDeploymentProps) {
    super(scope, id);
    const { pipeline, functionName } = props;
    const support = AzureFunctionSupport.of(this, pipeline);
    this.support = support;
    const account = support.account;
    const hash = azureDeploymentHash(this, pipeline, 12);
    // Function app names are global, at most 60; the host id is the name's first 32 characters, so keep it shorter.
    const name = `mlt-${functionName.slice(0, 10)}-${hash}`;
    const where = { resourceGroupName: pipeline.resourceGroup, location: pipeline.location };

    const bundleDir = path.join(this.node.tryGetContext(AZURE_BUNDLE_DIR_CONTEXT) ?? path.join(packageRoot(), 'assets', 'azure'), functionName);
    if (!fs.existsSync(path.join(bundleDir, 'index.js'))) {
      throw new Error(`the function bundle assets/azure/${functionName} is missing: run \`npm run build\` to bundle the handlers`);
    }

    this.identity = new UserAssignedIdentity(this, 'Identity', { name: `${name}-id`, ...where });
    const principal = { principalId: this.identity.principalId, principalType: 'ServicePrincipal' };

    // Flex Consumption runs `released-package.zip` of the app's deployment container (where One Deploy puts it), read
    // with the app's identity. The blob's source path carries the bundle's hash, and a new source replaces the blob.
    const deployment = new StorageContainer(this, 'Deployment', { name: `deploy-${hash}`, storageAccountId: account.id, containerAccessType: 'private' });
    const source = new TerraformAsset(this, 'Source', { path: bundleDir, type: AssetType.ARCHIVE });
    const pkg = new StorageBlob(this, 'Package', {
      name: 'released-package.zip',
      storageAccountName: account.name,
      storageContainerName: deployment.name,
      type: 'Block',
      contentType: 'application/zip',
      source: source.path,
    });
    const grants = [
      new RoleAssignment(this, 'ReadsItsPackage', { ...principal, scope: containerScope(account.id, deployment.name), roleDefinitionName: 'Storage Blob Data Owner' }),
      // The host keeps timer locks and host keys in these blobs; Owner is the role Microsoft documents for identity-based host storage.
      ...HOST_CONTAINERS.map((name, index) => new RoleAssignment(this, `Host-${name}`, {
        ...principal, scope: containerScope(account.id, support.hostContainers[index].name), roleDefinitionName: 'Storage Blob Data Owner',
      })),
      new RoleAssignment(this, 'SendsTelemetry', { ...principal, scope: support.insights.id, roleDefinitionName: 'Monitoring Metrics Publisher' }),
      new RoleAssignment(this, 'SubmitsJobs', { ...principal, scope: pipeline.workspaceId, roleDefinitionId: AzureMLJobSubmitterRole.of(this, pipeline).role.roleDefinitionResourceId }),
    ];

    const plan = new ServicePlan(this, 'Plan', { name: `${name}-plan`, ...where, osType: 'Linux', skuName: 'FC1' });
    this.functionApp = new FunctionAppFlexConsumption(this, 'App', {
      name,
      ...where,
      servicePlanId: plan.id,
      runtimeName: 'node',
      runtimeVersion: '22',
      instanceMemoryInMb: 2048,
      maximumInstanceCount: 10,
      httpsOnly: true,
      webdeployPublishBasicAuthenticationEnabled: false,
      storageContainerType: 'blobContainer',
      storageContainerEndpoint: `${account.primaryBlobEndpoint}${deployment.name}`,
      storageAuthenticationType: 'UserAssignedIdentity',
      storageUserAssignedIdentityId: this.identity.id,
      identity: { type: 'UserAssigned', identityIds: [this.identity.id] },
      siteConfig: { applicationInsightsConnectionString: support.insights.connectionString, minimumTlsVersion: '1.2' },
      appSettings: {
        AzureWebJobsStorage__accountName: account.name,
        AzureWebJobsStorage__credential: 'managedidentity',
        AzureWebJobsStorage__clientId: this.identity.clientId,
        AZURE_CLIENT_ID: this.identity.clientId,
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${this.identity.clientId};Authorization=AAD`,
        TRIGGER_SETTINGS: JSON.stringify(props.settings),
      },
      tags: { 'ml-trigger-function': functionName, 'ml-pipeline': pipeline.pipelineName },
      // The app reads its package and host storage as its identity from its first start.
      dependsOn: [pkg, ...grants],
    });
    this.functionId = `${this.functionApp.id}/functions/${functionName}`;
    if (props.eventGrid) {
      // Event Grid checks, when the subscription is made, that the function exists in the app: the package must be
      // running by then, which is why the app waits for its package and grants.
      const source = props.eventGrid;
      this.eventSubscription = new EventgridSystemTopicEventSubscription(this, 'Events', {
        name: source.name,
        systemTopic: source.topic.name,
        resourceGroupName: source.topic.resourceGroup,
        eventDeliverySchema: 'EventGridSchema',
        includedEventTypes: source.includedEventTypes,
        ...(source.subjectFilter ? { subjectFilter: source.subjectFilter } : {}),
        ...(source.advancedFilter ? { advancedFilter: source.advancedFilter } : {}),
        // One event per invocation: a failure redelivers that event only.
        azureFunctionEndpoint: { functionId: this.functionId, maxEventsPerBatch: 1 },
        retryPolicy: { ...EVENT_GRID_RETRY },
        storageBlobDeadLetterDestination: { storageAccountId: account.id, storageBlobContainerName: support.deadLetters.name },
        deadLetterIdentity: { type: 'SystemAssigned' },
        dependsOn: [source.topic.deadLetterGrant],
      });
    }
  }
}
