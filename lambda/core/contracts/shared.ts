/**
 * What every function's contract shares: the names a trigger, a pipeline and an event may have, and how
 * a trigger routes its starts. The constructs validate against these at synth; the handlers parse with
 * them. Pure: no SDK, no clock, no environment.
 */

/** A trigger's id, as the constructs derive it and the handlers look it up: 1-64 letters, digits, `-` or `_`. */
export const TRIGGER_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** The template metadata naming the trigger a resource serves, where nothing else in the resource does (a schedule that starts SageMaker itself). */
export const TRIGGER_ID_METADATA = 'cdk-ml-triggers:triggerId';
export const TRIGGER_ID_RULE = 'must be 1-64 letters, digits, - or _';

/** SageMaker's pattern for pipeline names (CreatePipeline and StartPipelineExecution API references). */
export const PIPELINE_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$/;

/** A platform event's name (its EventBridge detail-type), as event triggers match it. */
export const EVENT_NAME = /^[A-Za-z0-9._-]{1,128}$/;
export const EVENT_NAME_RULE = "must be 1-128 letters, digits, '.', '_' or '-'";

/** A request's priority: 1 (most urgent) to 5; 1 and 2 are critical. */
export const PRIORITY_LIMITS = { min: 1, max: 5 } as const;
/** The priority of a trigger's requests when its construct is given none. */
export const DEFAULT_PRIORITY = 3;

/** How a trigger's function starts its pipeline, as the construct wrote it into the function's configuration. */
export interface StartRoute {
  /** The coordinator function that decides each start; absent: start directly. */
  readonly coordinatorFunction?: string;
  /** The priority of requests to the coordinator: 1 (most urgent) to 5. @default DEFAULT_PRIORITY */
  readonly priority?: number;
}

/** The priority a route's requests carry. */
export function priorityOf(route: StartRoute): number {
  return route.priority ?? DEFAULT_PRIORITY;
}
