import type { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DataArrivalTrigger, ScheduledTrigger, TrainingPipeline, TriggerSchedule } from '../lib';

/** Adds `count` scheduled triggers (daily crons at different times, one parameter) to `stack`. */
export function addScheduledTriggers(stack: Stack, count: number): void {
  const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'bench-pipeline');
  for (let i = 0; i < count; i++) {
    new ScheduledTrigger(stack, `Trigger${i}`, {
      pipeline,
      schedule: TriggerSchedule.cron(`${i % 60} ${i % 24} * * ? *`),
      parameters: { TrainingMode: 'scheduled' },
    });
  }
}

/** Adds `count` data-arrival triggers, one prefix each, on one bucket, to `stack`. */
export function addDataArrivalTriggers(stack: Stack, count: number): void {
  const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'bench-pipeline');
  const bucket = s3.Bucket.fromBucketName(stack, 'Data', 'bench-data');
  for (let i = 0; i < count; i++) {
    new DataArrivalTrigger(stack, `Trigger${i}`, { pipeline, bucket, prefix: `team-${i}/`, parameters: { TrainingMode: 'data' } });
  }
}

/** The kinds of trigger the synthesis benchmark fills stacks with. */
export const TRIGGER_KINDS = {
  scheduled: addScheduledTriggers,
  'data-arrival': addDataArrivalTriggers,
} as const;
export type TriggerKind = keyof typeof TRIGGER_KINDS;
