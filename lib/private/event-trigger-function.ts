import { Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';

import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';

import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { keyedTable } from './keyed-table';
import { Construct } from 'constructs';
import { watchedDeadLetterQueue } from './dead-letter-queue';
import type { ConfiguredReceiver } from './trigger-configuration';
import { handlerFunction } from './handler-function';
import { stackRuleNamePrefix } from './stack-scoped-name';

const SHARED_ID = 'MlTriggersEvents';

/**
 * What every event trigger in a stack shares: the function that renders parameters, keeps joins and
 * starts runs, and the table that holds joins. Each trigger adds its rule.
 */
export class EventTriggerFunction extends Construct implements ConfiguredReceiver {
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
    this.ruleNamePrefix = stackRuleNamePrefix(scope, 'mle');
    this.deadLetterQueue = watchedDeadLetterQueue(this, undefined).queue;
    this.table = keyedTable(this, 'JoinTable');
    this.function = handlerFunction(this, {
      handler: 'events',
      description: 'cdk-ml-triggers: renders event parameters, keeps event joins, and starts runs for event triggers.',
      timeout: Duration.seconds(30),
      environment: { JOIN_TABLE_NAME: this.table.tableName },
      retryAttempts: 2,
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      ids: { logGroup: 'Logs', role: 'Role', function: 'Function' },
    });
    this.table.grantReadWriteData(this.function);
  }
}
