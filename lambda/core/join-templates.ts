import type { ParsedTemplate } from './templates';

/**
 * Why a template of a join that completes with `minimum` of `names` could fail for a completed join, or
 * undefined when none could: a template reading `events.<name>` without a default, when that name may
 * be absent from the join (fewer than all names complete it). The problem names the parameter's field
 * and the fix. A join of all its names passes whatever it reads.
 */
export function absentEventProblem(
  templates: Readonly<Record<string, ParsedTemplate>>,
  names: readonly string[],
  minimum: number,
): { readonly field: string; readonly problem: string } | undefined {
  if (minimum >= names.length) return undefined;
  for (const [parameter, template] of Object.entries(templates)) {
    for (const part of template.parts) {
      if (typeof part === 'string' || !part.joined || part.fallback !== undefined) continue;
      return {
        field: /^[A-Za-z0-9_-]+$/.test(parameter) ? `parameters.${parameter}` : `parameters[${JSON.stringify(parameter)}]`,
        problem:
          `reads ${part.expression} without a default, but the join starts with ${minimum} of its ${names.length} events, so ${part.source} may be absent: ` +
          `give it a default, {{ ${part.expression} | default: '...' }}, or join all the events`,
      };
    }
  }
  return undefined;
}
