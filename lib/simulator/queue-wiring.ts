/**
 * Queues and the event source mappings that poll them, read from a resolved template. A queue is simulated when
 * a mapping polls it for a function the simulator runs, or when such a queue redrives to it; the rest hold
 * messages nothing in a replay reads, and count as not simulated.
 */
import type { SimulatedEventSourceMapping, SimulatedFunction, SimulatedQueue } from './model';
import { attributeOf, physicalNameOf, type ResourceView } from './physical-names';

/** SQS's visibility timeout when a queue sets none. */
const DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30;
/** Lambda's batch size for a queue when a mapping sets none. */
const DEFAULT_QUEUE_BATCH_SIZE = 10;

type Fields = Readonly<Record<string, unknown>>;

export function queueOf(view: ResourceView): SimulatedQueue {
  const given = view.property('RedrivePolicy');
  // CloudFormation takes the policy as an object or as its JSON text.
  const redrive = (typeof given === 'string' ? JSON.parse(given) : given) as Fields | undefined;
  return {
    logicalId: view.logicalId,
    queueName: physicalNameOf(view),
    queueArn: String(attributeOf(view, 'Arn', view.logicalId)),
    visibilityTimeoutSeconds: Number(view.property('VisibilityTimeout') ?? DEFAULT_VISIBILITY_TIMEOUT_SECONDS),
    ...(view.property('DelaySeconds') !== undefined && { delaySeconds: Number(view.property('DelaySeconds')) }),
    ...(redrive?.deadLetterTargetArn !== undefined && {
      redrive: { deadLetterTargetArn: String(redrive.deadLetterTargetArn), maxReceiveCount: Number(redrive.maxReceiveCount ?? 1) },
    }),
  };
}

export function mappingOf(view: ResourceView): SimulatedEventSourceMapping {
  const scaling = (view.property('ScalingConfig') ?? {}) as Fields;
  const responseTypes = view.property('FunctionResponseTypes');
  return {
    logicalId: view.logicalId,
    queueArn: String(view.property('EventSourceArn')),
    functionName: String(view.property('FunctionName')),
    enabled: String(view.property('Enabled') ?? true) !== 'false',
    batchSize: Number(view.property('BatchSize') ?? DEFAULT_QUEUE_BATCH_SIZE),
    maximumBatchingWindowSeconds: Number(view.property('MaximumBatchingWindowInSeconds') ?? 0),
    ...(scaling.MaximumConcurrency !== undefined && { maximumConcurrency: Number(scaling.MaximumConcurrency) }),
    reportBatchItemFailures: Array.isArray(responseTypes) && responseTypes.includes('ReportBatchItemFailures'),
  };
}

/** The function a mapping's `FunctionName` names: by name, by ARN, or by either with a qualifier. */
export function mappedFunction<F extends Pick<SimulatedFunction, 'functionName' | 'functionArn'>>(functions: readonly F[], functionName: string): F | undefined {
  const unqualified = functionName.startsWith('arn:') ? functionName.split(':').slice(0, 7).join(':') : functionName.split(':')[0];
  return functions.find((fn) => fn.functionName === unqualified || fn.functionArn === unqualified);
}

export interface PolledQueues {
  readonly queues: SimulatedQueue[];
  readonly eventSourceMappings: SimulatedEventSourceMapping[];
  /** How many queues and mappings are left out, by resource type. */
  readonly left: ReadonlyMap<string, number>;
}

/** The mappings from a queue of the stack to a function the simulator runs, their queues and those queues' dead-letter queues. */
export function polledQueues(queues: readonly SimulatedQueue[], mappings: readonly SimulatedEventSourceMapping[], functions: readonly SimulatedFunction[]): PolledQueues {
  const polled = mappings.filter((mapping) => queues.some((queue) => queue.queueArn === mapping.queueArn) && mappedFunction(functions, mapping.functionName));
  const sources = new Set(polled.map((mapping) => mapping.queueArn));
  const deadLetters = new Set(queues.filter((queue) => sources.has(queue.queueArn)).flatMap((queue) => (queue.redrive ? [queue.redrive.deadLetterTargetArn] : [])));
  const kept = queues.filter((queue) => sources.has(queue.queueArn) || deadLetters.has(queue.queueArn));
  const left = new Map<string, number>();
  if (queues.length > kept.length) left.set('AWS::SQS::Queue', queues.length - kept.length);
  if (mappings.length > polled.length) left.set('AWS::Lambda::EventSourceMapping', mappings.length - polled.length);
  return { queues: kept, eventSourceMappings: polled, left };
}
