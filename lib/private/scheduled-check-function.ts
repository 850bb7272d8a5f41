import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ITrainingPipeline } from '../training-pipeline';
import { watchedDeadLetterQueue } from './dead-letter-queue';
import { handlerFunction } from './handler-function';
import { stackRuleNamePrefix } from './stack-scoped-name';
import { configurationChangeRule } from './config-change-rule';
import type { ConfiguredReceiver } from './trigger-configuration';

const SHARED_ID = 'MlTriggersScheduledChecks';

/**
 * The function that every scheduled trigger with `unlessRanWithin` in a stack shares: each firing asks
 * SageMaker whether the pipeline ran within the window, and starts a run when it did not. It also makes up,
 * with one run, the firings a trigger with `whenReEnabled: ReEnable.catchUp()` missed while disabled. It keeps no
 * state (SageMaker's executions and the configurations' history are the record), so it has no table. The first
 * such trigger creates it.
 */
export class ScheduledCheckFunction extends Construct implements ConfiguredReceiver {
  public static of(scope: Construct): ScheduledCheckFunction {
    const stack = Stack.of(scope);
    return (stack.node.tryFindChild(SHARED_ID) as ScheduledCheckFunction | undefined) ?? new ScheduledCheckFunction(stack, SHARED_ID);
  }

  public readonly function: lambda.Function;
  public readonly deadLetterQueue: sqs.IQueue;
  /** No rule invokes the function (schedules do); the prefix names where its configurations are written. */
  public readonly ruleNamePrefix: string;
  private readonly listed = new Set<string>();

  private constructor(scope: Stack, id: string) {
    super(scope, id);
    this.ruleNamePrefix = stackRuleNamePrefix(scope, 'mls');
    this.deadLetterQueue = watchedDeadLetterQueue(this, undefined).queue;
    this.function = handlerFunction(this, {
      handler: 'scheduled',
      description: 'cdk-ml-triggers: starts a run of a scheduled trigger\'s pipeline when none ran within its unlessRanWithin window, or once for what a re-enabled trigger missed.',
      environment: {},
      timeout: Duration.seconds(30),
      retryAttempts: 2,
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      ids: { logGroup: 'Logs', role: 'Role', function: 'Function' },
    });
  }

  /** The stack's rule on Parameter Store's change events under the function's configuration path (see {@link configurationChangeRule}). */
  public followConfigurationChanges(): events.IRule {
    return configurationChangeRule(this, 'the scheduled check function');
  }

  /** Lets the function read `pipeline`'s executions (ListPipelineExecutions on that pipeline only), once per pipeline. */
  public allowListing(pipeline: ITrainingPipeline): void {
    const key = Stack.of(this).resolve(pipeline.pipelineArn);
    const id = JSON.stringify(key);
    if (this.listed.has(id)) return;
    this.listed.add(id);
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['sagemaker:ListPipelineExecutions'], resources: [pipeline.pipelineArn] }));
  }
}
