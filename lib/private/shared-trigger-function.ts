import { Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { watchedDeadLetterQueue, type WatchedDeadLetterQueue } from './dead-letter-queue';
import { handlerFunction, type HandlerFunctionProps } from './handler-function';
import { keyedTable } from './keyed-table';
import { stackRuleNamePrefix } from './stack-scoped-name';
import type { ConfiguredReceiver } from './trigger-configuration';

/** How a function that the triggers of one kind share is declared, besides what every such function has. */
export interface SharedTriggerFunctionProps extends Omit<HandlerFunctionProps, 'environment' | 'retryAttempts' | 'onFailure'> {
  /** The kind in the names of the rules that send to the function. */
  readonly ruleKind: 'mlt' | 'mle';
  /** The construct id of the function's table. */
  readonly tableId: string;
  /** The environment variable that gives the function its table's name. */
  readonly tableVariable: string;
}

/**
 * A function that every trigger of one kind in a stack shares, with the table it keeps its state in: asynchronous
 * invocations retried twice, then sent to the stack's dead-letter queue. The first trigger creates it.
 */
export abstract class SharedTriggerFunction extends Construct implements ConfiguredReceiver {
  /** The construct with `id` at the root of `scope`'s stack, created by `create` on first use. */
  protected static sharedIn<T extends SharedTriggerFunction>(scope: Construct, id: string, create: (stack: Stack, id: string) => T): T {
    const stack = Stack.of(scope);
    return (stack.node.tryFindChild(id) as T | undefined) ?? create(stack, id);
  }

  public readonly function: lambda.Function;
  public readonly table: dynamodb.Table;
  public readonly deadLetters: WatchedDeadLetterQueue;
  public readonly deadLetterQueue: sqs.IQueue;
  public readonly ruleNamePrefix: string;

  protected constructor(scope: Stack, id: string, props: SharedTriggerFunctionProps) {
    super(scope, id);
    const { ruleKind, tableId, tableVariable, ...functionProps } = props;
    this.ruleNamePrefix = stackRuleNamePrefix(scope, ruleKind);
    this.deadLetters = watchedDeadLetterQueue(this, undefined);
    this.deadLetterQueue = this.deadLetters.queue;
    this.table = keyedTable(this, tableId);
    this.function = handlerFunction(this, {
      ...functionProps,
      environment: { [tableVariable]: this.table.tableName },
      retryAttempts: 2,
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
    });
    this.table.grantReadWriteData(this.function);
  }
}
