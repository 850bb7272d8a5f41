import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DataArrivalTrigger, EventTrigger, TrainingPipeline, type DataArrivalTriggerProps } from '../lib';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { manifestKey } from '../lambda/core/batching';
import { matchesPattern } from '../lambda/core/event-pattern';
import { deployedConfigOf, triggerIdOf } from './support/deployed-config';
import { stackWithPipeline, template } from './support/stacks';

/** The S3 Object Created fixture for `key` in the bucket the tests watch. */
function objectCreatedEvent(key: string): Record<string, unknown> {
  const event = JSON.parse(fs.readFileSync(path.resolve(__dirname, 'fixtures/events/s3-object-created.json'), 'utf8'));
  event.detail.object.key = key;
  return event;
}

function synthTriggers(count: number, props: Partial<DataArrivalTriggerProps> = {}) {
  const { stack, pipeline } = stackWithPipeline();
  const bucket = s3.Bucket.fromBucketName(stack, 'Data', 'mlops-data-prod');
  const triggers = Array.from(
    { length: count },
    (_, i) => new DataArrivalTrigger(stack, `Trigger${i}`, { pipeline, bucket, prefix: `labels/${i}/`, ...props }),
  );
  return { stack, triggers, template: template(stack) };
}

function resourceCount(t: Template): number {
  return Object.keys(t.toJSON().Resources).length;
}

/** The configuration the deployment writes for the template's first trigger. */
function inputOf(t: Template): { trigger: Record<string, unknown> } {
  const rule = Object.values(t.findResources('AWS::Events::Rule'))[0];
  const { config } = deployedConfigOf(t, rule);
  expect(config).toBeDefined();
  return { trigger: config! };
}

describe('DataArrivalTrigger', () => {
  test('a rule on Object Created in the bucket under the prefix, with prefix and suffix as one wildcard', () => {
    const { template: t } = synthTriggers(1, { prefix: 'labels/', suffix: '.parquet' });

    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: ['mlops-data-prod'] }, object: { key: [{ wildcard: 'labels/*.parquet' }] } },
      },
      State: 'ENABLED',
    });
  });

  test.each<[string, Partial<DataArrivalTriggerProps>, unknown]>([
    ['a prefix alone', { prefix: 'in/' }, { key: [{ prefix: 'in/' }] }],
    ['a suffix alone', { prefix: undefined, suffix: '.csv' }, { key: [{ suffix: '.csv' }] }],
    ['wildcard characters, escaped', { prefix: 'a*b/', suffix: '.x' }, { key: [{ wildcard: 'a\\*b/*.x' }] }],
  ])('key filter for %s', (_what, props, objectFilter) => {
    const { template: t } = synthTriggers(1, props);

    t.hasResourceProperties('AWS::Events::Rule', { EventPattern: { detail: { object: objectFilter } } });
  });

  test('no key filter matches every key of the bucket except manifests of the library', () => {
    const { template: t } = synthTriggers(1, { prefix: undefined });

    const rule = Object.values(t.findResources('AWS::Events::Rule'))[0];
    expect(rule.Properties.EventPattern.detail).toEqual({
      bucket: { name: ['mlops-data-prod'] },
      object: { key: [{ 'anything-but': { suffix: '.ml-triggers-manifest.jsonl' } }] },
    });
  });

  test('two triggers on one bucket without key filters: neither rule forwards a manifest of the other, both forward data', () => {
    // Prepare: the second trigger writes its manifests elsewhere in the bucket.
    const { template: t, triggers } = synthTriggers(2, { prefix: undefined });
    const second = synthTriggers(1, { prefix: undefined, manifestPrefix: 'runs/', triggerId: 'second' });
    const patterns = [...Object.values(t.findResources('AWS::Events::Rule')), ...Object.values(second.template.findResources('AWS::Events::Rule'))]
      .map((rule) => rule.Properties.EventPattern);
    const inputs = [inputOf(t), inputOf(second.template)].map((input) => input.trigger as unknown as Parameters<typeof manifestKey>[0]);
    const manifests = inputs.map((config) => manifestKey(config, { triggerId: config.triggerId, epoch: 'e', generation: 1 }));

    // Act
    const forwarded = manifests.flatMap((key) => patterns.map((pattern) => matchesPattern(pattern, objectCreatedEvent(key))));
    const data = patterns.map((pattern) => matchesPattern(pattern, objectCreatedEvent('incoming/one.jsonl')));

    // Assess
    expect(triggers).toHaveLength(2);
    expect(manifests[1]).toMatch(/^runs\/second\//);
    expect(forwarded).toEqual(Array(6).fill(false));
    expect(data).toEqual([true, true, true]);
  });

  test('the target is the shared batcher with the trigger id, a retry policy and the encrypted dead-letter queue; the configuration is a parameter the deployment writes', () => {
    const { template: t, triggers } = synthTriggers(1, { batchSize: 250, batchWindow: Duration.minutes(30), parameters: { TrainingMode: 'data' } });

    const functionId = Object.keys(t.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } }))[0];
    const queueId = Object.keys(t.findResources('AWS::SQS::Queue'))[0];
    t.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
          RetryPolicy: { MaximumEventAgeInSeconds: 21600, MaximumRetryAttempts: 20 },
        }),
      ],
    });
    t.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    const rule = Object.values(t.findResources('AWS::Events::Rule'))[0];
    expect(triggerIdOf(rule)).toBe(triggers[0].triggerId);
    expect(inputOf(t).trigger).toEqual({
      triggerId: triggers[0].triggerId,
      pipelineName: 'churn-training',
      source: { bucket: 'mlops-data-prod', prefix: 'labels/0/' },
      batchSize: 250,
      batchWindowSeconds: 1800,
      manifestBucket: 'mlops-data-prod',
      manifestPrefix: 'ml-triggers/manifests/',
      manifestParameterName: 'ManifestS3Uri',
      countParameterName: 'ObjectCount',
      parameters: { TrainingMode: 'data' },
      maxStartAttempts: 6,
    });
  });

  test('parameter values never reach the rule: its input names the trigger and carries the event, placeholders in values stay text', () => {
    const { template: t } = synthTriggers(1, { parameters: { Note: '<aws.events.rule-arn>' } });

    const rule = Object.values(t.findResources('AWS::Events::Rule'))[0];
    const text: string = rule.Properties.Targets[0].InputTransformer.InputTemplate;
    expect(text).not.toContain('Note');
    expect(text).not.toContain('<aws.events.rule-arn>');
    expect(inputOf(t).trigger.parameters).toEqual({ Note: '<aws.events.rule-arn>' });
  });

  test('EventBridge may put undeliverable events of this stack\'s trigger rules, named by exact ARN, into the dead-letter queue', () => {
    const { template: t } = synthTriggers(2);

    const policy = Object.values(t.findResources('AWS::SQS::QueuePolicy'))[0];
    const statement = policy.Properties.PolicyDocument.Statement.find((s: { Sid?: string }) => s.Sid === 'UndeliveredEventsOfMlTriggersDataArrival');
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
    new EventTrigger(stack, 'Chain', { pipeline, afterPipeline: TrainingPipeline.fromPipelineName(stack, 'Up', 'features') });
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

  test('each rule has an invoke permission of its own, for its exact ARN: no rule created elsewhere can invoke the batcher', () => {
    const { template: t } = synthTriggers(3);

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

  test('each further trigger costs three resources (rule, invoke permission, stale-batch alarm) and a share of a configuration parameter, so 150 fit a stack', () => {
    const one = resourceCount(synthTriggers(1).template);
    const two = resourceCount(synthTriggers(2).template);
    const many = synthTriggers(150).template;

    expect(two - one).toBe(3);
    expect(resourceCount(many)).toBeLessThan(500);
    many.resourceCountIs('AWS::Events::Rule', 150);
    many.resourceCountIs('AWS::Lambda::Permission', 150);
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

  test('turns on EventBridge notifications for the bucket', () => {
    const { template: t } = synthTriggers(1);

    t.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: 'mlops-data-prod',
      NotificationConfiguration: { EventBridgeConfiguration: {} },
    });
  });

  test('enabled: false keeps a disabled rule', () => {
    const { template: t } = synthTriggers(1, { enabled: false });

    t.hasResourceProperties('AWS::Events::Rule', { State: 'DISABLED' });
  });

  test('alarms when a batch of this trigger waited more than twice its window', () => {
    const { template: t, triggers } = synthTriggers(1, { batchWindow: Duration.minutes(30) });

    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'MLTriggers',
      MetricName: 'OldestBatchAge',
      Dimensions: Match.arrayWith([{ Name: 'TriggerId', Value: triggers[0].triggerId }]),
      Threshold: 3600,
      ComparisonOperator: 'GreaterThanThreshold',
      Statistic: 'Maximum',
    });
  });

  test('alarms when a batch ran out of start attempts', () => {
    const { template: t } = synthTriggers(1);

    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'MLTriggers',
      MetricName: 'BatchesFailed',
      Dimensions: Match.arrayWith([{ Name: 'service', Value: 'DataArrivalBatcher' }]),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  describe('validation at synth', () => {
    test.each<[string, Partial<DataArrivalTriggerProps>, string | RegExp]>([
      ['a batch size of 0', { batchSize: 0 }, 'batchSize must be a whole number between 1 and 10000, got 0'],
      ['a batch size over 10,000', { batchSize: 10_001 }, 'batchSize must be a whole number between 1 and 10000, got 10001'],
      ['a window under a minute', { batchWindow: Duration.seconds(30) }, 'batchWindow must be between 1 minute and 7 days, got 30 seconds'],
      ['a window over 7 days', { batchWindow: Duration.days(8) }, 'batchWindow must be between 1 minute and 7 days, got 8 days'],
      ['no start attempts', { maxStartAttempts: 0 }, 'maxStartAttempts must be a whole number between 1 and 50, got 0'],
      ['a parameter named like the manifest parameter', { parameters: { ManifestS3Uri: 'x' } }, 'parameters.ManifestS3Uri collides with manifestParameterName: the batcher sets ManifestS3Uri itself; rename one of them'],
      ['a bad parameter name', { parameters: { 'bad name': 'x' } }, /parameters name 'bad name' is not a valid SageMaker pipeline parameter name/],
      ['a manifest prefix without a slash', { manifestPrefix: 'manifests' }, "manifestPrefix must be empty or end with '/', got 'manifests'"],
      ['an empty prefix', { prefix: '' }, 'prefix must not be empty: leave it out to match every key'],
      ['a prefix under the manifests of the library', { prefix: 'ml-triggers/manifests/x/' }, "prefix must not be under 'ml-triggers/manifests/', which holds manifests of the library"],
      ['a suffix that marks manifests', { suffix: '.ml-triggers-manifest.jsonl' }, "suffix must not end with '.ml-triggers-manifest.jsonl', which marks manifests of the library"],
      ['a trigger id with a slash', { triggerId: 'a/b' }, "triggerId must be 1-64 letters, digits, - or _, got 'a/b'"],
      ['parameters too long for the event template', { parameters: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`P${i}`, 'v'.repeat(1000)])) }, /parameters make trigger \S+ configuration \d+ bytes \(a reference counted as 256\), an SSM parameter holds at most 8192: shorten them/],
    ])('%s fails with a message naming the prop', (_what, props, message) => {
      expect(() => synthTriggers(1, props)).toThrow(message);
    });

    test('two triggers with one id in a stack are refused', () => {
      const { stack, pipeline } = stackWithPipeline();
      const bucket = s3.Bucket.fromBucketName(stack, 'Data', 'data');
      new DataArrivalTrigger(stack, 'A', { pipeline, bucket, triggerId: 'same' });

      expect(() => new DataArrivalTrigger(stack, 'B', { pipeline, bucket, triggerId: 'same' })).toThrow(
        "triggerId 'same' is used by two data-arrival triggers in this stack: give each its own",
      );
    });
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
