/**
 * What the simulator knows of a synthesized app: the parts of each stack's template that move events, with
 * every intrinsic resolved the way CloudFormation would resolve it in one account and region.
 */

/** A Lambda function: its bundled code in the assembly, its handler and its environment as deployed. */
export interface SimulatedFunction {
  readonly logicalId: string;
  /** The physical name: `FunctionName` when the template sets it, else `<stack>-<logicalId>-<suffix>`, as CloudFormation generates one. */
  readonly functionName: string;
  readonly functionArn: string;
  /** The folder in the assembly that holds the code (`asset.<hash>`), absolute. */
  readonly codeDir: string;
  /** `index.handler`: the file (without `.js`) and the exported function. */
  readonly handler: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
}

/** An EventBridge target: a function (or another ARN the simulator reports as not simulated) and its input. */
export interface SimulatedRuleTarget {
  readonly arn: string;
  /** `Input`: a constant JSON text. */
  readonly input?: string;
  /** `InputPath`. */
  readonly inputPath?: string;
  /** `InputTransformer`. */
  readonly inputTransformer?: { readonly inputPathsMap: Readonly<Record<string, string>>; readonly inputTemplate: string };
}

export interface SimulatedRule {
  readonly logicalId: string;
  /** The rule's ARN, as a replay's `FilterArns` name it. */
  readonly ruleArn?: string;
  /** The bus's name: `default` for the account's default bus. */
  readonly eventBusName: string;
  readonly eventPattern: unknown;
  readonly enabled: boolean;
  readonly targets: readonly SimulatedRuleTarget[];
}

/** An EventBridge Scheduler schedule. */
export interface SimulatedSchedule {
  readonly logicalId: string;
  /** `cron(...)`, `rate(...)` or `at(...)`, as in the template. */
  readonly expression: string;
  /** IANA name; `UTC` when the template sets none. */
  readonly timeZone: string;
  readonly enabled: boolean;
  /** The trigger the schedule serves (its `cdk-ml-triggers:triggerId` metadata): what an events file's disable and enable lines name. */
  readonly triggerId?: string;
  readonly startDate?: string;
  readonly endDate?: string;
  readonly targetArn: string;
  /** The target's `Input`, with Scheduler's context attributes (`<aws.scheduler.scheduled-time>`) still in it. */
  readonly input?: string;
  /** A SageMaker pipeline target's `SageMakerPipelineParameters.PipelineParameterList`: the run's parameters. */
  readonly pipelineParameters?: readonly { readonly Name: string; readonly Value: string }[];
}

export interface SimulatedTopic {
  readonly logicalId: string;
  readonly topicArn: string;
  readonly topicName: string;
  /** The functions subscribed to it (`AWS::SNS::Subscription` with protocol `lambda`, or a topic's `Subscription`). */
  readonly functionSubscriptions: readonly string[];
}

export interface SimulatedAlarm {
  readonly logicalId: string;
  readonly alarmName: string;
  readonly alarmArn: string;
  readonly alarmActions: readonly string[];
  readonly okActions: readonly string[];
  /** The alarm's construct path without its `/Resource`, e.g. `MyStack/Drift/ModelMonitortenuremonths1a2b3c4d`. */
  readonly path?: string;
  /** The dimensions of the alarm's metric (a Model Monitor alarm's `Endpoint` and `MonitoringSchedule`). */
  readonly dimensions: Readonly<Record<string, string>>;
  /** The alarm's metric, when it watches one metric (not an expression). */
  readonly metric?: { readonly namespace: string; readonly name: string };
}

export interface SimulatedTable {
  readonly logicalId: string;
  readonly tableName: string;
  /** The `CreateTable` input as the template declares it (key schema, attributes, indexes), for a local DynamoDB. */
  readonly createTable: Readonly<Record<string, unknown>>;
}

export interface SimulatedParameter {
  readonly name: string;
  readonly value: string;
}

/** A bucket the stack creates. */
export interface SimulatedBucket {
  readonly logicalId: string;
  readonly bucketName: string;
}

/** An SQS queue: how long a received message stays hidden, and where it goes after too many receives. */
export interface SimulatedQueue {
  readonly logicalId: string;
  readonly queueName: string;
  readonly queueArn: string;
  /** `VisibilityTimeout`; SQS's 30 seconds when the template sets none. */
  readonly visibilityTimeoutSeconds: number;
  /** `DelaySeconds`: how long a message sent to the queue stays hidden before its first receive. @default 0 */
  readonly delaySeconds?: number;
  /** `RedrivePolicy`: the dead-letter queue's ARN and the receives after which a message moves there. */
  readonly redrive?: { readonly deadLetterTargetArn: string; readonly maxReceiveCount: number };
}

/** A Lambda event source mapping that polls a queue of the stack for a function of the stack. */
export interface SimulatedEventSourceMapping {
  readonly logicalId: string;
  readonly queueArn: string;
  /** The function's name, as the template's `FunctionName` resolves (a name or an ARN). */
  readonly functionName: string;
  readonly enabled: boolean;
  /** `BatchSize`; 10 for a queue when the template sets none. */
  readonly batchSize: number;
  /** `MaximumBatchingWindowInSeconds`; 0 (invoke at once) when the template sets none. */
  readonly maximumBatchingWindowSeconds: number;
  /** `ScalingConfig.MaximumConcurrency`, when set. */
  readonly maximumConcurrency?: number;
  /** `FunctionResponseTypes` holds `ReportBatchItemFailures`: the function's answer names the messages that failed. */
  readonly reportBatchItemFailures: boolean;
}

/** One stack, resolved. */
export interface SimulatedStack {
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  readonly functions: readonly SimulatedFunction[];
  readonly rules: readonly SimulatedRule[];
  readonly schedules: readonly SimulatedSchedule[];
  readonly topics: readonly SimulatedTopic[];
  readonly alarms: readonly SimulatedAlarm[];
  readonly tables: readonly SimulatedTable[];
  readonly parameters: readonly SimulatedParameter[];
  readonly buckets: readonly SimulatedBucket[];
  /** Queues a mapping polls, and the dead-letter queues they redrive to; other queues count as not simulated. */
  readonly queues: readonly SimulatedQueue[];
  readonly eventSourceMappings: readonly SimulatedEventSourceMapping[];
  /** Resource types the simulator does not run (a Step Functions state machine, for example), with their count. */
  readonly notSimulated: Readonly<Record<string, number>>;
}
