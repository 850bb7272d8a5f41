import { MonitoringAlertPolicy } from '@cdktf/provider-google/lib/monitoring-alert-policy';
import { MonitoringNotificationChannel } from '@cdktf/provider-google/lib/monitoring-notification-channel';
import { PubsubTopic } from '@cdktf/provider-google/lib/pubsub-topic';
import { PubsubTopicIamMember } from '@cdktf/provider-google/lib/pubsub-topic-iam-member';
import { Construct } from 'constructs';
import { DEFAULT_DRIFT_THRESHOLDS, parseDriftConfig } from '../../lambda/core/contracts/drift';
import { deploymentHash } from './deployment-hash';
import { FunctionDeployment } from './function-deployment';
import type { IVertexTriggerFunction } from './trigger-function';
import type { VertexPipeline } from './vertex-pipeline';

/** Scores at which drift becomes medium, high and critical. */
export interface VertexDriftThresholds {
  readonly medium: number;
  readonly high: number;
  readonly critical: number;
}

/** Properties of a {@link VertexDriftTrigger}. */
export interface VertexDriftTriggerProps {
  readonly pipeline: VertexPipeline;
  /** The Cloud Monitoring metric that carries the drift score, e.g. `custom.googleapis.com/model/feature_drift`. */
  readonly metricType: string;
  /**
   * The monitored resource type of the metric.
   * @default 'global'
   */
  readonly resourceType?: string;
  /**
   * The score above which the alert opens; the evaluator then decides from the score.
   * @default 0
   */
  readonly alertThreshold?: number;
  /** The project number, which names Cloud Monitoring's notification service agent. */
  readonly projectNumber: string;
  /** @default { medium: 0.1, high: 0.3, critical: 0.5 } */
  readonly thresholds?: VertexDriftThresholds;
  /** @default - none */
  readonly featureThresholds?: { [feature: string]: VertexDriftThresholds };
  /** Whether medium drift retrains. @default false */
  readonly autoRetrain?: boolean;
  /** @default - none */
  readonly parameters?: { [name: string]: string };
}

/**
 * Retrains a Vertex AI pipeline on drift: a Cloud Monitoring alert on the drift metric notifies a
 * Pub/Sub channel, and a severity evaluator (the same rules as the AWS `DriftTrigger`) decides.
 */
export class VertexDriftTrigger extends Construct {
  readonly topic: PubsubTopic;
  readonly alertPolicy: MonitoringAlertPolicy;
  readonly handler: IVertexTriggerFunction;

  constructor(scope: Construct, id: string, props: VertexDriftTriggerProps) {
    super(scope, id);
    const drift = { thresholds: props.thresholds ?? DEFAULT_DRIFT_THRESHOLDS, featureThresholds: props.featureThresholds ?? {}, autoRetrain: props.autoRetrain ?? false };
    const parsed = parseDriftConfig(drift);
    if (!parsed.ok) throw new Error(`${parsed.error.field} ${parsed.error.problem}`);
    if (!/^[a-z0-9.-]+\.googleapis\.com\/[\w./-]+$/.test(props.metricType)) {
      throw new Error(`metricType must be a Cloud Monitoring metric type such as custom.googleapis.com/model/feature_drift, got '${props.metricType}'`);
    }
    if (!/^\d{6,20}$/.test(props.projectNumber)) throw new Error(`projectNumber must be the project's number, got '${props.projectNumber}'`);
    const { pipeline } = props;
    const triggerId = `drift-${deploymentHash(this, pipeline, 12)}`;
    this.topic = new PubsubTopic(this, 'Alerts', { name: `mlt-${triggerId}`, project: pipeline.project });
    // Cloud Monitoring's notification agent publishes the alert to the topic.
    new PubsubTopicIamMember(this, 'MonitoringPublishes', {
      project: pipeline.project,
      topic: this.topic.name,
      role: 'roles/pubsub.publisher',
      member: `serviceAccount:service-${props.projectNumber}@gcp-sa-monitoring-notification.iam.gserviceaccount.com`,
    });
    const channel = new MonitoringNotificationChannel(this, 'Channel', {
      project: pipeline.project,
      displayName: `cdk-ml-triggers drift of ${pipeline.pipelineName}`,
      type: 'pubsub',
      labels: { topic: this.topic.id },
    });
    const policyName = `Drift of ${pipeline.pipelineName}`;
    this.alertPolicy = new MonitoringAlertPolicy(this, 'Alert', {
      project: pipeline.project,
      displayName: policyName,
      combiner: 'OR',
      conditions: [
        {
          displayName: `${props.metricType} above ${props.alertThreshold ?? 0}`,
          conditionThreshold: {
            filter: `metric.type="${props.metricType}" AND resource.type="${props.resourceType ?? 'global'}"`,
            comparison: 'COMPARISON_GT',
            thresholdValue: props.alertThreshold ?? 0,
            duration: '0s',
            aggregations: [{ alignmentPeriod: '3600s', perSeriesAligner: 'ALIGN_MAX' }],
          },
        },
      ],
      notificationChannels: [channel.name],
    });
    this.handler = new FunctionDeployment(this, 'Evaluator', {
      functionName: 'drift',
      pipeline,
      topic: this.topic,
      environment: {
        DRIFT_SETTINGS: JSON.stringify({
          triggerId,
          ...pipeline.target,
          drift,
          source: { metricType: props.metricType, policyName },
          parameters: props.parameters ?? {},
        }),
      },
    });
  }
}
