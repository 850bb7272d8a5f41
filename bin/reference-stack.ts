import { Duration, Stack, TimeZone, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import {
  DataArrivalTrigger,
  DriftBaseline,
  DriftMonitor,
  DriftSource,
  DriftTrigger,
  EventSource,
  EventTrigger,
  PromotionGuardrail,
  RetrainingCoordinator,
  ScheduledTrigger,
  TrainingPipeline,
  TriggerDashboard,
  TriggerEventBus,
  TriggerSchedule,
} from '../lib';

/** Properties of the reference stack. */
export interface ReferenceStackProps extends StackProps {
  /** The SageMaker pipeline every trigger in the tour starts. */
  readonly pipelineName: string;
  /** The existing bucket that labelled data lands in. */
  readonly dataBucketName: string;
  /** The existing bucket Model Monitor writes its reports to, and evaluation reports live in. */
  readonly monitoringBucketName: string;
  /** The deployment's branch: a branch's triggers react to its own events only. */
  readonly branch: string;
}

/**
 * A tour of the library: every construct, wired the way a platform team would use it.
 * Each section starts a different way of deciding when the pipeline runs.
 */
export class ReferenceStack extends Stack {
  constructor(scope: Construct, id: string, props: ReferenceStackProps) {
    super(scope, id, props);

    const pipeline = TrainingPipeline.fromPipelineName(this, 'TrainingPipeline', props.pipelineName);

    // One gate for every trigger: at most one routine run per 6 hours, 4 a day, 1,000 a day in estimated
    // cost; runs that need a human wait for approval, announced on the approvals topic.
    const snsKey = kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns');
    const topic = (id: string, displayName: string) => new sns.Topic(this, id, { displayName, enforceSSL: true, masterKey: snsKey });
    const approvals = topic('Approvals', 'Retraining runs waiting for approval');
    const coordinator = new RetrainingCoordinator(this, 'Coordinator', {
      timeZone: TimeZone.EUROPE_BERLIN,
      approvalTopic: approvals,
    });

    // Scheduled: retrain every weekday at 03:00 Berlin time on the last day of data. (A weekly schedule gets no
    // missed-run alarm: a week plus its slack is past what a CloudWatch alarm can look back.)
    new ScheduledTrigger(this, 'NightlyRetraining', {
      pipeline,
      schedule: TriggerSchedule.cron('0 3 ? * MON-FRI *'),
      timeZone: TimeZone.EUROPE_BERLIN,
      parameters: { TrainingMode: 'scheduled', DataWindowDays: '1' },
      coordinator,
    });

    // Data arrival: train on every 500 new labelled Parquet files, or two hours after the first one. Labels are
    // expected every weekday by 11:00 Berlin time: then the trigger starts with what arrived, and a weekday
    // with no new file by then raises the missed-deadline alarm.
    const labelledData = s3.Bucket.fromBucketName(this, 'LabelledData', props.dataBucketName);
    new DataArrivalTrigger(this, 'NewLabels', {
      pipeline,
      bucket: labelledData,
      prefix: 'labels/',
      suffix: '.parquet',
      batchSize: 500,
      batchWindow: Duration.hours(2),
      expectedBy: { schedule: TriggerSchedule.cron('0 11 ? * MON-FRI *'), startWithWhatArrived: true },
      timeZone: TimeZone.EUROPE_BERLIN,
      parameters: { TrainingMode: 'data-arrival' },
      coordinator,
    });

    // Drift: the library's own drift statistics of the endpoint's data capture against a training sample, hourly,
    // and Model Monitor's drift metrics for two features; the evaluator reads each report and decides: log,
    // retrain, retrain with approval (team), or block and ask a human.
    const monitoring = s3.Bucket.fromBucketName(this, 'Monitoring', props.monitoringBucketName);
    const driftMonitor = new DriftMonitor(this, 'ChurnDrift', {
      endpointName: 'churn-prod',
      captureBucket: monitoring,
      capturePrefix: 'data-capture/',
      features: ['tenure_months', 'monthly_charges', 'total_amount', 'plan_type', 'support_calls'],
      outputName: 'churn_score',
      baseline: DriftBaseline.trainingSample({ bucket: labelledData, key: 'baseline/churn-train-sample.csv', header: true }),
      schedule: TriggerSchedule.rate(Duration.hours(1)),
      timeZone: TimeZone.EUROPE_BERLIN,
    });
    new DriftTrigger(this, 'Drift', {
      pipeline,
      sources: [
        DriftSource.driftMonitor(driftMonitor),
        DriftSource.modelMonitor({
          endpointName: 'churn-prod',
          monitoringScheduleName: 'churn-data-quality',
          features: ['tenure_months', 'total_amount'],
        }),
      ],
      monitoringOutputBucket: monitoring,
      monitoringOutputPrefix: 'model-monitor/',
      featureThresholds: { total_amount: { medium: 0.05, high: 0.2, critical: 0.4 } },
      teamTopic: topic('DriftTeam', 'High drift: retraining needs approval'),
      humanReviewTopic: topic('DriftReview', 'Critical drift: retraining blocked'),
      coordinator,
      parameters: { TrainingMode: 'drift' },
    });

    // Promotion guardrail: the pipeline calls it (LambdaStep) before it registers a retrained model.
    new PromotionGuardrail(this, 'Guardrail', { reportsBucket: monitoring, reportsPrefix: 'evaluation/' });

    // Named events: the platform publishes model.added, data_updated, features_ready on the project's bus.
    const bus = new TriggerEventBus(this, 'PlatformEvents', { project: 'churn', branch: props.branch });
    // Auto-deploy: every model added from Hugging Face starts the deployment pipeline.
    new EventTrigger(this, 'AutoDeploy', {
      source: EventSource.named(bus, 'model.added', { filter: { model_source: 'hugging_face' } }),
      pipeline: TrainingPipeline.fromPipelineName(this, 'DeployPipeline', 'model-auto-deploy'),
      parameters: { ModelId: '{{ event.model_id }}', EndpointName: '{{ event.model_name }}-auto', RequestedBy: "{{ event.created_by | default: 'platform' }}" },
    });
    // Per-key join: retrain a model when its fresh data and its features are both ready within a day; each
    // model_id joins on its own, so one model's data never completes with another model's features.
    new EventTrigger(this, 'DataAndFeatures', {
      source: EventSource.join(bus, ['data_updated', 'features_ready'], { within: Duration.hours(24), forEach: 'model_id' }),
      pipeline,
      parameters: {
        ModelId: '{{ events.data_updated.model_id }}',
        DatasetUri: '{{ events.data_updated.dataset_uri }}',
        FeatureVersion: '{{ events.features_ready.version }}',
      },
      coordinator,
    });
    // Debounce: annotators fix labels in bursts; retrain once, 10 minutes after the last fix of a burst.
    new EventTrigger(this, 'LabelFixes', {
      source: EventSource.named(bus, 'labels_corrected'),
      debounce: Duration.minutes(10),
      pipeline,
      parameters: { TrainingMode: 'label-fixes', LastBatch: '{{ event.batch_id }}' },
      coordinator,
    });
    // Chain: retrain after each successful run of the feature pipeline.
    new EventTrigger(this, 'AfterFeatures', {
      source: EventSource.afterPipeline(TrainingPipeline.fromPipelineName(this, 'FeaturePipeline', 'churn-feature-engineering')),
      pipeline,
      parameters: { TrainingMode: 'chained' },
      coordinator,
    });

    // Operations: one dashboard with the alarms of everything in the stack (it finds them at synthesis).
    new TriggerDashboard(this, 'Operations', { dashboardName: `ml-triggers-${props.branch}` });
  }
}
