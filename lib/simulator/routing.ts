/**
 * EventBridge and SNS delivery as the simulator plays it: the events AWS services put on a bus, in their real
 * format, which rules match them, and what each target receives. Pure: ids derive from the input, times are parameters.
 */
import { createHash } from 'node:crypto';
import { matchesPattern } from '../../lambda/core/event-pattern';
import type { AlarmInput, PlatformEventInput, S3Input, SimulationInput } from './events-file';
import type { SimulatedRule, SimulatedRuleTarget } from './model';

/** The account and region the app is deployed to, and the name of its trigger bus, if it has one. */
export interface DeliveryContext {
  readonly account: string; readonly region: string; readonly triggerBusName?: string;
}

/** An event as EventBridge delivers it to a rule's target. */
export interface EventBridgeEvent {
  readonly version: '0'; readonly id: string; readonly 'detail-type': string; readonly source: string;
  readonly account: string; readonly time: string; readonly region: string;
  readonly resources: readonly string[]; readonly detail: Readonly<Record<string, unknown>>;
}

/** An event and the bus it is put on (`default` for AWS services' events). */
export interface Delivery {
  readonly busName: string; readonly event: EventBridgeEvent;
}

/** A UUID-shaped id that is the same every time for the same seed. */
export function stableUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const hexOf = (seed: string, length: number): string => createHash('sha256').update(seed).digest('hex').slice(0, length);
/** EventBridge's `time`: UTC, whole seconds. */
const eventTime = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;
/** CloudWatch's alarm timestamps: `2024-01-29T13:00:41.232+0000`. */
const alarmTime = (ms: number): string => new Date(ms).toISOString().replace('Z', '+0000');

function envelope(source: string, detailType: string, atMs: number, seed: string, context: DeliveryContext, resources: string[], detail: Record<string, unknown>): EventBridgeEvent {
  return { version: '0', id: stableUuid(seed), 'detail-type': detailType, source, account: context.account, time: eventTime(atMs), region: context.region, resources, detail };
}

/** The events one line of the events file puts on buses; approvals and rejections go to no bus. */
export function eventsFor(input: SimulationInput, context: DeliveryContext): Delivery[] {
  switch (input.kind) {
    case 's3':
      return [{ busName: 'default', event: objectCreatedEvent(input, context) }];
    case 'event':
      return context.triggerBusName === undefined ? [] : [{ busName: context.triggerBusName, event: platformEvent(input, context) }];
    case 'alarm':
      return [{ busName: 'default', event: alarmStateChangeEvent(alarmTransition(input, context), context) }];
    case 'pipelineSucceeded':
      return [{ busName: 'default', event: pipelineSucceededEvent(input.pipeline, input.atMs, context, `line ${input.line}`) }];
    default:
      return [];
  }
}

/** S3's "Object Created" event for a bucket with EventBridge notifications on. */
export function objectCreatedEvent(input: S3Input, context: DeliveryContext): EventBridgeEvent {
  const seed = `s3#${input.line}#${input.atMs}#${input.bucket}/${input.key}`;
  return envelope('aws.s3', 'Object Created', input.atMs, seed, context, [`arn:aws:s3:::${input.bucket}`], {
    version: '0',
    bucket: { name: input.bucket },
    object: {
      key: input.key, size: input.size ?? 0, etag: hexOf(`etag#${seed}`, 32),
      ...(input.versionId !== undefined ? { 'version-id': input.versionId } : {}),
      sequencer: `${input.atMs.toString(16).toUpperCase().padStart(12, '0')}${hexOf(seed, 4).toUpperCase()}`,
    },
    'request-id': hexOf(`request#${seed}`, 16).toUpperCase(), requester: context.account, 'source-ip-address': '127.0.0.1', reason: 'PutObject',
  });
}

/** The source a trigger bus's events carry: `ml-triggers`, or `ml-triggers.<project>.<branch>`. */
export function platformSource(project: string | undefined, branch: string | undefined): string {
  return project === undefined ? 'ml-triggers' : `ml-triggers.${project}.${branch ?? 'main'}`;
}

/** A named platform event as the publish client puts it on a trigger bus: detail-type the name, detail `{ event_id?, data }`. */
export function platformEvent(input: PlatformEventInput, context: DeliveryContext): EventBridgeEvent {
  const seed = `event#${input.line}#${input.atMs}#${input.name}`;
  const detail = { ...(input.id !== undefined ? { event_id: input.id } : {}), data: input.data };
  return envelope(platformSource(input.project, input.branch), input.name, input.atMs, seed, context, [], detail);
}

/** A CloudWatch alarm's change of state, as the EventBridge event and the SNS message both need it. */
export interface AlarmTransitionSpec {
  readonly alarmName: string; readonly alarmArn: string; readonly atMs: number; readonly reason: string;
  readonly state: 'ALARM' | 'OK'; readonly previousState: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';
  readonly description?: string; readonly alarmActions?: readonly string[]; readonly okActions?: readonly string[];
  /** The alarm's metric, when known: drift evaluation reads its dimensions (endpoint, monitoring schedule). */
  readonly metric?: { readonly namespace: string; readonly name: string; readonly dimensions: Readonly<Record<string, string>> };
}

/** The transition an alarm line describes: from the other state, with a reason CloudWatch could have written. */
export function alarmTransition(input: AlarmInput, context: DeliveryContext): AlarmTransitionSpec {
  return {
    alarmName: input.name,
    alarmArn: `arn:aws:cloudwatch:${context.region}:${context.account}:alarm:${input.name}`,
    state: input.state,
    previousState: input.state === 'ALARM' ? 'OK' : 'ALARM',
    reason: input.reason ?? `Simulated transition to ${input.state}.`,
    atMs: input.atMs,
  };
}

/** CloudWatch's "CloudWatch Alarm State Change" event. */
export function alarmStateChangeEvent(alarm: AlarmTransitionSpec, context: DeliveryContext): EventBridgeEvent {
  const seed = `alarm#${alarm.alarmArn}#${alarm.atMs}#${alarm.state}`;
  return envelope('aws.cloudwatch', 'CloudWatch Alarm State Change', alarm.atMs, seed, context, [alarm.alarmArn], {
    alarmName: alarm.alarmName,
    state: { value: alarm.state, reason: alarm.reason, timestamp: alarmTime(alarm.atMs) },
    previousState: { value: alarm.previousState, reason: `Simulated state before ${alarmTime(alarm.atMs)}.`, timestamp: alarmTime(alarm.atMs - 1000) },
    configuration: { metrics: alarm.metric ? [{ id: 'm1', metricStat: { metric: alarm.metric, period: 300, stat: 'Maximum' }, returnData: true }] : [] },
  });
}

const REGION_NAMES: Readonly<Record<string, string>> = {
  'us-east-1': 'US East (N. Virginia)', 'us-east-2': 'US East (Ohio)', 'us-west-1': 'US West (N. California)', 'us-west-2': 'US West (Oregon)',
  'eu-west-1': 'EU (Ireland)', 'eu-west-2': 'EU (London)', 'eu-central-1': 'EU (Frankfurt)', 'ap-southeast-2': 'Asia Pacific (Sydney)',
};

/** The alarm's notification on SNS: the subject and the JSON message CloudWatch writes. */
export function alarmNotification(alarm: AlarmTransitionSpec, context: DeliveryContext): { subject: string; message: string } {
  const region = REGION_NAMES[context.region] ?? context.region;
  const message = {
    AlarmName: alarm.alarmName, AlarmDescription: alarm.description ?? null, AWSAccountId: context.account,
    AlarmConfigurationUpdatedTimestamp: alarmTime(alarm.atMs - 86_400_000), NewStateValue: alarm.state, NewStateReason: alarm.reason,
    StateChangeTime: alarmTime(alarm.atMs), Region: region, AlarmArn: alarm.alarmArn, OldStateValue: alarm.previousState,
    OKActions: alarm.okActions ?? [], AlarmActions: alarm.alarmActions ?? [], InsufficientDataActions: [],
    Trigger: {
      MetricName: alarm.metric?.name ?? 'simulated', Namespace: alarm.metric?.namespace ?? 'cdk-ml-triggers/simulator', StatisticType: 'Statistic', Statistic: 'MAXIMUM',
      Unit: null, Dimensions: Object.entries(alarm.metric?.dimensions ?? {}).map(([name, value]) => ({ value, name })),
      Period: 300, EvaluationPeriods: 1, DatapointsToAlarm: 1, ComparisonOperator: 'GreaterThanThreshold', Threshold: 0.0, TreatMissingData: 'missing',
      EvaluateLowSampleCountPercentile: '',
    },
  };
  return { subject: `${alarm.state}: "${alarm.alarmName}" in ${region}`, message: JSON.stringify(message) };
}

/** SageMaker's execution status change for a pipeline run that succeeded; SageMaker writes the pipeline's ARN in lower case. */
export function pipelineSucceededEvent(pipelineName: string, atMs: number, context: DeliveryContext, seed: string, startedAtMs = atMs): EventBridgeEvent {
  const pipelineArn = `arn:aws:sagemaker:${context.region}:${context.account}:pipeline/${pipelineName.toLowerCase()}`;
  const executionArn = `${pipelineArn}/execution/${hexOf(`execution#${seed}#${pipelineName}`, 12)}`;
  return envelope('aws.sagemaker', 'SageMaker Model Building Pipeline Execution Status Change', atMs, `pipeline#${seed}`, context, [pipelineArn, executionArn], {
    pipelineExecutionDisplayName: `simulated-${hexOf(seed, 8)}`, currentPipelineExecutionStatus: 'Succeeded', previousPipelineExecutionStatus: 'Executing',
    executionStartTime: eventTime(startedAtMs), executionEndTime: eventTime(atMs), pipelineExecutionDescription: '',
    pipelineArn, pipelineExecutionArn: executionArn,
  });
}

/** The Lambda event for one SNS notification to a subscribed function. */
export function snsRecord(topicArn: string, message: string, subject: string | undefined, atMs: number, messageId: string): { Records: Record<string, unknown>[] } {
  return {
    Records: [{
      EventSource: 'aws:sns', EventVersion: '1.0', EventSubscriptionArn: `${topicArn}:${stableUuid(`subscription#${topicArn}`)}`,
      Sns: {
        Type: 'Notification', MessageId: messageId, TopicArn: topicArn, Subject: subject ?? null, Message: message,
        Timestamp: new Date(atMs).toISOString(), SignatureVersion: '1', Signature: 'EXAMPLE', SigningCertUrl: 'EXAMPLE', UnsubscribeUrl: 'EXAMPLE',
        MessageAttributes: {},
      },
    }],
  };
}

/** A rule's target that an event reaches, and what the target receives. */
export interface RuleMatch {
  readonly rule: SimulatedRule; readonly target: SimulatedRuleTarget; readonly input: unknown;
}

/** The targets `event` reaches on the bus `busName`: of every enabled rule on that bus whose pattern matches it. */
export function matchRules(rules: readonly SimulatedRule[], busName: string, event: EventBridgeEvent): RuleMatch[] {
  return rules
    .filter((rule) => rule.enabled && rule.eventBusName === busName && ruleMatches(rule.eventPattern, event))
    .flatMap((rule) => rule.targets.map((target) => ({ rule, target, input: targetInput(target, event, rule.logicalId) })));
}

/** What a target receives: its constant Input, the part of the event its InputPath selects, its transformed input, or the event. */
export function targetInput(target: SimulatedRuleTarget, event: EventBridgeEvent, ruleName: string): unknown {
  if (target.input !== undefined) return JSON.parse(target.input) as unknown;
  if (target.inputPath !== undefined) return jsonPath(event, target.inputPath);
  if (target.inputTransformer === undefined) return event;
  const { inputPathsMap, inputTemplate } = target.inputTransformer;
  const values = new Map<string, unknown>(Object.entries(inputPathsMap).map(([name, path]) => [name, jsonPath(event, path)]));
  const withoutDetail = Object.fromEntries(Object.entries(event).filter(([key]) => key !== 'detail'));
  for (const [name, value] of [['aws.events.rule-name', ruleName], ['aws.events.event.ingestion-time', event.time], ['aws.events.event', withoutDetail], ['aws.events.event.json', event]] as const) values.set(name, value);
  const text = fillTemplate(inputTemplate, values);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The value at a JSONPath of the subset EventBridge supports: `$`, `.name` steps (names may hold `-`) and `[index]` steps. */
export function jsonPath(value: unknown, path: string): unknown {
  if (!path.startsWith('$')) throw new Error(`JSONPath must start with '$', got '${path}'`);
  let current = value;
  let at = 1;
  while (at < path.length && current !== undefined) {
    const step = /^\.([^.[\]]+)|^\[(\d+)\]/.exec(path.slice(at));
    if (!step) throw new Error(`JSONPath '${path}' has a step this simulator does not read at character ${at}`);
    const key = step[1] ?? Number(step[2]);
    current = current !== null && typeof current === 'object' && Object.hasOwn(current, key) ? (current as Record<string | number, unknown>)[key] : undefined;
    at += step[0].length;
  }
  return current;
}

/**
 * Fills `<name>` placeholders: inside a JSON string the value goes in as text (a missing value as nothing),
 * elsewhere as JSON (a missing value as null). A placeholder with no value stays as written.
 */
function fillTemplate(template: string, values: ReadonlyMap<string, unknown>): string {
  let out = '';
  let inString = false;
  for (let at = 0; at < template.length; at++) {
    const char = template[at];
    if (char === '\\' && inString) {
      out += template.slice(at, at + 2);
      at++;
      continue;
    }
    if (char === '"') inString = !inString;
    const close = char === '<' ? template.indexOf('>', at) : -1;
    const name = close > at ? template.slice(at + 1, close) : '';
    const value = values.get(name);
    if (!values.has(name)) out += char;
    else if (inString) out += value === undefined ? '' : JSON.stringify(typeof value === 'string' ? value : JSON.stringify(value)).slice(1, -1);
    else out += value === undefined ? 'null' : JSON.stringify(value);
    if (values.has(name)) at = close;
  }
  return out;
}

const WILDCARD_MARK = '\u0000wildcard#';

/**
 * Matches a rule's pattern with the core matcher, answering its `wildcard` conditions here: each becomes an
 * exact marker, and each event value a wildcard accepts is given that marker as one more array element.
 */
export function ruleMatches(pattern: unknown, event: unknown): boolean {
  const wildcards: string[] = [];
  const marked = markPattern(pattern, wildcards);
  return wildcards.length === 0 ? matchesPattern(pattern, event) : matchesPattern(marked, markEvent(marked, event, wildcards));
}

function markPattern(pattern: unknown, wildcards: string[]): unknown {
  if (Array.isArray(pattern)) {
    return pattern.map((condition) => {
      const isWildcard = isObject(condition) && Object.keys(condition).length === 1 && typeof condition.wildcard === 'string';
      return isWildcard ? `${WILDCARD_MARK}${wildcards.push(condition.wildcard as string) - 1}` : condition;
    });
  }
  return isObject(pattern) ? Object.fromEntries(Object.entries(pattern).map(([key, value]) => [key, markPattern(value, wildcards)])) : pattern;
}

function markEvent(pattern: unknown, value: unknown, wildcards: readonly string[]): unknown {
  if (Array.isArray(value)) return value.map((item) => markEvent(pattern, item, wildcards));
  if (!isObject(pattern) || !isObject(value)) return value;
  const marked: Record<string, unknown> = { ...value };
  for (const [key, condition] of Object.entries(pattern)) {
    if (!Object.hasOwn(value, key)) continue;
    if (!Array.isArray(condition)) {
      marked[key] = markEvent(condition, value[key], wildcards);
      continue;
    }
    const marks = condition.filter((item): item is string => typeof item === 'string' && item.startsWith(WILDCARD_MARK));
    const leaves = Array.isArray(value[key]) ? (value[key] as unknown[]) : [value[key]];
    const added = marks.filter((mark) => leaves.some((leaf) => typeof leaf === 'string' && wildcardMatches(wildcards[Number(mark.slice(WILDCARD_MARK.length))], leaf)));
    if (added.length > 0) marked[key] = [...leaves, ...added];
  }
  return marked;
}

/** EventBridge's wildcard: `*` stands for any characters, `\*` and `\\` for themselves. Greedy in linear passes. */
export function wildcardMatches(wildcard: string, text: string): boolean {
  const parts: string[] = [''];
  for (let at = 0; at < wildcard.length; at++) {
    if (wildcard[at] === '\\' && at + 1 < wildcard.length) parts[parts.length - 1] += wildcard[++at];
    else if (wildcard[at] === '*') parts.push('');
    else parts[parts.length - 1] += wildcard[at];
  }
  if (parts.length === 1) return text === parts[0];
  const [first, last] = [parts[0], parts[parts.length - 1]];
  if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last)) return false;
  let at = first.length;
  const end = text.length - last.length;
  for (const middle of parts.slice(1, -1)) {
    const found = text.indexOf(middle, at);
    if (found < 0 || found + middle.length > end) return false;
    at = found + middle.length;
  }
  return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
