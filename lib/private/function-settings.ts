import { Annotations, ArnFormat, Names, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import type { TriggerFunctionOptions } from '../trigger-function-options';
import { acknowledgeAtSynth, type NagAcknowledgement } from './nag';

type Setting = keyof TriggerFunctionOptions;

/** One explicit value of a setting: what it is, how it compares (resolved), how an error shows it, who gave it. */
interface Given {
  readonly setting: Setting;
  readonly value: unknown;
  readonly identity: string;
  readonly shown: string;
  readonly by: string;
}

/** The packs whose LambdaInsideVPC rule asks for a VPC. */
const VPC_RULES = ['HIPAA.Security', 'NIST.800.53.R4', 'NIST.800.53.R5', 'PCI.DSS.321'].map((pack) => `${pack}-LambdaInsideVPC`);

/**
 * The user's settings of one library function ({@link TriggerFunctionOptions}), applied to its
 * CloudFormation resources as they are given. A shared function receives them from every trigger
 * that uses it: values only add up (an explicit value beats a default, two different ones fail), so
 * the result does not depend on which trigger came first.
 */
export class FunctionSettings {
  private readonly given = new Map<Setting, Given>();
  private readonly function: lambda.CfnFunction;
  private automaticSecurityGroup?: ec2.SecurityGroup;

  constructor(
    private readonly fn: lambda.Function,
    private readonly role: iam.Role,
    private readonly logGroup: logs.LogGroup,
  ) {
    this.function = fn.node.defaultChild as lambda.CfnFunction;
    acknowledgeAtSynth(this.function, () => this.functionAcknowledgements());
    acknowledgeAtSynth(role, () => this.roleAcknowledgements());
  }

  /** Applies `options`, given by the construct `by`; throws, before anything changes, when one contradicts an earlier value. */
  public apply(options: TriggerFunctionOptions, by: IConstruct): void {
    const offered = this.offered(options, by.node.path);
    for (const offer of offered) {
      const earlier = this.given.get(offer.setting);
      if (earlier && earlier.identity !== offer.identity) {
        throw new Error(
          `${offer.setting} is ${earlier.shown} on ${earlier.by} and ${offer.shown} on ${offer.by}, which share one function (${this.fn.node.path}): ` +
            `give both the same ${offer.setting}, or leave it out on one of them`,
        );
      }
    }
    const fresh = new Set<Setting>();
    for (const offer of offered.filter((candidate) => !this.given.has(candidate.setting))) {
      this.given.set(offer.setting, offer);
      fresh.add(offer.setting);
    }
    if (fresh.has('tracing')) this.renderTracing();
    if (fresh.has('vpc') || fresh.has('vpcSubnets') || fresh.has('securityGroups')) this.renderVpc(fresh.has('vpc'));
    if (fresh.has('logGroupEncryptionKey')) this.renderLogEncryption();
    if (fresh.has('reservedConcurrentExecutions')) this.function.reservedConcurrentExecutions = this.value<number>('reservedConcurrentExecutions');
  }

  private offered(options: TriggerFunctionOptions, by: string): Given[] {
    const { tracing, vpc, vpcSubnets, securityGroups, logGroupEncryptionKey: key, reservedConcurrentExecutions: reserved } = options;
    if (!vpc && (vpcSubnets || securityGroups)) {
      throw new Error(`${vpcSubnets ? 'vpcSubnets' : 'securityGroups'} on ${by} needs vpc: give the VPC the subnets and security groups belong to`);
    }
    if (reserved !== undefined && !Token.isUnresolved(reserved) && !(Number.isInteger(reserved) && reserved >= 1)) {
      throw new Error(`reservedConcurrentExecutions must be a whole number of at least 1, got ${reserved} on ${by} (0 would throttle every invocation): leave it out for no reservation`);
    }
    const resolve = (value: unknown) => JSON.stringify(Stack.of(this.fn).resolve(value));
    const offers: Given[] = [];
    const offer = (setting: Setting, value: unknown, identity: unknown, shown: () => string) => {
      if (value !== undefined) offers.push({ setting, value, identity: resolve(identity), shown: shown(), by });
    };
    offer('tracing', tracing, tracing, () => `${tracing}`);
    offer('vpc', vpc, vpc?.vpcId, () => vpc!.node.path);
    if (vpc && vpcSubnets) {
      const selected = vpc.selectSubnets(vpcSubnets);
      offer('vpcSubnets', vpcSubnets, selected.subnetIds, () => `[${selected.subnets.map((subnet) => subnet.node.path).join(', ')}]`);
    }
    offer('securityGroups', securityGroups, securityGroups?.map((group) => group.securityGroupId), () => `[${securityGroups!.map((group) => group.node.path).join(', ')}]`);
    offer('logGroupEncryptionKey', key, key?.keyArn, () => key!.node.path);
    offer('reservedConcurrentExecutions', reserved, reserved, () => `${reserved}`);
    return offers;
  }

  private value<T>(setting: Setting): T | undefined {
    return this.given.get(setting)?.value as T | undefined;
  }

  /** As aws-cdk-lib's Function does it: a tracing mode unless disabled, and X-Ray's write actions. */
  private renderTracing(): void {
    const tracing = this.value<lambda.Tracing>('tracing')!;
    if (tracing === lambda.Tracing.DISABLED) return;
    this.function.tracingConfig = { mode: tracing };
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] }));
  }

  /**
   * As aws-cdk-lib's Function does it, except that the role is the function's own: it receives the
   * network-interface actions of AWSLambdaVPCAccessExecutionRole, without that policy's log grants.
   */
  private renderVpc(firstTime: boolean): void {
    const vpc = this.value<ec2.IVpc>('vpc');
    if (!vpc) return; // vpcSubnets and securityGroups come with a vpc, which renders them
    if (firstTime) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      );
    }
    const subnets = vpc.selectSubnets(this.value<ec2.SubnetSelection>('vpcSubnets'));
    const publicSubnets = new Set(vpc.publicSubnets.map((subnet) => subnet.subnetId));
    if (subnets.subnetIds.some((id) => publicSubnets.has(id))) {
      throw new Error(
        `vpcSubnets selects public subnets of ${vpc.node.path} for ${this.fn.node.path}: Lambda gives functions no public IP, so they could not reach AWS there; select private subnets with a NAT gateway or VPC endpoints`,
      );
    }
    this.fn.node.addDependency(subnets.internetConnectivityEstablished);
    const explicit = this.value<ec2.ISecurityGroup[]>('securityGroups');
    if (explicit && this.automaticSecurityGroup) {
      // A trigger that came earlier left the security groups to the default; this one names them.
      this.fn.node.tryRemoveChild(this.automaticSecurityGroup.node.id);
      this.automaticSecurityGroup = undefined;
    }
    const groups = explicit ?? [
      (this.automaticSecurityGroup ??= new ec2.SecurityGroup(this.fn, 'SecurityGroup', {
        vpc,
        description: `Automatic security group for Lambda Function ${Names.uniqueId(this.fn)}`,
        allowAllOutbound: true,
      })),
    ];
    this.function.vpcConfig = { subnetIds: subnets.subnetIds, securityGroupIds: groups.map((group) => group.securityGroupId) };
  }

  /** The key, and the key policy statement CloudWatch Logs needs before it can create the log group with it. */
  private renderLogEncryption(): void {
    const key = this.value<kms.IKey>('logGroupEncryptionKey')!;
    (this.logGroup.node.defaultChild as logs.CfnLogGroup).kmsKeyId = key.keyArn;
    const stack = Stack.of(this.logGroup);
    const logsPrincipal = `logs.${stack.region}.${stack.urlSuffix}`;
    const added = key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(logsPrincipal)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
        },
      }),
      /* allowNoOp */ true,
    );
    if (!added.statementAdded) {
      Annotations.of(this.fn).addWarningV2(
        'cdk-ml-triggers:logGroupKeyPolicy',
        `logGroupEncryptionKey ${key.node.path} is not defined in this app, so its policy cannot be changed here: allow the service principal logs.${Token.isUnresolved(stack.region) ? '<region>' : stack.region}.amazonaws.com kms:Encrypt*, kms:Decrypt*, kms:ReEncrypt*, kms:GenerateDataKey* and kms:Describe* on it, or CloudWatch Logs cannot create the log group.`,
      );
    }
  }

  /** The findings that stay a choice of the user's while the setting is not given, each naming the prop that decides it. */
  private functionAcknowledgements(): NagAcknowledgement[] {
    const acknowledgements: NagAcknowledgement[] = [];
    if (!this.given.has('tracing')) {
      acknowledgements.push({
        id: 'Serverless-LambdaTracing',
        reason: 'X-Ray tracing is left to the user and is off because the tracing prop is not set; set tracing to Tracing.ACTIVE on the construct to trace this function.',
      });
    }
    if (!this.given.has('vpc')) {
      const reason =
        'The function calls AWS APIs only and holds no network resources, so it runs outside a VPC unless the vpc prop is set; set vpc (with vpcSubnets and securityGroups) on the construct to run it in one.';
      acknowledgements.push(...VPC_RULES.map((id) => ({ id, reason })));
    }
    return acknowledgements;
  }

  /** The wildcards that the settings themselves bring into the role. */
  private roleAcknowledgements(): NagAcknowledgement[] {
    const acknowledgements: NagAcknowledgement[] = [];
    const tracing = this.value<lambda.Tracing>('tracing');
    if (tracing !== undefined && tracing !== lambda.Tracing.DISABLED) {
      acknowledgements.push({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: "X-Ray's PutTraceSegments and PutTelemetryRecords take no resource ARN; the statement is there because the tracing prop turns tracing on.",
      });
    }
    if (this.given.has('vpc')) {
      acknowledgements.push({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: "Lambda manages a VPC function's network interfaces through its role, and EC2 takes no resource ARN to create or describe them; the statement is there because the vpc prop is set.",
      });
    }
    return acknowledgements;
  }
}
