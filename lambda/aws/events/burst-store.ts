import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EMPTY_DEBOUNCE_STATE, type DebounceState } from '../../core/debounce';
import type { VersionedDocument } from '../../core/persistence';
import { dynamoDocument } from '../adapters/versioned-document';

/** A burst that no event touches for this long is forgotten: its quiet period (15 minutes at most) ended long before. */
const IDLE_RETENTION_S = 14 * 86_400;

/** Where each debounced trigger's bursts live; tests wrap it to crash or count. */
export interface BurstDocuments {
  document(triggerId: string): VersionedDocument<DebounceState>;
}

/** The open, pending and last consumed burst of each debounced trigger, one versioned document per trigger in the join table. */
export class BurstStore implements BurstDocuments {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  document(triggerId: string): VersionedDocument<DebounceState> {
    return dynamoDocument(this.client, this.tableName, { pk: `D#${triggerId}`, sk: 'BURST' }, EMPTY_DEBOUNCE_STATE, () => Math.floor(this.now() / 1000) + IDLE_RETENTION_S);
  }
}
