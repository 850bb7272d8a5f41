import { Duration } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DataArrivalTrigger, ObjectDelivery, type DataArrivalTriggerProps, type QueueDeliveryOptions } from '../lib';
import { synthTriggers } from './support/data-arrival-synth';
import { stackWithPipeline } from './support/stacks';

describe('DataArrivalTrigger', () => {
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

    test.each<[string, () => ObjectDelivery, string]>([
      ['a delivery batch size of 0', () => ObjectDelivery.queue({ batchSize: 0 }), 'delivery.batchSize must be a whole number between 1 and 10000, got 0'],
      ['a delivery batch size over 10,000', () => ObjectDelivery.queue({ batchSize: 10_001 }), 'delivery.batchSize must be a whole number between 1 and 10000, got 10001'],
      ['a fractional delivery batch size', () => ObjectDelivery.queue({ batchSize: 1.5 }), 'delivery.batchSize must be a whole number between 1 and 10000, got 1.5'],
      ['a batching window over 5 minutes', () => ObjectDelivery.queue({ maxBatchingWindow: Duration.seconds(301) }), 'delivery.maxBatchingWindow must be between 0 seconds and 5 minutes, got 5 minutes 1 second'],
      ['a maximum concurrency of 1', () => ObjectDelivery.queue({ maxConcurrency: 1 }), 'delivery.maxConcurrency must be a whole number between 2 and 1000, got 1'],
      ['a maximum concurrency over 1,000', () => ObjectDelivery.queue({ maxConcurrency: 1001 }), 'delivery.maxConcurrency must be a whole number between 2 and 1000, got 1001'],
      ['a maximum receive count of 0', () => ObjectDelivery.queue({ maxReceiveCount: 0 }), 'delivery.maxReceiveCount must be a whole number between 1 and 1000, got 0'],
      ['a maximum receive count over 1,000', () => ObjectDelivery.queue({ maxReceiveCount: 1001 }), 'delivery.maxReceiveCount must be a whole number between 1 and 1000, got 1001'],
    ])('%s fails with a message naming the delivery option', (_what, delivery, message) => {
      expect(delivery).toThrow(message);
    });

    test.each<[string, QueueDeliveryOptions]>([
      ['the default batch size', { maxBatchingWindow: Duration.seconds(0) }],
      ['a batch size of 11', { batchSize: 11, maxBatchingWindow: Duration.seconds(0) }],
    ])('no batching window with %s fails at synth: Lambda requires one above 10 messages', (_what, options) => {
      // Prepare
      const delivery = ObjectDelivery.queue(options);

      // Act
      const act = () => synthTriggers(1, { delivery });

      // Assess
      expect(act).toThrow(/delivery\.maxBatchingWindow must be at least 1 second when delivery\.batchSize is over 10 \(Lambda's rule for queue event sources\), got 0 seconds with a batchSize of 1[01]/);
    });

    test('no batching window with up to 10 messages per invocation is accepted', () => {
      const { template: t } = synthTriggers(1, { delivery: ObjectDelivery.queue({ batchSize: 10, maxBatchingWindow: Duration.seconds(0) }) });

      t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 10, MaximumBatchingWindowInSeconds: 0 });
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
});
