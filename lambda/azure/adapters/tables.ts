import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { odata, TableClient, type TableEntity, type TransactionAction } from '@azure/data-tables';
import type { Lease } from '../../core/persistence';
import { TOKEN_EXPIRY_MARGIN_MS, type AzureTokenSource } from './managed-identity';

/** What a row holds besides its keys: Table Storage's strings, numbers (Int32 or Double) and booleans. */
export type RowValue = string | number | boolean;
export type Row = Readonly<Record<string, RowValue>>;

/** A row as read back: its key in the partition, its properties, and the ETag a conditional write names. */
export interface StoredRow {
  readonly rowKey: string;
  readonly fields: Row;
  readonly etag: string;
}

/** A write that decides something: a create (fails when the row exists) or a replace over the ETag that was read. */
export type RowWrite =
  | { readonly create: string; readonly fields: Row }
  | { readonly replace: string; readonly fields: Row; readonly etag: string };

/**
 * The rows of one partition of one table: what a store is built on. Writes are always conditional: `commit` applies
 * them together (an entity-group transaction: all or none) and answers the new ETags, or undefined, having written
 * nothing, when a condition failed (a row created or changed by another writer since it was read).
 */
export interface PartitionRows {
  get(rowKey: string): Promise<StoredRow | undefined>;
  /** Rows with `from <= RowKey < to` (and `filter`, an OData expression over properties), in RowKey order. */
  list(from: string, to: string, filter?: string): Promise<StoredRow[]>;
  commit(writes: readonly RowWrite[]): Promise<string[] | undefined>;
}

/** Table Storage's limit on the operations of one entity-group transaction. */
const MAX_TRANSACTION_OPERATIONS = 100;
const KEYS = new Set(['partitionKey', 'rowKey', 'etag', 'timestamp', 'odata.metadata']);

/** One partition of a table through `@azure/data-tables`. */
export class TablePartition implements PartitionRows {
  constructor(
    private readonly client: TableClient,
    private readonly partitionKey: string,
  ) {}

  async get(rowKey: string): Promise<StoredRow | undefined> {
    try {
      return stored(await this.client.getEntity<Record<string, unknown>>(this.partitionKey, rowKey));
    } catch (error) {
      if (statusCode(error) === 404) return undefined;
      throw error;
    }
  }

  async list(from: string, to: string, filter?: string): Promise<StoredRow[]> {
    const range = odata`PartitionKey eq ${this.partitionKey} and RowKey ge ${from} and RowKey lt ${to}`;
    const rows: StoredRow[] = [];
    for await (const entity of this.client.listEntities<Record<string, unknown>>({ queryOptions: { filter: filter ? `${range} and (${filter})` : range } })) {
      rows.push(stored(entity));
    }
    return rows.sort((a, b) => (a.rowKey < b.rowKey ? -1 : a.rowKey > b.rowKey ? 1 : 0));
  }

  async commit(writes: readonly RowWrite[]): Promise<string[] | undefined> {
    if (writes.length === 0) return [];
    if (writes.length > MAX_TRANSACTION_OPERATIONS) throw new RangeError(`a transaction takes at most ${MAX_TRANSACTION_OPERATIONS} operations, got ${writes.length}`);
    try {
      if (writes.length === 1) {
        const [write] = writes;
        const answer = 'create' in write
          ? await this.client.createEntity(this.entity(write.create, write.fields))
          : await this.client.updateEntity(this.entity(write.replace, write.fields), 'Replace', { etag: write.etag });
        return [etagOf(answer.etag)];
      }
      const actions: TransactionAction[] = writes.map((write) =>
        'create' in write ? ['create', this.entity(write.create, write.fields)] : ['update', this.entity(write.replace, write.fields), 'Replace', { etag: write.etag }],
      );
      const answer = await this.client.submitTransaction(actions);
      return (answer.subResponses ?? []).map((sub) => etagOf(sub.etag));
    } catch (error) {
      // 409 EntityAlreadyExists (a create) and 412 UpdateConditionNotSatisfied (a replace): another writer got there.
      const status = statusCode(error);
      if (status === 409 || status === 412) return undefined;
      throw error;
    }
  }

  private entity(rowKey: string, fields: Row): TableEntity<Record<string, RowValue>> {
    return { ...fields, partitionKey: this.partitionKey, rowKey };
  }
}

/** The HTTP status of a failed Azure SDK request (a RestError), if it got one. */
export function statusCode(error: unknown): number | undefined {
  return error instanceof Error && 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : undefined;
}

function etagOf(etag: string | undefined): string {
  if (!etag) throw new Error('Table Storage answered a write without an ETag');
  return etag;
}

function stored(entity: Record<string, unknown> & { rowKey?: string; etag?: string }): StoredRow {
  const fields: Record<string, RowValue> = {};
  for (const [name, value] of Object.entries(entity)) {
    if (KEYS.has(name)) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields[name] = value;
  }
  return { rowKey: String(entity.rowKey), fields, etag: etagOf(entity.etag) };
}

/** How a lease sits in a row's properties: when it may be taken, and what a take, a free and a completion write. */
export interface RowLeaseLayout {
  readonly takeable: (fields: Row, nowMs: number) => boolean;
  readonly taken: (fields: Row, owner: string, untilMs: number, extra: Row) => Row;
  readonly freed: (fields: Row, untilMs: number, extra: Row) => Row;
  readonly completed: (fields: Row, extra: Row) => Row;
}

/**
 * The lease contract on one row. A take reads the row, decides with `takeable`, and replaces it over the ETag read; a
 * missing row is never taken. The holder is known by the ETag its take was answered with, so a free or a completion
 * replaces the row only while it still carries that ETag (and so still holds what the take wrote), and answers false
 * once the hold expired and another invocation took it. One instance serves one take.
 */
export function rowLease(rows: PartitionRows, rowKey: string, layout: RowLeaseLayout): Lease<Row, StoredRow> {
  let held: StoredRow | undefined;
  const release = async (next: (fields: Row) => Row): Promise<boolean> => {
    if (held === undefined) return false;
    const etags = await rows.commit([{ replace: rowKey, fields: next(held.fields), etag: held.etag }]);
    if (!etags) return false;
    held = undefined;
    return true;
  };
  return {
    async take(owner, nowMs, holdMs, extra = {}) {
      const row = await rows.get(rowKey);
      if (!row || !layout.takeable(row.fields, nowMs)) return undefined;
      const fields = layout.taken(row.fields, owner, nowMs + holdMs, extra);
      const etags = await rows.commit([{ replace: rowKey, fields, etag: row.etag }]);
      if (!etags) return undefined;
      held = { rowKey, fields, etag: etags[0] };
      return held;
    },
    free: (untilMs, extra = {}) => release((fields) => layout.freed(fields, untilMs, extra)),
    complete: (extra) => release((fields) => layout.completed(fields, extra)),
    read: () => rows.get(rowKey),
  };
}

/**
 * A `TokenCredential` (the credential the Azure SDK clients take) over a token source such as the managed identity.
 * A scope `https://storage.azure.com/.default` asks for the resource `https://storage.azure.com/`. The source hands
 * out only tokens valid for at least TOKEN_EXPIRY_MARGIN_MS more (ManagedIdentityTokenSource refreshes them that
 * early), so each is declared to expire then: the client asks again soon after, and the source answers from its cache.
 */
export function tokenCredential(tokens: AzureTokenSource, now: () => number): TokenCredential {
  return {
    async getToken(scopes): Promise<AccessToken> {
      const scope = Array.isArray(scopes) ? scopes[0] : scopes;
      if (typeof scope !== 'string' || scope === '') throw new Error('a token was asked for without a scope');
      const resource = scope.endsWith('/.default') ? scope.slice(0, -'.default'.length) : scope;
      return { token: await tokens.token(resource), expiresOnTimestamp: now() + TOKEN_EXPIRY_MARGIN_MS };
    },
  };
}

/** The state table's client: Table Storage at `endpoint` (`https://<account>.table.core.windows.net`), as `credential`. */
export function stateTableClient(endpoint: string, table: string, credential: TokenCredential): TableClient {
  return new TableClient(endpoint, table, credential);
}
