import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag-v2';
import { DataArrivalTrigger, EventSource, EventTrigger, RetrainingCoordinator, TrainingPipeline } from '../lib';
import { acknowledge } from '../lib/private/nag';
import { allConstructs, byUser, v2Suppressions, v3Acknowledgements } from './support/nag-acknowledgements';
import { COMPOSITIONS, ENV } from './support/nag-compositions';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { NAG_MAJORS, NAG_PACKS, runNag, type NagFinding, type NagRun } from './support/nag-findings';

// Each composition synthesizes a full app and runs four checks over it.
jest.setTimeout(120_000);

/** An acknowledgement's reason: at least one sentence. v2 prefixes the finding it applied to (`[Resource::*] `). */
const SENTENCE = /^(\[[^\]]*\] )?[A-Z].{30,}\.$/s;

/** The findings on the user's own resources that each composition must still report: theirs to fix, never acknowledged by the library. */
const USER_FINDINGS: Record<string, Record<(typeof NAG_PACKS)[number], string[]>> = {
  driftAlone: { AwsSolutions: ['AwsSolutions-S1', 'AwsSolutions-S10', 'AwsSolutions-SNS3'], Serverless: [] },
  dataArrivalAlone: {
    AwsSolutions: ['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', 'AwsSolutions-L1', 'AwsSolutions-S1'],
    Serverless: ['Serverless-LambdaDLQ', 'Serverless-LambdaDefaultMemorySize', 'Serverless-LambdaDefaultTimeout', 'Serverless-LambdaLatestVersion', 'Serverless-LambdaTracing'],
  },
  allFunctionOptions: { AwsSolutions: ['AwsSolutions-VPC7'], Serverless: [] },
};

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
        new EventTrigger(stack, `${kind}Chain`, { pipeline, source: EventSource.afterPipeline(pipeline), ...(kind === 'coordinated' ? { coordinator } : {}) });
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
