/**
 * What an event trigger that catches up does when the deployment turns it back on: find, in the versions of
 * its configuration the deployment wrote, when it was off, and replay the events of each off period once, to
 * its own rule, bounded by its maxAge; then admit at most maxEvents of each replay. Pure: the caller reads the
 * parameter history, the clock and the store.
 */
import { createHash } from 'node:crypto';
import { offPeriods as periodsOff, type ConfigurationVersion } from './configuration-history';
import { isRecord } from './result';
import { EVENT_CATCH_UP_LIMITS, parseEventCatchUp, type EventCatchUpJson } from './contracts/event-catch-up';

/** A time a trigger was off: from the version that wrote it `enabled: false` to the one that wrote it on again, with that one's catch-up. */
export interface OffPeriod {
  readonly triggerId: string;
  readonly offMs: number;
  readonly onMs: number;
  /** The catch-up the deployment that turned the trigger back on asked for; undefined when it skips. */
  readonly catchUp?: EventCatchUpJson;
}

/** The periods the trigger was off and then on again, oldest first (see {@link periodsOff}); one still open is not returned. */
export function offPeriods(triggerId: string, versions: readonly ConfigurationVersion[]): OffPeriod[] {
  return periodsOff(versions, triggerId).flatMap(({ offMs, onMs, onConfig }) => {
    if (onMs === undefined) return [];
    const catchUp = parseEventCatchUp(onConfig?.whenReEnabled);
    return [{ triggerId, offMs, onMs, ...(catchUp.ok && catchUp.value ? { catchUp: catchUp.value } : {}) }];
  });
}

/**
 * The replay's name: the same for the same trigger and off time, whoever computes it and however often, so that
 * EventBridge (which refuses a second replay of one name) starts one replay per off period. Fits StartReplay's
 * `ReplayName` (1 to 64 of `[.\-_A-Za-z0-9]`).
 */
export function replayName(triggerId: string, offMs: number): string {
  const digest = createHash('sha256').update(`${triggerId}\n${offMs}`).digest('hex').slice(0, 12);
  return `${triggerId.slice(0, 36)}.${Math.floor(offMs).toString(36)}.${digest}`;
}

/** What to replay for an off period: events whose time is in [startMs, endMs]. */
export interface ReplayWindow {
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * The events an off period's catch-up replays: those published while it was off, from the edge margin before it
 * (the rule and the configuration change in no set order) until now (the replay starts once the rule delivers
 * again) or the late-rule bound after it came back, none older than `maxAgeSeconds` before the trigger came back.
 * Undefined when nothing is left, or when the period ended beyond the horizon.
 */
export function replayWindow(period: Pick<OffPeriod, 'offMs' | 'onMs'>, maxAgeSeconds: number, nowMs: number): ReplayWindow | undefined {
  if (period.onMs < nowMs - EVENT_CATCH_UP_LIMITS.horizonMs) return undefined;
  const startMs = Math.max(period.offMs - EVENT_CATCH_UP_LIMITS.edgeMarginMs, period.onMs - maxAgeSeconds * 1000);
  const endMs = Math.min(period.onMs + EVENT_CATCH_UP_LIMITS.lateRuleMs, nowMs);
  return startMs < endMs ? { startMs, endMs } : undefined;
}

/** A replay to start: its name, its window, and where it reads and delivers. */
export interface PlannedReplay extends ReplayWindow {
  readonly triggerId: string;
  readonly offMs: number;
  readonly onMs: number;
  readonly name: string;
  readonly catchUp: EventCatchUpJson;
}

/**
 * The replays a trigger needs after its configuration changed: one per off period that the deployment ended
 * with a catch-up, still within the horizon. Repeating it gives the same names.
 */
export function plannedReplays(triggerId: string, versions: readonly ConfigurationVersion[], nowMs: number): PlannedReplay[] {
  return offPeriods(triggerId, versions).flatMap((period) => {
    if (!period.catchUp) return [];
    const window = replayWindow(period, period.catchUp.maxAgeSeconds, nowMs);
    return window ? [{ triggerId, name: replayName(triggerId, period.offMs), offMs: period.offMs, onMs: period.onMs, catchUp: period.catchUp, ...window }] : [];
  });
}

/** A short, fixed-length key for an event id: what the function remembers of an event it handled or counted. */
export function eventKey(eventId: string): string {
  return createHash('sha256').update(eventId).digest('base64url').slice(0, 22);
}

/** The `replay-name` EventBridge adds to a replayed event, or undefined for an event delivered live. */
export function replayNameOf(event: unknown): string | undefined {
  if (!isRecord(event)) return undefined;
  const name = event['replay-name'];
  return typeof name === 'string' && name.length > 0 ? name.slice(0, 64) : undefined;
}
