import type { Stack } from 'aws-cdk-lib';
import { ScheduledTrigger, TrainingPipeline, TriggerSchedule } from '../lib';

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
