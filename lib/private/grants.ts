import { FeatureFlags, Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeWildcardResource } from './nag';

/** With it on (as `cdk init` sets it), a grant on an imported alias names every key, limited to the alias by a condition. */
const IMPORTED_ALIAS_GRANTS = '@aws-cdk/aws-kms:applyImportedAliasPermissionsToPrincipal';

/** Lets `grantee` publish to a topic the user gave, and answers for the wildcards the key grant brings. */
export function grantPublishTo(topic: sns.ITopic, grantee: iam.IGrantable): void {
  topic.grantPublish(grantee);
  acknowledgeKeyGrant(grantee, topic.masterKey);
}

/**
 * Answers for the wildcards aws-cdk-lib writes when it lets `grantee` use a key of the user's: the
 * `kms:GenerateDataKey*` family (one action per key spec) and, for an imported alias, `key/*` limited to
 * that alias by a `kms:ResourceAliases` condition. The key and its policy stay the user's.
 */
export function acknowledgeKeyGrant(grantee: iam.IGrantable, key: kms.IKey | undefined): void {
  const principal = grantee.grantPrincipal;
  if (!key || !Construct.isConstruct(principal)) return;
  acknowledge(principal, {
    id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
    reason: 'Encrypting for a KMS-encrypted resource of the user needs GenerateDataKey for any key spec; the grant names that resource\'s key only.',
  });
  if ('aliasName' in key && FeatureFlags.of(key).isEnabled(IMPORTED_ALIAS_GRANTS)) {
    acknowledgeWildcardResource(
      principal,
      Stack.of(key).formatArn({ service: 'kms', resource: 'key', resourceName: '*' }),
      "The user's resource is encrypted with a key named by an alias the stack imports; aws-cdk-lib limits the grant to that alias with a kms:ResourceAliases condition.",
    );
  }
}

/**
 * Lets `grantee` invoke `fn`. Lambda's invoke grant covers the function's versions as well (`<arn>:*`),
 * which cdk-nag reports on the grantee: answered for there, wherever the grantee is.
 * @param what the function as the reason names it, such as 'the coordinator'
 */
export function grantInvokeTo(fn: lambda.IFunction, grantee: iam.IGrantable, what: string): iam.Grant {
  const grant = fn.grantInvoke(grantee);
  const principal = grantee.grantPrincipal;
  if (Construct.isConstruct(principal)) {
    acknowledgeWildcardResource(
      principal,
      `${fn.functionArn}:*`,
      `Lambda's invoke grant on ${what} covers its versions too, whose numbers are not known in advance; it names ${what} function only.`,
    );
  }
  return grant;
}
