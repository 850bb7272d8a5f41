import { CloudSchedulerJob } from '@cdktf/provider-google/lib/cloud-scheduler-job';
import { DataGoogleStorageProjectServiceAccount } from '@cdktf/provider-google/lib/data-google-storage-project-service-account';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { PubsubTopic } from '@cdktf/provider-google/lib/pubsub-topic';
import { PubsubTopicIamMember } from '@cdktf/provider-google/lib/pubsub-topic-iam-member';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { StorageNotification } from '@cdktf/provider-google/lib/storage-notification';
import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { validateDurationInRange } from '../private/validation';
import { BATCH_DEFAULTS, BATCH_LIMITS } from '../../lambda/core/contracts/batch';
import { deploymentHash } from './deployment-hash';
import { FunctionDeployment } from './function-deployment';
import type { IVertexTriggerFunction } from './trigger-function';
import type { VertexPipeline } from './vertex-pipeline';
import { checkedBatchingProps } from '../private/batching-props';

/** Properties of a {@link VertexDataArrivalTrigger}. */
export interface VertexDataArrivalTriggerProps {
  readonly pipeline: VertexPipeline;
  /** The Cloud Storage bucket data lands in. */
  readonly bucket: string;
  /** Only objects under this prefix count. @default - every object */
  readonly prefix?: string;
  /**
   * Only objects ending with this count; Cloud Storage notifications filter by prefix only, so the batcher checks it.
   * @default - every object
   */
  readonly suffix?: string;
  /** Objects per batch, 1 to 10,000. @default 1000 */
  readonly batchSize?: number;
  /**
   * The longest a batch waits after its first object, between 1 minute and 7 days.
   * @default Duration.hours(1)
   */
  readonly batchWindow?: Duration;
  /**
   * The batch window in seconds (60 to 604,800).
   * @deprecated use `batchWindow`, a `Duration` as on the AWS `DataArrivalTrigger`; give one of the two.
   * @default - `batchWindow`
   */
  readonly batchWindowSeconds?: number;
  /**
   * Start attempts (throttling, service errors) before a batch is recorded as failed, 1 to 50. Retries back off from
   * 1 to 15 minutes.
   * @default 6
   */
  readonly maxStartAttempts?: number;
  /** Where manifests go; no trigger of the library counts a manifest as data. @default - the data bucket */
  readonly manifestBucket?: string;
  /** @default 'ml-triggers/manifests/' */
  readonly manifestPrefix?: string;
  /** Static pipeline parameters. @default - none */
  readonly parameters?: { [name: string]: string };
}

/**
 * Starts a Vertex AI pipeline once per batch of objects landing in Cloud Storage: GCS finalize
 * notifications -> Pub/Sub -> a batcher function keeping batches in Firestore (transactions), with a
 * flush every minute for batches whose window ran out.
 */
export class VertexDataArrivalTrigger extends Construct {
  readonly topic: PubsubTopic;
  readonly handler: IVertexTriggerFunction;

  constructor(scope: Construct, id: string, props: VertexDataArrivalTriggerProps) {
    super(scope, id);
    const batchSize = props.batchSize ?? BATCH_DEFAULTS.batchSize;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > BATCH_LIMITS.maxBatchSize) throw new Error(`batchSize must be a whole number between 1 and ${BATCH_LIMITS.maxBatchSize}, got ${batchSize}`);
    const window = batchWindowSeconds(props);
    const { maxStartAttempts, manifestPrefix } = checkedBatchingProps(props);

    const { pipeline } = props;
    const triggerId = `data-${deploymentHash(this, pipeline, 12)}`;
    this.topic = new PubsubTopic(this, 'Objects', { name: `mlt-${triggerId}`, project: pipeline.project });
    // Cloud Storage's service agent publishes the bucket's notifications to the topic.
    const storageAgent = new DataGoogleStorageProjectServiceAccount(this, 'StorageAgent', { project: pipeline.project });
    const mayPublish = new PubsubTopicIamMember(this, 'StoragePublishes', {
      project: pipeline.project,
      topic: this.topic.name,
      role: 'roles/pubsub.publisher',
      member: `serviceAccount:${storageAgent.emailAddress}`,
    });
    new StorageNotification(this, 'Finalize', {
      bucket: props.bucket,
      payloadFormat: 'JSON_API_V1',
      topic: this.topic.id,
      eventTypes: ['OBJECT_FINALIZE'],
      ...(props.prefix ? { objectNamePrefix: props.prefix } : {}),
      dependsOn: [mayPublish],
    });
    new CloudSchedulerJob(this, 'Flush', {
      name: `mlt-${triggerId}-flush`,
      project: pipeline.project,
      region: pipeline.region,
      description: 'cdk-ml-triggers: closes batches whose window ran out and retries pending starts',
      schedule: '* * * * *',
      timeZone: 'Etc/UTC',
      pubsubTarget: { topicName: this.topic.id, data: Buffer.from(JSON.stringify({ flush: true })).toString('base64') },
    });

    const manifestBucket = props.manifestBucket ?? props.bucket;
    this.handler = new FunctionDeployment(this, 'Batcher', {
      functionName: 'batcher',
      pipeline,
      topic: this.topic,
      environment: {
        BATCHER_CONFIG: JSON.stringify({
          triggerId,
          ...pipeline.target,
          bucket: props.bucket,
          ...(props.prefix ? { prefix: props.prefix } : {}),
          ...(props.suffix ? { suffix: props.suffix } : {}),
          batchSize,
          batchWindowSeconds: window,
          manifestBucket,
          manifestPrefix,
          maxStartAttempts,
          parameters: props.parameters ?? {},
        }),
      },
    });
    const member = `serviceAccount:${this.handler.serviceAccount.email}`;
    new ProjectIamMember(this, 'BatchState', { project: pipeline.project, role: 'roles/datastore.user', member });
    // Manifests only: object creation under this trigger's manifest prefix.
    new StorageBucketIamMember(this, 'WriteManifests', {
      bucket: manifestBucket,
      role: 'roles/storage.objectCreator',
      member,
      condition: {
        title: 'manifests-only',
        expression: `resource.name.startsWith("projects/_/buckets/${manifestBucket}/objects/${manifestPrefix}${triggerId}/")`,
      },
    });
  }
}

/**
 * Properties of a {@link GcsDataArrivalTrigger}.
 * @deprecated use `VertexDataArrivalTriggerProps`
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface, not a type alias, so that the old name stays jsii-shaped
export interface GcsDataArrivalTriggerProps extends VertexDataArrivalTriggerProps {}

/**
 * The data-arrival trigger under its first name.
 * @deprecated use `VertexDataArrivalTrigger`, named like the other Google triggers; the construct is the same.
 */
export class GcsDataArrivalTrigger extends VertexDataArrivalTrigger {}

/** The window in seconds, from `batchWindow` or the deprecated `batchWindowSeconds`, checked against the batcher's limits. */
function batchWindowSeconds(props: VertexDataArrivalTriggerProps): number {
  if (props.batchWindow !== undefined && props.batchWindowSeconds !== undefined) {
    throw new Error('batchWindow and batchWindowSeconds are the same setting: give only batchWindow');
  }
  if (props.batchWindowSeconds !== undefined) {
    const seconds = props.batchWindowSeconds;
    if (!(seconds >= BATCH_LIMITS.minWindowSeconds && seconds <= BATCH_LIMITS.maxWindowSeconds)) {
      throw new Error(`batchWindowSeconds must be between ${BATCH_LIMITS.minWindowSeconds} and ${BATCH_LIMITS.maxWindowSeconds}, got ${seconds}`);
    }
    return seconds;
  }
  const window = props.batchWindow ?? Duration.seconds(BATCH_DEFAULTS.batchWindowSeconds);
  validateDurationInRange('batchWindow', window, Duration.seconds(BATCH_LIMITS.minWindowSeconds), Duration.seconds(BATCH_LIMITS.maxWindowSeconds));
  return window.toSeconds();
}
