import type { ParsedTemplate } from '../../lambda/core/templates';
import { absentEventProblem } from '../../lambda/core/join-templates';
import type { EventSourceConfig } from './event-source-config';

/** What a join's or sequence's configuration adds for its function: the minimum and the key, when given. */
export function joinSettings(source: EventSourceConfig): { minimum?: number; forEach?: string } {
  return { ...(source.minimum !== undefined ? { minimum: source.minimum } : {}), ...(source.forEach !== undefined ? { forEach: source.forEach } : {}) };
}

/** Throws, naming the parameter and the fix, when a template reads an event that an N-of-M join may lack. */
export function assertJoinTemplates(source: EventSourceConfig, templates: Readonly<Record<string, ParsedTemplate>>): void {
  if (source.minimum === undefined) return;
  const problem = absentEventProblem(templates, source.names, source.minimum);
  if (problem) throw new Error(`${problem.field} ${problem.problem}`);
}

/**
 * The rule's pattern for `detail.data`: the compiled filter, and for a per-key join `exists: true` at the
 * key's path, so EventBridge drops an event without the key before it costs an invocation. A filter that
 * already conditions the key's field (or a field on its path) keeps its own condition.
 */
export function keyedDataPattern(filter: Readonly<Record<string, unknown>> | undefined, forEach: string | undefined): Record<string, unknown> | undefined {
  if (forEach === undefined) return filter === undefined ? undefined : { ...filter };
  const segments = forEach.split('.');
  const root: Record<string, unknown> = { ...(filter ?? {}) };
  let level = root;
  for (const [index, segment] of segments.entries()) {
    const existing = Object.hasOwn(level, segment) ? level[segment] : undefined;
    if (index === segments.length - 1) {
      if (existing === undefined) level[segment] = [{ exists: true }];
      break;
    }
    if (Array.isArray(existing)) break;
    const nested: Record<string, unknown> = { ...((existing as Record<string, unknown> | undefined) ?? {}) };
    level[segment] = nested;
    level = nested;
  }
  return root;
}
