import { CloudSchedulerJob } from '@cdktf/provider-google/lib/cloud-scheduler-job';
import { PubsubTopic } from '@cdktf/provider-google/lib/pubsub-topic';
import { Construct } from 'constructs';
import { pipelineParameters } from '../lambda/core/pipeline-parameters';
import { deploymentHash } from './deployment-hash';
import { FunctionDeployment } from './function-deployment';
import type { VertexPipeline } from './vertex-pipeline';

/** Properties of a {@link VertexScheduledTrigger}. */
export interface VertexScheduledTriggerProps {
  readonly pipeline: VertexPipeline;
  /** A unix-cron schedule (five fields), as Cloud Scheduler reads it: `0 3 * * 1` is Mondays at 03:00. */
  readonly schedule: string;
  /**
   * The IANA time zone the schedule is read in.
   * @default 'Etc/UTC'
   */
  readonly timeZone?: string;
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

const FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$|^[A-Za-z]{3}(-[A-Za-z]{3})?(,[A-Za-z]{3}(-[A-Za-z]{3})?)*$/;

/**
 * Starts a Vertex AI pipeline on a schedule: Cloud Scheduler -> Pub/Sub -> a Cloud Function that creates
 * one pipeline job per firing (its job id is derived from the firing, so a redelivery creates nothing).
 */
export class VertexScheduledTrigger extends Construct {
  readonly topic: PubsubTopic;
  readonly job: CloudSchedulerJob;
  readonly handler: FunctionDeployment;

  constructor(scope: Construct, id: string, props: VertexScheduledTriggerProps) {
    super(scope, id);
    const fields = props.schedule.trim().split(/\s+/);
    if (fields.length !== 5 || !fields.every((field) => FIELD.test(field))) {
      throw new Error(`schedule must be a unix-cron expression of five fields such as '0 3 * * 1', got '${props.schedule}'`);
    }
    const timeZone = props.timeZone ?? 'Etc/UTC';
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
      schedule: fields.join(' '),
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
