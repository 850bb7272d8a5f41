import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag-v2';
import type { IConstruct } from 'constructs';
import {
  DataArrivalTrigger,
  EventTrigger,
  PromotionGuardrail,
  RetrainingCoordinator,
  TrainingPipeline,
  type TriggerFunctionOptions,
} from '../lib';
import { acknowledge } from '../lib/private/nag';
import { COMPOSITIONS, USER_PREFIX } from './support/nag-compositions';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { NAG_MAJORS, NAG_PACKS, runNag, type NagFinding, type NagRun } from './support/nag-findings';

// Each composition synthesizes a full app and runs four checks over it.
jest.setTimeout(120_000);

const ENV = { account: '123456789012', region: 'eu-west-1' };
/** An acknowledgement's reason: at least one sentence. v2 prefixes the finding it applied to (`[Resource::*] `). */
const SENTENCE = /^(\[[^\]]*\] )?[A-Z].{30,}\.$/s;

const byUser = (finding: { path: string }) => finding.path.split('/').some((part) => part.startsWith(USER_PREFIX));

/** The findings on the user's own resources that each composition must still report: theirs to fix, never acknowledged by the library. */
const USER_FINDINGS: Record<string, Record<(typeof NAG_PACKS)[number], string[]>> = {
  driftAlone: { AwsSolutions: ['AwsSolutions-S1', 'AwsSolutions-S10', 'AwsSolutions-SNS3'], Serverless: [] },
  dataArrivalAlone: {
    AwsSolutions: ['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', 'AwsSolutions-L1', 'AwsSolutions-S1'],
    Serverless: ['Serverless-LambdaDLQ', 'Serverless-LambdaDefaultMemorySize', 'Serverless-LambdaDefaultTimeout', 'Serverless-LambdaLatestVersion', 'Serverless-LambdaTracing'],
  },
  allFunctionOptions: { AwsSolutions: ['AwsSolutions-VPC7'], Serverless: [] },
};

function allConstructs(root: IConstruct): IConstruct[] {
  return [root, ...root.node.children.flatMap(allConstructs)];
}

function v3Acknowledgements(root: IConstruct): Array<{ path: string; id: string; reason: string }> {
  return allConstructs(root).flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      // aws-cdk-lib from 2.262.1 on qualifies the id (`Annotation::`), as cdk-nag v3 knows
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ path: construct.node.path, id: id.replace(/^annotation::/i, ''), reason }))),
  );
}

function v2Suppressions(root: IConstruct): Array<{ path: string; id: string; reason: string; applies_to?: string[] }> {
  return allConstructs(root)
    .filter(CfnResource.isCfnResource)
    .flatMap((resource) => ((resource.getMetadata('cdk_nag')?.rules_to_suppress ?? []) as Array<{ id: string; reason: string }>).map((rule) => ({ path: resource.node.path, ...rule })));
}

describe('cdk-nag v2 and v3, AwsSolutions and Serverless packs, over every composition', () => {
  const runs = new Map<string, NagRun>();
  const run = (name: string): NagRun => {
    if (!runs.has(name)) runs.set(name, runNag(COMPOSITIONS[name]));
    return runs.get(name)!;
  };
  const checks = Object.keys(COMPOSITIONS).flatMap((name) => NAG_MAJORS.flatMap((major) => NAG_PACKS.map((pack) => [name, major, pack] as const)));

  test.each(checks)('%s: %s %s reports no finding on the library\'s resources', (name, major, pack) => {
    const findings = run(name).findings[`${major} ${pack}`];

    const library = findings.filter((finding) => !byUser(finding));
    expect(library).toEqual([]);
  });

  // A new app from `cdk init` turns on every currently recommended feature flag, some of which change grants
  // (an imported KMS alias, for one, is then granted as `key/*` under a condition).
  const recommended = new Map<string, NagRun>();
  test.each(checks)('%s with the feature flags cdk init sets: %s %s reports no finding on the library\'s resources', (name, major, pack) => {
    if (!recommended.has(name)) recommended.set(name, runNag(COMPOSITIONS[name], NAG_MAJORS, { ...cxapi.CURRENTLY_RECOMMENDED_FLAGS }));
    const run = recommended.get(name)!;

    const library = [...run.findings[`${major} ${pack}`], ...run.validation].filter((finding) => !byUser(finding));
    expect(library).toEqual([]);
  });

  test.each(checks)('%s: %s %s still reports the findings on the user\'s own resources', (name, major, pack) => {
    const findings = run(name).findings[`${major} ${pack}`];

    const user = findings.filter(byUser).map((finding: NagFinding) => finding.rule).sort();
    expect(user).toEqual(USER_FINDINGS[name]?.[pack] ?? []);
  });

  test.each(Object.keys(COMPOSITIONS))('%s: every acknowledgement, in v3 and in v2 metadata, carries a reason of at least one sentence', (name) => {
    const { app, suppressed } = run(name);

    // aws-cdk-lib acknowledges findings of its own validator (a Vpc's literal AZs, on the stack): not the library's to judge.
    const library = (a: { path: string; id: string }) => (!byUser(a) || /\/UserRequester(\/|$)/.test(a.path)) && !a.id.startsWith('CloudFormation-Validate::');
    const v3 = v3Acknowledgements(app).filter(library);
    const v2 = v2Suppressions(app).filter(library);
    const used = [...suppressed['v2 AwsSolutions'], ...suppressed['v2 Serverless']];
    expect(v3.length).toBeGreaterThan(0);
    expect(used.length).toBeGreaterThan(0); // v2 ran, and used the library's metadata
    for (const { id, reason } of [...v3, ...v2, ...used.map((s) => ({ id: s.rule, reason: s.reason }))]) {
      expect({ id, reason }).toEqual({ id, reason: expect.stringMatching(SENTENCE) });
    }
    for (const { id } of v2) expect(id).not.toMatch(/\[/); // v2 wants the finding in applies_to
  });

  test.each(Object.keys(COMPOSITIONS))('%s: nothing is acknowledged on the user\'s own resources but the grantee of grantRequest or grantInvoke', (name) => {
    const { app } = run(name);

    const onUser = [...v3Acknowledgements(app), ...v2Suppressions(app)].filter(byUser).filter((a) => !a.id.startsWith('CloudFormation-Validate::'));
    for (const { path, id } of onUser) {
      expect({ path, id }).toEqual({ path: expect.stringMatching(/\/UserRequester(\/|$)/), id: expect.stringMatching(/^AwsSolutions-IAM5(\[Resource::<(CoordinatorFunction|GuardrailFunction)\w+\.Arn>:\*\])?$/) });
    }
  });
});

describe('acknowledgements that hold in every composition', () => {
  test('grantRequest acknowledges the version wildcard on the grantee, without a scheduled trigger in the stack', () => {
    const { app } = runNag(COMPOSITIONS.coordinatorWithoutSchedule);

    const onBatcherRole = v3Acknowledgements(app).filter((a) => a.path === 'Coordinated/MlTriggersDataArrival/BatcherRole');
    expect(onBatcherRole.map((a) => a.id)).toContainEqual(expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<CoordinatorFunction\w+\.Arn>:\*\]$/));
    expect(v3Acknowledgements(app).filter((a) => a.path === 'Coordinated')).toEqual([]);
  });

  test('a coordinator in another stack: v2 sees the reference as written, v3 as the import it becomes, and both are acknowledged', () => {
    const { app, findings } = runNag(COMPOSITIONS.twoStacks);

    const ids = v3Acknowledgements(app).filter((a) => a.path === 'Consumer/MlTriggersDataArrival/BatcherRole').map((a) => a.id);
    expect(ids).toContainEqual(expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<CoordinatorFunction\w+\.Arn>:\*\]$/));
    expect(ids).toContainEqual(expect.stringMatching(/^AwsSolutions-IAM5\[Resource::Blue:ExportsOutputFnGetAttCoordinatorFunction\w+:\*\]$/));
    expect(findings['v2 AwsSolutions']).toEqual([]);
    expect(findings['v3 AwsSolutions']).toEqual([]);
  });

  test.each([
    ['the shared function is created by the trigger without a coordinator', ['direct', 'coordinated']],
    ['the shared function is created by the trigger with a coordinator', ['coordinated', 'direct']],
  ])('grants made after the acknowledgements are covered in v2 and v3 whichever trigger comes first: %s', (_, order) => {
    const compose = (app: App) => {
      const stack = new Stack(app, 'Orders', { env: ENV });
      const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training');
      const coordinator = new RetrainingCoordinator(stack, 'Coordinator');
      const bucket = s3.Bucket.fromBucketName(stack, 'DataBucket', 'churn-data');
      for (const kind of order) {
        new DataArrivalTrigger(stack, kind, { pipeline, bucket, prefix: `${kind}/`, ...(kind === 'coordinated' ? { coordinator } : {}) });
        new EventTrigger(stack, `${kind}Chain`, { pipeline, afterPipeline: pipeline, ...(kind === 'coordinated' ? { coordinator } : {}) });
      }
    };

    const { findings } = runNag(compose);

    for (const check of Object.keys(findings) as Array<keyof NagRun['findings']>) expect({ check, findings: findings[check] }).toEqual({ check, findings: [] });
  });

  test('v2 metadata covers a resource created beneath the acknowledging construct after the acknowledgement, and one created before', () => {
    const stack = new Stack(new App(), 'Mechanism');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::before/*'] }));
    acknowledge(role, { id: 'AwsSolutions-IAM5[Resource::arn:aws:s3:::after/*]', reason: 'A test acknowledgement made before the grant it covers exists.' });
    role.attachInlinePolicy(new iam.Policy(stack, 'Later', { statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::after/*'] })] }));
    new iam.Policy(role, 'Beneath', { roles: [role], statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::after/*'] })] });

    const t = Template.fromStack(stack);

    const expected = { cdk_nag: { rules_to_suppress: [{ id: 'AwsSolutions-IAM5', applies_to: ['Resource::arn:aws:s3:::after/*'], reason: Match.anyValue() }] } };
    t.hasResource('AWS::IAM::Role', { Metadata: expected });
    t.hasResource('AWS::IAM::Policy', { Metadata: expected, Properties: { PolicyName: Match.stringLikeRegexp('RoleDefaultPolicy') } }); // made before
    t.hasResource('AWS::IAM::Policy', { Metadata: expected, Properties: { PolicyName: Match.stringLikeRegexp('RoleBeneath') } }); // made after
    t.hasResource('AWS::IAM::Policy', { Metadata: Match.absent(), Properties: { PolicyName: Match.stringLikeRegexp('^Later') } }); // not beneath the role
  });

  test("the user's own v2 suppressions on a library resource stay next to the library's", () => {
    const stack = new Stack(new App(), 'Own', { env: ENV });
    const coordinator = new RetrainingCoordinator(stack, 'Coordinator');
    NagSuppressions.addResourceSuppressions(coordinator.function, [{ id: 'AwsSolutions-L1', reason: 'Our own reason, written with the v2 API.' }]);

    const rules = Template.fromStack(stack).findResources('AWS::Lambda::Function', { Metadata: { cdk_nag: Match.anyValue() } });

    const suppressions = Object.values(rules)[0].Metadata.cdk_nag.rules_to_suppress.map((r: { id: string; reason: string }) => `${r.id}: ${r.reason}`);
    expect(suppressions).toContain('AwsSolutions-L1: Our own reason, written with the v2 API.');
    expect(suppressions).toContainEqual(expect.stringMatching(/^AwsSolutions-L1: The handler is bundled/));
  });
});

describe('function settings (TriggerFunctionOptions)', () => {
  function functionsOf(t: Template) {
    return Object.values(t.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^cdk-ml-triggers') } }));
  }

  test('left out, the tracing and VPC findings are acknowledged with a reason naming the prop to set', () => {
    const { app } = runNag(COMPOSITIONS.scheduleAndGuardrail);

    const onFunction = v3Acknowledgements(app).filter((a) => a.path === 'Schedule/Guardrail/Function/Resource');
    expect(onFunction).toContainEqual(expect.objectContaining({ id: 'Serverless-LambdaTracing', reason: expect.stringContaining('set tracing') }));
    for (const pack of ['HIPAA.Security', 'NIST.800.53.R4', 'NIST.800.53.R5', 'PCI.DSS.321']) {
      expect(onFunction).toContainEqual(expect.objectContaining({ id: `${pack}-LambdaInsideVPC`, reason: expect.stringContaining('set vpc') }));
    }
  });

  test('set, they change the template (TracingConfig, VpcConfig, KmsKeyId, ReservedConcurrentExecutions) and their findings go away on their own', () => {
    const { app, findings } = runNag(COMPOSITIONS.allFunctionOptions);
    const stack = app.node.findChild('Options') as Stack;
    const t = Template.fromStack(stack);

    const functions = functionsOf(t);
    expect(functions).toHaveLength(5); // coordinator, batcher, drift evaluator, event function, guardrail
    for (const fn of functions) {
      expect(fn.Properties).toEqual(
        expect.objectContaining({
          TracingConfig: { Mode: 'Active' },
          ReservedConcurrentExecutions: 5,
          VpcConfig: { SubnetIds: [{ Ref: expect.stringMatching(/^UserVpcPrivateSubnet1/) }, { Ref: expect.stringMatching(/^UserVpcPrivateSubnet2/) }], SecurityGroupIds: [{ 'Fn::GetAtt': [expect.any(String), 'GroupId'] }] },
        }),
      );
    }
    const logGroups = Object.values(t.findResources('AWS::Logs::LogGroup'));
    expect(logGroups.map((g) => g.Properties.KmsKeyId)).toEqual(Array(5).fill({ 'Fn::GetAtt': [expect.stringMatching(/^UserLogKey/), 'Arn'] }));
    t.resourceCountIs('AWS::EC2::SecurityGroup', 5);
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: { 'Fn::Join': ['', ['logs.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] } },
            Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
          }),
        ]),
      },
    });
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' }), Match.objectLike({ Action: Match.arrayWith(['ec2:CreateNetworkInterface']), Resource: '*' })]) },
    });
    const acknowledged = v3Acknowledgements(app).map((a) => a.id);
    expect(acknowledged).not.toContain('Serverless-LambdaTracing');
    expect(acknowledged.filter((id) => id.endsWith('-LambdaInsideVPC'))).toEqual([]);
    expect(findings['v3 Serverless']).toEqual([]);
  });

  test('a key imported from elsewhere encrypts the log group and synth warns that its policy needs the CloudWatch Logs statement', () => {
    const stack = new Stack(new App(), 'Imported', { env: ENV });
    const key = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    new PromotionGuardrail(stack, 'Guardrail', { reportsBucket: s3.Bucket.fromBucketName(stack, 'Reports', 'reports'), logGroupEncryptionKey: key });

    const t = Template.fromStack(stack);

    t.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' });
    const warnings = stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data)));
    expect(warnings).toContainEqual(expect.stringMatching(/logGroupEncryptionKey .* allow the service principal logs\.eu-west-1\.amazonaws\.com/));
  });

  describe.each([
    ['data-arrival triggers share the batcher', 'MlTriggersDataArrival/Batcher', (stack: Stack, id: string, options: TriggerFunctionOptions) =>
      new DataArrivalTrigger(stack, id, { pipeline: TrainingPipeline.fromPipelineName(stack, `${id}Pipeline`, 'p'), bucket: s3.Bucket.fromBucketName(stack, `${id}Bucket`, 'churn-data'), ...options })],
    ['event triggers share their function', 'MlTriggersEvents/Function', (stack: Stack, id: string, options: TriggerFunctionOptions) =>
      new EventTrigger(stack, id, { pipeline: TrainingPipeline.fromPipelineName(stack, `${id}Pipeline`, 'p'), afterPipeline: TrainingPipeline.fromPipelineName(stack, `${id}Upstream`, 'u'), ...options })],
  ])('%s', (_, sharedPath, addTrigger) => {
    function synth(order: Array<[string, (stack: Stack, vpc: ec2.IVpc) => TriggerFunctionOptions]>) {
      const stack = new Stack(new App(), 'Shared', { env: ENV });
      const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
      const group = new ec2.SecurityGroup(stack, 'Group', { vpc });
      const key = new kms.Key(stack, 'Key');
      for (const [id, options] of order) addTrigger(stack, id, options(stack, vpc));
      const t = Template.fromStack(stack);
      const fn = Object.values(t.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^cdk-ml-triggers') } }));
      expect(fn).toHaveLength(1);
      const logs = Object.values(t.findResources('AWS::Logs::LogGroup'));
      return { fn: fn[0].Properties, kmsKeyId: logs[0].Properties.KmsKeyId, groups: Object.keys(t.findResources('AWS::EC2::SecurityGroup')).length, group, key, stack };
    }
    const plain = (): TriggerFunctionOptions => ({});
    const everything = (stack: Stack, vpc: ec2.IVpc): TriggerFunctionOptions => ({
      tracing: lambda.Tracing.ACTIVE,
      vpc,
      securityGroups: [stack.node.findChild('Group') as ec2.ISecurityGroup],
      logGroupEncryptionKey: stack.node.findChild('Key') as kms.IKey,
      reservedConcurrentExecutions: 3,
    });

    test('settings given by any trigger apply to the shared function, whichever trigger came first', () => {
      const first = synth([['Plain', plain], ['Configured', everything]]);
      const second = synth([['Configured', everything], ['Plain', plain]]);

      for (const result of [first, second]) {
        expect(result.fn).toEqual(
          expect.objectContaining({
            TracingConfig: { Mode: 'Active' },
            ReservedConcurrentExecutions: 3,
            VpcConfig: { SubnetIds: expect.any(Array), SecurityGroupIds: [{ 'Fn::GetAtt': [expect.stringMatching(/^Group/), 'GroupId'] }] },
          }),
        );
        expect(result.kmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] });
        expect(result.groups).toBe(1); // the user's group only: no automatic one left behind
      }
      expect(second.fn).toEqual(first.fn);
    });

    test('a trigger that names security groups replaces the automatic one an earlier trigger with the same VPC got', () => {
      const vpcOnly = (_: Stack, vpc: ec2.IVpc): TriggerFunctionOptions => ({ vpc });
      const withGroup = (stack: Stack, vpc: ec2.IVpc): TriggerFunctionOptions => ({ vpc, securityGroups: [stack.node.findChild('Group') as ec2.ISecurityGroup] });

      const first = synth([['A', vpcOnly], ['B', withGroup]]);
      const second = synth([['B', withGroup], ['A', vpcOnly]]);

      expect(first.groups).toBe(1);
      expect(second.groups).toBe(1);
      expect(second.fn.VpcConfig).toEqual(first.fn.VpcConfig);
      expect(first.stack.node.tryFindChild(sharedPath.split('/')[0])?.node.tryFindChild(sharedPath.split('/')[1])?.node.tryFindChild('SecurityGroup')).toBeUndefined();
    });

    test.each([
      ['tracing', { tracing: lambda.Tracing.ACTIVE }, { tracing: lambda.Tracing.PASS_THROUGH }, /tracing is Active on Shared\/A and PassThrough on Shared\/B/],
      ['reservedConcurrentExecutions', { reservedConcurrentExecutions: 2 }, { reservedConcurrentExecutions: 5 }, /reservedConcurrentExecutions is 2 on Shared\/A and 5 on Shared\/B/],
    ])('two different values of %s fail synth, naming the prop, both values and the fix', (_prop, a, b, message) => {
      expect(() => synth([['A', () => a], ['B', () => b]])).toThrow(message);
      expect(() => synth([['A', () => a], ['B', () => b]])).toThrow(/share one function .*: give both the same .*, or leave it out on one of them/);
    });

    test('two different VPCs fail synth, naming both', () => {
      const other = (stack: Stack): TriggerFunctionOptions => ({ vpc: new ec2.Vpc(stack, 'OtherVpc', { maxAzs: 1, natGateways: 1 }) });

      expect(() => synth([['A', (_, vpc) => ({ vpc })], ['B', other]])).toThrow(/^vpc is Shared\/Vpc on Shared\/A and Shared\/OtherVpc on Shared\/B/);
    });
  });

  test.each([
    ['vpcSubnets without vpc', () => ({ vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } }), /^vpcSubnets on Own\/Coordinator needs vpc/],
    ['no concurrency at all', () => ({ reservedConcurrentExecutions: 0 }), /^reservedConcurrentExecutions must be a whole number of at least 1, got 0/],
    [
      'a VPC with public subnets only',
      (stack: Stack) => ({ vpc: new ec2.Vpc(stack, 'Public', { maxAzs: 1, subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC }] }) }),
      /^vpcSubnets selects public subnets of Own\/Public .*select private subnets/,
    ],
  ])('refuses settings that cannot work: %s', (_, options: (stack: Stack) => TriggerFunctionOptions, message) => {
    const stack = new Stack(new App(), 'Own', { env: ENV });

    expect(() => new RetrainingCoordinator(stack, 'Coordinator', options(stack))).toThrow(message);
  });
});

describe('aws-cdk-lib without Validations (such as 2.223)', () => {
  test('the library synthesizes, writes no v3 acknowledgements, and cdk-nag v2 finds nothing on its resources', async () => {
    // Everything of aws-cdk-lib but Validations (copying it would load every one of its modules).
    jest.doMock('aws-cdk-lib', () => Object.create(jest.requireActual('aws-cdk-lib'), { Validations: { value: undefined } }));
    let loaded: [typeof import('aws-cdk-lib'), typeof import('./support/nag-compositions'), typeof import('./support/nag-findings')] | undefined;
    await jest.isolateModulesAsync(async () => {
      loaded = [await import('aws-cdk-lib'), await import('./support/nag-compositions'), await import('./support/nag-findings')];
    });
    jest.dontMock('aws-cdk-lib');
    const [cdk, compositions, nag] = loaded!;
    expect(cdk.Validations).toBeUndefined();

    const { app, findings } = nag.runNag(compositions.COMPOSITIONS.coordinatorWithoutSchedule, ['v2']);

    expect(findings['v2 AwsSolutions'].filter((f) => !byUser(f))).toEqual([]);
    expect(findings['v2 Serverless'].filter((f) => !byUser(f))).toEqual([]);
    expect(v2Suppressions(app).length).toBeGreaterThan(0);
    const v3Metadata = allConstructs(app).flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules'));
    expect(v3Metadata).toEqual([]);
  });
});
