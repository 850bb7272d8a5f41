import { Duration, Names, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from './nag';

/** A dead-letter queue and the alarm that tells an operator something landed in it. */
export interface WatchedDeadLetterQueue {
  readonly queue: sqs.IQueue;
  readonly alarm: cloudwatch.IAlarm;
}

const SHARED_ID = 'MlTriggersDeadLetters';

/**
 * The dead-letter queue for starts that could not be delivered, shared by every trigger in a stack
 * so that each further trigger adds no queue, policy or alarm. A queue the user brings gets one alarm,
 * however many triggers use it.
 */
export function watchedDeadLetterQueue(scope: Construct, existing: sqs.IQueue | undefined): WatchedDeadLetterQueue {
  const stack = Stack.of(scope);
  const shared = (stack.node.tryFindChild(SHARED_ID) as SharedDeadLetters | undefined) ?? new SharedDeadLetters(stack, SHARED_ID);
  return existing ? shared.watch(existing) : shared.defaultQueue();
}

class SharedDeadLetters extends Construct {
  private readonly watched = new Map<sqs.IQueue, WatchedDeadLetterQueue>();
  private ownQueue?: WatchedDeadLetterQueue;

  public defaultQueue(): WatchedDeadLetterQueue {
    if (!this.ownQueue) {
      const queue = new sqs.Queue(this, 'Queue', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      const reason = 'This queue is itself a dead-letter queue; a queue behind it would have nothing to catch.';
      acknowledge(queue.node.defaultChild!, { id: 'AwsSolutions-SQS3', reason }, { id: 'Serverless-SQSRedrivePolicy', reason });
      this.ownQueue = { queue, alarm: this.alarmOn(queue, 'QueueAlarm') };
    }
    return this.ownQueue;
  }

  public watch(queue: sqs.IQueue): WatchedDeadLetterQueue {
    let watched = this.watched.get(queue);
    if (!watched) {
      watched = { queue, alarm: this.alarmOn(queue, `Alarm${Names.nodeUniqueId(queue.node)}`) };
      this.watched.set(queue, watched);
    }
    return watched;
  }

  private alarmOn(queue: sqs.IQueue, id: string): cloudwatch.IAlarm {
    return new cloudwatch.Alarm(this, id, {
      alarmDescription:
        'Starts of training pipelines could not be delivered and wait in the dead-letter queue: ' +
        'each message names its schedule or rule and the error; an object the batcher could not place after its ' +
        'receives from the arrival queue is there as its message, the trigger id and the S3 event.',
      metric: queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
