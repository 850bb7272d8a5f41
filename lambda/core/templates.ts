import { pipelineParameters, type PipelineParameter } from './pipeline-parameters';
import { accept, describe, isRecord, own, reject, type Parsed } from './result';

/** One step into the data: an object's own field, or an array's element. */
export type TemplateSegment = { readonly key: string } | { readonly index: number };

/** A `{{ ... }}` expression: where it reads, and what it falls back to. */
export interface TemplateField {
  /** `event` for the triggering event, or the joined event's name for `events.<name>`. */
  readonly source: string;
  readonly joined: boolean;
  readonly path: readonly TemplateSegment[];
  /** The text after `| default:`, when there is one. */
  readonly fallback?: string;
  /** The expression as a reader writes it, e.g. `events['model.added'].owner.team`. */
  readonly expression: string;
}

/** A parsed template: literal text and expressions, in order. Templates are data, never code. */
export interface ParsedTemplate {
  readonly parts: ReadonlyArray<string | TemplateField>;
}

/** What templates render against: the triggering event's `data`, and each joined event's `data` by name. */
export interface TemplateContext {
  readonly event: unknown;
  readonly events?: Readonly<Record<string, unknown>>;
}

const SPACES = /[ \t]*/y;
const FIELD = /\.([A-Za-z0-9_-]+)/y;
const INDEX = /\[(\d{1,9})\]/y;
const SOURCE = /(events|event)(?![A-Za-z0-9_-])/y;
const BRACKETED_NAME = /\[(['"])([A-Za-z0-9_.-]+)\1\]/y;
const DEFAULT = /\|[ \t]*default[ \t]*:[ \t]*/y;
const SYNTAX = "{{ event.<field> }}, {{ events.<name>.<field> }} or {{ events['<name.with.dots>'].<field> }}, optionally followed by | default: '<text>'";

/**
 * Parses a template. Text outside `{{ }}` is literal. An expression is
 *
 *     {{ <source><path> [ | default: '<text>' ] }}
 *     source  = event                                   the triggering event's data
 *             | events.<name>                           a joined event's data; name = [A-Za-z0-9_-]+
 *             | events['<name>'] | events["<name>"]     name = [A-Za-z0-9_.-]+ (event names with dots)
 *     path    = ( .<field> | [<index>] )+               field = [A-Za-z0-9_-]+, index = 0-999999999
 *     text    = any characters but the quote that opens it ('...' or "..."); no escapes
 *
 * with spaces or tabs allowed around the expression and around `|`, `default` and `:`. So
 * `events.model.added.model_id` reads field `added.model_id` of an event named `model`; an event named
 * `model.added` is written `events['model.added'].model_id`. Errors name `path`: an unterminated `{{`,
 * an empty expression, an unknown source, a missing field, a bad default or anything after it.
 */
export function parseTemplate(template: string, path: string): Parsed<ParsedTemplate> {
  if (typeof template !== 'string') return reject(path, `must be a template string, got ${describe(template)}`);
  const parts: Array<string | TemplateField> = [];
  let position = 0;
  while (position < template.length) {
    const open = template.indexOf('{{', position);
    if (open === -1) break;
    if (open > position) parts.push(template.slice(position, open));
    const field = parseExpression(template, open + 2, path);
    if (!field.ok) return field;
    parts.push(field.value.field);
    position = field.value.end;
  }
  if (position < template.length) parts.push(template.slice(position));
  return accept({ parts });
}

function parseExpression(template: string, start: number, path: string): Parsed<{ field: TemplateField; end: number }> {
  const at = (index: number): string => `at character ${index + 1}`;
  let position = skip(SPACES, template, start);
  const close = (): Parsed<never> => {
    if (template.startsWith('}}', position)) return reject(path, `has an empty expression ${at(start - 2)}: write ${SYNTAX}`);
    const end = template.indexOf('}}', position);
    if (end === -1) return reject(path, `has an unterminated '{{' ${at(start - 2)}`);
    return reject(path, `has an unknown source '${template.slice(position, end).trim()}' ${at(position)}: write ${SYNTAX}`);
  };
  const source = match(SOURCE, template, position);
  if (!source) return close();
  position = source.end;
  let name = 'event';
  if (source.groups[0] === 'events') {
    const named = match(BRACKETED_NAME, template, position) ?? match(FIELD, template, position);
    if (!named) return reject(path, `names no joined event ${at(position)}: write events.<name>.<field> or events['<name>'].<field>`);
    name = named.groups.length === 2 ? named.groups[1] : named.groups[0];
    position = named.end;
  }
  const segments: TemplateSegment[] = [];
  for (;;) {
    const segment = match(FIELD, template, position) ?? match(INDEX, template, position);
    if (!segment) break;
    segments.push(segment.text.startsWith('[') ? { index: Number(segment.groups[0]) } : { key: segment.groups[0] });
    position = segment.end;
  }
  const expression = template.slice(skip(SPACES, template, start), position);
  if (segments.length === 0) return reject(path, `reads no field with '${expression}' ${at(position)}: write ${SYNTAX}`);
  position = skip(SPACES, template, position);
  let fallback: string | undefined;
  const pipe = match(DEFAULT, template, position);
  if (pipe) {
    position = pipe.end;
    const quote = template[position];
    const closing = quote === "'" || quote === '"' ? template.indexOf(quote, position + 1) : -1;
    if (closing === -1) return reject(path, `has a bad default ${at(position)}: write | default: '<text>' with the text in matching quotes`);
    fallback = template.slice(position + 1, closing);
    position = skip(SPACES, template, closing + 1);
  } else if (template[position] === '|') {
    const problem = /^\|[ \t]*default/.test(template.slice(position)) ? 'a bad default' : 'an unknown filter';
    return reject(path, `has ${problem} ${at(position)}: the only filter is | default: '<text>'`);
  }
  if (!template.startsWith('}}', position)) {
    if (template.indexOf('}}', position) === -1) return reject(path, `has an unterminated '{{' ${at(start - 2)}`);
    return reject(path, `has unexpected text '${template.slice(position, position + 20)}' ${at(position)}: write ${SYNTAX}`);
  }
  const field: TemplateField = { source: name, joined: source.groups[0] === 'events', path: segments, expression, ...(fallback === undefined ? {} : { fallback }) };
  return accept({ field, end: position + 2 });
}

/**
 * Every (source, field path) the template reads, once each, in order. `source` is `event` or the joined
 * event's name (an event named `event` is indistinguishable here: the construct should not allow one);
 * an index segment appears as `[0]`.
 */
export function templateFields(t: ParsedTemplate): ReadonlyArray<{ source: string; path: readonly string[] }> {
  const seen = new Map<string, { source: string; path: readonly string[] }>();
  for (const part of t.parts) {
    if (typeof part === 'string') continue;
    const path = part.path.map((segment) => ('key' in segment ? segment.key : `[${segment.index}]`));
    const key = JSON.stringify([part.joined, part.source, path]);
    if (!seen.has(key)) seen.set(key, { source: part.source, path });
  }
  return [...seen.values()];
}

/**
 * Renders against the triggering event's data and, for joins, the joined events' data by name, by
 * substitution only: an inserted value is never rendered again, and only own properties are read, so
 * `__proto__` or `constructor` is a missing field. A missing (or null) field uses its default when there
 * is one, else the result is an error naming the parameter and the field. Strings are inserted as they
 * are, numbers and booleans as JSON; objects and arrays are errors.
 */
export function renderTemplate(t: ParsedTemplate, context: TemplateContext, parameterName: string): Parsed<string> {
  const field = `parameters.${parameterName}`;
  let rendered = '';
  for (const part of t.parts) {
    if (typeof part === 'string') {
      rendered += part;
      continue;
    }
    const root = part.joined ? own(context.events ?? {}, part.source) : context.event;
    const value = part.path.reduce<unknown>((current, segment) => stepInto(current, segment), root);
    if (value === undefined || value === null) {
      if (part.fallback !== undefined) {
        rendered += part.fallback;
        continue;
      }
      const where = part.joined ? `the joined event ${part.source}` : 'the triggering event';
      return reject(field, `reads ${part.expression}, which the data of ${where} does not have: give it a default, {{ ${part.expression} | default: '...' }}`);
    }
    if (typeof value === 'string') rendered += value;
    else if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') rendered += JSON.stringify(value);
    else return reject(field, `reads ${part.expression}, which is ${describe(value)}: a parameter takes a string, a number or a boolean`);
  }
  return accept(rendered);
}

/**
 * Renders every parameter template, then checks the result against SageMaker's limits
 * (`pipelineParameters`): valid names, values of 1-1024 characters. Errors name the parameter.
 */
export function renderParameters(templates: Readonly<Record<string, ParsedTemplate>>, context: TemplateContext): Parsed<PipelineParameter[]> {
  const rendered: Array<[string, string]> = [];
  for (const name of Object.keys(templates).sort()) {
    // pipelineParameters merges with Object.assign, which would drop this name silently.
    if (name === '__proto__') return reject(`parameters.${name}`, 'is not a usable pipeline parameter name');
    const value = renderTemplate(templates[name], context, name);
    if (!value.ok) return value;
    rendered.push([name, value.value]);
  }
  return pipelineParameters(Object.fromEntries(rendered));
}

function stepInto(current: unknown, segment: TemplateSegment): unknown {
  if ('key' in segment) return isRecord(current) ? own(current, segment.key) : undefined;
  return Array.isArray(current) && segment.index < current.length ? (current[segment.index] as unknown) : undefined;
}

function skip(pattern: RegExp, text: string, position: number): number {
  return match(pattern, text, position)?.end ?? position;
}

function match(pattern: RegExp, text: string, position: number): { text: string; groups: string[]; end: number } | undefined {
  pattern.lastIndex = position;
  const found = pattern.exec(text);
  return found ? { text: found[0], groups: found.slice(1), end: position + found[0].length } : undefined;
}
