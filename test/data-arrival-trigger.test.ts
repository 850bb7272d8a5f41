import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DataArrivalTrigger, type DataArrivalTriggerProps } from '../lib';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { manifestKey } from '../lambda/core/batching';
import { matchesPattern } from './support/event-pattern-matcher';
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

function inputOf(t: Template): { trigger: Record<string, unknown> } {
  const rule = Object.values(t.findResources('AWS::Events::Rule'))[0];
  const text: string = rule.Properties.Targets[0].InputTransformer.InputTemplate;
  return JSON.parse(text.replace('<aws.events.event>', '{}'));
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

  test('the target is the shared batcher with the trigger configuration, a retry policy and the encrypted dead-letter queue', () => {
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
    expect(inputOf(t).trigger).toEqual({
      triggerId: triggers[0].triggerId,
      pipelineName: 'churn-training',
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

  test('parameter values cannot open a template placeholder', () => {
    const { template: t } = synthTriggers(1, { parameters: { Note: '<aws.events.rule-arn>' } });

    const rule = Object.values(t.findResources('AWS::Events::Rule'))[0];
    const text: string = rule.Properties.Targets[0].InputTransformer.InputTemplate;
    expect(text).not.toContain('<aws.events.rule-arn>');
    expect(inputOf(t).trigger.parameters).toEqual({ Note: '<aws.events.rule-arn>' });
  });

  test('EventBridge may put undeliverable events of trigger rules, and only of those, into the dead-letter queue', () => {
    const { template: t } = synthTriggers(2);

    const policy = Object.values(t.findResources('AWS::SQS::QueuePolicy'))[0];
    const statement = policy.Properties.PolicyDocument.Statement.find((s: { Sid?: string }) => s.Sid === 'InvokeFromTriggerRulesDeadLetters');
    expect(statement).toMatchObject({ Effect: 'Allow', Action: 'sqs:SendMessage', Principal: { Service: 'events.amazonaws.com' } });
    const pattern: string = statement.Condition.ArnLike['aws:SourceArn']['Fn::Join'][1].at(-1);
    expect(pattern).toMatch(/:rule\/\*mlt-[0-9a-f]{8}-\*$/);
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

  test('one invoke permission covers every rule: rule names share its prefix', () => {
    const { template: t } = synthTriggers(3);

    t.resourceCountIs('AWS::Lambda::Permission', 1);
    const permission = Object.values(t.findResources('AWS::Lambda::Permission'))[0];
    const pattern: string = permission.Properties.SourceArn['Fn::Join'][1].at(-1);
    const prefix = pattern.slice(pattern.indexOf(':rule/*') + ':rule/*'.length).replace(/\*$/, '');
    expect(prefix).toMatch(/^mlt-[0-9a-f]{8}-$/);
    const names = Object.values(t.findResources('AWS::Events::Rule')).map((r) => r.Properties.Name as string);
    expect(names).toHaveLength(3);
    expect(names.every((name) => name.startsWith(prefix) && name.length <= 64)).toBe(true);
    expect(permission.Properties.Principal).toBe('events.amazonaws.com');
  });

  test('each further trigger costs two resources (its rule and its stale-batch alarm), so 150 fit a stack', () => {
    const one = resourceCount(synthTriggers(1).template);
    const two = resourceCount(synthTriggers(2).template);
    const many = synthTriggers(150).template;

    expect(two - one).toBeLessThanOrEqual(3);
    expect(two - one).toBe(2);
    expect(resourceCount(many)).toBeLessThan(500);
    many.resourceCountIs('AWS::Events::Rule', 150);
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
      ['parameters too long for the event template', { parameters: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`P${i}`, 'v'.repeat(1000)])) }, /parameters make the event template \d+ characters, EventBridge takes at most 8192/],
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
