import { Duration } from 'aws-cdk-lib';
import { validateDurationInRange, validateIntegerInRange } from './private/validation';

/** Options of {@link ObjectDelivery.queue}: how the batcher reads the stack's arrival queue. */
export interface QueueDeliveryOptions {
  /**
   * Messages (one Object Created event each) the batcher receives per invocation: 1 to 10,000. Not the
   * trigger's `batchSize`, which counts the objects of a pipeline run.
   * @default 1000
   */
  readonly batchSize?: number;

  /**
   * The longest Lambda gathers messages before it invokes the batcher with fewer than `batchSize`: 0 to
   * 300 seconds, and at least 1 second when `batchSize` is over 10 (Lambda's rule for queue event sources).
   * @default Duration.seconds(30)
   */
  readonly maxBatchingWindow?: Duration;

  /**
   * The most batcher invocations the queue keeps running at once: 2 to 1,000. It bounds the writes to the
   * batch table, however fast objects land.
   * @default 2
   */
  readonly maxConcurrency?: number;

  /**
   * Receives of one message before it moves to the stack's dead-letter queue (alarmed): 1 to 1,000.
   * @default 10
   */
  readonly maxReceiveCount?: number;
}

/** AWS's limits on an SQS event source and a redrive policy. */
const LIMITS = { maxBatchSize: 10_000, maxBatchingWindowSeconds: 300, minConcurrency: 2, maxConcurrency: 1000, maxReceiveCount: 1000 } as const;

/**
 * How a data-arrival trigger's rule hands Object Created events to the stack's batcher: through one queue
 * that every data-arrival trigger of the stack shares (the default), or one asynchronous invocation per event.
 */
export abstract class ObjectDelivery {
  /**
   * The rule sends each event to an encrypted queue that the stack's data-arrival triggers share; the batcher
   * reads it in batches with bounded concurrency, and a message it could not place after `maxReceiveCount`
   * receives moves to the stack's dead-letter queue. A further trigger adds only its rule.
   *
   * The queue and its event source are shared: triggers of one stack that state different options fail
   * synthesis, and an option one trigger leaves out takes the value another states.
   */
  public static queue(options: QueueDeliveryOptions = {}): ObjectDelivery {
    const { batchSize, maxBatchingWindow, maxConcurrency, maxReceiveCount } = options;
    if (batchSize !== undefined) validateIntegerInRange('delivery.batchSize', batchSize, 1, LIMITS.maxBatchSize);
    if (maxBatchingWindow !== undefined) {
      validateDurationInRange('delivery.maxBatchingWindow', maxBatchingWindow, Duration.seconds(0), Duration.seconds(LIMITS.maxBatchingWindowSeconds));
    }
    if (maxConcurrency !== undefined) validateIntegerInRange('delivery.maxConcurrency', maxConcurrency, LIMITS.minConcurrency, LIMITS.maxConcurrency);
    if (maxReceiveCount !== undefined) validateIntegerInRange('delivery.maxReceiveCount', maxReceiveCount, 1, LIMITS.maxReceiveCount);
    return new ChosenDelivery({ ...options });
  }

  /**
   * The documented opt-out: the rule invokes the batcher asynchronously once per event, with an invoke
   * permission of its own. Each further trigger costs its rule and that permission, and a burst of objects
   * is a burst of invocations.
   */
  public static perEvent(): ObjectDelivery {
    return new ChosenDelivery(undefined);
  }

  /**
   * The queue's options; none for one invocation per event.
   * @internal
   */
  public abstract readonly _queueOptions?: QueueDeliveryOptions;
}

class ChosenDelivery extends ObjectDelivery {
  constructor(public readonly _queueOptions: QueueDeliveryOptions | undefined) {
    super();
  }
}
