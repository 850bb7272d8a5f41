import { canonicalJson, sha256 } from '../../core/batching';

// The batch decisions are shared with the Azure batcher (lambda/core/batch-lease.ts); re-exported for the tests that
// read them from here.
export { batchJobId, CLAIM_TTL_MS } from '../../core/batch-lease';

/** The Firestore document id of an object: a hash of bucket, name and generation (ids cannot hold `/`). */
export function objectKey(identity: readonly [string, string, string]): string {
  return sha256(canonicalJson(identity));
}
