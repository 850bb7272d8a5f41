import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { type DataArrivalTriggerProps } from '../lib';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { manifestKey } from '../lambda/core/batching';
import { matchesPattern } from '../lambda/core/event-pattern';
import { synthTriggers } from './support/data-arrival-synth';
import { deployedConfigOf, triggerIdOf } from './support/deployed-config';

/** The S3 Object Created fixture for `key` in the bucket the tests watch. */
function objectCreatedEvent(key: string): Record<string, unknown> {
  const event = JSON.parse(fs.readFileSync(path.resolve(__dirname, 'fixtures/events/s3-object-created.json'), 'utf8'));
  event.detail.object.key = key;
  return event;
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

  test('the target is the stack\'s arrival queue with the trigger id, a retry policy and the encrypted dead-letter queue; the configuration is a parameter the deployment writes', () => {
    const { template: t, triggers } = synthTriggers(1, { batchSize: 250, batchWindow: Duration.minutes(30), parameters: { TrainingMode: 'data' } });

    const queues = t.findResources('AWS::SQS::Queue');
    const arrivalId = Object.keys(queues).find((id) => queues[id].Properties.RedrivePolicy !== undefined)!;
    const deadLetterId = Object.keys(queues).find((id) => queues[id].Properties.RedrivePolicy === undefined)!;
    t.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [arrivalId, 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [deadLetterId, 'Arn'] } },
          RetryPolicy: { MaximumEventAgeInSeconds: 21600, MaximumRetryAttempts: 20 },
        }),
      ],
    });
    expect(Object.values(queues).map((queue) => queue.Properties.SqsManagedSseEnabled)).toEqual([true, true]);
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

});
