import type { Construct } from 'constructs';
import type { ParsedTemplate } from '../../lambda/core/templates';
import { undeclaredFilterField, undeclaredPathProblem, undeclaredTemplateRead, type EventSchemas } from '../../lambda/core/typed-events';
import { declarationsOf } from './event-declarations';
import type { EventSourceConfig } from './event-source-config';

/**
 * The schemas declared for the events a trigger reads, after checking at synth that its parameter
 * templates, its filter and its join key read only fields those schemas declare; undefined when none
 * of its events is typed (a chain, or untyped names). Throws naming the trigger prop, the path and the
 * declared fields.
 */
export function typedEventSchemas(
  trigger: Construct,
  source: EventSourceConfig,
  templates: Readonly<Record<string, ParsedTemplate>>,
  dataFilter: Readonly<Record<string, unknown>> | undefined,
): EventSchemas | undefined {
  if (!source.bus) return undefined;
  const schemas = declarationsOf(source.bus).readBy(source.names, trigger.node.path);
  if (schemas === undefined) return undefined;
  const template = undeclaredTemplateRead(templates, source.names, schemas);
  if (template) throw new Error(`${template.field} ${template.problem}`);
  const filter = dataFilter ? undeclaredFilterField(dataFilter, source.names, schemas) : undefined;
  if (filter) throw new Error(`${filter.field} ${filter.problem}`);
  const forEach = source.forEach;
  if (forEach !== undefined) {
    for (const name of source.names) {
      const schema = schemas[name];
      const problem = schema === undefined ? undefined : undeclaredPathProblem(schema, forEach.split('.').map((key) => ({ key })));
      if (problem) throw new Error(`forEach '${forEach}' reads a field the schema declared for ${name} does not allow: ${problem}`);
    }
  }
  return schemas;
}
