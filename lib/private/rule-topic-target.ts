import { Duration, Stack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';

/**
 * An SNS topic as a rule's target that only this rule may publish to: the topic's policy (and the dead-letter
 * queue's) admit EventBridge for this rule's ARN in this account, not any rule anyone creates. aws-cdk-lib's
 * `SnsTopic` target admits `events.amazonaws.com` without a source condition.
 */
export class RuleTopicTarget implements events.IRuleTarget {
  constructor(
    private readonly topic: sns.ITopic,
    private readonly deadLetterQueue: sqs.IQueue,
    private readonly delivery: { readonly retryAttempts: number; readonly maxEventAge: Duration },
  ) {}

  public bind(rule: events.IRule): events.RuleTargetConfig {
    const conditions = sourceConditions(rule);
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({ principals: [new iam.ServicePrincipal('events.amazonaws.com')], actions: ['sns:Publish'], resources: [this.topic.topicArn], conditions }),
    );
    this.deadLetterQueue.addToResourcePolicy(
      new iam.PolicyStatement({ principals: [new iam.ServicePrincipal('events.amazonaws.com')], actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn], conditions }),
    );
    return {
      arn: this.topic.topicArn,
      deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
      retryPolicy: { maximumRetryAttempts: this.delivery.retryAttempts, maximumEventAgeInSeconds: this.delivery.maxEventAge.toSeconds() },
      targetResource: this.topic,
    };
  }
}

/** The conditions under which a service acting for `rule` is admitted: this rule, in this account. */
export function sourceConditions(rule: events.IRule): Record<string, unknown> {
  return { ArnEquals: { 'aws:SourceArn': rule.ruleArn }, StringEquals: { 'aws:SourceAccount': Stack.of(rule).account } };
}
