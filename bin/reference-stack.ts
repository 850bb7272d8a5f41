import { Duration, Stack, TimeZone, type StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { DataArrivalTrigger, ScheduledTrigger, TrainingPipeline, TriggerSchedule } from '../lib';

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

    // Scheduled: retrain every Monday at 03:00 Berlin time on the last week of data.
    new ScheduledTrigger(this, 'WeeklyRetraining', {
      pipeline,
      schedule: TriggerSchedule.cron('0 3 ? * MON *'),
      timeZone: TimeZone.EUROPE_BERLIN,
      parameters: { TrainingMode: 'scheduled', DataWindowDays: '7' },
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
    });
  }
}
