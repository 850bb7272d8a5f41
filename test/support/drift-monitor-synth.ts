import type { Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DriftBaseline, DriftMonitor, type DriftMonitorProps } from '../../lib';
import { newStack, template } from './stacks';

export const CAPTURE_BUCKET = 'churn-capture';
export const DATA_BUCKET = 'churn-data';

/** The props of a monitor of `churn-prod` over `capture/`, with a CSV training sample as its baseline. */
export function monitorProps(stack: Stack, props: Partial<DriftMonitorProps> = {}): DriftMonitorProps {
  return {
    endpointName: 'churn-prod',
    captureBucket: s3.Bucket.fromBucketName(stack, 'Capture', CAPTURE_BUCKET),
    capturePrefix: 'capture/',
    features: ['tenure_months', 'plan'],
    baseline: DriftBaseline.trainingSample({ bucket: s3.Bucket.fromBucketName(stack, 'Data', DATA_BUCKET), key: 'baseline/sample.csv', header: true }),
    ...props,
  };
}

/** One DriftMonitor with id `Monitor` (props given, or made in its stack), synthesized; `more` adds to the stack before synth. */
export function synthMonitor(
  props: Partial<DriftMonitorProps> | ((stack: Stack) => Partial<DriftMonitorProps>) = {},
  more: (stack: Stack, monitor: DriftMonitor) => void = () => {},
) {
  const stack = newStack();
  const monitor = new DriftMonitor(stack, 'Monitor', monitorProps(stack, typeof props === 'function' ? props(stack) : props));
  more(stack, monitor);
  return { stack, monitor, template: template(stack) };
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/**
 * Joins a `Fn::Join` with each reference replaced by a placeholder of the right shape: the partition is `aws`,
 * a function's ARN a Lambda ARN in the test account, any other reference its logical id in lower case.
 */
export function joinWithPlaceholders(value: unknown, resources: Resources): string {
  if (typeof value === 'string') return value;
  const record = value as Record<string, unknown>;
  if (Array.isArray(record['Fn::Join'])) {
    const [delimiter, parts] = record['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => joinWithPlaceholders(part, resources)).join(delimiter);
  }
  if (record.Ref === 'AWS::Partition') return 'aws';
  if (typeof record.Ref === 'string') return record.Ref.toLowerCase();
  if (Array.isArray(record['Fn::GetAtt'])) {
    const [id, attribute] = record['Fn::GetAtt'] as [string, string];
    if (resources[id]?.Type === 'AWS::Lambda::Function' && attribute === 'Arn') return `arn:aws:lambda:eu-west-1:123456789012:function:${id}`;
    return `${id}.${attribute}`.toLowerCase();
  }
  throw new Error(`no placeholder for ${JSON.stringify(value)}`);
}

/** The monitor function's DRIFT_MONITOR_SETTINGS (the first, or the one whose monitorId is given), parsed with placeholders. */
export function monitorSettings(t: Template, monitorId?: string): Record<string, unknown> & { topicArns: string[] } {
  const resources = t.toJSON().Resources as Resources;
  const all = Object.values(t.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { DRIFT_MONITOR_SETTINGS: Match.anyValue() } } } })).map(
    (fn) => JSON.parse(joinWithPlaceholders(fn.Properties.Environment.Variables.DRIFT_MONITOR_SETTINGS, resources)),
  );
  const found = monitorId ? all.find((settings) => settings.monitorId === monitorId) : all[0];
  if (!found) throw new Error(`no monitor function${monitorId ? ` with monitorId ${monitorId}` : ''}`);
  return found;
}

/** The state machine's definition (the only one in the template), parsed with placeholders. */
export function runDefinition(t: Template): AslDefinition {
  const resources = t.toJSON().Resources as Resources;
  const machines = Object.values(t.findResources('AWS::StepFunctions::StateMachine'));
  if (machines.length !== 1) throw new Error(`expected one state machine, found ${machines.length}`);
  return JSON.parse(joinWithPlaceholders(machines[0].Properties.DefinitionString, resources));
}

export interface AslState {
  readonly Type: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Default?: string;
  readonly Choices?: ReadonlyArray<{ readonly Variable: string; readonly StringEquals: string; readonly Next: string }>;
  readonly [field: string]: unknown;
}

export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
  readonly TimeoutSeconds?: number;
}

export interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** The statements of the policies attached to the role of the first resource of `type` whose properties match. */
export function statementsOfRoleOf(t: Template, type: string, properties: Record<string, unknown>): Statement[] {
  const resource = Object.values(t.findResources(type, { Properties: properties }))[0];
  const roleArn = resource.Properties.Role ?? resource.Properties.RoleArn;
  const roleId = (roleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return Object.values(t.findResources('AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

/** The statements of the monitor function's role. */
export const monitorRoleStatements = (t: Template) =>
  statementsOfRoleOf(t, 'AWS::Lambda::Function', { Environment: { Variables: { DRIFT_MONITOR_SETTINGS: Match.anyValue() } } });

/** The statements of the state machine's role. */
export const machineRoleStatements = (t: Template) => statementsOfRoleOf(t, 'AWS::StepFunctions::StateMachine', {});

/** `arn:<partition>:s3:::<path>` as aws-cdk-lib writes an S3 ARN of an imported bucket. */
export const s3Arn = (path: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${path}`]] });
