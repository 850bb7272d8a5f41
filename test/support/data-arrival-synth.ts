import * as s3 from 'aws-cdk-lib/aws-s3';
import { DataArrivalTrigger, type DataArrivalTriggerProps } from '../../lib';
import { stackWithPipeline, template } from './stacks';

/** `count` DataArrivalTriggers on one bucket, each under its own `labels/<i>/` prefix, synthesized. */
export function synthTriggers(count: number, props: Partial<DataArrivalTriggerProps> = {}) {
  const { stack, pipeline } = stackWithPipeline();
  const bucket = s3.Bucket.fromBucketName(stack, 'Data', 'mlops-data-prod');
  const triggers = Array.from(
    { length: count },
    (_, i) => new DataArrivalTrigger(stack, `Trigger${i}`, { pipeline, bucket, prefix: `labels/${i}/`, ...props }),
  );
  return { stack, triggers, template: template(stack) };
}
