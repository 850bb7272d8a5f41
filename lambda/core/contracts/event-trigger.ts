/**
 * The event triggers' contract: what an event trigger is, as its construct writes it and the shared
 * function reads it back, with its defaults and limits. Pure: no SDK, no clock, no environment.
 */
import { accept, isRecord, reject, type Parsed } from '../result';
import { parseParameterTemplates, type ParsedTemplate } from '../templates';
import { DEFAULT_PRIORITY, type StartRoute } from './shared';

export type EventTriggerMode = 'event' | 'join' | 'chain';

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
  /** Pipeline parameters as templates, such as `{{ event.model_id }}`. */
  readonly parameters: Readonly<Record<string, string>>;
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

/** Reads the trigger configuration the rule sends, parsing every template once. */
export function parseEventTriggerConfig(input: unknown): Parsed<EventTriggerConfig> {
  if (!isRecord(input)) return reject('trigger', 'must be an object');
  const { triggerId, pipelineName, pattern, mode, events, windowSeconds, parameters, coordinatorFunction, priority } = input;
  if (typeof triggerId !== 'string' || typeof pipelineName !== 'string') return reject('trigger.triggerId', 'must name the trigger and its pipeline');
  if (!isRecord(pattern)) return reject('trigger.pattern', "must be the rule's event pattern");
  if (mode !== 'event' && mode !== 'join' && mode !== 'chain') return reject('trigger.mode', `must be event, join or chain, got ${JSON.stringify(mode)}`);
  if (!Array.isArray(events) || events.some((name) => typeof name !== 'string')) return reject('trigger.events', 'must be a list of event names');
  if (windowSeconds !== undefined && (typeof windowSeconds !== 'number' || windowSeconds <= 0)) return reject('trigger.windowSeconds', 'must be a positive number');
  if (!isRecord(parameters ?? {})) return reject('trigger.parameters', 'must map names to templates');
  for (const [name, template] of Object.entries((parameters ?? {}) as Record<string, unknown>)) {
    if (typeof template !== 'string') return reject(`trigger.parameters.${name}`, 'must be a template string');
  }
  // The checks synth made, made again: the configuration may come from elsewhere than the construct.
  const parsed = parseParameterTemplates((parameters ?? {}) as Record<string, string>, {
    ...(mode === 'join' ? { joinedEvents: events as string[] } : {}),
    ...(mode === 'chain' ? { reserved: [UPSTREAM_EXECUTION_PARAMETER] } : {}),
  });
  if (!parsed.ok) return reject(`trigger.${parsed.error.field}`, parsed.error.problem);
  const templates = parsed.value;
  return accept({
    triggerId,
    pipelineName,
    pattern,
    mode,
    events: events as string[],
    ...(windowSeconds !== undefined ? { windowSeconds: windowSeconds as number } : {}),
    templates,
    ...(typeof coordinatorFunction === 'string' ? { coordinatorFunction, priority: typeof priority === 'number' ? priority : DEFAULT_PRIORITY } : {}),
  });
}

/** A join's window in milliseconds: the configured one, or the default. */
export function joinWindowMs(config: Pick<EventTriggerConfig, 'windowSeconds'>): number {
  return (config.windowSeconds ?? EVENT_TRIGGER_DEFAULTS.windowSeconds) * 1000;
}
