import { Duration, TimeZone, type Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DataArrivalTrigger, TrainingPipeline, TriggerSchedule } from '../../lib';

/**
 * Two data-arrival triggers on the bucket `landing`, in Berlin's time (UTC+1 in January): labels expected every
 * weekday by 06:00, each deadline starting with what arrived; features batched by a schedule, every day at 03:00,
 * only when any came.
 */
export function addCalendarTriggers(stack: Stack): void {
  const bucket = s3.Bucket.fromBucketName(stack, 'Data', 'landing');
  new DataArrivalTrigger(stack, 'Labels', {
    pipeline: TrainingPipeline.fromPipelineName(stack, 'LabelsPipeline', 'labels-training'),
    bucket,
    prefix: 'labels/',
    batchSize: 100,
    batchWindow: Duration.hours(6),
    expectedBy: { schedule: TriggerSchedule.cron('0 6 ? * MON-FRI *'), startWithWhatArrived: true },
    timeZone: TimeZone.EUROPE_BERLIN,
  });
  new DataArrivalTrigger(stack, 'Features', {
    pipeline: TrainingPipeline.fromPipelineName(stack, 'FeaturesPipeline', 'features-training'),
    bucket,
    prefix: 'features/',
    batchSchedule: TriggerSchedule.cron('0 3 * * ? *'),
    timeZone: TimeZone.EUROPE_BERLIN,
  });
}

/** An events-file line: an object landing in `landing` at `at`. */
export const landing = (at: string, key: string) => ({ at, s3: { bucket: 'landing', key } });
