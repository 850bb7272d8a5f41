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
import { shortHash } from './short-hash';
import { wireStartRoute } from './start-route';
import { configureTrigger } from './trigger-configuration';

/** What a scheduled trigger with `unlessRanWithin` hands its check. */
export interface ScheduledCheckProps {
  readonly pipeline: ITrainingPipeline;
  readonly unlessRanWithin: Duration;
  readonly scheduleExpression: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly coordinator?: IRetrainingCoordinator;
  readonly priority?: number;
  readonly delivery: targets.ScheduleTargetBaseProps;
}

/**
 * The target of a schedule that starts a run only when none ran within a window: the stack's check
 * function, invoked with the trigger's id and the firing's scheduled time and nothing else. The function
 * reads the pipeline, the window, the parameters and the route from what the deployment wrote; it may list
 * the pipeline's executions, and start it (or ask the coordinator to) as `wireStartRoute` grants.
 */
export function scheduledCheckTarget(trigger: Construct, props: ScheduledCheckProps): { readonly target: scheduler.IScheduleTarget; readonly triggerId: string } {
  const checks = ScheduledCheckFunction.of(trigger);
  const triggerId = `${trigger.node.id.replace(/[^A-Za-z0-9_-]/g, '')}-${shortHash(trigger.node.path, 8)}`.slice(-64);
  checks.allowListing(props.pipeline);
  const route = wireStartRoute(checks.function, props.pipeline, props.coordinator, props.priority ?? DEFAULT_PRIORITY);
  const config = {
    triggerId,
    pipelineName: props.pipeline.pipelineName,
    withinSeconds: props.unlessRanWithin.toSeconds(),
    schedule: props.scheduleExpression,
    parameters: props.parameters,
    ...route,
  } satisfies ScheduledCheckConfigJson;
  configureTrigger(checks, triggerId, config, 'parameters');
  const target = new LambdaScheduleTarget(checks.function, {
    ...props.delivery,
    // The firing names the start (retries and duplicate deliveries ask with one token); the rest is deployed.
    input: scheduler.ScheduleTargetInput.fromObject({ triggerId, scheduledTime: scheduler.ContextAttribute.scheduledTime }),
  });
  return { target, triggerId };
}
