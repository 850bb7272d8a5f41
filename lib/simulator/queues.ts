/**
 * The app's queues on the virtual clock, and Lambda's poller for each event source mapping: messages wait,
 * go out in batches, come back after the visibility timeout when they fail, and move to the dead-letter queue
 * after too many receives.
 *
 * The poller of a mapping invokes one batch at a time, each after the previous one returned: in virtual time an
 * invocation takes no time, so at most one batch is in flight, within any `MaximumConcurrency`. Lambda would run
 * up to that many at once; handlers here never overlap.
 */
import type { Agenda } from './agenda';
import type { VirtualClock } from './clock';
import type { InvocationOutcome } from './function-host';
import type { SimulatedEventSourceMapping, SimulatedFunction, SimulatedQueue, SimulatedStack } from './model';
import { mappedFunction } from './queue-wiring';
import { stableUuid } from './routing';
import { batchVerdict, receiptHandleOf, sqsEvent } from './sqs-records';
import { timelineTime, type TimelineParts } from './timeline';

type MessageState = 'waiting' | 'in-flight' | 'delivered' | 'dead-lettered';

interface Message {
  readonly messageId: string;
  readonly sequence: number;
  readonly body: string;
  /** What sent it: `rule <logicalId>`, `schedule <logicalId>`. */
  readonly from: string;
  /** The `triggerId` of a body that names one. */
  readonly trigger?: string;
  readonly sentAtMs: number;
  receiveCount: number;
  firstReceiveAtMs?: number;
  visibleAtMs: number;
  state: MessageState;
  lastFailure?: string;
}

interface QueueState {
  readonly queue: SimulatedQueue;
  readonly messages: Message[];
  readonly pollers: { readonly mapping: SimulatedEventSourceMapping; readonly fn: SimulatedFunction; batches: number }[];
}

/** One queue at the end of a simulation: its settings, its pollers' settings and every message it held. */
export interface QueueReport {
  readonly queueName: string;
  readonly queueArn: string;
  readonly visibilityTimeoutSeconds: number;
  readonly redrive?: { readonly deadLetterQueueArn: string; readonly maxReceiveCount: number };
  readonly pollers: ReadonlyArray<
    Pick<SimulatedEventSourceMapping, 'functionName' | 'enabled' | 'batchSize' | 'maximumBatchingWindowSeconds' | 'maximumConcurrency' | 'reportBatchItemFailures'> & {
      /** Batches the function was invoked with. */
      readonly batches: number;
    }
  >;
  readonly messages: readonly {
    readonly messageId: string;
    readonly from: string;
    readonly trigger?: string;
    readonly sentAt: string;
    readonly receiveCount: number;
    readonly state: MessageState;
    readonly lastFailure?: string;
  }[];
}

export interface QueuesProps {
  readonly stacks: readonly SimulatedStack[];
  readonly agenda: Agenda;
  readonly clock: VirtualClock;
  /** Where a message that is never delivered is reported. */
  readonly errors: NonNullable<TimelineParts['errors']>[number][];
  /** Invokes a function, recording what it decided or threw as every invocation does. */
  readonly invoke: (fn: SimulatedFunction, payload: unknown) => Promise<InvocationOutcome>;
}

const triggerOf = (body: string): string | undefined => {
  try {
    const parsed = JSON.parse(body) as { triggerId?: unknown };
    return typeof parsed?.triggerId === 'string' ? parsed.triggerId : undefined;
  } catch {
    return undefined;
  }
};

const messageNamed = (message: Message): string => `message ${message.messageId} from ${message.from}${message.trigger === undefined ? '' : ` (trigger ${message.trigger})`}`;

export class Queues {
  private readonly queues = new Map<string, QueueState>();
  /** The times a poll of each queue is already on the agenda. */
  private readonly polls = new Map<string, Set<number>>();
  private sent = 0;

  constructor(private readonly props: QueuesProps) {
    const functions = props.stacks.flatMap((stack) => stack.functions);
    for (const queue of props.stacks.flatMap((stack) => stack.queues)) this.queues.set(queue.queueArn, { queue, messages: [], pollers: [] });
    for (const mapping of props.stacks.flatMap((stack) => stack.eventSourceMappings)) {
      const fn = mappedFunction(functions, mapping.functionName);
      if (fn) this.queues.get(mapping.queueArn)?.pollers.push({ mapping, fn, batches: 0 });
    }
  }

  has(queueArn: string): boolean {
    return this.queues.has(queueArn);
  }

  /** Puts a message on the queue, as EventBridge's SQS target does, and wakes its pollers once the queue's delay is over. */
  send(queueArn: string, body: string, from: string): void {
    const state = this.queues.get(queueArn);
    if (!state) return;
    const now = this.props.clock.now();
    const visibleAtMs = now + (state.queue.delaySeconds ?? 0) * 1000;
    const sequence = this.sent++;
    const trigger = triggerOf(body);
    state.messages.push({
      messageId: stableUuid(`sqs#${queueArn}#${sequence}`), sequence, body, from, ...(trigger !== undefined && { trigger }),
      sentAtMs: now, receiveCount: 0, visibleAtMs, state: 'waiting',
    });
    this.pollAt(queueArn, visibleAtMs);
  }

  /** What the pollers of `queueArn` do now: batches whose size or window is reached go to their function. */
  async poll(queueArn: string): Promise<void> {
    const state = this.queues.get(queueArn);
    if (!state) return;
    const now = this.props.clock.now();
    this.polls.get(queueArn)?.delete(now);
    this.reappear(state, now);
    for (const poller of state.pollers.filter((candidate) => candidate.mapping.enabled)) {
      const { batchSize, maximumBatchingWindowSeconds } = poller.mapping;
      for (;;) {
        const waiting = state.messages.filter((message) => message.state === 'waiting' && message.visibleAtMs <= now);
        if (waiting.length === 0) break;
        const windowEndsMs = Math.min(...waiting.map((message) => message.visibleAtMs)) + maximumBatchingWindowSeconds * 1000;
        if (waiting.length < batchSize && now < windowEndsMs) {
          this.pollAt(queueArn, windowEndsMs);
          break;
        }
        poller.batches += 1;
        await this.deliver(state, poller.mapping, poller.fn, waiting.slice(0, batchSize));
      }
    }
  }

  /** Reports each message that failed and was still not delivered when the simulation ended. */
  finish(untilMs: number): void {
    for (const state of this.queues.values()) {
      for (const message of state.messages.filter((candidate) => (candidate.state === 'waiting' || candidate.state === 'in-flight') && candidate.lastFailure !== undefined)) {
        this.props.errors.push({
          atMs: untilMs,
          function: state.pollers[0]?.fn.functionName ?? state.queue.queueName,
          message: `${messageNamed(message)} is still undelivered in queue ${state.queue.queueName} after ${message.receiveCount} receives: ${message.lastFailure}`,
        });
      }
    }
  }

  report(): QueueReport[] {
    return [...this.queues.values()].map(({ queue, messages, pollers }) => ({
      queueName: queue.queueName,
      queueArn: queue.queueArn,
      visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds,
      ...(queue.redrive && { redrive: { deadLetterQueueArn: queue.redrive.deadLetterTargetArn, maxReceiveCount: queue.redrive.maxReceiveCount } }),
      pollers: pollers.map(({ mapping, fn, batches }) => ({
        functionName: fn.functionName, enabled: mapping.enabled, batchSize: mapping.batchSize, maximumBatchingWindowSeconds: mapping.maximumBatchingWindowSeconds,
        ...(mapping.maximumConcurrency !== undefined && { maximumConcurrency: mapping.maximumConcurrency }),
        reportBatchItemFailures: mapping.reportBatchItemFailures, batches,
      })),
      messages: messages.map((message) => ({
        messageId: message.messageId, from: message.from, ...(message.trigger !== undefined && { trigger: message.trigger }),
        sentAt: timelineTime(message.sentAtMs), receiveCount: message.receiveCount, state: message.state,
        ...(message.lastFailure !== undefined && { lastFailure: message.lastFailure }),
      })),
    }));
  }

  /** Receives the batch, invokes the function with it, and deletes what succeeded; the rest waits out the visibility timeout. */
  private async deliver(state: QueueState, mapping: SimulatedEventSourceMapping, fn: SimulatedFunction, batch: Message[]): Promise<void> {
    const now = this.props.clock.now();
    const { queueArn, visibilityTimeoutSeconds } = state.queue;
    for (const message of batch) {
      message.receiveCount += 1;
      message.firstReceiveAtMs ??= now;
      message.visibleAtMs = now + visibilityTimeoutSeconds * 1000;
      message.state = 'in-flight';
    }
    const event = sqsEvent(queueArn, batch.map((message) => ({
      ...message, receiptHandle: receiptHandleOf(queueArn, message.messageId, message.receiveCount), firstReceiveAtMs: message.firstReceiveAtMs ?? now,
    })));
    const verdict = batchVerdict(await this.props.invoke(fn, event), batch.map((message) => message.messageId), mapping.reportBatchItemFailures);
    for (const message of batch) {
      if (verdict.failed.includes(message.messageId)) {
        message.lastFailure = verdict.reason;
        this.pollAt(queueArn, message.visibleAtMs);
      } else {
        message.state = 'delivered';
      }
    }
  }

  /** Failed messages whose visibility timeout is over wait again, or move to the dead-letter queue after `maxReceiveCount` receives. */
  private reappear(state: QueueState, now: number): void {
    const { redrive } = state.queue;
    for (const message of state.messages.filter((candidate) => candidate.state === 'in-flight' && candidate.visibleAtMs <= now)) {
      if (!redrive || message.receiveCount < redrive.maxReceiveCount) {
        message.state = 'waiting';
        continue;
      }
      message.state = 'dead-lettered';
      const deadLetters = this.queues.get(redrive.deadLetterTargetArn);
      // The message keeps its id and receive count there; its failure is told once, here.
      const { lastFailure: _lastFailure, ...moved } = message;
      deadLetters?.messages.push({ ...moved, sequence: this.sent++, visibleAtMs: now, state: 'waiting' });
      if (deadLetters?.pollers.length) this.pollAt(redrive.deadLetterTargetArn, now);
      this.props.errors.push({
        atMs: now,
        function: state.pollers[0]?.fn.functionName ?? state.queue.queueName,
        message: `${messageNamed(message)} moved to dead-letter queue ${deadLetters?.queue.queueName ?? redrive.deadLetterTargetArn} after ${message.receiveCount} receives: ${message.lastFailure}`,
      });
    }
  }

  private pollAt(queueArn: string, atMs: number): void {
    const pending = this.polls.get(queueArn) ?? new Set<number>();
    this.polls.set(queueArn, pending);
    if (pending.has(atMs)) return;
    pending.add(atMs);
    this.props.agenda.add({ kind: 'poll', atMs, queueArn });
  }
}
