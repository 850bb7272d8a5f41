import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct, IConstruct } from 'constructs';
import type { TriggerFunctionOptions } from '../trigger-function-options';
import { FunctionSettings } from './function-settings';
import { HANDLER_ARCHITECTURE, HANDLER_RUNTIME, handlerCode } from './handler-code';
import { acknowledge, acknowledgeWildcardResource } from './nag';
import { METRICS_NAMESPACE } from '../../lambda/core/contracts/metrics';

export interface HandlerFunctionProps {
  /** The bundle under `assets/<handler>`. */
  readonly handler: string;
  readonly description: string;
  readonly environment: Record<string, string>;
  readonly memorySize?: number;
  readonly timeout?: Duration;
  readonly retryAttempts?: number;
  readonly maxEventAge?: Duration;
  readonly onFailure?: lambda.IDestination;
  /**
   * Why the function needs no dead-letter queue of its own, for cdk-nag's LambdaDLQ rules.
   * @default - with `onFailure`: asynchronous invocations that fail go to that destination
   */
  readonly deadLetterReason?: string;
  /**
   * The user's settings of this function; a function shared by several triggers receives each one's
   * through {@link configureHandlerFunction}.
   * @default - none
   */
  readonly options?: TriggerFunctionOptions;
  /** Construct ids, kept as they were when each construct created its own. */
  readonly ids: { readonly logGroup: string; readonly role: string; readonly function: string };
}

/**
 * A bundled handler as every construct deploys it: Node.js 22 on arm64, its own log group (three
 * months), and a role that may write only to that log group until the construct grants more.
 */
export function handlerFunction(scope: Construct, props: HandlerFunctionProps): lambda.Function {
  const logGroup = new logs.LogGroup(scope, props.ids.logGroup, { retention: logs.RetentionDays.THREE_MONTHS });
  const role = new iam.Role(scope, props.ids.role, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const logStreams = `${logGroup.logGroupArn}:*`;
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logStreams] }));
  acknowledgeWildcardResource(role, logStreams, "Lambda names its log streams at run time; the grant covers the streams of this function's own log group only.");
  const fn = new lambda.Function(scope, props.ids.function, {
    description: props.description,
    runtime: HANDLER_RUNTIME,
    architecture: HANDLER_ARCHITECTURE,
    handler: 'index.handler',
    code: handlerCode(props.handler),
    memorySize: props.memorySize ?? 256,
    timeout: props.timeout ?? Duration.seconds(60),
    role,
    logGroup,
    environment: { ...props.environment, POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL: 'INFO' },
    ...(props.retryAttempts !== undefined ? { retryAttempts: props.retryAttempts } : {}),
    ...(props.maxEventAge ? { maxEventAge: props.maxEventAge } : {}),
    ...(props.onFailure ? { onFailure: props.onFailure } : {}),
  });
  const runtimeReason = 'The handler is bundled and tested for nodejs22.x; moving to a newer runtime is a deliberate, tested change of this library.';
  const deadLetterReason = props.deadLetterReason ?? (props.onFailure ? ASYNC_FAILURES_REASON : undefined);
  if (!deadLetterReason) throw new Error(`${fn.node.path}: say why the function needs no dead-letter queue (deadLetterReason) or give it onFailure`);
  acknowledge(
    fn.node.defaultChild!,
    { id: 'AwsSolutions-L1', reason: runtimeReason },
    { id: 'Serverless-LambdaLatestVersion', reason: runtimeReason },
    ...DEAD_LETTER_RULES.map((id) => ({ id, reason: deadLetterReason })),
  );
  const settings = new FunctionSettings(fn, role, logGroup);
  settingsOf.set(fn, settings);
  settings.apply(props.options ?? {}, scope);
  return fn;
}

/** Applies the settings a further trigger gives to a function the triggers of a stack share. */
export function configureHandlerFunction(fn: lambda.Function, options: TriggerFunctionOptions, by: IConstruct): void {
  settingsOf.get(fn)!.apply(options, by);
}

const settingsOf = new WeakMap<lambda.Function, FunctionSettings>();

/** The packs whose LambdaDLQ rule asks for a function dead-letter queue. */
const DEAD_LETTER_RULES = ['Serverless', 'HIPAA.Security', 'NIST.800.53.R5'].map((pack) => `${pack}-LambdaDLQ`);

const ASYNC_FAILURES_REASON =
  "Asynchronous invocations that still fail after Lambda's retries go to the function's on-failure destination, " +
  "the stack's dead-letter queue for triggers (alarmed), which records more than a function dead-letter queue; the event sources deliver with dead-letter queues of their own.";
