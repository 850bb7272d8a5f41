import { createHash } from 'node:crypto';

/** A short, stable hash of a construct path, for names that must be unique but fit AWS's length limits. */
export function shortHash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}
