import * as fs from 'node:fs';
import * as path from 'node:path';
import { TRIGGER_ID_METADATA } from '../../lambda/core/contracts/shared';
import { AssemblyReadError } from './assembly-error';
import { createTableFromGlobalTable, createTableFromTable } from './create-table';
import { isCreated, resourceView, type ResolveContext } from './intrinsics';
import type {
  SimulatedAlarm,
  SimulatedBucket,
  SimulatedEventSourceMapping,
  SimulatedFunction,
  SimulatedParameter,
  SimulatedQueue,
  SimulatedRule,
  SimulatedRuleTarget,
  SimulatedSchedule,
  SimulatedStack,
  SimulatedTable,
  SimulatedTopic,
} from './model';
import { attributeOf, busNameOf, physicalNameOf, type ResourceView } from './physical-names';
import { mappingOf, polledQueues, queueOf } from './queue-wiring';

/**
 * Resource types with behaviour the simulator does not run: state machines execute, archives replay and pipes
 * and streams move records, all outside what a replayed event reaches. Queues and event source mappings are run
 * when a mapping polls a queue for a function of the app; the others are counted with these.
 */
const NOT_SIMULATED_TYPES: ReadonlySet<string> = new Set([
  'AWS::StepFunctions::StateMachine',
  'AWS::Events::Archive',
  'AWS::Pipes::Pipe',
  'AWS::Kinesis::Stream',
]);

type Fields = Readonly<Record<string, unknown>>;

interface Collected {
  readonly functions: SimulatedFunction[];
  readonly rules: SimulatedRule[];
  readonly schedules: SimulatedSchedule[];
  readonly topics: (SimulatedTopic & { readonly functionSubscriptions: string[] })[];
  readonly subscriptions: { readonly topicArn: string; readonly functionArn: string }[];
  alarms: SimulatedAlarm[];
  readonly tables: SimulatedTable[];
  readonly parameters: SimulatedParameter[];
  readonly buckets: SimulatedBucket[];
  readonly queues: SimulatedQueue[];
  readonly eventSourceMappings: SimulatedEventSourceMapping[];
  readonly notSimulated: Map<string, number>;
}

type Wire = (view: ResourceView, into: Collected, assemblyDir: string, metadata: Fields) => void;

const WIRES: Readonly<Record<string, Wire>> = {
  'AWS::Lambda::Function': (view, into, assemblyDir, metadata) => {
    const simulated = functionOf(view, assemblyDir, metadata);
    if (simulated) into.functions.push(simulated);
    else countNotSimulated(into, view.type);
  },
  'AWS::Events::Rule': (view, into) => {
    const rule = ruleOf(view);
    if (rule) into.rules.push(rule);
    else countNotSimulated(into, view.type);
  },
  'AWS::Scheduler::Schedule': (view, into, _assemblyDir, metadata) => into.schedules.push(scheduleOf(view, metadata)),
  'AWS::SNS::Topic': (view, into) => {
    const inline = recordsOf(view.property('Subscription')).filter((subscription) => subscription.Protocol === 'lambda');
    into.topics.push({
      logicalId: view.logicalId,
      topicName: physicalNameOf(view),
      topicArn: String(attributeOf(view, 'TopicArn', view.logicalId)),
      functionSubscriptions: inline.map((subscription) => String(subscription.Endpoint)),
    });
  },
  'AWS::SNS::Subscription': (view, into) => {
    if (view.property('Protocol') !== 'lambda') return countNotSimulated(into, view.type);
    into.subscriptions.push({ topicArn: String(view.property('TopicArn')), functionArn: String(view.property('Endpoint')) });
  },
  'AWS::CloudWatch::Alarm': (view, into, _assemblyDir, metadata) => {
    const path = metadata['aws:cdk:path'];
    into.alarms.push({
      logicalId: view.logicalId,
      alarmName: physicalNameOf(view),
      alarmArn: String(attributeOf(view, 'Arn', view.logicalId)),
      alarmActions: stringsOf(view.property('AlarmActions')),
      okActions: stringsOf(view.property('OKActions')),
      ...(typeof path === 'string' ? { path: path.replace(/\/Resource$/, '') } : {}),
      dimensions: Object.fromEntries(recordsOf(view.property('Dimensions')).map((dimension) => [String(dimension.Name), String(dimension.Value)])),
      ...(typeof view.property('MetricName') === 'string' ? { metric: { namespace: String(view.property('Namespace') ?? ''), name: String(view.property('MetricName')) } } : {}),
    });
  },
  'AWS::DynamoDB::Table': (view, into) => {
    const tableName = physicalNameOf(view);
    into.tables.push({ logicalId: view.logicalId, tableName, createTable: createTableFromTable(tableName, view.property) });
  },
  'AWS::DynamoDB::GlobalTable': (view, into) => {
    const tableName = physicalNameOf(view);
    into.tables.push({ logicalId: view.logicalId, tableName, createTable: createTableFromGlobalTable(tableName, view.env.region, view.property) });
  },
  'AWS::SSM::Parameter': (view, into) => into.parameters.push({ name: physicalNameOf(view), value: String(view.property('Value')) }),
  'AWS::S3::Bucket': (view, into) => into.buckets.push({ logicalId: view.logicalId, bucketName: physicalNameOf(view) }),
  'AWS::SQS::Queue': (view, into) => into.queues.push(queueOf(view)),
  'AWS::Lambda::EventSourceMapping': (view, into) => into.eventSourceMappings.push(mappingOf(view)),
};

/** The simulator's view of one resolved stack: what moves events, and a count of what it does not run. */
export function simulatedStack(context: ResolveContext, assemblyDir: string, constructPaths: ReadonlyMap<string, string> = new Map()): SimulatedStack {
  const into: Collected = {
    functions: [],
    rules: [],
    schedules: [],
    topics: [],
    subscriptions: [],
    alarms: [],
    tables: [],
    parameters: [],
    buckets: [],
    queues: [],
    eventSourceMappings: [],
    notSimulated: new Map(),
  };
  for (const [logicalId, resource] of Object.entries(context.template.Resources ?? {})) {
    if (!isCreated(logicalId, context)) continue;
    const wire = WIRES[resource.Type];
    if (wire) wire(resourceView(logicalId, context), into, assemblyDir, resource.Metadata ?? {});
    else if (NOT_SIMULATED_TYPES.has(resource.Type)) countNotSimulated(into, resource.Type);
  }
  // An app synthesized outside the CDK command line writes no `aws:cdk:path` into the template: the manifest has it.
  into.alarms = into.alarms.map((alarm) => (alarm.path === undefined && constructPaths.has(alarm.logicalId) ? { ...alarm, path: constructPaths.get(alarm.logicalId) } : alarm));
  for (const { topicArn, functionArn } of into.subscriptions) {
    into.topics.find((topic) => topic.topicArn === topicArn)?.functionSubscriptions.push(functionArn);
  }
  const { queues, eventSourceMappings, left } = polledQueues(into.queues, into.eventSourceMappings, into.functions);
  for (const [type, count] of left) into.notSimulated.set(type, (into.notSimulated.get(type) ?? 0) + count);
  const { subscriptions: _subscriptions, notSimulated, ...resources } = into;
  return {
    stackName: context.env.stackName,
    account: context.env.account,
    region: context.env.region,
    ...resources,
    queues,
    eventSourceMappings,
    notSimulated: Object.fromEntries([...notSimulated].sort(([a], [b]) => a.localeCompare(b))),
  };
}

function countNotSimulated(into: Collected, type: string): void {
  into.notSimulated.set(type, (into.notSimulated.get(type) ?? 0) + 1);
}

/**
 * A function whose Node.js code is an asset of the assembly; `undefined` for code the simulator cannot run
 * (inline code, a container image, another runtime).
 */
function functionOf(view: ResourceView, assemblyDir: string, metadata: Fields): SimulatedFunction | undefined {
  const code = (view.property('Code') ?? {}) as Fields;
  const runtime = String(view.property('Runtime') ?? '');
  if (code.S3Key === undefined || !runtime.startsWith('nodejs')) return undefined;
  const assetPath = metadata['aws:asset:path'];
  const codeDir =
    typeof assetPath === 'string' ? path.resolve(assemblyDir, assetPath) : path.join(assemblyDir, `asset.${path.basename(String(code.S3Key)).replace(/\.zip$/, '')}`);
  if (!fs.statSync(codeDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new AssemblyReadError(
      `function ${view.logicalId}: its code ${path.basename(codeDir)} is not a folder of the assembly ${assemblyDir}; synthesize the app again`,
      `${view.logicalId}.Properties.Code.S3Key`,
    );
  }
  const variables = ((view.property('Environment') ?? {}) as Fields).Variables ?? {};
  return {
    logicalId: view.logicalId,
    functionName: physicalNameOf(view),
    functionArn: String(attributeOf(view, 'Arn', view.logicalId)),
    codeDir,
    handler: String(view.property('Handler')),
    environment: Object.fromEntries(Object.entries(variables as Fields).map(([name, value]) => [name, String(value)])),
    timeoutSeconds: Number(view.property('Timeout') ?? 3),
  };
}

/** A rule that matches events; `undefined` for a scheduled rule, which the simulator does not run. */
function ruleOf(view: ResourceView): SimulatedRule | undefined {
  const pattern = view.property('EventPattern');
  if (pattern === undefined) return undefined;
  return {
    logicalId: view.logicalId,
    ruleArn: String(attributeOf(view, 'Arn', view.logicalId)),
    eventBusName: busNameOf(view.property('EventBusName')),
    eventPattern: typeof pattern === 'string' ? JSON.parse(pattern) : pattern,
    enabled: view.property('State') !== 'DISABLED',
    targets: recordsOf(view.property('Targets')).map(targetOf),
  };
}

function targetOf(target: Fields): SimulatedRuleTarget {
  const transformer = target.InputTransformer as Fields | undefined;
  return {
    arn: String(target.Arn),
    ...(target.Input !== undefined && { input: String(target.Input) }),
    ...(target.InputPath !== undefined && { inputPath: String(target.InputPath) }),
    ...(transformer && {
      inputTransformer: { inputPathsMap: (transformer.InputPathsMap ?? {}) as Record<string, string>, inputTemplate: String(transformer.InputTemplate) },
    }),
  };
}

function scheduleOf(view: ResourceView, metadata: Fields): SimulatedSchedule {
  const target = (view.property('Target') ?? {}) as Fields;
  const [startDate, endDate] = [view.property('StartDate'), view.property('EndDate')];
  const pipelineTarget = target.SageMakerPipelineParameters as Fields | undefined;
  const triggerId = metadata[TRIGGER_ID_METADATA];
  return {
    logicalId: view.logicalId,
    expression: String(view.property('ScheduleExpression')),
    timeZone: String(view.property('ScheduleExpressionTimezone') ?? 'UTC'),
    enabled: view.property('State') !== 'DISABLED',
    ...(typeof triggerId === 'string' && { triggerId }),
    ...(startDate !== undefined && { startDate: String(startDate) }),
    ...(endDate !== undefined && { endDate: String(endDate) }),
    targetArn: String(target.Arn),
    ...(target.Input !== undefined && { input: String(target.Input) }),
    ...(pipelineTarget && {
      pipelineParameters: recordsOf(pipelineTarget.PipelineParameterList).map((parameter) => ({ Name: String(parameter.Name), Value: String(parameter.Value) })),
    }),
  };
}

const recordsOf = (value: unknown): Fields[] => (Array.isArray(value) ? (value as Fields[]) : []);
const stringsOf = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
