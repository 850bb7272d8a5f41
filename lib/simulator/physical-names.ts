import { createHash } from 'node:crypto';
import { AssemblyReadError } from './assembly-error';

/** Where a stack is deployed: what the pseudo parameters resolve to. */
export interface StackEnvironment {
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  /** `aws`. */
  readonly partition: string;
  /** `amazonaws.com`. */
  readonly urlSuffix: string;
}

/** One resource of a template, seen through the resolver: its properties come back with their intrinsics resolved. */
export interface ResourceView {
  readonly logicalId: string;
  readonly type: string;
  readonly env: StackEnvironment;
  /** The property's resolved value, or `undefined` when the template does not set it. */
  property(name: string): unknown;
}

type Describe = (resource: ResourceView, name: string) => unknown;

/** How CloudFormation names one resource type, and what `Ref` and `Fn::GetAtt` return for it. */
interface ResourceKind {
  /** The property that sets the physical name; without one, CloudFormation generates the name. */
  readonly nameProperty?: string;
  readonly maxLength?: number;
  /** S3 bucket names are lowercase. */
  readonly lowercase?: boolean;
  /** The boolean property that makes the resource FIFO, whose name then ends in `.fifo`. */
  readonly fifoProperty?: string;
  /** What `Ref` returns; the name when absent. */
  readonly ref?: Describe;
  readonly attributes?: Readonly<Record<string, Describe>>;
}

const ALPHANUMERICS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function digest(...parts: string[]): Buffer {
  return createHash('sha256').update(parts.join('/')).digest();
}

/** The 13 uppercase alphanumerics CloudFormation appends to a generated name, derived from the stack and logical id. */
export function nameSuffix(stackName: string, logicalId: string): string {
  return Array.from(digest(stackName, logicalId).subarray(0, 13), (byte) => ALPHANUMERICS[byte % ALPHANUMERICS.length]).join('');
}

/** `<stackName>-<logicalId>-<suffix>`, with the stem cut so that the whole fits `maxLength`. */
export function generatedName(stackName: string, logicalId: string, maxLength = 255): string {
  const suffix = nameSuffix(stackName, logicalId);
  return `${`${stackName}-${logicalId}`.slice(0, maxLength - suffix.length - 1)}-${suffix}`;
}

/** A key id in the shape KMS gives one (a UUID), derived from the stack and logical id. */
function keyId(resource: ResourceView): string {
  const hex = digest(resource.env.stackName, resource.logicalId, 'key').toString('hex');
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20, 32)].join('-');
}

function uniqueId(resource: ResourceView, prefix: string): string {
  return prefix + nameSuffix(resource.env.stackName, `${resource.logicalId}/id`).slice(0, 17);
}

/** `arn:<partition>:<service>:<region>:<account>:<resource>`; global services leave region (and S3 account) empty. */
export function arn(env: StackEnvironment, service: string, resource: string, scope: 'regional' | 'global' | 'none' = 'regional'): string {
  const region = scope === 'regional' ? env.region : '';
  const account = scope === 'none' ? '' : env.account;
  return `arn:${env.partition}:${service}:${region}:${account}:${resource}`;
}

/** The bus's name, whether the template gives it as a name or as an ARN. */
export function busNameOf(value: unknown): string {
  if (value === undefined || value === null || value === '') return 'default';
  const text = String(value);
  return text.startsWith('arn:') ? text.slice(text.indexOf(':event-bus/') + ':event-bus/'.length) : text;
}

const ruleBus = (r: ResourceView): string => busNameOf(r.property('EventBusName'));

const KINDS: Readonly<Record<string, ResourceKind>> = {
  'AWS::Lambda::Function': {
    nameProperty: 'FunctionName',
    maxLength: 64,
    attributes: { Arn: (r, name) => arn(r.env, 'lambda', `function:${name}`) },
  },
  'AWS::DynamoDB::Table': {
    nameProperty: 'TableName',
    attributes: {
      Arn: (r, name) => arn(r.env, 'dynamodb', `table/${name}`),
      StreamArn: (r, name) => arn(r.env, 'dynamodb', `table/${name}/stream/1970-01-01T00:00:00.000`),
    },
  },
  'AWS::SNS::Topic': {
    nameProperty: 'TopicName',
    maxLength: 256,
    fifoProperty: 'FifoTopic',
    ref: (r, name) => arn(r.env, 'sns', name),
    attributes: { TopicArn: (r, name) => arn(r.env, 'sns', name), TopicName: (_r, name) => name },
  },
  'AWS::SNS::Subscription': {
    ref: (r) => `${String(r.property('TopicArn'))}:${keyId(r)}`,
  },
  'AWS::SQS::Queue': {
    nameProperty: 'QueueName',
    maxLength: 80,
    fifoProperty: 'FifoQueue',
    ref: (r, name) => `https://sqs.${r.env.region}.${r.env.urlSuffix}/${r.env.account}/${name}`,
    attributes: {
      Arn: (r, name) => arn(r.env, 'sqs', name),
      QueueName: (_r, name) => name,
      QueueUrl: (r, name) => `https://sqs.${r.env.region}.${r.env.urlSuffix}/${r.env.account}/${name}`,
    },
  },
  'AWS::Events::Rule': {
    nameProperty: 'Name',
    maxLength: 64,
    ref: (r, name) => (ruleBus(r) === 'default' ? name : `${ruleBus(r)}|${name}`),
    attributes: { Arn: (r, name) => arn(r.env, 'events', `rule/${ruleBus(r) === 'default' ? '' : `${ruleBus(r)}/`}${name}`) },
  },
  'AWS::Events::EventBus': {
    nameProperty: 'Name',
    attributes: { Arn: (r, name) => arn(r.env, 'events', `event-bus/${name}`), Name: (_r, name) => name },
  },
  'AWS::Events::Archive': {
    nameProperty: 'ArchiveName',
    maxLength: 48,
    attributes: { Arn: (r, name) => arn(r.env, 'events', `archive/${name}`) },
  },
  'AWS::Scheduler::Schedule': {
    nameProperty: 'Name',
    maxLength: 64,
    attributes: { Arn: (r, name) => arn(r.env, 'scheduler', `schedule/${String(r.property('GroupName') ?? 'default')}/${name}`) },
  },
  'AWS::Scheduler::ScheduleGroup': {
    nameProperty: 'Name',
    maxLength: 64,
    attributes: { Arn: (r, name) => arn(r.env, 'scheduler', `schedule-group/${name}`) },
  },
  'AWS::SSM::Parameter': {
    nameProperty: 'Name',
    maxLength: 1011,
    attributes: {
      Type: (r) => r.property('Type'),
      Value: (r) => r.property('Value'),
    },
  },
  'AWS::CloudWatch::Alarm': {
    nameProperty: 'AlarmName',
    attributes: { Arn: (r, name) => arn(r.env, 'cloudwatch', `alarm:${name}`) },
  },
  'AWS::S3::Bucket': {
    nameProperty: 'BucketName',
    maxLength: 63,
    lowercase: true,
    attributes: {
      Arn: (r, name) => arn(r.env, 's3', name, 'none'),
      DomainName: (r, name) => `${name}.s3.${r.env.urlSuffix}`,
      RegionalDomainName: (r, name) => `${name}.s3.${r.env.region}.${r.env.urlSuffix}`,
      DualStackDomainName: (r, name) => `${name}.s3.dualstack.${r.env.region}.${r.env.urlSuffix}`,
      WebsiteURL: (r, name) => `http://${name}.s3-website-${r.env.region}.${r.env.urlSuffix}`,
    },
  },
  'AWS::KMS::Key': {
    ref: (r) => keyId(r),
    attributes: { Arn: (r) => arn(r.env, 'kms', `key/${keyId(r)}`), KeyId: (r) => keyId(r) },
  },
  'AWS::KMS::Alias': { nameProperty: 'AliasName' },
  'AWS::StepFunctions::StateMachine': {
    nameProperty: 'StateMachineName',
    maxLength: 80,
    ref: (r, name) => arn(r.env, 'states', `stateMachine:${name}`),
    attributes: { Arn: (r, name) => arn(r.env, 'states', `stateMachine:${name}`), Name: (_r, name) => name },
  },
  'AWS::IAM::Role': {
    nameProperty: 'RoleName',
    maxLength: 64,
    attributes: {
      Arn: (r, name) => arn(r.env, 'iam', `role${String(r.property('Path') ?? '/')}${name}`, 'global'),
      RoleId: (r) => uniqueId(r, 'AROA'),
    },
  },
  'AWS::IAM::ManagedPolicy': {
    nameProperty: 'ManagedPolicyName',
    maxLength: 128,
    ref: (r, name) => arn(r.env, 'iam', `policy${String(r.property('Path') ?? '/')}${name}`, 'global'),
    attributes: { PolicyArn: (r, name) => arn(r.env, 'iam', `policy${String(r.property('Path') ?? '/')}${name}`, 'global') },
  },
  'AWS::Logs::LogGroup': {
    nameProperty: 'LogGroupName',
    maxLength: 512,
    attributes: { Arn: (r, name) => arn(r.env, 'logs', `log-group:${name}:*`) },
  },
};
/** A global table is named and addressed like a table. */
const ALIASES: Readonly<Record<string, string>> = { 'AWS::DynamoDB::GlobalTable': 'AWS::DynamoDB::Table' };

function kindOf(type: string): ResourceKind {
  return KINDS[ALIASES[type] ?? type] ?? {};
}

/** The physical name: the name property when the template sets it, otherwise the one CloudFormation generates. */
export function physicalNameOf(resource: ResourceView): string {
  const kind = kindOf(resource.type);
  const given = kind.nameProperty === undefined ? undefined : resource.property(kind.nameProperty);
  if (given !== undefined) return String(given);
  const fifo = kind.fifoProperty !== undefined && String(resource.property(kind.fifoProperty)) === 'true' ? '.fifo' : '';
  const stack = kind.lowercase ? resource.env.stackName.toLowerCase() : resource.env.stackName;
  const logicalId = kind.lowercase ? resource.logicalId.toLowerCase() : resource.logicalId;
  const name = generatedName(stack, logicalId, (kind.maxLength ?? 255) - fifo.length);
  return (kind.lowercase ? name.toLowerCase() : name) + fifo;
}

/** What `{ "Ref": logicalId }` returns for the resource. */
export function refOf(resource: ResourceView): string {
  const kind = kindOf(resource.type);
  const name = physicalNameOf(resource);
  return kind.ref ? String(kind.ref(resource, name)) : name;
}

/** What `{ "Fn::GetAtt": [logicalId, attribute] }` returns; an attribute the type does not have is an error. */
export function attributeOf(resource: ResourceView, attribute: string, at: string): unknown {
  const describe = kindOf(resource.type).attributes?.[attribute];
  if (!describe) {
    throw new AssemblyReadError(`Fn::GetAtt ${resource.logicalId}.${attribute}: the simulator knows no attribute ${attribute} of ${resource.type}`, at);
  }
  return describe(resource, physicalNameOf(resource));
}
