import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EMPTY_JOIN_STATE, type JoinState } from '../../core/joins';
import type { VersionedDocument } from '../../core/persistence';
import { dynamoDocument } from '../adapters/versioned-document';

/** A join that no event touches for this long is forgotten (its occurrences are out of any window by then). */
const IDLE_RETENTION_S = 45 * 86_400;

/** Where each join's state lives; tests wrap it to crash or count. */
export interface JoinDocuments {
  /** The state of the trigger's join, or of its join for one key (`keyId`, from `readJoinKey`). */
  document(triggerId: string, keyId?: string): VersionedDocument<JoinState>;
}

/**
 * The occurrences of each join since its last start, one versioned document per trigger, or per
 * (trigger, key) for a per-key join: the key's fixed-length hex id is the sort key, so no key value
 * reaches another key's or another trigger's document. Every key's document is forgotten after the
 * idle retention, so a flood of distinct keys costs documents that expire, not a growing state.
 */
export class JoinStore implements JoinDocuments {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  document(triggerId: string, keyId?: string): VersionedDocument<JoinState> {
    return dynamoDocument(this.client, this.tableName, { pk: `J#${triggerId}`, sk: keyId === undefined ? 'JOIN' : `KEY#${keyId}` }, EMPTY_JOIN_STATE, () => Math.floor(this.now() / 1000) + IDLE_RETENTION_S);
  }
}
