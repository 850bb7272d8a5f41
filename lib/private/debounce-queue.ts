import { Duration, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEBOUNCE_LIMITS, type EventTriggerConfigJson, type EventTriggerMode } from '../../lambda/core/contracts/event-trigger';
import { acknowledge } from './nag';
import { admitRules } from './rule-queue-policy';
import type { ConfiguredReceiver } from './trigger-configuration';

/** Receives before a delayed event moves to the dead-letter queue: a copy that came before its burst was quiet waits a visibility timeout each time. */
const MAX_RECEIVE_COUNT = 10;
/** AWS's advice for a queue a function reads: six times the function's timeout. */
const VISIBILITY_PER_FUNCTION_TIMEOUT = 6;

/**
 * Throws unless `debounce` suits a source of `mode`: a single-event source (every event would start a run),
 * and a quiet period SQS can delay a message by.
 */
export function validateDebounce(debounce: Duration, mode: EventTriggerMode): void {
  if (mode !== 'event') {
    throw new Error(
      `debounce is only for a source whose every event starts a run (EventSource.named or EventSource.anyOf), got a ${mode} source: ` +
        "a join or sequence already waits for its events and a chain follows one upstream run; leave debounce out, or debounce the events' own trigger",
    );
  }
  const seconds = debounce.toSeconds({ integral: false });
  if (Token.isUnresolved(seconds)) return;
  const { minSeconds, maxSeconds } = DEBOUNCE_LIMITS;
  if (!Number.isInteger(seconds) || seconds < minSeconds || seconds > maxSeconds) {
    throw new Error(
      `debounce must be a whole number of seconds between ${minSeconds} seconds and ${maxSeconds / 60} minutes, got ${debounce.toHumanString()}: ` +
        `each event comes back from an SQS queue a quiet period later, and SQS delays a message by at most ${maxSeconds} seconds`,
    );
  }
}

/**
 * A debounced trigger's delay queue: its rule sends each event here as well as to the trigger function, and the
 * queue hands it to the function again a quiet period later, through an event source mapping that reports
 * failed messages one by one. Only the trigger's own rule, named by its exact ARN, may send into it; a message
 * the function cannot handle within its receives moves to the function's dead-letter queue.
 */
export class DebounceQueue extends Construct {
  public readonly queue: sqs.Queue;
  /** What the trigger's configuration says of its debounce, for its function to check every message against. */
  public readonly config: Required<Pick<EventTriggerConfigJson, 'debounceSeconds' | 'debounceQueueArn'>>;

  constructor(scope: Construct, id: string, private readonly receiver: ConfiguredReceiver, debounce: Duration) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      deliveryDelay: debounce,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(VISIBILITY_PER_FUNCTION_TIMEOUT * (receiver.function.timeout ?? Duration.seconds(3)).toSeconds()),
      deadLetterQueue: { queue: receiver.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    const mapping = new lambda.EventSourceMapping(this, 'Events', {
      target: receiver.function,
      eventSourceArn: this.queue.queueArn,
      batchSize: 10,
      reportBatchItemFailures: true,
    });
    acknowledge(mapping, {
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason: "Lambda takes no on-failure destination for a queue event source; a delayed event the function could not handle moves to the stack's dead-letter queue (alarmed) through the delay queue's redrive policy.",
    });
    this.queue.grantConsumeMessages(receiver.function);
    this.config = { debounceSeconds: debounce.toSeconds(), debounceQueueArn: this.queue.queueArn };
  }

  /** The rule's second target: the same `{ triggerId, event }` as the function receives, into the delay queue. */
  public target(triggerId: string): events.IRuleTarget {
    return new DelayQueueTarget(this.queue, this.receiver.deadLetterQueue, triggerId);
  }
}

class DelayQueueTarget implements events.IRuleTarget {
  constructor(
    private readonly queue: sqs.Queue,
    private readonly deadLetterQueue: sqs.IQueue,
    private readonly triggerId: string,
  ) {}

  public bind(rule: events.IRule): events.RuleTargetConfig {
    admitRules(this.queue, 'EventsOfThisTriggersRule', rule.ruleArn);
    return {
      arn: this.queue.queueArn,
      input: events.RuleTargetInput.fromObject({ triggerId: this.triggerId, event: events.EventField.fromPath('$') }),
      deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
      retryPolicy: { maximumEventAgeInSeconds: Duration.hours(6).toSeconds(), maximumRetryAttempts: 20 },
      targetResource: this.queue,
    };
  }
}
