import { CloudSchedulerJob } from '@cdktf/provider-google/lib/cloud-scheduler-job';
import { PubsubTopic } from '@cdktf/provider-google/lib/pubsub-topic';
import { TimeZone } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { TriggerSchedule } from '../trigger-schedule';
import { pipelineParameters } from '../../lambda/core/pipeline-parameters';
import { cloudSchedulerCron } from './cloud-scheduler-schedule';
import { deploymentHash } from './deployment-hash';
import { FunctionDeployment } from './function-deployment';
import type { IVertexTriggerFunction } from './trigger-function';
import type { VertexPipeline } from './vertex-pipeline';

/** Properties of a {@link VertexScheduledTrigger}. */
export interface VertexScheduledTriggerProps {
  readonly pipeline: VertexPipeline;
  /**
   * When to start it, as the AWS `ScheduledTrigger` takes it: `TriggerSchedule.cron('0 3 ? * MON *')` (Mondays at
   * 03:00) or `.rate(...)` of an interval that divides an hour or a day; Cloud Scheduler has no one-time jobs.
   * A string is read as a unix-cron expression of five fields (`0 3 * * 1`): deprecated, pass a `TriggerSchedule`.
   */
  readonly schedule: TriggerSchedule | string;
  /**
   * The IANA time zone the schedule is read in. A string (`'Europe/Berlin'`) is deprecated: pass `TimeZone.of(...)`.
   * @default TimeZone.ETC_UTC
   */
  readonly timeZone?: TimeZone | string;
  /**
   * Static pipeline parameters.
   * @default - none
   */
  readonly parameters?: { [name: string]: string };
  /**
   * How often Cloud Scheduler retries a firing whose publish failed (0-5).
   * @default 3
   */
  readonly retryCount?: number;
}

/**
 * Starts a Vertex AI pipeline on a schedule: Cloud Scheduler -> Pub/Sub -> a Cloud Function that creates
 * one pipeline job per firing (its job id is derived from the firing, so a redelivery creates nothing).
 */
export class VertexScheduledTrigger extends Construct {
  readonly topic: PubsubTopic;
  readonly job: CloudSchedulerJob;
  readonly handler: IVertexTriggerFunction;

  constructor(scope: Construct, id: string, props: VertexScheduledTriggerProps) {
    super(scope, id);
    const schedule = cloudSchedulerCron(props.schedule);
    const timeZone = typeof props.timeZone === 'string' ? props.timeZone : (props.timeZone ?? TimeZone.ETC_UTC).timezoneName;
    try {
      new Intl.DateTimeFormat('en-US', { timeZone });
    } catch {
      throw new Error(`timeZone must be an IANA time zone name such as Europe/Berlin, got '${timeZone}'`);
    }
    const retryCount = props.retryCount ?? 3;
    if (!Number.isInteger(retryCount) || retryCount < 0 || retryCount > 5) throw new Error(`retryCount must be a whole number between 0 and 5, got ${retryCount}`);
    const parameters = pipelineParameters(props.parameters ?? {});
    if (!parameters.ok) throw new Error(`${parameters.error.field} ${parameters.error.problem}`);

    const { pipeline } = props;
    const triggerId = `sched-${deploymentHash(this, pipeline, 12)}`;
    this.topic = new PubsubTopic(this, 'Firings', { name: `mlt-${triggerId}`, project: pipeline.project });
    this.job = new CloudSchedulerJob(this, 'Schedule', {
      name: `mlt-${triggerId}`,
      project: pipeline.project,
      region: pipeline.region,
      description: `cdk-ml-triggers: starts Vertex AI pipeline ${pipeline.pipelineName}`,
      schedule,
      timeZone,
      retryConfig: { retryCount },
      pubsubTarget: { topicName: this.topic.id, data: Buffer.from(JSON.stringify({ triggerId })).toString('base64') },
    });
    this.handler = new FunctionDeployment(this, 'Starter', {
      functionName: 'scheduled',
      pipeline,
      topic: this.topic,
      environment: {
        TRIGGER_CONFIG: JSON.stringify({
          triggerId,
          ...pipeline.target,
          parameters: props.parameters ?? {},
        }),
      },
    });
  }
}
