import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { HANDLER_ARCHITECTURE, HANDLER_RUNTIME, handlerCode } from './handler-code';
import { acknowledgeWildcardResource } from './nag';

/** The namespace every handler's EMF metrics go to. */
export const METRICS_NAMESPACE = 'MLTriggers';

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
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason: 'The handler is bundled and tested for nodejs22.x; moving to a newer runtime is a deliberate, tested change of this library.',
  });
  return fn;
}
