import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DataArrivalTrigger, EventSource, EventTrigger, ObjectDelivery, TrainingPipeline } from '../lib';
import { synthTriggers } from './support/data-arrival-synth';
import { stackWithPipeline, template } from './support/stacks';

function resourceCount(t: Template): number {
  return Object.keys(t.toJSON().Resources).length;
}

describe('DataArrivalTrigger', () => {
  test('EventBridge may put undeliverable events of this stack\'s trigger rules, named by exact ARN, into the dead-letter queue', () => {
    const { template: t } = synthTriggers(2);

    const statements = Object.values(t.findResources('AWS::SQS::QueuePolicy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const statement = statements.find((s: { Sid?: string }) => s.Sid === 'UndeliveredEventsOfMlTriggersDataArrival');
    expect(statement).toMatchObject({ Effect: 'Allow', Action: 'sqs:SendMessage', Principal: { Service: 'events.amazonaws.com' } });
    const ruleIds = Object.keys(t.findResources('AWS::Events::Rule')).sort();
    expect(statement.Condition.ArnEquals['aws:SourceArn']).toEqual(ruleIds.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })));
    expect(statement.Condition.StringEquals['aws:SourceAccount']).toBe('123456789012');
    expect(statement.Condition.ArnLike).toBeUndefined();
  });

  test('the batch table is on demand, encrypted, with point-in-time recovery and TTL, and kept on delete', () => {
    const { template: t } = synthTriggers(1);

    t.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('the batcher runs nodejs22.x on arm64 from the bundled asset, with Powertools settings', () => {
    const { template: t } = synthTriggers(1);

    t.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Environment: { Variables: Match.objectLike({ POWERTOOLS_METRICS_NAMESPACE: 'MLTriggers' }) },
    });
  });

  test('IAM: start and list executions on this pipeline only, PutObject on the manifest prefix only, no wildcard action', () => {
    const { template: t, triggers } = synthTriggers(1);

    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const start = statements.filter((s) => [s.Action].flat().includes('sagemaker:StartPipelineExecution'));
    expect(start.map((s) => s.Resource)).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:eu-west-1:123456789012:pipeline/churn-training']] },
    ]);
    // Listing this pipeline's executions: how a batch whose every start reply was lost finds its run.
    const list = statements.filter((s) => [s.Action].flat().includes('sagemaker:ListPipelineExecutions'));
    expect(list.map((s) => s.Resource)).toEqual(start.map((s) => s.Resource));
    const put = statements.filter((s) => [s.Action].flat().includes('s3:PutObject'));
    expect(put).toEqual([
      {
        Action: 's3:PutObject',
        Effect: 'Allow',
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::mlops-data-prod/ml-triggers/manifests/${triggers[0].triggerId}/*`]],
        },
      },
    ]);
    expect(statements.flatMap((s) => [s.Action].flat()).filter((a: string) => a.endsWith('*') && !a.startsWith('dynamodb:'))).toEqual([]);
  });

  test('a flush schedule every minute invokes the batcher with every trigger id', () => {
    const { template: t, triggers } = synthTriggers(2);

    const flush = Object.values(t.findResources('AWS::Scheduler::Schedule'))[0];
    expect(flush.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(JSON.parse(flush.Properties.Target.Input)).toEqual({
      flush: { triggerIds: triggers.map((trigger) => trigger.triggerId).sort() },
    });
  });

  test('the batcher reads its configurations from its stack\'s path, and its version changes with them and only with them', () => {
    const version = (t: Template) => Object.values(t.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } }))[0].Properties.Environment.Variables;

    const first = version(synthTriggers(2).template);
    const again = version(synthTriggers(2).template);
    const changed = version(synthTriggers(2, { batchSize: 7 }).template);
    const more = version(synthTriggers(3).template);

    expect(first.TRIGGER_CONFIG_PATH).toMatch(/^\/cdk-ml-triggers\/mlt-[0-9a-f]{8}\/$/);
    expect(first.TRIGGER_CONFIG_VERSION).toMatch(/^[0-9a-f]{16}$/);
    expect(again.TRIGGER_CONFIG_VERSION).toBe(first.TRIGGER_CONFIG_VERSION);
    expect(new Set([first, changed, more].map((v) => v.TRIGGER_CONFIG_VERSION)).size).toBe(3);
  });

  test('the batcher is updated after the configurations it reads, and may read only its own path', () => {
    const { template: t } = synthTriggers(2);

    const [functionId, fn] = Object.entries(t.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } }))[0];
    const parameterIds = Object.keys(t.findResources('AWS::SSM::Parameter'));
    expect(parameterIds).toHaveLength(1); // both configurations, packed
    expect(fn.DependsOn).toEqual(expect.arrayContaining(parameterIds));
    const path: string = fn.Properties.Environment.Variables.TRIGGER_CONFIG_PATH;
    for (const parameter of Object.values(t.findResources('AWS::SSM::Parameter'))) {
      expect(parameter.Properties).toMatchObject({ Type: 'String', Tier: 'Intelligent-Tiering', Name: expect.stringMatching(new RegExp(`^${path}configs-[0-9]+$`)) });
    }
    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const reads = statements.filter((st) => [st.Action].flat().some((a: string) => a.startsWith('ssm:')));
    expect(reads).toHaveLength(1);
    expect(reads[0].Action).toBe('ssm:GetParametersByPath');
    const resources = JSON.stringify(reads[0].Resource);
    expect(resources).toContain(`:parameter${path.slice(0, -1)}"`);
    expect(resources).toContain(`:parameter${path}*"`);
    expect(functionId).toBeDefined();
  });

  test('data-arrival and event triggers in one stack share the dead-letter queue, each receiver naming only its own rules', () => {
    const { stack, pipeline } = stackWithPipeline();
    new DataArrivalTrigger(stack, 'Labels', { pipeline, bucket: s3.Bucket.fromBucketName(stack, 'Data', 'mlops-data-prod') });
    new EventTrigger(stack, 'Chain', { pipeline, source: EventSource.afterPipeline(TrainingPipeline.fromPipelineName(stack, 'Up', 'features')) });
    const t = template(stack);

    const rules = t.findResources('AWS::Events::Rule');
    const ruleOf = (kind: string) => Object.keys(rules).find((id) => String(rules[id].Properties.Description).includes(kind))!;
    const statements = Object.values(t.findResources('AWS::SQS::QueuePolicy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const bySid = (sid: string) => statements.find((st: { Sid?: string }) => st.Sid === sid).Condition.ArnEquals['aws:SourceArn'];
    expect(bySid('UndeliveredEventsOfMlTriggersDataArrival')).toEqual([{ 'Fn::GetAtt': [ruleOf('data-arrival'), 'Arn'] }]);
    expect(bySid('UndeliveredEventsOfMlTriggersEvents')).toEqual([{ 'Fn::GetAtt': [ruleOf('chain'), 'Arn'] }]);
    const paths = Object.values(t.findResources('AWS::Lambda::Function')).map((f) => f.Properties.Environment?.Variables?.TRIGGER_CONFIG_PATH).filter(Boolean);
    expect(paths).toHaveLength(2);
    expect(new Set(paths).size).toBe(2);
  });

  test('delivered per event, each rule has an invoke permission of its own, for its exact ARN: no rule created elsewhere can invoke the batcher', () => {
    const { template: t } = synthTriggers(3, { delivery: ObjectDelivery.perEvent() });

    const ruleIds = Object.keys(t.findResources('AWS::Events::Rule')).sort();
    const permissions = Object.values(t.findResources('AWS::Lambda::Permission'));
    expect(permissions.map((p) => p.Properties.SourceArn).sort((a, b) => a['Fn::GetAtt'][0].localeCompare(b['Fn::GetAtt'][0]))).toEqual(
      ruleIds.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })),
    );
    for (const permission of permissions) {
      expect(permission.Properties).toMatchObject({ Principal: 'events.amazonaws.com', Action: 'lambda:InvokeFunction', SourceAccount: '123456789012' });
    }
    const names = Object.values(t.findResources('AWS::Events::Rule')).map((r) => r.Properties.Name as string);
    expect(names.every((name) => /^mlt-[0-9a-f]{8}-[0-9a-f]{16}$/.test(name))).toBe(true);
  });

  test('each further trigger costs two resources (rule, stale-batch alarm) and a share of a configuration parameter, so 150 fit a stack', () => {
    // Prepare
    const one = resourceCount(synthTriggers(1).template);

    // Act
    const two = resourceCount(synthTriggers(2).template);
    const many = synthTriggers(150).template;

    // Assess
    expect(two - one).toBeLessThanOrEqual(2);
    expect(resourceCount(many)).toBeLessThan(500);
    many.resourceCountIs('AWS::Events::Rule', 150);
    many.resourceCountIs('AWS::Lambda::Permission', 0);
    many.resourceCountIs('AWS::SQS::Queue', 2); // the arrival queue and the dead-letter queue
    many.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    const packs = Object.values(many.findResources('AWS::SSM::Parameter'));
    expect(packs.length).toBeLessThanOrEqual(15);
    // Every pack fits SSM's 8 KB, and holds every trigger once.
    const ids = packs.flatMap((p) => {
      expect(Buffer.byteLength(p.Properties.Value)).toBeLessThanOrEqual(8192);
      return Object.keys(JSON.parse(p.Properties.Value));
    });
    expect(new Set(ids).size).toBe(150);
    expect(ids).toHaveLength(150);
    many.resourceCountIs('AWS::Lambda::Function', 2); // the batcher and aws-cdk-lib's bucket-notification handler
  });

  test('delivered per event, each further trigger costs three resources (rule, invoke permission, stale-batch alarm)', () => {
    // Prepare
    const perEvent = { delivery: ObjectDelivery.perEvent() };
    const one = resourceCount(synthTriggers(1, perEvent).template);

    // Act
    const two = resourceCount(synthTriggers(2, perEvent).template);

    // Assess
    expect(two - one).toBe(3);
  });

  test('triggers in two stacks each get their own batcher', () => {
    const { stack, pipeline } = stackWithPipeline();
    const other = new Stack(stack.node.scope!, 'Other', { env: { account: '123456789012', region: 'eu-west-1' } });
    new DataArrivalTrigger(stack, 'A', { pipeline, bucket: s3.Bucket.fromBucketName(stack, 'D', 'data-a') });
    new DataArrivalTrigger(other, 'B', { pipeline, bucket: s3.Bucket.fromBucketName(other, 'D', 'data-b') });

    Template.fromStack(other).resourceCountIs('AWS::DynamoDB::Table', 1);
    Template.fromStack(stack).resourceCountIs('AWS::DynamoDB::Table', 1);
  });
});
