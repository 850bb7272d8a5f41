import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DataArrivalTrigger, EventSource, EventTrigger, PromotionGuardrail, RetrainingCoordinator, TrainingPipeline, type TriggerFunctionOptions } from '../lib';
import { v3Acknowledgements } from './support/nag-acknowledgements';
import { COMPOSITIONS, ENV } from './support/nag-compositions';
import { runNag } from './support/nag-findings';

// Compositions synthesize a full app and run cdk-nag over it.
jest.setTimeout(120_000);

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
      new EventTrigger(stack, id, { pipeline: TrainingPipeline.fromPipelineName(stack, `${id}Pipeline`, 'p'), source: EventSource.afterPipeline(TrainingPipeline.fromPipelineName(stack, `${id}Upstream`, 'u')), ...options })],
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
