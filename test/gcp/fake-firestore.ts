import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** An object the fake Cloud Storage received through a media upload. */
export interface UploadedObject {
  readonly bucket: string;
  readonly name: string;
  readonly contentType: string;
  readonly body: string;
  readonly generation: string;
}

export interface FakeFirestore {
  /** `http://127.0.0.1:<port>`, for FIRESTORE_API_ENDPOINT and GCS_API_ENDPOINT. */
  readonly endpoint: string;
  /**
   * Every object created, in order. Like a caller holding only `roles/storage.objectCreator` (the batcher's role), an
   * upload never replaces an object: without a precondition it answers 403 (replacing needs storage.objects.delete),
   * with `ifGenerationMatch=0` 412 (the object exists).
   */
  readonly uploads: UploadedObject[];
  /** Uploads refused because the object existed, by HTTP status (403 or 412). */
  readonly refusedUploads: number[];
  /** How many commits lost a conflict (409 ABORTED). */
  readonly aborted: number;
  /** A document's fields in Firestore's Value JSON, by path below `.../documents/`. */
  document(path: string): Record<string, unknown> | undefined;
  /** Paths of the documents directly in a collection (`triggers/t/batches`). */
  collection(path: string): string[];
  /** After `after` calls of `route` succeed, the next `times` answer with this HTTP status in Google's error shape. */
  failNext(route: 'commit' | 'upload', httpStatus: 500 | 503, times?: number, after?: number): void;
  reset(): void;
  close(): Promise<void>;
}

interface StoredDocument {
  readonly fields: Record<string, unknown>;
  readonly createTime: string;
  readonly updateTime: string;
}

type Json = Record<string, unknown>;
const DOCUMENTS = /^\/v1\/(projects\/[^/]+\/databases\/[^/]+\/documents)(?:\/(.*?))?(?::(beginTransaction|commit|rollback|runQuery))?$/;
const UPLOAD = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/;
const isJson = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Firestore's REST API (v1: documents.get, beginTransaction, commit, rollback, runQuery) and Cloud Storage's media
 * upload, on 127.0.0.1, in their wire formats. Transactions are optimistic: a transaction records the updateTime of
 * every document it read (or that it was missing), and its commit answers 409 ABORTED when any of them changed since.
 * Preconditions are enforced as Firestore does: `exists: false` on an existing document is 409 ALREADY_EXISTS,
 * `exists: true` on a missing one 404 NOT_FOUND, a stale `updateTime` 400 FAILED_PRECONDITION.
 */
export async function startFakeFirestore(): Promise<FakeFirestore> {
  const documents = new Map<string, StoredDocument>();
  const transactions = new Map<string, Map<string, string | null>>();
  const uploads: UploadedObject[] = [];
  const refusedUploads: number[] = [];
  const failures: Record<'commit' | 'upload', number[]> = { commit: [], upload: [] };
  let clock = 0;
  let aborted = 0;
  let root = '';
  const tick = (): string => new Date(Date.UTC(2026, 2, 2) + (clock += 1)).toISOString().replace('Z', '123Z');
  const version = (name: string): string | null => documents.get(name)?.updateTime ?? null;
  const read = (transaction: unknown, name: string): void => {
    if (typeof transaction === 'string') transactions.get(transaction)?.set(name, version(name));
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      const url = new URL(request.url ?? '/', 'http://fake');
      if (!/^Bearer \S+$/.test(request.headers.authorization ?? '')) return error(response, 401, 'Request is missing required authentication credential.', 'UNAUTHENTICATED');
      const upload = UPLOAD.exec(url.pathname);
      if (upload && request.method === 'POST') {
        const failure = failures.upload.shift();
        if (failure) return error(response, failure, 'Injected failure.', failure === 503 ? 'UNAVAILABLE' : 'INTERNAL');
        const name = url.searchParams.get('name');
        if (url.searchParams.get('uploadType') !== 'media' || !name) return error(response, 400, 'Required parameter: name', 'INVALID_ARGUMENT');
        const bucket = decodeURIComponent(upload[1]);
        const precondition = url.searchParams.get('ifGenerationMatch');
        const existing = uploads.find((object) => object.bucket === bucket && object.name === name);
        if (precondition !== null && precondition !== '0' && precondition !== existing?.generation) {
          refusedUploads.push(412);
          return storageError(response, 412, 'At least one of the pre-conditions you specified did not hold.', 'conditionNotMet');
        }
        if (existing && precondition === '0') {
          refusedUploads.push(412);
          return storageError(response, 412, 'At least one of the pre-conditions you specified did not hold.', 'conditionNotMet');
        }
        if (existing) {
          refusedUploads.push(403);
          const message = 'mlt-batcher@ml-prod-481.iam.gserviceaccount.com does not have storage.objects.delete access to the Google Cloud Storage object. '
            + "Permission 'storage.objects.delete' denied on resource (or it may not exist).";
          return storageError(response, 403, message, 'forbidden');
        }
        const object = { bucket, name, contentType: request.headers['content-type'] ?? '', body: text, generation: String(Date.now() * 1000 + uploads.length) };
        uploads.push(object);
        return send(response, 200, { kind: 'storage#object', id: `${object.bucket}/${name}/${object.generation}`, name, bucket: object.bucket, generation: object.generation, size: String(Buffer.byteLength(text)), contentType: object.contentType });
      }
      const match = DOCUMENTS.exec(url.pathname);
      if (!match) return error(response, 404, `The requested URL ${url.pathname} was not found.`, 'NOT_FOUND');
      root = match[1];
      const [path, verb] = [match[2] ?? '', match[3]];
      const name = path === '' ? root : `${root}/${path}`;
      let body: Json = {};
      if (request.method === 'POST') {
        try {
          const parsed: unknown = JSON.parse(text || '{}');
          if (!isJson(parsed)) throw new Error('not an object');
          body = parsed;
        } catch {
          return error(response, 400, 'Invalid JSON payload received.', 'INVALID_ARGUMENT');
        }
      }
      if (request.method === 'GET' && !verb) {
        read(url.searchParams.get('transaction') ?? undefined, name);
        const document = documents.get(name);
        if (!document) return error(response, 404, `Document "${name}" not found.`, 'NOT_FOUND');
        return send(response, 200, { name, ...document });
      }
      if (request.method !== 'POST') return error(response, 405, 'Method not allowed.', 'INVALID_ARGUMENT');
      if (verb === 'beginTransaction') {
        const id = randomBytes(12).toString('base64');
        transactions.set(id, new Map());
        return send(response, 200, { transaction: id });
      }
      if (verb === 'rollback') {
        if (typeof body.transaction !== 'string' || !transactions.delete(body.transaction)) return error(response, 400, 'Transaction not found.', 'INVALID_ARGUMENT');
        return send(response, 200, {});
      }
      if (verb === 'runQuery') {
        const query = body.structuredQuery;
        const from = isJson(query) && Array.isArray(query.from) && isJson(query.from[0]) ? query.from[0].collectionId : undefined;
        if (!isJson(query) || typeof from !== 'string') return error(response, 400, 'structuredQuery.from is required.', 'INVALID_ARGUMENT');
        const collection = `${name}/${from}/`;
        const filter = isJson(query.where) && isJson(query.where.fieldFilter) ? query.where.fieldFilter : undefined;
        const fieldOf = (spec: unknown): string | undefined => (isJson(spec) && isJson(spec.field) && typeof spec.field.fieldPath === 'string' ? spec.field.fieldPath : undefined);
        if (filter && (filter.op !== 'EQUAL' || !fieldOf(filter))) return error(response, 400, 'The fake supports one EQUAL field filter.', 'INVALID_ARGUMENT');
        const order = Array.isArray(query.orderBy) ? fieldOf(query.orderBy[0]) : undefined;
        const rows = [...documents.entries()]
          .filter(([key]) => key.startsWith(collection) && !key.slice(collection.length).includes('/'))
          .filter(([, document]) => !filter || JSON.stringify(document.fields[fieldOf(filter) ?? '']) === JSON.stringify(filter.value))
          .sort(([a, x], [b, y]) => (order ? compareValues(x.fields[order], y.fields[order]) : 0) || (a < b ? -1 : a > b ? 1 : 0));
        const readTime = tick();
        rows.forEach(([key]) => read(body.transaction, key));
        return send(response, 200, rows.length ? rows.map(([key, document]) => ({ document: { name: key, ...document }, readTime })) : [{ readTime }]);
      }
      if (verb === 'commit') return commit(response, body);
      return error(response, 404, 'Unknown method.', 'NOT_FOUND');
    })();
  });

  function commit(response: ServerResponse, body: Json): void {
    const failure = failures.commit.shift();
    if (failure) return error(response, failure, 'Injected failure.', failure === 503 ? 'UNAVAILABLE' : 'INTERNAL');
    const writes = Array.isArray(body.writes) ? body.writes : [];
    if (body.transaction !== undefined) {
      const reads = typeof body.transaction === 'string' ? transactions.get(body.transaction) : undefined;
      if (!reads) return error(response, 400, 'The referenced transaction has expired or is no longer valid.', 'INVALID_ARGUMENT');
      transactions.delete(body.transaction as string);
      for (const [name, seen] of reads) {
        if (version(name) !== seen) {
          aborted += 1;
          return error(response, 409, 'Aborted due to cross-transaction contention. This occurs when multiple transactions attempt to access the same data.', 'ABORTED');
        }
      }
    }
    const staged = new Map<string, StoredDocument | undefined>();
    const current = (name: string): StoredDocument | undefined => (staged.has(name) ? staged.get(name) : documents.get(name));
    const commitTime = tick();
    for (const write of writes) {
      if (!isJson(write)) return error(response, 400, 'Invalid write.', 'INVALID_ARGUMENT');
      const update = isJson(write.update) ? write.update : undefined;
      const target = update ? update.name : write.delete;
      if (typeof target !== 'string' || !target.startsWith(`${root}/`)) return error(response, 400, 'Invalid document name.', 'INVALID_ARGUMENT');
      const existing = current(target);
      const precondition = isJson(write.currentDocument) ? write.currentDocument : {};
      if (precondition.exists === false && existing) return error(response, 409, `Document already exists: ${target}`, 'ALREADY_EXISTS');
      if (precondition.exists === true && !existing) return error(response, 404, `No document to update: ${target}`, 'NOT_FOUND');
      if (typeof precondition.updateTime === 'string' && existing?.updateTime !== precondition.updateTime) {
        return error(response, 400, 'the stored version does not match the required base version.', 'FAILED_PRECONDITION');
      }
      const fields = update && isJson(update.fields) ? update.fields : {};
      staged.set(target, update ? { fields, createTime: existing?.createTime ?? commitTime, updateTime: commitTime } : undefined);
    }
    for (const [name, document] of staged) {
      if (document) documents.set(name, document);
      else documents.delete(name);
    }
    send(response, 200, { writeResults: writes.map((write) => (isJson(write) && write.update ? { updateTime: commitTime } : {})), commitTime });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the fake Firestore server has no port');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    uploads,
    refusedUploads,
    get aborted() {
      return aborted;
    },
    document: (path) => [...documents.entries()].find(([name]) => name.endsWith(`/documents/${path}`))?.[1].fields,
    collection: (path) => [...documents.keys()]
      .map((name) => name.slice(name.indexOf('/documents/') + '/documents/'.length))
      .filter((name) => name.startsWith(`${path}/`) && !name.slice(path.length + 1).includes('/')),
    // A 0 in the queue lets one call through.
    failNext: (route, httpStatus, times = 1, after = 0) => failures[route].push(...Array<number>(after).fill(0), ...Array<number>(times).fill(httpStatus)),
    reset: () => {
      documents.clear();
      transactions.clear();
      uploads.length = 0;
      refusedUploads.length = 0;
      failures.commit.length = 0;
      failures.upload.length = 0;
      aborted = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((problem) => (problem ? reject(problem) : resolve()));
      }),
  };
}

/** Firestore's order within one type: numbers by value, strings by code unit. */
function compareValues(a: unknown, b: unknown): number {
  const scalar = (value: unknown): number | string => {
    if (!isJson(value)) return '';
    if (value.integerValue !== undefined || value.doubleValue !== undefined) return Number(value.integerValue ?? value.doubleValue);
    return typeof value.stringValue === 'string' ? value.stringValue : '';
  };
  const [x, y] = [scalar(a), scalar(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

function send(response: ServerResponse, code: number, body: unknown): void {
  response.writeHead(code, { 'content-type': 'application/json; charset=UTF-8' });
  response.end(JSON.stringify(body));
}

function error(response: ServerResponse, code: number, message: string, status: string): void {
  send(response, code, { error: { code, message, status } });
}

/** Cloud Storage's JSON API error shape: `errors[].reason` and no canonical `status`. */
function storageError(response: ServerResponse, code: number, message: string, reason: string): void {
  send(response, code, { error: { code, message, errors: [{ message, domain: 'global', reason }] } });
}
