import type { Duration } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type { Construct } from 'constructs';
import type { ScheduledCheckConfigJson } from '../../lambda/core/contracts/scheduled-check';
import { DEFAULT_PRIORITY } from '../../lambda/core/contracts/shared';
import type { IRetrainingCoordinator } from '../retraining-coordinator';
import type { ITrainingPipeline } from '../training-pipeline';
import { LambdaScheduleTarget } from './lambda-schedule-target';
import { ScheduledCheckFunction } from './scheduled-check-function';
import { wireStartRoute } from './start-route';
import { configureTrigger } from './trigger-configuration';

/** What a scheduled trigger with `unlessRanWithin`, or a catch-up when re-enabled, hands the check function. */
export interface ScheduledCheckConfiguration {
  readonly triggerId: string;
  readonly pipeline: ITrainingPipeline;
  /** Absent for a trigger that only catches up: its schedule then starts runs itself and never invokes the function. */
  readonly unlessRanWithin?: Duration;
  readonly scheduleExpression: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly coordinator?: IRetrainingCoordinator;
  readonly priority?: number;
  /** Whether the schedule is off, and what a catch-up reads (written only for a trigger that catches up). */
  readonly reEnable: Pick<ScheduledCheckConfigJson, 'enabled' | 'whenReEnabled'>;
}

/** What a scheduled trigger with `unlessRanWithin` hands its check. */
export interface ScheduledCheckProps extends ScheduledCheckConfiguration {
  readonly unlessRanWithin: Duration;
  readonly delivery: targets.ScheduleTargetBaseProps;
}

/**
 * Writes the trigger's configuration where the stack's check function reads it, and lets the function list the
 * pipeline's executions and start it by the trigger's route; a trigger that catches up also gets the stack's rule
 * on configuration changes. Returns the trigger's id there.
 */
export function configureScheduledCheck(trigger: Construct, props: ScheduledCheckConfiguration): string {
  const checks = ScheduledCheckFunction.of(trigger);
  const triggerId = props.triggerId;
  checks.allowListing(props.pipeline);
  const route = wireStartRoute(checks.function, props.pipeline, props.coordinator, props.priority ?? DEFAULT_PRIORITY);
  const config = {
    triggerId,
    pipelineName: props.pipeline.pipelineName,
    ...(props.unlessRanWithin ? { withinSeconds: props.unlessRanWithin.toSeconds() } : {}),
    schedule: props.scheduleExpression,
    parameters: props.parameters,
    ...route,
    ...props.reEnable,
  } satisfies ScheduledCheckConfigJson;
  configureTrigger(checks, triggerId, config, 'parameters');
  if (props.reEnable.whenReEnabled) checks.followConfigurationChanges();
  return triggerId;
}

/**
 * The target of a schedule that starts a run only when none ran within a window: the stack's check
 * function, invoked with the trigger's id and the firing's scheduled time and nothing else. The function
 * reads the pipeline, the window, the parameters and the route from what the deployment wrote; it may list
 * the pipeline's executions, and start it (or ask the coordinator to) as `wireStartRoute` grants.
 */
export function scheduledCheckTarget(trigger: Construct, props: ScheduledCheckProps): { readonly target: scheduler.IScheduleTarget; readonly triggerId: string } {
  const triggerId = configureScheduledCheck(trigger, props);
  const target = new LambdaScheduleTarget(ScheduledCheckFunction.of(trigger).function, {
    ...props.delivery,
    // The firing names the start (retries and duplicate deliveries ask with one token); the rest is deployed.
    input: scheduler.ScheduleTargetInput.fromObject({ triggerId, scheduledTime: scheduler.ContextAttribute.scheduledTime }),
  });
  return { target, triggerId };
}
