/**
 * The event triggers' contract: what an event trigger is, as its construct writes it and the shared
 * function reads it back, with its defaults and limits. Pure: no SDK, no clock, no environment.
 */
import { accept, isRecord, reject, type Parsed } from '../result';
import { parseParameterTemplates, type ParsedTemplate } from '../templates';
import { forEachPathProblem } from '../join-keys';
import { absentEventProblem } from '../join-templates';
import { DEFAULT_PRIORITY, type StartRoute } from './shared';
import { parseEventSchemas } from '../event-schemas-config';
import type { EventSchemas } from '../typed-events';
import { parseEventCatchUp, type EventCatchUpJson } from './event-catch-up';

export type EventTriggerMode = 'event' | 'join' | 'sequence' | 'chain';

/** What an event trigger's construct writes for its function, one per trigger. */
export interface EventTriggerConfigJson extends StartRoute {
  readonly triggerId: string;
  readonly pipelineName: string;
  /** The trigger's rule's event pattern, as EventBridge matches it: an event it does not match did not come through the rule. */
  readonly pattern: Readonly<Record<string, unknown>>;
  readonly mode: EventTriggerMode;
  readonly events: readonly string[];
  /** A join's window. @default EVENT_TRIGGER_DEFAULTS.windowSeconds */
  readonly windowSeconds?: number;
  /** How many of a join's events complete it; only for `join`. @default - all of them */
  readonly minimum?: number;
  /** The field of the events' `data` that keys a join or sequence: one join per value. @default - one join */
  readonly forEach?: string;
  /** Pipeline parameters as templates, such as `{{ event.model_id }}`. */
  readonly parameters: Readonly<Record<string, string>>;
  /** The schemas declared for the trigger's events' `data`, by name: an event that fails its schema is dropped. @default - untyped events */
  readonly schemas?: EventSchemas;
  /** The quiet period after a burst's last event before its run starts; only for `event`. @default - every event starts a run */
  readonly debounceSeconds?: number;
  /** The delay queue a debounced trigger's rule sends each event into, a quiet period later read back: the only queue its function takes them from. */
  readonly debounceQueueArn?: string;
  /** Written (as false) only by a trigger that catches up, so that its events function finds when it was off. @default true */
  readonly enabled?: boolean;
  /** Catch up on re-enable: replay what was published while the trigger was off. @default - skip it */
  readonly whenReEnabled?: EventCatchUpJson;
}

/** What an event trigger is, as its deployment wrote it, with its parameter templates parsed. */
export interface EventTriggerConfig extends Omit<EventTriggerConfigJson, 'parameters'> {
  readonly templates: Readonly<Record<string, ParsedTemplate>>;
}

/** The window of a join when its construct is given none: a day. */
export const EVENT_TRIGGER_DEFAULTS = { windowSeconds: 86_400 } as const;
/** A join's window: a minute to thirty days. */
export const EVENT_TRIGGER_LIMITS = { minWindowSeconds: 60, maxWindowSeconds: 30 * 86_400 } as const;
/** The parameter a chain's function adds to every start: the upstream execution's ARN. */
export const UPSTREAM_EXECUTION_PARAMETER = 'UpstreamExecutionArn';
/**
 * A debounce's quiet period: ten seconds (the delay queue's copy must come clearly after the event itself)
 * to fifteen minutes (SQS's largest `DelaySeconds`, 900).
 */
export const DEBOUNCE_LIMITS = { minSeconds: 10, maxSeconds: 900 } as const;
/** An SQS queue's ARN, as a debounced trigger's configuration names its delay queue. */
const QUEUE_ARN = /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}$/;

/** Reads the trigger configuration the rule sends, parsing every template once. */
export function parseEventTriggerConfig(input: unknown): Parsed<EventTriggerConfig> {
  if (!isRecord(input)) return reject('trigger', 'must be an object');
  const { triggerId, pipelineName, pattern, mode, events, windowSeconds, minimum, forEach, parameters, coordinatorFunction, priority } = input;
  if (typeof triggerId !== 'string' || typeof pipelineName !== 'string') return reject('trigger.triggerId', 'must name the trigger and its pipeline');
  if (!isRecord(pattern)) return reject('trigger.pattern', "must be the rule's event pattern");
  if (mode !== 'event' && mode !== 'join' && mode !== 'sequence' && mode !== 'chain') return reject('trigger.mode', `must be event, join, sequence or chain, got ${JSON.stringify(mode)}`);
  if (!Array.isArray(events) || events.some((name) => typeof name !== 'string')) return reject('trigger.events', 'must be a list of event names');
  if (windowSeconds !== undefined && (typeof windowSeconds !== 'number' || windowSeconds <= 0)) return reject('trigger.windowSeconds', 'must be a positive number');
  const joinProblem = isJoinMode(mode) ? joinConfigProblem(mode, events as string[], minimum, forEach) : minimum !== undefined || forEach !== undefined ? { field: 'trigger.mode', problem: 'takes no minimum or forEach: only a join or sequence does' } : undefined;
  if (joinProblem) return reject(joinProblem.field, joinProblem.problem);
  if (!isRecord(parameters ?? {})) return reject('trigger.parameters', 'must map names to templates');
  for (const [name, template] of Object.entries((parameters ?? {}) as Record<string, unknown>)) {
    if (typeof template !== 'string') return reject(`trigger.parameters.${name}`, 'must be a template string');
  }
  // The checks synth made, made again: the configuration may come from elsewhere than the construct.
  const parsed = parseParameterTemplates((parameters ?? {}) as Record<string, string>, {
    ...(isJoinMode(mode) ? { joinedEvents: events as string[] } : {}),
    ...(mode === 'chain' ? { reserved: [UPSTREAM_EXECUTION_PARAMETER] } : {}),
  });
  if (!parsed.ok) return reject(`trigger.${parsed.error.field}`, parsed.error.problem);
  const templates = parsed.value;
  const schemas = parseEventSchemas(input.schemas, events as string[], 'trigger.schemas');
  if (!schemas.ok) return schemas;
  const absent = typeof minimum === 'number' ? absentEventProblem(templates, events as string[], minimum) : undefined;
  if (absent) return reject(`trigger.${absent.field}`, absent.problem);
  const debounce = parseDebounce(input, mode);
  if (!debounce.ok) return debounce;
  const catchUp = parseEventCatchUp(input.whenReEnabled);
  if (!catchUp.ok) return catchUp;
  if (input.enabled !== undefined && typeof input.enabled !== 'boolean') return reject('trigger.enabled', 'must be true or false when present');
  return accept({
    triggerId,
    pipelineName,
    pattern,
    mode,
    events: events as string[],
    ...(windowSeconds !== undefined ? { windowSeconds: windowSeconds as number } : {}),
    ...(typeof minimum === 'number' ? { minimum } : {}),
    ...(typeof forEach === 'string' ? { forEach } : {}),
    ...debounce.value,
    ...(typeof input.enabled === 'boolean' ? { enabled: input.enabled } : {}),
    ...(catchUp.value ? { whenReEnabled: catchUp.value } : {}),
    templates,
    ...(schemas.value ? { schemas: schemas.value } : {}),
    ...(typeof coordinatorFunction === 'string' ? { coordinatorFunction, priority: typeof priority === 'number' ? priority : DEFAULT_PRIORITY } : {}),
  });
}

/** A join's window in milliseconds: the configured one, or the default. */
export function joinWindowMs(config: Pick<EventTriggerConfig, 'windowSeconds'>): number {
  return (config.windowSeconds ?? EVENT_TRIGGER_DEFAULTS.windowSeconds) * 1000;
}

/** Whether the mode joins several events in one state: a join or a sequence. */
export function isJoinMode(mode: EventTriggerMode): mode is 'join' | 'sequence' {
  return mode === 'join' || mode === 'sequence';
}

/** The checks the construct made on a join's or sequence's names, minimum and key, made again. */
function joinConfigProblem(mode: 'join' | 'sequence', events: readonly string[], minimum: unknown, forEach: unknown): { field: string; problem: string } | undefined {
  if (events.length === 0 || new Set(events).size !== events.length) return { field: 'trigger.events', problem: 'must name different events' };
  if (mode === 'sequence' && events.length < 2) return { field: 'trigger.events', problem: 'must name at least two steps of the sequence' };
  if (minimum !== undefined) {
    if (mode === 'sequence') return { field: 'trigger.minimum', problem: 'is only for a join: a sequence needs every step' };
    if (typeof minimum !== 'number' || !Number.isInteger(minimum) || minimum < 1 || minimum > events.length) {
      return { field: 'trigger.minimum', problem: `must be a whole number from 1 to ${events.length}, got ${JSON.stringify(minimum)}` };
    }
  }
  const pathProblem = forEach === undefined ? undefined : forEachPathProblem(forEach);
  return pathProblem === undefined ? undefined : { field: 'trigger.forEach', problem: pathProblem };
}

/** The checks the construct made on a debounce, made again: a whole number of seconds within the limits, for `event` only, with its queue. */
function parseDebounce(input: Record<string, unknown>, mode: EventTriggerMode): Parsed<Pick<EventTriggerConfigJson, 'debounceSeconds' | 'debounceQueueArn'>> {
  const { debounceSeconds, debounceQueueArn } = input;
  if (debounceSeconds === undefined && debounceQueueArn === undefined) return accept({});
  if (mode !== 'event') return reject('trigger.debounceSeconds', `is only for a trigger whose every event starts a run (mode event), got mode ${mode}`);
  const { minSeconds, maxSeconds } = DEBOUNCE_LIMITS;
  if (typeof debounceSeconds !== 'number' || !Number.isInteger(debounceSeconds) || debounceSeconds < minSeconds || debounceSeconds > maxSeconds) {
    return reject('trigger.debounceSeconds', `must be a whole number from ${minSeconds} to ${maxSeconds}, got ${JSON.stringify(debounceSeconds)}`);
  }
  if (typeof debounceQueueArn !== 'string' || !QUEUE_ARN.test(debounceQueueArn)) return reject('trigger.debounceQueueArn', 'must be the ARN of the SQS queue the trigger delays its events in');
  return accept({ debounceSeconds, debounceQueueArn });
}
