import { Duration, Stack, TimeZone, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { DataArrivalTrigger, RetrainingCoordinator, ScheduledTrigger, TrainingPipeline, TriggerSchedule } from '../lib';

/** Properties of the reference stack. */
export interface ReferenceStackProps extends StackProps {
  /** The SageMaker pipeline every trigger in the tour starts. */
  readonly pipelineName: string;
  /** The existing bucket that labelled data lands in. */
  readonly dataBucketName: string;
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
    const approvals = new sns.Topic(this, 'Approvals', {
      displayName: 'Retraining runs waiting for approval',
      enforceSSL: true,
      masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
    });
    const coordinator = new RetrainingCoordinator(this, 'Coordinator', {
      timeZone: TimeZone.EUROPE_BERLIN,
      approvalTopic: approvals,
    });

    // Scheduled: retrain every Monday at 03:00 Berlin time on the last week of data.
    new ScheduledTrigger(this, 'WeeklyRetraining', {
      pipeline,
      schedule: TriggerSchedule.cron('0 3 ? * MON *'),
      timeZone: TimeZone.EUROPE_BERLIN,
      parameters: { TrainingMode: 'scheduled', DataWindowDays: '7' },
      coordinator,
    });

    // Data arrival: train on every 500 new labelled Parquet files, or two hours after the first one.
    const labelledData = s3.Bucket.fromBucketName(this, 'LabelledData', props.dataBucketName);
    new DataArrivalTrigger(this, 'NewLabels', {
      pipeline,
      bucket: labelledData,
      prefix: 'labels/',
      suffix: '.parquet',
      batchSize: 500,
      batchWindow: Duration.hours(2),
      parameters: { TrainingMode: 'data-arrival' },
      coordinator,
    });
  }
}
