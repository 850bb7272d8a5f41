import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import { acknowledgeWildcardResource } from './nag';

/**
 * EventBridge Scheduler invoking one of the library's functions. aws-cdk-lib grants the schedule's role
 * invoke on the function and on its versions (`<arn>:*`); that wildcard is acknowledged on the role
 * itself, wherever aws-cdk-lib makes it (one role per target function, at the stack's root).
 */
export class LambdaScheduleTarget implements scheduler.IScheduleTarget {
  private readonly target: targets.LambdaInvoke;

  constructor(
    private readonly fn: lambda.IFunction,
    props: targets.ScheduleTargetBaseProps,
  ) {
    this.target = new targets.LambdaInvoke(fn, props);
  }

  public bind(schedule: scheduler.ISchedule): scheduler.ScheduleTargetConfig {
    const config = this.target.bind(schedule);
    acknowledgeWildcardResource(
      config.role,
      `${this.fn.functionArn}:*`,
      "EventBridge Scheduler's invoke grant covers every version of the function, whose numbers are not known in advance; it names this one function only.",
    );
    return config;
  }
}
