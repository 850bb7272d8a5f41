/**
 * What a data-arrival trigger does when it is turned back on, as its construct writes it into the trigger's
 * configuration and the batcher reads it back, with its defaults and limits. Pure: no SDK, no clock.
 */
import { accept, isRecord, reject, requiredNumber, type Parsed } from '../result';

/**
 * Skip what landed while the trigger was off (the default, written as nothing), or catch up: one batch of the
 * objects that landed under the trigger's prefix while it was off, at most `maxObjects` of them and none
 * older than `maxAgeSeconds`.
 */
export type ReEnablePolicy = { readonly mode: 'skip' } | { readonly mode: 'catch-up'; readonly maxObjects: number; readonly maxAgeSeconds: number };

export const RE_ENABLE_LIMITS = {
  /** A catch-up is one batch: it holds at most the trigger's `batchSize` objects, itself at most this. */
  maxObjects: 10_000,
  minAgeSeconds: 60,
  /**
   * As long as the batcher remembers an object it counted: an object older than this may have been counted
   * while the trigger was on and forgotten since.
   */
  maxAgeSeconds: 14 * 86_400,
} as const;

/** What a catch-up assumes for a bound it is not given (`maxObjects` defaults to the trigger's `batchSize`). */
export const RE_ENABLE_DEFAULTS = { maxAgeSeconds: 7 * 86_400 } as const;

/** The policy a configuration without one has. */
export const SKIP: ReEnablePolicy = { mode: 'skip' };

/** Reads a configuration's `whenReEnabled`: absent is skip; a catch-up holds at most `batchSize` objects. */
export function parseReEnablePolicy(input: unknown, batchSize: number): Parsed<ReEnablePolicy> {
  if (input === undefined) return accept(SKIP);
  if (!isRecord(input)) return reject('trigger.whenReEnabled', 'must be an object when present');
  if (input.mode === 'skip') return accept(SKIP);
  if (input.mode !== 'catch-up') return reject('trigger.whenReEnabled.mode', "must be 'skip' or 'catch-up'");
  const maxObjects = requiredNumber(input, 'maxObjects', 'trigger.whenReEnabled.maxObjects', 1, Math.min(batchSize, RE_ENABLE_LIMITS.maxObjects));
  if (!maxObjects.ok) return maxObjects;
  if (!Number.isInteger(maxObjects.value)) return reject('trigger.whenReEnabled.maxObjects', 'must be a whole number');
  const maxAge = requiredNumber(input, 'maxAgeSeconds', 'trigger.whenReEnabled.maxAgeSeconds', RE_ENABLE_LIMITS.minAgeSeconds, RE_ENABLE_LIMITS.maxAgeSeconds);
  if (!maxAge.ok) return maxAge;
  return accept({ mode: 'catch-up', maxObjects: maxObjects.value, maxAgeSeconds: maxAge.value });
}

/** Reads a configuration's `enabled`: absent is on. */
export function parseEnabled(input: unknown): Parsed<boolean> {
  if (input === undefined) return accept(true);
  return typeof input === 'boolean' ? accept(input) : reject('trigger.enabled', 'must be true or false when present');
}

/**
 * What the rule on the stack's configuration changes sends the batcher: always this, and nothing in it is read.
 * The batcher reads the configurations themselves.
 */
export const CONFIGURATION_CHANGED = { configurationChanged: 'read-the-configurations' } as const;
