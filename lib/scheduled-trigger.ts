import { Annotations, Duration, TimeZone, type CfnResource } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { shortHash } from './private/short-hash';
import { validateScheduledTriggerProps } from './private/scheduled-trigger-validation';
import { correlationIdOf, scheduledRequestId } from '../lambda/core/launch';
import { DEFAULT_PRIORITY, TRIGGER_ID_METADATA } from '../lambda/core/contracts/shared';
import { watchedDeadLetterQueue } from './private/dead-letter-queue';
import { LambdaScheduleTarget } from './private/lambda-schedule-target';
import { configureScheduledCheck, scheduledCheckTarget } from './private/scheduled-check-target';
import { catchesUp, scheduledReEnableConfig } from './private/scheduled-catch-up-config';
import type { ReEnable } from './re-enable';
import type { IRetrainingCoordinator } from './retraining-coordinator';
import { missedRunEvaluation, missedRunWindow } from './private/missed-run-window';
import { TrainingPipeline, type ITrainingPipeline } from './training-pipeline';
import { ScheduleKind, type TriggerSchedule } from './trigger-schedule';

/** Properties of a {@link ScheduledTrigger}. */
export interface ScheduledTriggerProps {
  /**
   * The pipeline to start: a `TrainingPipeline`, a `sagemaker.CfnPipeline` defined in your app, or any
   * other `IPipelineRef`.
   */
  readonly pipeline: sagemaker.IPipelineRef;

  /** When to start it: `TriggerSchedule.cron(...)`, `.rate(...)` or `.at(...)`. */
  readonly schedule: TriggerSchedule;

  /**
   * The IANA time zone that cron and one-time schedules are read in; daylight saving time is followed.
   * @default TimeZone.ETC_UTC
   */
  readonly timeZone?: TimeZone;

  /**
   * The first moment the schedule may start the pipeline.
   * @default - from deployment on
   */
  readonly startDate?: Date;

  /**
   * The last moment the schedule may start the pipeline.
   * @default - no end
   */
  readonly endDate?: Date;

  /**
   * Lets EventBridge Scheduler start the run at any moment within this window after the scheduled
   * time, to spread load. Between 1 minute and 24 hours.
   * @default - no window: runs start at the scheduled time
   */
  readonly flexibleTimeWindow?: Duration;

  /**
   * Static pipeline parameters, name to value, such as `{ TrainingMode: 'scheduled' }`.
   * At most 200; names of letters, digits, hyphens and underscores; values of 1-1024 characters.
   * @default - no parameters: the pipeline's defaults apply
   */
  readonly parameters?: { [name: string]: string };

  /**
   * Whether the schedule is enabled; a disabled schedule keeps its configuration and starts nothing.
   * Enabled again, it does what `whenReEnabled` says with the firings it missed while disabled.
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * What the trigger does, once enabled again, with the firings its schedule missed while it was disabled
   * (`enabled: false`): `ReEnable.skip()`, or `ReEnable.catchUp({ maxAge })`: one run (never one per missed
   * firing) when at least one firing fell while it was off, no longer ago than `maxAge` when it was enabled again,
   * unless an execution of the pipeline that counts (Executing, Stopping, Succeeded) started since the latest of
   * them. The stack's check function learns of both changes from Parameter Store's change events for the
   * configuration the deployment writes, and reads when the trigger was off from that configuration's history.
   * Catch-up must be configured no later than the deployment that disables the trigger. A rate's firings are
   * counted from when it was disabled: every full interval off is one missed firing. `maxObjects` does not apply.
   * @default ReEnable.skip() - the next firing starts the next run
   */
  readonly whenReEnabled?: ReEnable;

  /**
   * How many times EventBridge Scheduler retries a start that failed (throttling, a service error).
   * Between 0 and 185.
   * @default 5
   */
  readonly retryAttempts?: number;

  /**
   * How long EventBridge Scheduler keeps retrying a start before it goes to the dead-letter queue.
   * Between 1 minute and 24 hours. The default keeps a run from starting hours late without anyone knowing.
   * @default Duration.hours(1)
   */
  readonly maxEventAge?: Duration;

  /**
   * Where starts that could not be delivered go.
   * @default - the stack's shared dead-letter queue for triggers: encrypted, TLS-only, 14 days of retention
   */
  readonly deadLetterQueue?: sqs.IQueue;

  /**
   * Whether to alarm when no execution of the pipeline started within the schedule's longest
   * interval plus `missedRunGracePeriod`. One-time and disabled schedules have no such alarm.
   * @default true
   */
  readonly missedRunAlarm?: boolean;

  /**
   * Slack added to the schedule's longest interval (and to the flexible time window) before a run
   * counts as missed.
   * @default Duration.minutes(15)
   */
  readonly missedRunGracePeriod?: Duration;

  /**
   * A description of the schedule.
   * @default - one naming the pipeline
   */
  readonly description?: string;

  /**
   * Routes every start through this coordinator (cooldowns, caps, budgets, approvals) instead of
   * starting the pipeline directly. The schedule then invokes the coordinator.
   * @default - the schedule starts the pipeline itself
   */
  readonly coordinator?: IRetrainingCoordinator;

  /**
   * The priority of this trigger's requests to the coordinator: 1 (most urgent) to 5.
   * @default 3
   */
  readonly priority?: number;

  /**
   * Skips a firing when an execution of the pipeline started within this period, so that
   * `schedule: TriggerSchedule.rate(Duration.hours(1))` with `unlessRanWithin: Duration.days(7)` means
   * "at least every 7 days, whatever else starts it". Executing, Stopping and Succeeded executions count
   * as a run; Failed and Stopped ones do not (they produced no model), so the next firing starts one.
   * The schedule then invokes the stack's check function, which lists the pipeline's executions and
   * starts the run itself or through `coordinator`. Whole minutes, at least the schedule's longest
   * interval and at most 365 days.
   * @default - every firing starts a run
   */
  readonly unlessRanWithin?: Duration;
}

/**
 * Starts a SageMaker pipeline on a cron, rate or one-time schedule through EventBridge Scheduler,
 * with static parameters, retries, a dead-letter queue and an alarm for missed runs.
 *
 * The schedule's target is SageMaker's StartPipelineExecution itself: no function runs in between, unless
 * `unlessRanWithin` asks for a check of the pipeline's executions before each start.
 */
export class ScheduledTrigger extends Construct {
  /**
   * The trigger's id: what its configuration (when it has one), its logs and the simulator's events file name it
   * by. Its schedule's template resource carries it as the metadata `cdk-ml-triggers:triggerId`.
   */
  public readonly triggerId: string;
  /** The EventBridge Scheduler schedule. */
  public readonly schedule: scheduler.ISchedule;
  /** Where starts that could not be delivered go. */
  public readonly deadLetterQueue: sqs.IQueue;
  /** Fires when a start is waiting in the dead-letter queue (one alarm per queue, shared by its triggers). */
  public readonly deadLetterQueueAlarm: cloudwatch.IAlarm;
  /** Fires when no execution started within the expected interval; undefined when there is none. */
  public readonly missedRunAlarm?: cloudwatch.IAlarm;

  constructor(scope: Construct, id: string, props: ScheduledTriggerProps) {
    super(scope, id);
    const timeZone = props.timeZone ?? TimeZone.ETC_UTC;
    validateScheduledTriggerProps(props, timeZone);

    const dlq = watchedDeadLetterQueue(this, props.deadLetterQueue);
    this.deadLetterQueue = dlq.queue;
    this.deadLetterQueueAlarm = dlq.alarm;

    const pipeline = TrainingPipeline.of(this, props.pipeline);
    const parameters = props.parameters ?? {};
    this.triggerId = `${this.node.id.replace(/[^A-Za-z0-9_-]/g, '')}-${shortHash(this.node.path, 8)}`.slice(-64);
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      schedule: scheduler.ScheduleExpression.expression(props.schedule.expressionString, timeZone),
      description: props.description ?? `Starts SageMaker pipeline ${pipeline.pipelineName} on schedule.`,
      enabled: props.enabled ?? true,
      start: props.startDate,
      end: props.endDate,
      timeWindow: props.flexibleTimeWindow ? scheduler.TimeWindow.flexible(props.flexibleTimeWindow) : undefined,
      target: this.target(props, pipeline, parameters),
    });
    (this.schedule.node.defaultChild as CfnResource).addMetadata(TRIGGER_ID_METADATA, this.triggerId);

    // A disabled schedule is meant to start nothing: an alarm on missing starts would page for that.
    if ((props.missedRunAlarm ?? true) && (props.enabled ?? true)) {
      this.missedRunAlarm = this.createMissedRunAlarm(props, pipeline, timeZone);
    }
  }

  private target(props: ScheduledTriggerProps, pipeline: ITrainingPipeline, parameters: Readonly<Record<string, string>>): scheduler.IScheduleTarget {
    const delivery = {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: props.retryAttempts ?? 5,
      maxEventAge: props.maxEventAge ?? Duration.hours(1),
    };
    const reEnable = scheduledReEnableConfig(props, this.timeZoneName(props));
    const { coordinator, priority } = props;
    if (props.unlessRanWithin) {
      const { unlessRanWithin } = props;
      return scheduledCheckTarget(this, { triggerId: this.triggerId, pipeline, unlessRanWithin, scheduleExpression: props.schedule.expressionString, parameters, coordinator, priority, delivery, reEnable }).target;
    }
    // The schedule goes on starting runs itself; the check function only makes up what it missed while off.
    if (catchesUp(props)) configureScheduledCheck(this, { triggerId: this.triggerId, pipeline, scheduleExpression: props.schedule.expressionString, parameters, coordinator, priority, reEnable });
    if (!props.coordinator) {
      return new targets.SageMakerStartPipelineExecution(pipeline, {
        ...delivery,
        pipelineParameterList: Object.keys(parameters)
          .sort()
          .map((name) => ({ name, value: parameters[name] })),
      });
    }
    props.coordinator.allowPipeline(pipeline);
    return new LambdaScheduleTarget(props.coordinator.function, {
      ...delivery,
      input: scheduler.ScheduleTargetInput.fromObject({
        action: 'request',
        request: {
          // One id per scheduled time: a redelivered invocation is answered, not decided again.
          requestId: scheduledRequestId(shortHash(this.node.path, 12), scheduler.ContextAttribute.scheduledTime),
          pipelineName: pipeline.pipelineName,
          triggerType: 'scheduled',
          reason: `schedule ${props.schedule.expressionString}`,
          priority: props.priority ?? DEFAULT_PRIORITY,
          parameters,
          // The scheduler's id for this invocation follows the start into the decision log and the run.
          correlationId: correlationIdOf('scheduled', scheduler.ContextAttribute.executionId),
        },
      }),
    });
  }

  private timeZoneName(props: ScheduledTriggerProps): string {
    return (props.timeZone ?? TimeZone.ETC_UTC).timezoneName;
  }

  private createMissedRunAlarm(props: ScheduledTriggerProps, pipeline: ITrainingPipeline, timeZone: TimeZone): cloudwatch.IAlarm | undefined {
    // With unlessRanWithin, a run is due once the window has passed without one, at the next firing after it.
    const scheduleMinutes = props.schedule.maxIntervalMinutes;
    const intervalMinutes = scheduleMinutes === undefined ? undefined : scheduleMinutes + (props.unlessRanWithin?.toMinutes() ?? 0);
    if (intervalMinutes === undefined) {
      if (props.schedule.kind !== ScheduleKind.ONE_TIME) {
        Annotations.of(this).addWarningV2(
          'cdk-ml-triggers:missedRunNoInterval',
          `No missed-run alarm: ${props.schedule.expressionString} does not fire twice between 2027 and 2035.`,
        );
      }
      return undefined;
    }
    const window = missedRunWindow({
      intervalMinutes,
      // Wall-clock schedules shift by an hour when daylight saving time starts or ends.
      daylightSavingMinutes: props.schedule.kind === ScheduleKind.CRON && timeZone.timezoneName !== 'Etc/UTC' ? 60 : 0,
      flexibleTimeWindowMinutes: props.flexibleTimeWindow?.toMinutes() ?? 0,
      gracePeriodMinutes: (props.missedRunGracePeriod ?? Duration.minutes(15)).toMinutes(),
    });
    const evaluation = missedRunEvaluation(window);
    if (!evaluation) {
      Annotations.of(this).addWarningV2(
        'cdk-ml-triggers:missedRunIntervalTooLong',
        `No missed-run alarm: ${props.schedule.expressionString} can go ${Duration.minutes(intervalMinutes).toHumanString()} between runs, ` +
          `${window.toHumanString()} with daylight saving time, flexibleTimeWindow and missedRunGracePeriod, and a CloudWatch alarm looks back at most 7 days.`,
      );
      return undefined;
    }
    return new cloudwatch.Alarm(this, 'MissedRunAlarm', {
      alarmDescription:
        `No execution of SageMaker pipeline ${pipeline.pipelineName} started within ${window.toHumanString()} (${props.schedule.expressionString}).`,
      metric: pipeline.metricExecutionsStarted({ period: evaluation.period }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: evaluation.evaluationPeriods,
      datapointsToAlarm: evaluation.evaluationPeriods,
      // SageMaker publishes ExecutionStarted only when an execution starts: no data means no start.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
  }
}
