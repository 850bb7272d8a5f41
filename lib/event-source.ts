import { Duration, Token } from 'aws-cdk-lib';
import type * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { EVENT_TRIGGER_DEFAULTS, EVENT_TRIGGER_LIMITS } from '../lambda/core/contracts/event-trigger';
import { EVENT_NAME, EVENT_NAME_RULE } from '../lambda/core/contracts/shared';
import type { EventSourceConfig } from './private/event-source-config';
import { validateDurationInRange } from './private/validation';
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
}

/** What starts an {@link EventTrigger}: one named event, a join of several, or another pipeline's success. */
export abstract class EventSource {
  /** Every event called `name` on `bus` (matching `options.filter`) starts a run. */
  public static named(bus: ITriggerEventBus, name: string, options: NamedEventOptions = {}): EventSource {
    checkName('name', name);
    return new BoundSource({ mode: 'event', names: [name], bus, filter: options.filter });
  }

  /**
   * A run starts once every one of `names` occurred on `bus` within `options.within`; the join gives up its
   * occurrences only after the run started (a failed or deferred start is asked again, with the same token).
   */
  public static join(bus: ITriggerEventBus, names: string[], options: JoinEventsOptions = {}): EventSource {
    for (const name of names) checkName('names entry', name);
    if (names.includes('event')) {
      throw new Error("names must not include an event named 'event': templates read the triggering event as {{ event.<field> }}");
    }
    if (names.length < 2 || new Set(names).size !== names.length) {
      throw new Error(`names must name at least two different events to join, got ${JSON.stringify(names)}`);
    }
    const within = options.within ?? Duration.seconds(EVENT_TRIGGER_DEFAULTS.windowSeconds);
    validateDurationInRange('within', within, Duration.seconds(EVENT_TRIGGER_LIMITS.minWindowSeconds), Duration.seconds(EVENT_TRIGGER_LIMITS.maxWindowSeconds));
    return new BoundSource({ mode: 'join', names: [...names], bus, within, filter: options.filter });
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
