import { Duration, Lazy, type Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';
import { batcherMetric } from './handler-metrics';
import { MetricName } from '../../lambda/core/contracts/metrics';
import { LambdaScheduleTarget } from './lambda-schedule-target';
import { SharedTriggerFunction } from './shared-trigger-function';

const SHARED_ID = 'MlTriggersDataArrival';

/**
 * What every data-arrival trigger in a stack shares: the batch table, the batcher function, the flush
 * schedule and their alarms. The first trigger creates it; each further one only adds its rule.
 */
export class DataArrivalBatcher extends SharedTriggerFunction {
  /** The stack's batcher, created on first use. */
  public static of(scope: Construct): DataArrivalBatcher {
    return SharedTriggerFunction.sharedIn(scope, SHARED_ID, (stack, id) => new DataArrivalBatcher(stack, id));
  }

  /** Fires when a batch's starts ran out of attempts. */
  public readonly failedBatchAlarm: cloudwatch.Alarm;
  private readonly triggerIds: string[] = [];

  private constructor(scope: Stack, id: string) {
    super(scope, id, {
      ruleKind: 'mlt',
      tableId: 'BatchTable',
      tableVariable: 'BATCH_TABLE_NAME',
      handler: 'batcher',
      description: 'cdk-ml-triggers: counts arrived objects into batches and starts one pipeline run per batch.',
      memorySize: 512,
      maxEventAge: Duration.hours(6),
      ids: { logGroup: 'BatcherLogs', role: 'BatcherRole', function: 'Batcher' },
    });

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

