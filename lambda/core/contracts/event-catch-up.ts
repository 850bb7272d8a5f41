/**
 * What an event trigger that catches up when it is turned back on writes into its configuration, as its
 * construct writes it and the events function reads it back, with its defaults and limits. Pure: no SDK, no clock.
 */
import { accept, isRecord, reject, requiredNumber, type Parsed } from '../result';
import { RE_ENABLE_DEFAULTS, RE_ENABLE_LIMITS } from './re-enable';

/**
 * Catch up on re-enable: replay the events published on the trigger's bus while it was off, at most
 * `maxEvents` of them and none older than `maxAgeSeconds` when it came back, from `archiveArn` to `busArn`,
 * to the trigger's rule (`ruleArn`) only.
 */
export interface EventCatchUpJson {
  readonly mode: 'catch-up';
  readonly maxEvents: number;
  readonly maxAgeSeconds: number;
  readonly archiveArn: string;
  readonly busArn: string;
  readonly ruleArn: string;
}

export const EVENT_CATCH_UP_DEFAULTS = {
  /** What a catch-up replays at most when `maxObjects` is not given. */
  maxEvents: 1_000,
  maxAgeSeconds: RE_ENABLE_DEFAULTS.maxAgeSeconds,
} as const;

export const EVENT_CATCH_UP_LIMITS = {
  maxEvents: RE_ENABLE_LIMITS.maxObjects,
  minAgeSeconds: RE_ENABLE_LIMITS.minAgeSeconds,
  maxAgeSeconds: RE_ENABLE_LIMITS.maxAgeSeconds,
  /**
   * How far a replay's window reaches past the off period on either side: the rule and the configuration are
   * separate resources of the deployment, changed in no set order. Events delivered live inside the margin are
   * remembered, and their replayed copies dropped.
   */
  edgeMarginMs: 5 * 60_000,
  /**
   * How long after the version that turned the trigger on a replay's window reaches, at most: the deployment enables
   * the rule after writing the configuration, and the replay starts once the rule is enabled, so that the events
   * between the two are replayed (those the rule delivered live as well are dropped as handled).
   */
  lateRuleMs: 15 * 60_000,
  /** An off period that ended longer ago than this is not caught up: its change's delivery is retried for 6 hours at most. */
  horizonMs: 86_400_000,
} as const;

const EVENTS_ARN = /^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:[A-Za-z-]+\/\S{1,1500}$/;

/** Reads a configuration's `whenReEnabled`: absent is skip (undefined). */
export function parseEventCatchUp(input: unknown): Parsed<EventCatchUpJson | undefined> {
  if (input === undefined) return accept(undefined);
  if (!isRecord(input)) return reject('trigger.whenReEnabled', 'must be an object when present');
  if (input.mode !== 'catch-up') return reject('trigger.whenReEnabled.mode', "must be 'catch-up' when present (skip is written as nothing)");
  const maxEvents = requiredNumber(input, 'maxEvents', 'trigger.whenReEnabled.maxEvents', 1, EVENT_CATCH_UP_LIMITS.maxEvents);
  if (!maxEvents.ok) return maxEvents;
  if (!Number.isInteger(maxEvents.value)) return reject('trigger.whenReEnabled.maxEvents', 'must be a whole number');
  const maxAge = requiredNumber(input, 'maxAgeSeconds', 'trigger.whenReEnabled.maxAgeSeconds', EVENT_CATCH_UP_LIMITS.minAgeSeconds, EVENT_CATCH_UP_LIMITS.maxAgeSeconds);
  if (!maxAge.ok) return maxAge;
  for (const field of ['archiveArn', 'busArn', 'ruleArn'] as const) {
    const arn = input[field];
    if (typeof arn !== 'string' || !EVENTS_ARN.test(arn)) return reject(`trigger.whenReEnabled.${field}`, 'must be an EventBridge ARN');
  }
  return accept({
    mode: 'catch-up',
    maxEvents: maxEvents.value,
    maxAgeSeconds: maxAge.value,
    archiveArn: input.archiveArn as string,
    busArn: input.busArn as string,
    ruleArn: input.ruleArn as string,
  });
}
