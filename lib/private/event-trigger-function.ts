import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from './data-arrival-batcher';
import { watchedDeadLetterQueue } from './dead-letter-queue';
import { acceptRulesByPrefix, type EnvelopeReceiver } from './envelope-target';
import { HANDLER_ARCHITECTURE, HANDLER_RUNTIME, handlerCode } from './handler-code';
import { acknowledgeWildcardResource } from './nag';
import { shortHash } from './short-hash';

const SHARED_ID = 'MlTriggersEvents';

/**
 * What every event trigger in a stack shares: the function that renders parameters, keeps joins and
 * starts runs, and the table that holds joins. Each trigger adds its rule.
 */
export class EventTriggerFunction extends Construct implements EnvelopeReceiver {
  public static of(scope: Construct): EventTriggerFunction {
    const stack = Stack.of(scope);
    return (stack.node.tryFindChild(SHARED_ID) as EventTriggerFunction | undefined) ?? new EventTriggerFunction(stack, SHARED_ID);
  }

  public readonly function: lambda.Function;
  public readonly table: dynamodb.Table;
  public readonly deadLetterQueue: sqs.IQueue;
  public readonly ruleNamePrefix: string;

  private constructor(scope: Stack, id: string) {
    super(scope, id);
    this.ruleNamePrefix = `mle-${shortHash(scope.node.path, 8)}-`;
    this.deadLetterQueue = watchedDeadLetterQueue(this, undefined).queue;
    this.table = new dynamodb.Table(this, 'JoinTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
    });
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.THREE_MONTHS });
    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const logStreams = `${logGroup.logGroupArn}:*`;
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logStreams] }));
    acknowledgeWildcardResource(role, logStreams, "Lambda names its log streams at run time; the grant covers the streams of this function's own log group only.");
    this.function = new lambda.Function(this, 'Function', {
      description: 'cdk-ml-triggers: renders event parameters, keeps event joins, and starts runs for event triggers.',
      runtime: HANDLER_RUNTIME,
      architecture: HANDLER_ARCHITECTURE,
      handler: 'index.handler',
      code: handlerCode('events'),
      memorySize: 256,
      timeout: Duration.seconds(30),
      role,
      logGroup,
      environment: { JOIN_TABLE_NAME: this.table.tableName, POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL: 'INFO' },
      retryAttempts: 2,
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'The handler is bundled and tested for nodejs22.x; moving to a newer runtime is a deliberate, tested change of this library.',
    });
    this.table.grantReadWriteData(this.function);
    acceptRulesByPrefix(this, 'InvokeFromEventTriggerRules');
  }
}
