import { Stack, TimeZone, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ScheduledTrigger, TrainingPipeline, TriggerSchedule } from '../lib';

/** Properties of the reference stack. */
export interface ReferenceStackProps extends StackProps {
  /** The SageMaker pipeline every trigger in the tour starts. */
  readonly pipelineName: string;
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
  }
}
