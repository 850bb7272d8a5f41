import { Token, type Stack } from 'aws-cdk-lib';
import { shortHash } from './short-hash';

/**
 * What tells one deployment of a stack from another in the names it gives: its stack name (`ml-dev` and `ml-staging`
 * built from one app share every construct path), and its account and region where they are known at synth.
 */
function stackIdentity(stack: Stack): string {
  const literal = (value: string) => (Token.isUnresolved(value) ? '' : value);
  return JSON.stringify([literal(stack.stackName), literal(stack.account), literal(stack.region), stack.node.path]);
}

/**
 * The prefix of every rule name a shared function of the stack accepts: `<kind>-<8 hex>-`, unique per stack name,
 * account and region, so that two deployments of one app in one account never share a rule name.
 */
export function stackRuleNamePrefix(stack: Stack, kind: 'mlt' | 'mle' | 'mld' | 'mls'): string {
  return `${kind}-${shortHash(stackIdentity(stack), 8)}-`;
}
