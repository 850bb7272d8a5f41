import { Duration, Token } from 'aws-cdk-lib';
import type * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { EVENT_TRIGGER_DEFAULTS, EVENT_TRIGGER_LIMITS } from '../lambda/core/contracts/event-trigger';
import { EVENT_NAME, EVENT_NAME_RULE } from '../lambda/core/contracts/shared';
import { forEachPathProblem } from '../lambda/core/join-keys';
import type { EventSourceConfig } from './private/event-source-config';
import { validateDurationInRange, validateIntegerInRange } from './private/validation';
import type { ITriggerEventBus } from './trigger-event-bus';

/** Options of {@link EventSource.named}. */
export interface NamedEventOptions {
  /**
   * A JSON condition on the event's `data`: equality, a list for any of, or one operator per field
   * (`prefix`, `suffix`, `equals-ignore-case`, `numeric`, `exists`, `anything-but`), compiled to an
   * EventBridge pattern at synth.
   * @default - every event of the name
   */
  readonly filter?: { [field: string]: unknown };
}

/** Options of {@link EventSource.anyOf}. */
export interface AnyOfEventsOptions {
  /**
   * A JSON condition on the `data` of every listed event, as in {@link NamedEventOptions.filter}.
   * @default - every event of the names
   */
  readonly filter?: { [field: string]: unknown };
}

/** Options of {@link EventSource.join}. */
export interface JoinEventsOptions {
  /**
   * The window of the join: an occurrence older than this no longer counts.
   * @default Duration.hours(24)
   */
  readonly within?: Duration;
  /**
   * A JSON condition on the `data` of every listed event, as in {@link NamedEventOptions.filter}.
   * @default - every event of the names
   */
  readonly filter?: { [field: string]: unknown };
  /**
   * How many of the names complete the join (N of M), from 1 to the number of names. With fewer than all,
   * a template reading `{{ events.<name>.<field> }}` must carry a `| default:` (the name may be absent),
   * and the run starts with the names that occurred.
   * @default - all of the names
   */
  readonly minimum?: number;
  /**
   * A field of the events' `data` (a dotted path such as `model.id` for a nested one) that keys the join:
   * one independent join per value, each with its own window, completing, starting and resetting on its
   * own. The rule matches only events whose `data` has the field (`exists: true`). An event whose key is
   * not a string of 1-256 characters or a finite number (an object, a list, a boolean, a longer string)
   * is rejected naming the field, counted as a rejected event, and never starts a run. The string `'7'`
   * and the number `7` are different keys. Each key's state is a document of its own, named by a hash of
   * the key, and its request ids hold the key; a key no event touches for 45 days is forgotten, so a flood
   * of distinct keys leaves documents that expire rather than a state that grows.
   * @default - one join for all events
   */
  readonly forEach?: string;
}

/** Options of {@link EventSource.sequence}. */
export interface SequenceEventsOptions {
  /**
   * The window of the sequence: every step must have occurred within it.
   * @default Duration.hours(24)
   */
  readonly within?: Duration;
  /**
   * A JSON condition on the `data` of every listed event, as in {@link NamedEventOptions.filter}.
   * @default - every event of the names
   */
  readonly filter?: { [field: string]: unknown };
  /**
   * A field of the events' `data` that keys the sequence: one independent sequence per value, as in {@link JoinEventsOptions.forEach}.
   * @default - one sequence for all events
   */
  readonly forEach?: string;
}


/** What starts an {@link EventTrigger}: one named event, any of several, a join or a sequence of several, or another pipeline's success. */
export abstract class EventSource {
  /** Every event called `name` on `bus` (matching `options.filter`) starts a run. */
  public static named(bus: ITriggerEventBus, name: string, options: NamedEventOptions = {}): EventSource {
    checkName('name', name);
    return new BoundSource({ mode: 'event', names: [name], bus, filter: options.filter });
  }

  /** Every event of any of `names` on `bus` (matching `options.filter`) starts a run; templates read it as `{{ event.<field> }}`. */
  public static anyOf(bus: ITriggerEventBus, names: string[], options: AnyOfEventsOptions = {}): EventSource {
    for (const name of names) checkName('names entry', name);
    if (names.length < 1 || new Set(names).size !== names.length) throw new Error(`names must name at least one event, each once, got ${JSON.stringify(names)}`);
    return new BoundSource({ mode: 'event', names: [...names], bus, filter: options.filter });
  }

  /**
   * A run starts once every one of `names` (or `options.minimum` of them) occurred on `bus` within
   * `options.within`; the join gives up its occurrences only after the run started (a failed or deferred
   * start is asked again, with the same token). With `options.forEach`, one join per key value.
   */
  public static join(bus: ITriggerEventBus, names: string[], options: JoinEventsOptions = {}): EventSource {
    checkJoinNames(names, 'join');
    if (options.minimum !== undefined) validateIntegerInRange('minimum', options.minimum, 1, names.length);
    return new BoundSource({ mode: 'join', names: [...names], bus, within: joinWindow(options.within), filter: options.filter, minimum: options.minimum, forEach: checkForEach(options.forEach) });
  }

  /**
   * A run starts once `names` occurred on `bus` in the order given, each after the one before it (by
   * event time, equal times by event id), all within `options.within`: `['data_updated',
   * 'features_ready']` is "features_ready after data_updated". The sequence keeps the latest occurrence
   * of each step and completes when each step's latest occurrence is after the previous step's. So a
   * new occurrence of an earlier step, later than the steps after it, restarts the order from there:
   * each later step must occur again after it. An older occurrence delivered late replaces nothing, so
   * delivery order never changes the outcome. With `options.forEach`, one sequence per key value.
   */
  public static sequence(bus: ITriggerEventBus, names: string[], options: SequenceEventsOptions = {}): EventSource {
    checkJoinNames(names, 'sequence');
    return new BoundSource({ mode: 'sequence', names: [...names], bus, within: joinWindow(options.within), filter: options.filter, forEach: checkForEach(options.forEach) });
  }

  /**
   * A run starts when an execution of `pipeline` succeeds (SageMaker's execution status change), and
   * receives the upstream execution's ARN as `UpstreamExecutionArn`. The ARN matches ignoring case; the
   * pipeline must be in the stack's account and region (checked at synth when both are known).
   */
  public static afterPipeline(pipeline: sagemaker.IPipelineRef): EventSource {
    return new BoundSource({ mode: 'chain', names: [], upstream: pipeline });
  }

  /** @internal */
  public abstract readonly _config: EventSourceConfig;
}

class BoundSource extends EventSource {
  constructor(public readonly _config: EventSourceConfig) {
    super();
  }
}

function checkName(what: string, name: string): void {
  if (!Token.isUnresolved(name) && !EVENT_NAME.test(name)) throw new Error(`${what} '${name}' ${EVENT_NAME_RULE}`);
}

function checkJoinNames(names: string[], what: 'join' | 'sequence'): void {
  for (const name of names) checkName('names entry', name);
  if (names.includes('event')) {
    throw new Error("names must not include an event named 'event': templates read the triggering event as {{ event.<field> }}");
  }
  if (names.length < 2 || new Set(names).size !== names.length) {
    throw new Error(`names must name at least two different events to ${what === 'join' ? 'join' : 'order in a sequence'}, got ${JSON.stringify(names)}`);
  }
}

function joinWindow(within: Duration | undefined): Duration {
  const window = within ?? Duration.seconds(EVENT_TRIGGER_DEFAULTS.windowSeconds);
  validateDurationInRange('within', window, Duration.seconds(EVENT_TRIGGER_LIMITS.minWindowSeconds), Duration.seconds(EVENT_TRIGGER_LIMITS.maxWindowSeconds));
  return window;
}

function checkForEach(forEach: string | undefined): string | undefined {
  const problem = forEach === undefined ? undefined : forEachPathProblem(forEach);
  if (problem !== undefined) throw new Error(`forEach ${problem}`);
  return forEach;
}
