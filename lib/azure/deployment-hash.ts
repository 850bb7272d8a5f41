import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { shortHash } from '../private/short-hash';

/** Where a construct's resources live: an {@link AzureMLPipeline}'s subscription, resource group and region. */
export interface AzureLocation {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location: string;
}

/**
 * A short, stable hash of what tells one deployment of a construct from another, for names that must be unique but
 * fit Azure's length limits (storage accounts: 24 characters): its stack's name, the subscription, resource group and
 * region, and its construct path. One app deployed as `dev` and `staging`, or into two resource groups, never shares
 * a function app, table or role; the same inputs always give the same hash.
 */
export function azureDeploymentHash(scope: Construct, where: AzureLocation, length: number): string {
  const identity = JSON.stringify([TerraformStack.of(scope).node.id, where.subscriptionId, where.resourceGroup.toLowerCase(), where.location, scope.node.path]);
  return shortHash(identity, length);
}
