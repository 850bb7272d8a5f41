import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';

/**
 * Lets EventBridge send into `queue` for the rules `ruleArns` names (one ARN, or a list token that resolves to
 * several) and for nothing else: no rule created elsewhere, whatever its name or account, fills the queue.
 */
export function admitRules(queue: sqs.Queue, sid: string, ruleArns: string | string[]): void {
  queue.addToResourcePolicy(
    new iam.PolicyStatement({
      sid,
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['sqs:SendMessage'],
      resources: [queue.queueArn],
      conditions: { ArnEquals: { 'aws:SourceArn': ruleArns }, StringEquals: { 'aws:SourceAccount': Stack.of(queue).account } },
    }),
  );
}
