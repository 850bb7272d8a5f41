import { isRecord } from '../../core/result';
import { apiEndpoint, GoogleApiError, GoogleRestClient } from './google-rest';
import type { AccessTokenSource } from './metadata-token';
import { retryContended, type Backoff, type ContentionLimits } from '../../core/persistence';

/** The values this client stores: Firestore's string, integer, double, boolean, null and map types. */
export type FieldValue = string | number | boolean | null | { readonly [name: string]: FieldValue };
export type Fields = Readonly<Record<string, FieldValue>>;

/** A document as read: its path below `.../documents/`, its fields, and the updateTime a precondition can name. */
export interface StoredDocument {
  readonly path: string;
  readonly fields: Fields;
  readonly updateTime: string;
}

/** Precondition: `{ exists: false }` creates only, `{ updateTime }` updates only the version that was read. */
export type Precondition = { readonly exists: boolean } | { readonly updateTime: string };

export type Write =
  | { readonly update: string; readonly fields: Fields; readonly currentDocument?: Precondition }
  | { readonly delete: string; readonly currentDocument?: Precondition };

/** A query of one collection below `parent` (a document path, or '' for the root), with at most one equality filter. */
export interface CollectionQuery {
  readonly parent: string;
  readonly collectionId: string;
  readonly where?: { readonly field: string; readonly equals: FieldValue };
  /** Ascending; Firestore adds `__name__` after it. */
  readonly orderBy?: string;
}

/** An error answer from Firestore: ABORTED (a transaction lost a conflict), ALREADY_EXISTS, FAILED_PRECONDITION... */
export class FirestoreError extends GoogleApiError {
  constructor(httpStatus: number, status: string, detail: string, retryable: boolean, googleError?: Readonly<Record<string, unknown>>) {
    super('Firestore', httpStatus, status, detail, retryable, googleError);
    this.name = 'FirestoreError';
  }
}

/** The API host: `FIRESTORE_API_ENDPOINT` when set (tests), else firestore.googleapis.com. */
export const firestoreEndpoint = (): string => apiEndpoint('FIRESTORE_API_ENDPOINT', 'https://firestore.googleapis.com');

/** Firestore's typed Value JSON: integers as `{ integerValue: "12" }` (int64 travels as a string), others as doubles. */
export function encodeValue(value: FieldValue): Record<string, unknown> {
  if (value === null) return { nullValue: null };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { booleanValue: value };
  if (typeof value === 'number') return Number.isSafeInteger(value) ? { integerValue: String(value) } : { doubleValue: value };
  return { mapValue: { fields: encodeFields(value) } };
}

export function encodeFields(fields: Fields): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, encodeValue(value)]));
}

/** Reads a Value; a type this client never writes (timestamps, arrays, references...) is an error, not a guess. */
export function decodeValue(value: unknown): FieldValue {
  if (!isRecord(value)) throw new FirestoreError(0, 'DATA_LOSS', 'a field value is not an object', false);
  if ('nullValue' in value) return null;
  if (typeof value.stringValue === 'string') return value.stringValue;
  if (typeof value.booleanValue === 'boolean') return value.booleanValue;
  if (typeof value.integerValue === 'string' || typeof value.integerValue === 'number') return Number(value.integerValue);
  if (typeof value.doubleValue === 'number' || typeof value.doubleValue === 'string') return Number(value.doubleValue);
  if (isRecord(value.mapValue)) return decodeFields(value.mapValue.fields);
  throw new FirestoreError(0, 'DATA_LOSS', `unsupported field value ${Object.keys(value).join(',')}`, false);
}

export function decodeFields(fields: unknown): Record<string, FieldValue> {
  if (fields === undefined) return {};
  if (!isRecord(fields)) throw new FirestoreError(0, 'DATA_LOSS', 'document fields are not an object', false);
  return Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, decodeValue(value)]));
}

/**
 * The few Firestore REST (v1) calls the batcher makes, on the `(default)` database, authorised with the function's
 * service account. Paths are relative to `projects/<p>/databases/(default)/documents`.
 */
export class Firestore {
  private readonly client: GoogleRestClient;

  constructor(
    private readonly project: string,
    tokens: AccessTokenSource,
  ) {
    this.client = new GoogleRestClient(tokens, { timeoutMs: 10_000, error: (...args) => new FirestoreError(...args) });
  }

  /** `projects/<p>/databases/(default)/documents`, the prefix of every document name. */
  get root(): string {
    return `projects/${this.project}/databases/(default)/documents`;
  }

  async beginTransaction(): Promise<string> {
    const json = await this.call('POST', `${this.root}:beginTransaction`, { options: { readWrite: {} } });
    if (!isRecord(json) || typeof json.transaction !== 'string') throw new FirestoreError(0, 'DATA_LOSS', 'beginTransaction returned no transaction', true);
    return json.transaction;
  }

  /** The document, or undefined when it does not exist; inside a transaction the read joins its read set. */
  async get(path: string, transaction?: string): Promise<StoredDocument | undefined> {
    const query = transaction ? `?transaction=${encodeURIComponent(transaction)}` : '';
    const json = await this.call('GET', `${this.root}/${path}${query}`, undefined, true);
    return json === undefined ? undefined : this.document(json);
  }

  /** Applies the writes atomically (committing the transaction when given); returns each write's updateTime. */
  async commit(writes: readonly Write[], transaction?: string): Promise<string[]> {
    const body = { writes: writes.map((write) => this.encodeWrite(write)), ...(transaction ? { transaction } : {}) };
    const json = await this.call('POST', `${this.root}:commit`, body);
    const results = isRecord(json) && Array.isArray(json.writeResults) ? json.writeResults : [];
    return results.map((result: unknown) => (isRecord(result) && typeof result.updateTime === 'string' ? result.updateTime : ''));
  }

  async rollback(transaction: string): Promise<void> {
    await this.call('POST', `${this.root}:rollback`, { transaction });
  }

  async runQuery(query: CollectionQuery, transaction?: string): Promise<StoredDocument[]> {
    const structuredQuery = {
      from: [{ collectionId: query.collectionId }],
      ...(query.where
        ? { where: { fieldFilter: { field: { fieldPath: query.where.field }, op: 'EQUAL', value: encodeValue(query.where.equals) } } }
        : {}),
      ...(query.orderBy ? { orderBy: [{ field: { fieldPath: query.orderBy }, direction: 'ASCENDING' }] } : {}),
    };
    const parent = query.parent === '' ? this.root : `${this.root}/${query.parent}`;
    const json = await this.call('POST', `${parent}:runQuery`, { structuredQuery, ...(transaction ? { transaction } : {}) });
    // The answer is a JSON array of RunQueryResponse; entries without `document` carry only readTime.
    const rows = Array.isArray(json) ? json : [];
    return rows.flatMap((row: unknown) => (isRecord(row) && isRecord(row.document) ? [this.document(row.document)] : []));
  }

  private document(json: unknown): StoredDocument {
    if (!isRecord(json) || typeof json.name !== 'string') throw new FirestoreError(0, 'DATA_LOSS', 'a document has no name', true);
    const prefix = `${this.root}/`;
    const path = json.name.startsWith(prefix) ? json.name.slice(prefix.length) : json.name;
    return { path, fields: decodeFields(json.fields), updateTime: typeof json.updateTime === 'string' ? json.updateTime : '' };
  }

  private encodeWrite(write: Write): Record<string, unknown> {
    const precondition = write.currentDocument ? { currentDocument: write.currentDocument } : {};
    if ('delete' in write) return { delete: `${this.root}/${write.delete}`, ...precondition };
    return { update: { name: `${this.root}/${write.update}`, fields: encodeFields(write.fields) }, ...precondition };
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown, missingIsUndefined = false): Promise<unknown> {
    try {
      const answer = await this.client.send(method, `${firestoreEndpoint()}/v1/${path}`, body === undefined ? undefined : { json: body });
      return answer.text === '' ? {} : answer.json;
    } catch (error) {
      if (missingIsUndefined && error instanceof FirestoreError && error.httpStatus === 404) return undefined;
      throw error;
    }
  }
}

/** What a transaction's body decided: the writes to commit (none: roll back) and the answer to return. */
export interface TransactionOutcome<T> {
  readonly writes: readonly Write[];
  readonly result: T;
}

export interface TransactionOptions {
  /** The rounds and the waits between them: a wait before round n + 2 is random in [0, baseMs * 2^n), at most maxMs. */
  readonly limits?: ContentionLimits;
  /** @default a real pause and Math.random */
  readonly backoff?: Backoff;
}

/** Twelve rounds, the first wait up to 40 ms, none longer than 2 s: Firestore's own client retries about as long. */
export const TRANSACTION_LIMITS: ContentionLimits = Object.freeze({ maxRounds: 12, baseMs: 40, maxMs: 2_000 });

const REAL_BACKOFF: Backoff = { pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), random: Math.random };

/** The document calls a store makes: the Firestore client, or a test's decorator around it. */
export type FirestoreDocuments = Pick<Firestore, 'beginTransaction' | 'get' | 'commit' | 'rollback' | 'runQuery'>;

/**
 * Read-decide-write on Firestore: runs `work` in a read-write transaction and commits its writes. A commit that loses a
 * conflict (409 ABORTED) runs the whole transaction again, reads included, after the shared jittered backoff; when the
 * rounds run out the last ABORTED error is thrown. Returns the result and the updateTime of each write.
 */
export async function runTransaction<T>(
  db: FirestoreDocuments,
  work: (transaction: string) => Promise<TransactionOutcome<T>>,
  options: TransactionOptions = {},
): Promise<{ readonly result: T; readonly updateTimes: readonly string[] }> {
  return retryContended<{ readonly result: T; readonly updateTimes: readonly string[] }>(
    async () => {
      const transaction = await db.beginTransaction();
      let outcome: TransactionOutcome<T>;
      try {
        outcome = await work(transaction);
      } catch (error) {
        await db.rollback(transaction).catch(() => undefined);
        throw error;
      }
      if (outcome.writes.length === 0) {
        await db.rollback(transaction);
        return { settled: true, value: { result: outcome.result, updateTimes: [] } };
      }
      try {
        return { settled: true, value: { result: outcome.result, updateTimes: await db.commit(outcome.writes, transaction) } };
      } catch (error) {
        if (!(error instanceof FirestoreError && error.status === 'ABORTED')) throw error;
        return { settled: false, lost: error };
      }
    },
    options.backoff ?? REAL_BACKOFF,
    (lastLoss) => lastLoss as Error,
    options.limits ?? TRANSACTION_LIMITS,
  );
}
