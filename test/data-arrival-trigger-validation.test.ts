import { Duration } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DataArrivalTrigger, type DataArrivalTriggerProps } from '../lib';
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
