/**
 * Per-key joins: which field of an event's `data` keys its join, how a key value is read from an event
 * (untrusted: bounded, scalar), and how a key names its join's state without colliding with another.
 * Pure: no SDK, no clock.
 */
import { createHash } from 'node:crypto';
import { accept, describe, isRecord, own, reject, type Parsed } from './result';

/** The bounds of a per-key join's key: its field's path, and the value an event may carry. */
export const JOIN_KEY_LIMITS = {
  /** Fields in a `forEach` path, `a.b.c` being three. */
  maxPathDepth: 8,
  /** Characters in a `forEach` path. */
  maxPathLength: 256,
  /** Characters in a key value (a string's own, a number's as JSON). */
  maxValueLength: 256,
} as const;

const SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;
const PROTOTYPE_FIELDS = ['__proto__', 'constructor', 'prototype'];
const PATH_SYNTAX = "write field names of letters, digits, '_' and '-', separated by dots, e.g. 'model_id' or 'model.id'";

/** A key value read from an event: its kind and text, and the id of its join's state. */
export interface JoinKey {
  /** The value as the event had it, for logs and decisions. */
  readonly value: string | number;
  /**
   * A fixed-length id of the value, distinct per (kind, value): the string `'7'` and the number `7` are
   * different keys, and no value can name another's state whatever characters it holds.
   */
  readonly id: string;
}

/** Why `path` cannot key a join, or undefined when it can. Linear in the path's length. */
export function forEachPathProblem(path: unknown): string | undefined {
  if (typeof path !== 'string') return `must be a field path of the event's data, got ${describe(path)}`;
  if (path.length === 0 || path.length > JOIN_KEY_LIMITS.maxPathLength) return `must be 1-${JOIN_KEY_LIMITS.maxPathLength} characters, got ${path.length}: ${PATH_SYNTAX}`;
  const segments = path.split('.');
  if (segments.length > JOIN_KEY_LIMITS.maxPathDepth) return `'${path}' is ${segments.length} fields deep, at most ${JOIN_KEY_LIMITS.maxPathDepth} are allowed: key on a field nearer the top of data`;
  for (const segment of segments) {
    if (!SEGMENT.test(segment)) return `'${path}' has the field '${segment}': ${PATH_SYNTAX}, each field 1-64 characters`;
    if (PROTOTYPE_FIELDS.includes(segment)) return `'${path}' has the field '${segment}', which JavaScript objects inherit: key on another field`;
  }
  return undefined;
}

/**
 * Reads the key at `path` (already checked by {@link forEachPathProblem}) in the event's `data`: a string
 * of 1 to `maxValueLength` characters, or a finite number. Anything else (missing, null, an object, a list,
 * a boolean, too long) is an error naming `event.detail.data.<path>`, and the event joins nothing.
 */
export function readJoinKey(data: unknown, path: string): Parsed<JoinKey> {
  const field = `event.detail.data.${path}`;
  const value = path.split('.').reduce<unknown>((current, segment) => (isRecord(current) ? own(current, segment) : undefined), data);
  if (value === undefined || value === null) return reject(field, 'is missing: a per-key join needs the key in every event');
  if (typeof value === 'string') {
    if (value.length === 0 || value.length > JOIN_KEY_LIMITS.maxValueLength) return reject(field, `must be 1-${JOIN_KEY_LIMITS.maxValueLength} characters, got ${value.length}`);
    return accept({ value, id: keyId('s', value) });
  }
  if (typeof value === 'number' && Number.isFinite(value)) return accept({ value, id: keyId('n', JSON.stringify(value)) });
  return reject(field, `must be a string or a finite number, got ${describe(value)}`);
}

function keyId(kind: 's' | 'n', text: string): string {
  return createHash('sha256').update(JSON.stringify([kind, text])).digest('hex');
}
