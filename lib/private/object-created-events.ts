import { Stack } from 'aws-cdk-lib';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { MANIFEST_KEY_SUFFIX } from '../../lambda/core/batching';
import { acknowledge } from './nag';

/** The handler aws-cdk-lib uses to configure bucket notifications, a singleton at the stack's root. */
const NOTIFICATIONS_HANDLER_ID = 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834';

/** Turns on the bucket's EventBridge notifications, whose Object Created events a data-arrival rule matches. */
export function enableEventBridge(bucket: s3.IBucket): void {
  bucket.enableEventBridgeNotification();
  const handler = Stack.of(bucket).node.tryFindChild(NOTIFICATIONS_HANDLER_ID);
  if (handler) {
    acknowledge(handler, {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: "The bucket-notification handler and its role belong to aws-cdk-lib, which uses them to turn on the bucket's EventBridge notifications at deploy time.",
    });
  }
}

/**
 * The key filter: EventBridge ORs two filters on one field, so prefix and suffix together become one wildcard.
 * Without either, the rule leaves out every manifest of the library; with one, the batcher does.
 */
export function keyFilter(prefix: string | undefined, suffix: string | undefined): Record<string, unknown> {
  if (prefix === undefined && suffix === undefined) return { object: { key: [{ 'anything-but': { suffix: MANIFEST_KEY_SUFFIX } }] } };
  const escape = (text: string) => text.replace(/[\\*]/g, (c) => `\\${c}`);
  const matcher =
    prefix !== undefined && suffix !== undefined
      ? { wildcard: `${escape(prefix)}*${escape(suffix)}` }
      : prefix !== undefined
        ? { prefix }
        : { suffix };
  return { object: { key: [matcher] } };
}
