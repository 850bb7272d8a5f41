import { PIPELINE_PARAMETER_LIMITS, pipelineParameters, type PipelineParameter } from './pipeline-parameters';
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

/** What a trigger's parameter templates may read, and which parameters the trigger sets itself. */
export interface TemplateScope {
  /** The joined events' names; absent when the trigger is no join, and then no template may read `events.`. */
  readonly joinedEvents?: readonly string[];
  /** Parameters the trigger adds to every start (a chain's `UpstreamExecutionArn`): they count against the limit. */
  readonly reserved?: readonly string[];
}

/**
 * Parses a trigger's parameter templates and refuses, naming the parameter, what would fail for every
 * event: more parameters than SageMaker takes, names SageMaker rejects or that plain objects inherit
 * (the function keys parameters by name, so `__proto__` or `toString` would be lost), an empty value,
 * literal text (with a default, when it is used) longer than SageMaker's value limit, and `events.<name>`
 * for an event the trigger does not join. Values read from events are checked when they are rendered.
 */
export function parseParameterTemplates(parameters: Readonly<Record<string, string>>, scope: TemplateScope): Parsed<Record<string, ParsedTemplate>> {
  const { maxCount, maxNameLength, namePattern, maxValueLength } = PIPELINE_PARAMETER_LIMITS;
  const names = Object.keys(parameters);
  const reserved = (scope.reserved ?? []).filter((name) => !names.includes(name));
  if (names.length + reserved.length > maxCount) {
    const what = reserved.length > 0 ? ` with ${reserved.join(', ')}` : '';
    return reject('parameters', `holds ${names.length + reserved.length} parameters${what}, SageMaker takes at most ${maxCount} per execution: pass the rest through a file the pipeline reads`);
  }
  const templates: Record<string, ParsedTemplate> = {};
  for (const name of names) {
    const field = parameterField(name);
    if (isInheritedKey(name)) {
      return reject(field, `is a name that JavaScript objects inherit ('${name}'): the function keys parameters by name and would lose it; rename the parameter`);
    }
    if (name.length > maxNameLength || !namePattern.test(name)) {
      return reject(field, `is not a valid SageMaker pipeline parameter name: use 1-${maxNameLength} letters, digits, '-' and '_' (e.g. '${name.replace(/[^A-Za-z0-9_-]/g, '').slice(0, maxNameLength) || 'ModelId'}')`);
    }
    const parsed = parseTemplate(own(parameters, name) as string, field);
    if (!parsed.ok) return parsed;
    const problem = valueProblem(parsed.value, maxValueLength) ?? sourceProblem(parsed.value, scope.joinedEvents);
    if (problem !== undefined) return reject(field, problem);
    templates[name] = parsed.value;
  }
  return accept(templates);
}

/** `parameters.ModelId`, or `parameters["Model Id"]` for a name that does not read as a path. */
const parameterField = (name: string): string => (/^[A-Za-z0-9_-]+$/.test(name) ? `parameters.${name}` : `parameters[${JSON.stringify(name)}]`);

/** A key that plain objects inherit (`__proto__`, `constructor`, `toString`, ...) or that names a prototype. */
const isInheritedKey = (name: string): boolean => name === 'prototype' || name in Object.prototype;

function valueProblem(t: ParsedTemplate, maxValueLength: number): string | undefined {
  if (t.parts.length === 0) return `is empty: SageMaker takes values of 1-${maxValueLength} characters; leave the parameter out to use the pipeline's default`;
  const literal = t.parts.reduce((length, part) => length + (typeof part === 'string' ? part.length : 0), 0);
  if (literal > maxValueLength) {
    return `has ${literal} characters of literal text, SageMaker takes values of at most ${maxValueLength}: shorten it, or pass the text through a file the pipeline reads`;
  }
  for (const part of t.parts) {
    if (typeof part === 'string' || part.fallback === undefined || literal + part.fallback.length <= maxValueLength) continue;
    return `the default of ${part.expression} makes it ${literal + part.fallback.length} characters, SageMaker takes values of at most ${maxValueLength}: shorten the default`;
  }
  return undefined;
}

function sourceProblem(t: ParsedTemplate, joinedEvents: readonly string[] | undefined): string | undefined {
  for (const part of t.parts) {
    if (typeof part === 'string' || !part.joined) continue;
    if (joinedEvents === undefined) return `reads ${part.expression}, but this trigger is not a join: read the triggering event as {{ event.<field> }}`;
    if (joinedEvents.includes(part.source)) continue;
    const problem = `reads ${part.expression}, but the join has no event '${part.source}': read one of ${joinedEvents.join(', ')}`;
    // `events.model.added.x` reads field `added.x` of an event `model`: suggest the bracketed form of a dotted name.
    const keys = part.path.map((segment) => ('key' in segment ? segment.key : undefined));
    for (let length = keys.length - 1; length > 0; length--) {
      const name = [part.source, ...keys.slice(0, length)].join('.');
      if (keys.slice(0, length).every((key) => key !== undefined) && joinedEvents.includes(name)) {
        const rest = part.expression.slice(`events.${name}`.length);
        return `${problem}; for the event named ${name}, write events['${name}']${rest}`;
      }
    }
    return problem;
  }
  return undefined;
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
