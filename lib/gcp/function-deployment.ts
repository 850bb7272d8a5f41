import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssetType, TerraformAsset, TerraformStack } from 'cdktf';
import { CloudRunServiceIamMember } from '@cdktf/provider-google/lib/cloud-run-service-iam-member';
import { Cloudfunctions2Function } from '@cdktf/provider-google/lib/cloudfunctions2-function';
import { DataGoogleProject } from '@cdktf/provider-google/lib/data-google-project';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { PubsubSubscription } from '@cdktf/provider-google/lib/pubsub-subscription';
import { PubsubSubscriptionIamMember } from '@cdktf/provider-google/lib/pubsub-subscription-iam-member';
import { PubsubTopic } from '@cdktf/provider-google/lib/pubsub-topic';
import { PubsubTopicIamMember } from '@cdktf/provider-google/lib/pubsub-topic-iam-member';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { ServiceAccountIamMember } from '@cdktf/provider-google/lib/service-account-iam-member';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { StorageBucketObject } from '@cdktf/provider-google/lib/storage-bucket-object';
import { Construct } from 'constructs';
import { packageRoot } from '../private/handler-code';
import { deploymentHash } from './deployment-hash';
import { PipelineJobRole } from './pipeline-job-role';
import type { IVertexTriggerFunction } from './trigger-function';
import type { VertexPipeline } from './vertex-pipeline';

/** The stack-wide pieces every function shares: the source bucket and the project's number. */
class SharedFunctionSupport extends Construct {
  static of(scope: Construct, pipeline: VertexPipeline): SharedFunctionSupport {
    const stack = TerraformStack.of(scope);
    return (stack.node.tryFindChild('MlTriggersFunctions') as SharedFunctionSupport | undefined) ?? new SharedFunctionSupport(stack, 'MlTriggersFunctions', pipeline);
  }

  readonly bucket: StorageBucket;
  readonly project: DataGoogleProject;

  private constructor(scope: Construct, id: string, pipeline: VertexPipeline) {
    super(scope, id);
    this.project = new DataGoogleProject(this, 'Project', { projectId: pipeline.project });
    this.bucket = new StorageBucket(this, 'Sources', {
      // Bucket names are global: at most 30 + 13 + 8 characters, within the 63 allowed.
      name: `${pipeline.project}-ml-triggers-${deploymentHash(this, pipeline, 8)}`,
      project: pipeline.project,
      location: pipeline.region.toUpperCase(),
      uniformBucketLevelAccess: true,
      publicAccessPrevention: 'enforced',
      forceDestroy: false,
    });
  }
}

export interface FunctionDeploymentProps {
  /** The bundled function: `assets/gcp/<name>/index.js`. */
  readonly functionName: string;
  readonly pipeline: VertexPipeline;
  /** The topic whose messages the function handles. */
  readonly topic: PubsubTopic;
  readonly environment: Record<string, string>;
}

/**
 * A 2nd-gen Cloud Function with its own service account, fed by a push subscription that retries with
 * backoff and hands undeliverable messages to a dead-letter topic.
 */
export class FunctionDeployment extends Construct implements IVertexTriggerFunction {
  readonly function: Cloudfunctions2Function;
  readonly serviceAccount: ServiceAccount;
  readonly subscription: PubsubSubscription;
  readonly deadLetterTopic: PubsubTopic;

  constructor(scope: Construct, id: string, props: FunctionDeploymentProps) {
    super(scope, id);
    const { pipeline } = props;
    const shared = SharedFunctionSupport.of(this, pipeline);
    const hash = deploymentHash(this, pipeline, 12);
    const name = `mlt-${props.functionName}-${hash.slice(0, 8)}`;
    const bundleDir = path.join(packageRoot(), 'assets', 'gcp', props.functionName);
    if (!fs.existsSync(path.join(bundleDir, 'index.js'))) {
      throw new Error(`the function bundle assets/gcp/${props.functionName} is missing: run \`npm run build\` to bundle the handlers`);
    }
    const source = new TerraformAsset(this, 'Source', { path: bundleDir, type: AssetType.ARCHIVE });
    const object = new StorageBucketObject(this, 'SourceObject', { bucket: shared.bucket.name, name: `functions/${name}-${source.assetHash}.zip`, source: source.path });

    this.serviceAccount = new ServiceAccount(this, 'Identity', {
      accountId: `mlt-${props.functionName.slice(0, 8)}-${hash.slice(0, 8)}`,
      project: pipeline.project,
      displayName: `cdk-ml-triggers ${props.functionName} function`,
    });
    const member = `serviceAccount:${this.serviceAccount.email}`;
    // Creating pipeline jobs is a project-level permission in Vertex AI, granted alone; the job runs as the pipeline's account.
    new ProjectIamMember(this, 'CreatePipelineJobs', { project: pipeline.project, role: PipelineJobRole.of(this, pipeline).role.name, member });
    if (pipeline.serviceAccount) {
      new ServiceAccountIamMember(this, 'ActAsPipelineAccount', {
        serviceAccountId: `projects/${pipeline.project}/serviceAccounts/${pipeline.serviceAccount}`,
        role: 'roles/iam.serviceAccountUser',
        member,
      });
    }

    this.function = new Cloudfunctions2Function(this, 'Function', {
      name,
      project: pipeline.project,
      location: pipeline.region,
      description: `cdk-ml-triggers: ${props.functionName} handler`,
      buildConfig: { runtime: 'nodejs22', entryPoint: 'handler', source: { storageSource: { bucket: shared.bucket.name, object: object.name } } },
      serviceConfig: {
        serviceAccountEmail: this.serviceAccount.email,
        environmentVariables: props.environment,
        availableMemory: '256M',
        timeoutSeconds: 60,
        maxInstanceCount: 10,
        ingressSettings: 'ALLOW_INTERNAL_ONLY',
        allTrafficOnLatestRevision: true,
      },
    });

    const pusher = new ServiceAccount(this, 'Pusher', {
      accountId: `mlt-push-${hash}`,
      project: pipeline.project,
      displayName: `cdk-ml-triggers push identity of ${props.functionName}`,
    });
    new CloudRunServiceIamMember(this, 'PushMayInvoke', {
      project: pipeline.project,
      location: pipeline.region,
      service: this.function.serviceConfig.service,
      role: 'roles/run.invoker',
      member: `serviceAccount:${pusher.email}`,
    });
    this.deadLetterTopic = new PubsubTopic(this, 'DeadLetters', { name: `${name}-dead-letters`, project: pipeline.project });
    this.subscription = new PubsubSubscription(this, 'Push', {
      name: `${name}-push`,
      project: pipeline.project,
      topic: props.topic.id,
      ackDeadlineSeconds: 60,
      pushConfig: { pushEndpoint: this.function.serviceConfig.uri, oidcToken: { serviceAccountEmail: pusher.email } },
      retryPolicy: { minimumBackoff: '10s', maximumBackoff: '600s' },
      deadLetterPolicy: { deadLetterTopic: this.deadLetterTopic.id, maxDeliveryAttempts: 10 },
    });
    // Pub/Sub's service agent moves undeliverable messages: it publishes to the dead-letter topic and
    // acknowledges them on the subscription.
    const pubsubAgent = `serviceAccount:service-${shared.project.number}@gcp-sa-pubsub.iam.gserviceaccount.com`;
    new PubsubTopicIamMember(this, 'AgentPublishesDeadLetters', { project: pipeline.project, topic: this.deadLetterTopic.name, role: 'roles/pubsub.publisher', member: pubsubAgent });
    new PubsubSubscriptionIamMember(this, 'AgentAcknowledges', { project: pipeline.project, subscription: this.subscription.name, role: 'roles/pubsub.subscriber', member: pubsubAgent });
  }
}
