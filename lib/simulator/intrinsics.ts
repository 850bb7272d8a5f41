import { AssemblyReadError } from './assembly-error';
import { attributeOf, refOf, type ResourceView, type StackEnvironment } from './physical-names';

/** One resource of a CloudFormation template. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
  /** The name of the condition that decides whether the resource is created. */
  readonly Condition?: string;
  readonly Metadata?: Readonly<Record<string, unknown>>;
}

export interface CfnParameter {
  readonly Type: string;
  readonly Default?: unknown;
}

/** The parts of a CloudFormation template the resolver reads. */
export interface CfnTemplate {
  readonly Resources?: Readonly<Record<string, CfnResource>>;
  readonly Parameters?: Readonly<Record<string, CfnParameter>>;
  readonly Conditions?: Readonly<Record<string, unknown>>;
  readonly Mappings?: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>>;
  readonly Outputs?: Readonly<Record<string, { readonly Value: unknown; readonly Export?: { readonly Name: unknown } }>>;
}

/** What intrinsics resolve against: one template, deployed in one account and region. */
export interface ResolveContext {
  readonly template: CfnTemplate;
  readonly env: StackEnvironment;
  /**
   * The value another stack exports under `exportName`, for `Fn::ImportValue`.
   * @default every import is an error
   */
  readonly importValue?: (exportName: string) => unknown;
}

/** What `{ "Ref": "AWS::NoValue" }` resolves to: the property (or list element) it stands in is dropped. */
const NO_VALUE = Symbol('AWS::NoValue');

interface Memo {
  readonly conditions: Map<string, boolean>;
  readonly properties: Map<string, unknown>;
  readonly inProgress: Set<string>;
}
const memos = new WeakMap<ResolveContext, Memo>();

function memoOf(context: ResolveContext): Memo {
  let memo = memos.get(context);
  if (!memo) {
    memo = { conditions: new Map(), properties: new Map(), inProgress: new Set() };
    memos.set(context, memo);
  }
  return memo;
}

/** Computes `key` once per context; a key asked for again while it is being computed is a cycle in the template. */
function once<T>(context: ResolveContext, cache: Map<string, T>, key: string, at: string, compute: () => T): T {
  if (cache.has(key)) return cache.get(key) as T;
  const { inProgress } = memoOf(context);
  if (inProgress.has(key)) throw new AssemblyReadError(`${key} depends on itself`, at);
  inProgress.add(key);
  try {
    const value = compute();
    cache.set(key, value);
    return value;
  } finally {
    inProgress.delete(key);
  }
}

/**
 * The value with every intrinsic function resolved as CloudFormation would resolve it in the context's account and
 * region. `at` names where the value sits (`MyFunction.Properties.Environment`) for error messages.
 */
export function resolve(value: unknown, context: ResolveContext, at = ''): unknown {
  const resolved = resolveAny(value, context, at);
  return resolved === NO_VALUE ? undefined : resolved;
}

function resolveAny(value: unknown, context: ResolveContext, at: string): unknown {
  if (Array.isArray(value)) {
    return value.map((item, index) => resolveAny(item, context, `${at}[${index}]`)).filter((item) => item !== NO_VALUE);
  }
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  if (entries.length === 1 && isIntrinsic(entries[0][0])) return intrinsic(entries[0][0], entries[0][1], context, at);
  const result: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    const resolved = resolveAny(item, context, at ? `${at}.${key}` : key);
    if (resolved !== NO_VALUE) result[key] = resolved;
  }
  return result;
}

const isIntrinsic = (key: string): boolean => key === 'Ref' || key.startsWith('Fn::');

type Intrinsic = (argument: unknown, context: ResolveContext, at: string) => unknown;

const INTRINSICS: Readonly<Record<string, Intrinsic>> = {
  Ref: (name, context, at) => ref(String(name), context, at),
  'Fn::GetAtt': (argument, context, at) => {
    const [logicalId, attribute] = typeof argument === 'string' ? splitOnce(argument, '.') : listOf(argument, 2, 'Fn::GetAtt', at);
    return getAtt(String(logicalId), String(resolveAny(attribute, context, at)), context, at);
  },
  'Fn::Join': (argument, context, at) => {
    const [delimiter, items] = listOf(argument, 2, 'Fn::Join', at);
    const list = resolveAny(items, context, at);
    if (!Array.isArray(list)) throw new AssemblyReadError('Fn::Join needs a list to join', at);
    return list.map((item) => scalar(item, 'Fn::Join', at)).join(String(delimiter));
  },
  'Fn::Sub': (argument, context, at) => substitute(argument, context, at),
  'Fn::Select': (argument, context, at) => {
    const [index, items] = listOf(argument, 2, 'Fn::Select', at);
    const list = resolveAny(items, context, at);
    const position = Number(resolveAny(index, context, at));
    if (!Array.isArray(list) || !Number.isInteger(position) || position < 0 || position >= list.length) {
      throw new AssemblyReadError(`Fn::Select index ${position} is outside the list`, at);
    }
    return list[position];
  },
  'Fn::Split': (argument, context, at) => {
    const [delimiter, source] = listOf(argument, 2, 'Fn::Split', at);
    return scalar(resolveAny(source, context, at), 'Fn::Split', at).split(String(delimiter));
  },
  'Fn::If': (argument, context, at) => {
    const [condition, whenTrue, whenFalse] = listOf(argument, 3, 'Fn::If', at);
    return resolveAny(evaluateCondition(String(condition), context, at) ? whenTrue : whenFalse, context, at);
  },
  'Fn::GetAZs': (_argument, context) => ['a', 'b', 'c'].map((zone) => `${context.env.region}${zone}`),
  'Fn::ImportValue': (argument, context, at) => {
    const exportName = scalar(resolveAny(argument, context, at), 'Fn::ImportValue', at);
    const imported = context.importValue?.(exportName);
    if (imported === undefined) {
      throw new AssemblyReadError(`Fn::ImportValue of export "${exportName}": no stack in the assembly exports that name`, at);
    }
    return imported;
  },
  'Fn::FindInMap': (argument, context, at) => {
    const [map, top, second] = listOf(argument, 3, 'Fn::FindInMap', at).map((key) => scalar(resolveAny(key, context, at), 'Fn::FindInMap', at));
    const found = context.template.Mappings?.[map]?.[top]?.[second];
    if (found === undefined) throw new AssemblyReadError(`Fn::FindInMap: mapping ${map} has no ${top}.${second}`, at);
    return found;
  },
  'Fn::Base64': (argument, context, at) => Buffer.from(scalar(resolveAny(argument, context, at), 'Fn::Base64', at)).toString('base64'),
};

function intrinsic(name: string, argument: unknown, context: ResolveContext, at: string): unknown {
  const run = INTRINSICS[name];
  if (!run) throw new AssemblyReadError(`${name} is not an intrinsic function the simulator resolves`, at);
  return run(argument, context, at);
}

function listOf(argument: unknown, length: number, name: string, at: string): unknown[] {
  if (!Array.isArray(argument) || argument.length !== length) {
    throw new AssemblyReadError(`${name} takes a list of ${length}, got ${JSON.stringify(argument)}`, at);
  }
  return argument;
}

function splitOnce(text: string, separator: string): [string, string] {
  const index = text.indexOf(separator);
  return index < 0 ? [text, ''] : [text.slice(0, index), text.slice(index + 1)];
}

function scalar(value: unknown, name: string, at: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new AssemblyReadError(`${name} needs a string, got ${value === NO_VALUE ? 'AWS::NoValue' : JSON.stringify(value)}`, at);
}

function pseudoParameter(name: string, context: ResolveContext): unknown {
  const { env } = context;
  switch (name) {
    case 'AWS::AccountId':
      return env.account;
    case 'AWS::Region':
      return env.region;
    case 'AWS::Partition':
      return env.partition;
    case 'AWS::URLSuffix':
      return env.urlSuffix;
    case 'AWS::StackName':
      return env.stackName;
    case 'AWS::StackId':
      return `arn:${env.partition}:cloudformation:${env.region}:${env.account}:stack/${env.stackName}/00000000-0000-0000-0000-000000000000`;
    case 'AWS::NotificationARNs':
      return [];
    case 'AWS::NoValue':
      return NO_VALUE;
    default:
      return undefined;
  }
}

function ref(name: string, context: ResolveContext, at: string): unknown {
  const pseudo = pseudoParameter(name, context);
  if (pseudo !== undefined) return pseudo;
  const parameter = context.template.Parameters?.[name];
  if (parameter) return parameterValue(name, parameter, at);
  if (context.template.Resources?.[name]) return refOf(resourceView(name, context, at));
  throw new AssemblyReadError(`Ref ${name}: the template has no resource, parameter or pseudo parameter of that name`, at);
}

function parameterValue(name: string, parameter: CfnParameter, at: string): unknown {
  if (parameter.Type.startsWith('AWS::SSM::Parameter::Value<')) {
    throw new AssemblyReadError(`Ref ${name}: the parameter takes its value from SSM parameter ${String(parameter.Default)} at deploy time`, at);
  }
  if (parameter.Default === undefined) {
    throw new AssemblyReadError(`Ref ${name}: the parameter has no Default, and the simulator has no deployment to give it a value`, at);
  }
  const value = String(parameter.Default);
  return parameter.Type === 'CommaDelimitedList' || parameter.Type.startsWith('List<') ? value.split(',').map((item) => item.trim()) : value;
}

function getAtt(logicalId: string, attribute: string, context: ResolveContext, at: string): unknown {
  if (!context.template.Resources?.[logicalId]) {
    throw new AssemblyReadError(`Fn::GetAtt ${logicalId}.${attribute}: the template has no resource ${logicalId}`, at);
  }
  return attributeOf(resourceView(logicalId, context, at), attribute, at);
}

/** `Fn::Sub`, in both forms: a string, or a string with a map of variables. */
function substitute(argument: unknown, context: ResolveContext, at: string): string {
  const [text, variables] = typeof argument === 'string' ? [argument, {}] : listOf(argument, 2, 'Fn::Sub', at);
  if (typeof text !== 'string') throw new AssemblyReadError('Fn::Sub needs a string to substitute into', at);
  const values = (resolveAny(variables, context, at) ?? {}) as Record<string, unknown>;
  return text.replace(/\$\{([^}]*)\}/g, (_whole, expression: string) => {
    if (expression.startsWith('!')) return `\${${expression.slice(1)}}`;
    const name = expression.trim();
    if (Object.prototype.hasOwnProperty.call(values, name)) return scalar(values[name], 'Fn::Sub', at);
    const [logicalId, attribute] = splitOnce(name, '.');
    return scalar(attribute ? getAtt(logicalId, attribute, context, at) : ref(name, context, at), 'Fn::Sub', at);
  });
}

/** The resource as `Ref` and `Fn::GetAtt` see it: its properties resolve on demand, each once. */
export function resourceView(logicalId: string, context: ResolveContext, at = logicalId): ResourceView {
  const resource = context.template.Resources?.[logicalId];
  if (!resource) throw new AssemblyReadError(`the template has no resource ${logicalId}`, at);
  const { properties } = memoOf(context);
  return {
    logicalId,
    type: resource.Type,
    env: context.env,
    property: (name) => {
      const path = `${logicalId}.Properties.${name}`;
      return once(context, properties, path, at, () => resolve(resource.Properties?.[name], context, path));
    },
  };
}

/** Whether the named condition of the template holds. */
export function evaluateCondition(name: string, context: ResolveContext, at = `Conditions.${name}`): boolean {
  const expression = context.template.Conditions?.[name];
  if (expression === undefined) throw new AssemblyReadError(`the template has no condition ${name}`, at);
  return once(context, memoOf(context).conditions, `Conditions.${name}`, at, () => conditionHolds(expression, context, `Conditions.${name}`));
}

/** Whether the resource is created: it has no `Condition`, or its condition holds. */
export function isCreated(logicalId: string, context: ResolveContext): boolean {
  const condition = context.template.Resources?.[logicalId]?.Condition;
  return condition === undefined || evaluateCondition(condition, context, `${logicalId}.Condition`);
}

function conditionHolds(expression: unknown, context: ResolveContext, at: string): boolean {
  const [name, argument] = expression !== null && typeof expression === 'object' && !Array.isArray(expression) ? (Object.entries(expression)[0] ?? []) : [];
  switch (name) {
    case 'Fn::Equals': {
      const [left, right] = listOf(argument, 2, name, at).map((side) => resolve(side, context, at));
      return JSON.stringify(left) === JSON.stringify(right) || (isScalar(left) && isScalar(right) && String(left) === String(right));
    }
    case 'Fn::Not':
      return !conditionHolds(listOf(argument, 1, name, at)[0], context, at);
    case 'Fn::And':
      return conditionsOf(argument, name, at).every((item) => conditionHolds(item, context, at));
    case 'Fn::Or':
      return conditionsOf(argument, name, at).some((item) => conditionHolds(item, context, at));
    case 'Condition':
      return evaluateCondition(String(argument), context, at);
    default:
      throw new AssemblyReadError(`${JSON.stringify(expression)} is not a condition (Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition)`, at);
  }
}

function conditionsOf(argument: unknown, name: string, at: string): unknown[] {
  if (!Array.isArray(argument) || argument.length < 2 || argument.length > 10) {
    throw new AssemblyReadError(`${name} takes between 2 and 10 conditions`, at);
  }
  return argument;
}

const isScalar = (value: unknown): boolean => ['string', 'number', 'boolean'].includes(typeof value);
