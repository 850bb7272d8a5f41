import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CONFIGURATION_CHANGED } from '../../lambda/core/contracts/re-enable';
import type { ITrainingPipeline } from '../training-pipeline';
import { watchedDeadLetterQueue } from './dead-letter-queue';
import { handlerFunction } from './handler-function';
import { stackRuleNamePrefix } from './stack-scoped-name';
import { acknowledgeWildcardResource } from './nag';
import { configurationPath, type ConfiguredReceiver } from './trigger-configuration';

const SHARED_ID = 'MlTriggersScheduledChecks';
const CHANGES_RULE_ID = 'ConfigurationChanges';

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

  /**
   * The stack's rule on Parameter Store's change events for the configurations written under the function's
   * path, made with the first trigger that catches up when re-enabled: it invokes the function with a fixed
   * input, and the function reads the configurations and their history (GetParameterHistory, allowed under that
   * path only) to learn which triggers were turned off and back on.
   */
  public followConfigurationChanges(): events.IRule {
    const existing = this.node.tryFindChild(CHANGES_RULE_ID) as events.Rule | undefined;
    if (existing) return existing;
    const path = configurationPath(this);
    const stack = Stack.of(this);
    const underPath = stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: `${path.slice(1)}*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['ssm:GetParameterHistory'], resources: [underPath] }));
    acknowledgeWildcardResource(
      this.function.role!,
      underPath,
      "Reads the history of the configurations this stack's deployment wrote, under a path named for the stack, to learn when a scheduled trigger was off.",
    );
    return new events.Rule(this, CHANGES_RULE_ID, {
      ruleName: `${this.ruleNamePrefix}configuration-changes`,
      description: 'cdk-ml-triggers: tells the scheduled check function that a scheduled trigger was turned off or back on',
      eventPattern: { source: ['aws.ssm'], detailType: ['Parameter Store Change'], detail: { name: events.Match.prefix(path) } },
      targets: [
        new targets.LambdaFunction(this.function, {
          event: events.RuleTargetInput.fromObject(CONFIGURATION_CHANGED),
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 20,
          maxEventAge: Duration.hours(6),
        }),
      ],
    });
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
