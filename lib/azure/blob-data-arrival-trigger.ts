import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { StorageTable } from '@cdktf/provider-azurerm/lib/storage-table';
import { Duration } from 'aws-cdk-lib';
import { Fn, Token } from 'cdktf';
import { Construct } from 'constructs';
import { validateDurationInRange, validateIntegerInRange } from '../private/validation';
import { CONTAINER_NAME, type AzureBatcherSettings } from '../../lambda/core/contracts/azure-functions';
import { BATCH_DEFAULTS, BATCH_LIMITS } from '../../lambda/core/contracts/batch';
import type { AzureMLPipeline } from './azure-ml-pipeline';
import { azureDeploymentHash } from './deployment-hash';
import { AzureFunctionDeployment, AzureFunctionSupport, containerScope } from './function-deployment';
import { AzureSystemTopic, STORAGE_TOPIC_TYPE } from './system-topic';
import type { IAzureTriggerFunction } from './trigger-function';
import { pipelineTarget } from './pipeline-target';
import { checkedBatchingProps } from '../private/batching-props';

/** Properties of a {@link BlobDataArrivalTrigger}. */
export interface BlobDataArrivalTriggerProps {
  readonly pipeline: AzureMLPipeline;
  /** The ARM id of the storage account data lands in (`/subscriptions/.../providers/Microsoft.Storage/storageAccounts/<name>`). */
  readonly storageAccountId: string;
  /**
   * The storage account's region, where its Event Grid system topic must live.
   * @default - the pipeline's location
   */
  readonly storageAccountLocation?: string;
  /** The blob container data lands in. */
  readonly container: string;
  /** Only blobs whose name starts with this count. @default - every blob */
  readonly prefix?: string;
  /** Only blobs whose name ends with this count. @default - every blob */
  readonly suffix?: string;
  /** Blobs per batch, 1 to 10,000. @default 1000 */
  readonly batchSize?: number;
  /** The longest a batch waits after its first blob, between 1 minute and 7 days. @default Duration.hours(1) */
  readonly batchWindow?: Duration;
  /** Start attempts before a batch is recorded as failed, 1 to 50. @default 6 */
  readonly maxStartAttempts?: number;
  /** The container of the same account manifests go to. @default - the data container */
  readonly manifestContainer?: string;
  /** @default 'ml-triggers/manifests/' */
  readonly manifestPrefix?: string;
  /**
   * The name of an Event Grid system topic of the storage account made outside this stack. Azure allows one system
   * topic per source resource: when one exists, pass it here (with `systemTopicResourceGroup`); it needs a
   * system-assigned identity, which is granted the dead-letter container.
   * @default - the stack makes the account's system topic, shared by every trigger of the stack on that account
   */
  readonly systemTopicName?: string;
  /** The resource group of `systemTopicName`. @default - the storage account's resource group */
  readonly systemTopicResourceGroup?: string;
  /** Static pipeline parameters. @default - none */
  readonly parameters?: { [name: string]: string };
}

const STORAGE_ACCOUNT_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Storage\/storageAccounts\/([a-z0-9]{3,24})$/i;

/**
 * Starts an Azure ML pipeline once per batch of blobs landing in a container: Blob Created events of the account's
 * Event Grid system topic go to a batcher function that keeps batches in Table Storage and writes each batch's
 * manifest before it starts the job. Undeliverable events are dead-lettered to the stack's dead-letter container.
 */
export class BlobDataArrivalTrigger extends Construct {
  readonly handler: IAzureTriggerFunction;
  /** The table the batcher keeps its batches in. */
  readonly stateTable: StorageTable;
  readonly triggerId: string;

  constructor(scope: Construct, id: string, props: BlobDataArrivalTriggerProps) {
    super(scope, id);
    const { accountGroup, accountName } = storageAccountParts(props.storageAccountId);
    const manifestContainer = props.manifestContainer ?? props.container;
    for (const [prop, value] of [['container', props.container], ['manifestContainer', manifestContainer]] as const) {
      if (!CONTAINER_NAME.test(value)) throw new Error(`${prop} must be a container name (3-63 lowercase letters, digits and single hyphens), got '${value}'`);
    }
    const batchSize = props.batchSize ?? BATCH_DEFAULTS.batchSize;
    validateIntegerInRange('batchSize', batchSize, 1, BATCH_LIMITS.maxBatchSize);
    const window = props.batchWindow ?? Duration.seconds(BATCH_DEFAULTS.batchWindowSeconds);
    validateDurationInRange('batchWindow', window, Duration.seconds(BATCH_LIMITS.minWindowSeconds), Duration.seconds(BATCH_LIMITS.maxWindowSeconds));
    const { maxStartAttempts, manifestPrefix } = checkedBatchingProps(props);
    // The prefix is quoted in the role assignment's condition.
    if (/['\\]/.test(manifestPrefix)) throw new Error(`manifestPrefix must not contain ' or \\, got '${manifestPrefix}'`);
    if (props.systemTopicResourceGroup !== undefined && props.systemTopicName === undefined) throw new Error('systemTopicResourceGroup needs systemTopicName: the topic it names');

    const { pipeline } = props;
    const hash = azureDeploymentHash(this, pipeline, 12);
    this.triggerId = `data-${hash}`;
    const support = AzureFunctionSupport.of(this, pipeline);
    // Table names: 3-63 letters and digits, from a letter.
    const tableName = `batches${hash}`;
    this.stateTable = new StorageTable(this, 'State', { name: tableName, storageAccountName: support.account.name });
    const topic = props.systemTopicName !== undefined
      ? AzureSystemTopic.fromExisting(this, { name: props.systemTopicName, resourceGroup: props.systemTopicResourceGroup ?? accountGroup }, support)
      : AzureSystemTopic.of(this, { resourceId: props.storageAccountId, topicType: STORAGE_TOPIC_TYPE, resourceGroup: accountGroup, location: props.storageAccountLocation ?? pipeline.location }, support);

    const settings = {
      triggerId: this.triggerId,
      ...pipelineTarget(pipeline),
      parameters: props.parameters ?? {},
      storageAccount: accountName,
      container: props.container,
      prefix: props.prefix ?? '',
      suffix: props.suffix ?? '',
      batchSize,
      batchWindowSeconds: window.toSeconds(),
      maxStartAttempts,
      manifestAccount: accountName,
      manifestContainer,
      manifestPrefix,
      stateTableEndpoint: `https://${support.accountName}.table.core.windows.net`,
      stateTable: tableName,
    } satisfies AzureBatcherSettings;
    const subjectEndsWith = props.suffix ? { subjectEndsWith: props.suffix } : {};
    const batcher = new AzureFunctionDeployment(this, 'Batcher', {
      functionName: 'batcher',
      pipeline,
      settings,
      eventGrid: {
        topic,
        name: `mlt-${this.triggerId}`,
        includedEventTypes: ['Microsoft.Storage.BlobCreated'],
        subjectFilter: { subjectBeginsWith: `/blobServices/default/containers/${props.container}/blobs/${props.prefix ?? ''}`, ...subjectEndsWith, caseSensitive: true },
      },
    });
    this.handler = batcher;

    const principal = { principalId: batcher.identity.principalId, principalType: 'ServicePrincipal' };
    new RoleAssignment(this, 'KeepsBatches', {
      ...principal,
      scope: `${support.account.id}/tableServices/default/tables/${tableName}`,
      roleDefinitionName: 'Storage Table Data Contributor',
      dependsOn: [this.stateTable],
    });
    new RoleAssignment(this, 'WritesManifests', {
      ...principal,
      scope: containerScope(props.storageAccountId, manifestContainer),
      roleDefinitionName: 'Storage Blob Data Contributor',
      description: `cdk-ml-triggers ${this.triggerId}: writes manifests under ${manifestPrefix}${this.triggerId}/ only`,
      condition: manifestWriteCondition(`${manifestPrefix}${this.triggerId}/`),
      conditionVersion: '2.0',
    });
  }
}

const BLOB_WRITES = ['write', 'add/action', 'delete'].map((action) => `Microsoft.Storage/storageAccounts/blobServices/containers/blobs/${action}`);

/**
 * An ABAC condition (version 2.0) that lets writes, appends and deletes through only for blobs under `prefix`; reads
 * stay container-wide so that the batcher can look for a manifest it wrote before a retry.
 */
function manifestWriteCondition(prefix: string): string {
  const notWriting = BLOB_WRITES.map((action) => `!(ActionMatches{'${action}'})`).join(' AND ');
  return `((${notWriting}) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path] StringStartsWith '${prefix}'))`;
}

/**
 * The resource group and (lowercase) name in a storage account's ARM id. An id only known at deploy time (an account of
 * the same stack) is split by Terraform: `/subscriptions/<id>/resourceGroups/<group>/providers/.../<name>`.
 */
function storageAccountParts(id: string): { accountGroup: string; accountName: string } {
  if (Token.isUnresolved(id)) {
    const parts = Fn.split('/', id);
    return { accountGroup: Token.asString(Fn.element(parts, 4)), accountName: Fn.lower(Token.asString(Fn.element(parts, 8))) };
  }
  const account = STORAGE_ACCOUNT_ID.exec(id);
  if (!account) throw new Error(`storageAccountId must be a storage account's ARM id (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Storage/storageAccounts/<name>), got '${id}'`);
  return { accountGroup: account[2], accountName: account[3].toLowerCase() };
}
