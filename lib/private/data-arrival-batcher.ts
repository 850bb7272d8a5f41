import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';

import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';

import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { keyedTable } from './keyed-table';
import { Construct } from 'constructs';
import { watchedDeadLetterQueue, type WatchedDeadLetterQueue } from './dead-letter-queue';
import { handlerFunction } from './handler-function';
import { batcherMetric } from './handler-metrics';
import { MetricName } from '../../lambda/core/contracts/metrics';
import type { ConfiguredReceiver } from './trigger-configuration';
import { LambdaScheduleTarget } from './lambda-schedule-target';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { stackRuleNamePrefix } from './stack-scoped-name';

const SHARED_ID = 'MlTriggersDataArrival';

/**
 * What every data-arrival trigger in a stack shares: the batch table, the batcher function, the flush
 * schedule and their alarms. The first trigger creates it; each further one only adds its rule.
 */
export class DataArrivalBatcher extends Construct implements ConfiguredReceiver {
  /** The stack's batcher, created on first use. */
  public static of(scope: Construct): DataArrivalBatcher {
    const stack = Stack.of(scope);
    return (stack.node.tryFindChild(SHARED_ID) as DataArrivalBatcher | undefined) ?? new DataArrivalBatcher(stack, SHARED_ID);
  }

  public readonly table: dynamodb.Table;
  public readonly function: lambda.Function;
  public readonly deadLetters: WatchedDeadLetterQueue;
  public readonly deadLetterQueue: sqs.IQueue;
  /** Fires when a batch's starts ran out of attempts. */
  public readonly failedBatchAlarm: cloudwatch.Alarm;
  /** Every rule a trigger creates is named with this prefix, which also names the configuration path. */
  public readonly ruleNamePrefix: string;
  private readonly triggerIds: string[] = [];

  private constructor(scope: Stack, id: string) {
    super(scope, id);
    this.deadLetters = watchedDeadLetterQueue(this, undefined);
    this.deadLetterQueue = this.deadLetters.queue;
    this.ruleNamePrefix = stackRuleNamePrefix(scope, 'mlt');

    this.table = keyedTable(this, 'BatchTable');

    this.function = handlerFunction(this, {
      handler: 'batcher',
      description: 'cdk-ml-triggers: counts arrived objects into batches and starts one pipeline run per batch.',
      memorySize: 512,
      environment: { BATCH_TABLE_NAME: this.table.tableName },
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new destinations.SqsDestination(this.deadLetters.queue),
      ids: { logGroup: 'BatcherLogs', role: 'BatcherRole', function: 'Batcher' },
    });
    this.table.grantReadWriteData(this.function);


    new scheduler.Schedule(this, 'FlushSchedule', {
      description: 'cdk-ml-triggers: closes data-arrival batches whose window ran out and retries pending starts.',
      schedule: scheduler.ScheduleExpression.rate(Duration.minutes(1)),
      target: new LambdaScheduleTarget(this.function, {
        input: scheduler.ScheduleTargetInput.fromText(
          Lazy.string({ produce: () => JSON.stringify({ flush: { triggerIds: [...this.triggerIds].sort() } }) }),
        ),
        deadLetterQueue: this.deadLetters.queue,
        retryAttempts: 0,
        maxEventAge: Duration.minutes(1),
      }),
    });

    this.failedBatchAlarm = new cloudwatch.Alarm(this, 'FailedBatchAlarm', {
      alarmDescription: 'A data-arrival batch could not be started within its attempts: its objects did not train. The batch table holds the error (status FAILED).',
      metric: batcherMetric(MetricName.BatchesFailed),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** Adds a trigger to the flush list. */
  public register(triggerId: string): void {
    if (this.triggerIds.includes(triggerId)) {
      throw new Error(`triggerId '${triggerId}' is used by two data-arrival triggers in this stack: give each its own`);
    }
    this.triggerIds.push(triggerId);
  }
}

