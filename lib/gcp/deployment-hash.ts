import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { shortHash } from '../private/short-hash';

/** Where a construct's resources live: a {@link VertexPipeline}'s project and region, literals it has validated. */
export interface GoogleLocation {
  readonly project: string;
  readonly region: string;
}

/**
 * A short, stable hash of what tells one deployment of a construct from another, for names that must be unique but
 * fit Google's length limits: its stack's name (what `cdktf deploy` takes), the Google project and region, and its
 * construct path. One stack name deployed into two projects or regions, or one app as `dev` and `staging`, never
 * shares a topic, account, function or Firestore document; the same inputs always give the same hash.
 */
export function deploymentHash(scope: Construct, location: GoogleLocation, length: number): string {
  const identity = JSON.stringify([TerraformStack.of(scope).node.id, location.project, location.region, scope.node.path]);
  return shortHash(identity, length);
}
