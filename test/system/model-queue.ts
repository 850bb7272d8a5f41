import type { BatchTriggerConfig } from '../../lambda/core/contracts/batch';
import type { CreatedObject } from '../../lambda/core/s3-object-created';
import type { Delivery } from './model-delivery';
import type { System } from './system';

/** The stack's arrival queue as the batcher's event source mapping reads it: batches of messages, redelivered until placed. */
export interface ArrivalQueue {
  /** A rule puts an object's event on the queue. */
  send(config: BatchTriggerConfig, object: CreatedObject): void;
  /** One invocation with up to `max` messages: the ones placed or counted before leave the queue, the others come again. */
  receive(max: number): Promise<void>;
  /** Messages still on the queue. */
  readonly waiting: number;
}

interface Message {
  readonly config: BatchTriggerConfig;
  readonly object: CreatedObject;
}

/**
 * A standard queue in the model: at-least-once, unordered (a receive takes messages from anywhere in the
 * queue), each invocation one batch. An invocation that crashes leaves its whole batch on the queue (the
 * delivery retries it after the visibility timeout); a message answered `retry` stays for a later batch.
 */
export function arrivalQueueOf(system: System, delivery: Pick<Delivery, 'deliver'>, random: () => number): ArrivalQueue {
  let messages: Message[] = [];

  async function receive(max: number): Promise<void> {
    if (messages.length === 0) return;
    const taken = new Set<number>();
    while (taken.size < Math.min(max, messages.length)) taken.add(Math.floor(random() * messages.length));
    const batch = [...taken].map((index) => messages[index]);
    messages = messages.filter((_, index) => !taken.has(index));
    const again = await delivery.deliver(`receive ${batch.length} message(s)`, async () => {
      const byTrigger = new Map<string, Message[]>();
      for (const message of batch) byTrigger.set(message.config.triggerId, [...(byTrigger.get(message.config.triggerId) ?? []), message]);
      const retry: Message[] = [];
      for (const group of byTrigger.values()) {
        const outcomes = await system.batcher.arriveAll(group[0].config, group.map((message) => message.object));
        outcomes.forEach((outcome, i) => outcome === 'retry' && retry.push(group[i]));
      }
      return retry;
    });
    // A batch no delivery could place stays on the queue whole; answered messages leave it, but for those asked back.
    messages.push(...(again ?? batch));
  }

  return {
    send: (config, object) => messages.push({ config, object }),
    receive,
    get waiting() {
      return messages.length;
    },
  };
}
