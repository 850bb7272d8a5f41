import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { BatchTriggerConfig } from '../../lambda/core/contracts/batch';
import { CONFIGURATION_CHANGED } from '../../lambda/core/contracts/re-enable';
import type { ReEnable } from '../re-enable';
import type { DataArrivalBatcher } from './data-arrival-batcher';
import { configurationPath, grantConfigurationHistory, updateRuleAfterConfiguration, type ConfiguredReceiver } from './trigger-configuration';

const RULE_ID = 'ConfigurationChanges';

/**
 * The rule on Parameter Store's change events for the configurations a receiver's triggers' deployment writes,
 * made with the first of its triggers that catches up when re-enabled: it invokes the receiver's function with a
 * fixed input, and the function reads the configurations and their history (GetParameterHistory, allowed under
 * that path only) to learn which triggers were turned off and back on. `told` names the function in the rule's
 * description.
 */
export function configurationChangeRule(receiver: ConfiguredReceiver, told: string): events.IRule {
  const existing = receiver.node.tryFindChild(RULE_ID) as events.Rule | undefined;
  if (existing) return existing;
  grantConfigurationHistory(receiver);
  return new events.Rule(receiver, RULE_ID, {
    ruleName: `${receiver.ruleNamePrefix}configuration-changes`,
    description: `cdk-ml-triggers: tells ${told} that a trigger was turned off or back on`,
    eventPattern: {
      source: ['aws.ssm'],
      detailType: ['Parameter Store Change'],
      detail: { name: events.Match.prefix(configurationPath(receiver)) },
    },
    targets: [
      new targets.LambdaFunction(receiver.function, {
        event: events.RuleTargetInput.fromObject(CONFIGURATION_CHANGED),
        deadLetterQueue: receiver.deadLetterQueue,
        retryAttempts: 20,
        maxEventAge: Duration.hours(6),
      }),
    ],
  });
}

/** Lets the batcher list `bucket` under `prefix` (the whole bucket without one), for a trigger's catch-up. */
export function grantCatchUpListing(batcher: DataArrivalBatcher, bucket: s3.IBucket, prefix: string | undefined): void {
  batcher.function.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      ...(prefix !== undefined ? { conditions: { StringEquals: { 's3:prefix': prefix } } } : {}),
    }),
  );
}

/** The configuration's `whenReEnabled`: written only for a catch-up, so that a trigger that skips writes what it did before. */
export function catchUpConfig(whenReEnabled: ReEnable | undefined, batchSize: number): Pick<BatchTriggerConfig, 'whenReEnabled'> {
  const policy = whenReEnabled?._policy(batchSize);
  return policy ? { whenReEnabled: policy } : {};
}

/**
 * For a trigger that catches up: the stack's rule on configuration changes, the listing of its bucket under its
 * prefix, and its rule updated after its configuration.
 */
export function followReEnabling(batcher: DataArrivalBatcher, config: BatchTriggerConfig, bucket: s3.IBucket, prefix: string | undefined, rule: events.Rule): void {
  if (!config.whenReEnabled) return;
  configurationChangeRule(batcher, 'the batcher');
  grantCatchUpListing(batcher, bucket, prefix);
  updateRuleAfterConfiguration(batcher, config.triggerId, rule);
}
