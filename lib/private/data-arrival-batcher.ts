import { Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct, IConstruct } from 'constructs';
import type { QueueDeliveryOptions } from '../object-delivery';
import { batcherMetric } from './handler-metrics';
import { MetricName } from '../../lambda/core/contracts/metrics';
import { LambdaScheduleTarget } from './lambda-schedule-target';
import { acknowledge } from './nag';
import { admitRules } from './rule-queue-policy';
import { SharedTriggerFunction } from './shared-trigger-function';
import type { RuleQueue } from './trigger-configuration';

const SHARED_ID = 'MlTriggersDataArrival';
const BATCHER_TIMEOUT = Duration.seconds(60);

/** The queue delivery's settings, each option left out at its default. */
type QueueDeliverySettings = { readonly [K in keyof QueueDeliveryOptions]-?: NonNullable<QueueDeliveryOptions[K]> };

/** What {@link ObjectDelivery.queue} assumes for each option no trigger of the stack states. */
const QUEUE_DELIVERY_DEFAULTS: QueueDeliverySettings = {
  batchSize: 1000,
  maxBatchingWindow: Duration.seconds(30),
  maxConcurrency: 2,
  maxReceiveCount: 10,
};

/** Above this many messages per invocation, Lambda requires a batching window of at least a second. */
const MAX_BATCH_WITHOUT_WINDOW = 10;

/**
 * What every data-arrival trigger in a stack shares: the batch table, the batcher function, the flush
 * schedule and their alarms, and the arrival queue once a trigger delivers through it. The first trigger
 * creates it; each further one only adds its rule.
 */
export class DataArrivalBatcher extends SharedTriggerFunction {
  /** The stack's batcher, created on first use. */
  public static of(scope: Construct): DataArrivalBatcher {
    return SharedTriggerFunction.sharedIn(scope, SHARED_ID, (stack, id) => new DataArrivalBatcher(stack, id));
  }

  /** Fires when a batch's starts ran out of attempts. */
  public readonly failedBatchAlarm: cloudwatch.Alarm;
  private readonly triggerIds: string[] = [];
  private arrivals?: ArrivalQueue;

  private constructor(scope: Stack, id: string) {
    super(scope, id, {
      ruleKind: 'mlt',
      tableId: 'BatchTable',
      tableVariable: 'BATCH_TABLE_NAME',
      handler: 'batcher',
      description: 'cdk-ml-triggers: counts arrived objects into batches and starts one pipeline run per batch.',
      memorySize: 512,
      timeout: BATCHER_TIMEOUT,
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

  /** The stack's arrival queue, created on first use, with the options `by` states added to the ones it shares. */
  public arrivalQueue(options: QueueDeliveryOptions, by: IConstruct): RuleQueue {
    this.arrivals ??= new ArrivalQueue(this);
    this.arrivals.join(options, by);
    return this.arrivals;
  }
}

/**
 * One encrypted queue that the rules of a stack's queue-delivered triggers send into, named by their exact
 * ARNs in its policy, and one event source through which the batcher reads it. Both are shared, so their
 * settings are the options the triggers state, which must agree.
 */
class ArrivalQueue implements RuleQueue {
  public readonly queue: sqs.Queue;
  private readonly rules: events.IRule[] = [];
  private readonly stated = new Map<keyof QueueDeliveryOptions, { readonly value: number | Duration; readonly by: string }>();

  constructor(batcher: DataArrivalBatcher) {
    const setting = <K extends keyof QueueDeliverySettings>(key: K) => (this.stated.get(key)?.value ?? QUEUE_DELIVERY_DEFAULTS[key]) as QueueDeliverySettings[K];
    const windowSeconds = () => setting('maxBatchingWindow').toSeconds();
    this.queue = new sqs.Queue(batcher, 'ArrivalQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's advice for a queue a function reads: six times the function's timeout, plus the batching window.
      visibilityTimeout: Duration.seconds(Lazy.number({ produce: () => 6 * BATCHER_TIMEOUT.toSeconds() + windowSeconds() })),
      deadLetterQueue: { queue: batcher.deadLetters.queue, maxReceiveCount: Lazy.number({ produce: () => setting('maxReceiveCount') }) },
    });
    admitRules(this.queue, 'ObjectsOfThisStacksTriggerRules', Lazy.list({ produce: () => this.rules.map((rule) => rule.ruleArn) }));

    const mapping = new lambda.EventSourceMapping(batcher, 'ArrivalEvents', {
      target: batcher.function,
      eventSourceArn: this.queue.queueArn,
      batchSize: Lazy.number({ produce: () => setting('batchSize') }),
      maxBatchingWindow: Duration.seconds(Lazy.number({ produce: windowSeconds })),
      maxConcurrency: Lazy.number({ produce: () => setting('maxConcurrency') }),
      reportBatchItemFailures: true,
    });
    mapping.node.addValidation({ validate: () => windowProblems(setting('batchSize'), setting('maxBatchingWindow')) });
    acknowledge(mapping, {
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason: "Lambda takes no on-failure destination for a queue event source; a message the batcher could not place moves to the stack's dead-letter queue (alarmed) through the arrival queue's redrive policy.",
    });
    this.queue.grantConsumeMessages(batcher.function);
    // The batcher takes queue records from this queue only.
    batcher.function.addEnvironment('ARRIVAL_QUEUE_ARN', this.queue.queueArn);
  }

  public admit(rule: events.IRule): void {
    this.rules.push(rule);
  }

  /** Adds the options one trigger states; one stated differently by another trigger of the stack is refused. */
  public join(options: QueueDeliveryOptions, by: IConstruct): void {
    for (const key of Object.keys(QUEUE_DELIVERY_DEFAULTS) as Array<keyof QueueDeliveryOptions>) {
      const value = options[key];
      if (value === undefined) continue;
      const earlier = this.stated.get(key);
      if (!earlier) {
        this.stated.set(key, { value, by: by.node.path });
      } else if (comparable(earlier.value) !== comparable(value)) {
        throw new Error(
          `delivery.${key} is ${shown(value)} in ${by.node.path} but ${shown(earlier.value)} in ${earlier.by}: the data-arrival triggers of a stack ` +
            'share one arrival queue and its event source; state the same value in both, or leave it out of one',
        );
      }
    }
  }
}

function comparable(value: number | Duration): number {
  return typeof value === 'number' ? value : value.toSeconds();
}

function shown(value: number | Duration): string {
  return typeof value === 'number' ? String(value) : value.toHumanString();
}

function windowProblems(batchSize: number, window: Duration): string[] {
  const seconds = window.toSeconds();
  if (Token.isUnresolved(batchSize) || Token.isUnresolved(seconds) || batchSize <= MAX_BATCH_WITHOUT_WINDOW || seconds >= 1) return [];
  return [
    `delivery.maxBatchingWindow must be at least 1 second when delivery.batchSize is over ${MAX_BATCH_WITHOUT_WINDOW} (Lambda's rule for queue event sources), ` +
      `got ${window.toHumanString()} with a batchSize of ${batchSize}: raise the window or lower the batch size`,
  ];
}
