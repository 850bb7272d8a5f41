import { backoffMs, type Backoff } from '../../lambda/core/persistence';
import type { ManifestEntry } from '../../lambda/core/batching';
import { Firestore, FirestoreError, runTransaction, TRANSACTION_LIMITS, type FirestoreDocuments } from '../../lambda/gcp/adapters/firestore';
import type { AccessTokenSource } from '../../lambda/gcp/adapters/metadata-token';
import { CLAIM_TTL_MS } from '../../lambda/gcp/batcher/decisions';
import { BatchStore } from '../../lambda/gcp/batcher/store';
import { startFakeFirestore, type FakeFirestore } from './fake-firestore';

const tokens: AccessTokenSource = { token: async () => 'test-token' };
const T0 = Date.UTC(2026, 2, 2, 6, 0, 0);
const COUNTER = 'counters/c';

/** A backoff that records its waits instead of waiting, with the jitter pinned at one half. */
function recordedBackoff(): Backoff & { readonly waits: number[] } {
  const waits: number[] = [];
  return { waits, pause: async (ms) => void waits.push(ms), random: () => 0.5 };
}

/** The documents, with another writer bumping the counter after each of the first `times` transactional reads of it. */
function meddling(db: Firestore, times: number): FirestoreDocuments & { readonly commits: number } {
  let meddles = 0;
  let commits = 0;
  return {
    get commits() {
      return commits;
    },
    beginTransaction: () => db.beginTransaction(),
    rollback: (transaction) => db.rollback(transaction),
    runQuery: (query, transaction) => db.runQuery(query, transaction),
    commit: (writes, transaction) => {
      commits += 1;
      return db.commit(writes, transaction);
    },
    get: async (path, transaction) => {
      const document = await db.get(path, transaction);
      if (transaction && path === COUNTER && meddles < times) {
        meddles += 1;
        await db.commit([{ update: COUNTER, fields: { n: Number(document?.fields.n ?? 0) + 1 } }]);
      }
      return document;
    },
  };
}

const increment = (db: FirestoreDocuments) => async (transaction: string) => {
  const document = await db.get(COUNTER, transaction);
  const n = Number(document?.fields.n ?? 0) + 1;
  return { writes: [{ update: COUNTER, fields: { n } }], result: n };
};

describe('Firestore persistence primitives: read-decide-write with the shared backoff, and the batch claim as a lease', () => {
  let firestore: FakeFirestore;
  let previousEndpoint: string | undefined;

  beforeAll(async () => {
    firestore = await startFakeFirestore();
    previousEndpoint = process.env.FIRESTORE_API_ENDPOINT;
    process.env.FIRESTORE_API_ENDPOINT = firestore.endpoint;
  });
  afterAll(async () => {
    if (previousEndpoint === undefined) delete process.env.FIRESTORE_API_ENDPOINT;
    else process.env.FIRESTORE_API_ENDPOINT = previousEndpoint;
    await firestore.close();
  });
  beforeEach(() => firestore.reset());

  test('a transaction that loses its commit reads and decides again, after the shared jittered backoff', async () => {
    // Prepare
    const db = meddling(new Firestore('p', tokens), 2);
    const backoff = recordedBackoff();

    // Act
    const { result } = await runTransaction(db, increment(db), { backoff });

    // Assess
    expect(result).toBe(3);
    expect(firestore.aborted).toBe(2);
    expect(backoff.waits).toEqual([backoffMs(0, backoff.random, TRANSACTION_LIMITS), backoffMs(1, backoff.random, TRANSACTION_LIMITS)]);
    expect(backoff.waits).toEqual([20, 40]);
  });

  test('when every round loses, the last ABORTED answer is thrown', async () => {
    // Prepare
    const db = meddling(new Firestore('p', tokens), Number.POSITIVE_INFINITY);
    const backoff = recordedBackoff();

    // Act
    const attempt = runTransaction(db, increment(db), { backoff, limits: { ...TRANSACTION_LIMITS, maxRounds: 3 } });

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'FirestoreError', status: 'ABORTED' });
    await expect(attempt).rejects.toBeInstanceOf(FirestoreError);
    expect(backoff.waits).toHaveLength(2);
  });

  test('a claim held past its expiry is taken over, and the first holder can then record nothing', async () => {
    // Prepare: one object seals a batch of one
    const db = meddling(new Firestore('p', tokens), 0);
    const store = new BatchStore(db, 'arrivals');
    const entry: ManifestEntry = { uri: 'gs://b/k', bucket: 'b', key: 'k', versionId: '1', size: 1, eventTime: '2026-03-02T06:00:00.000Z' };
    const recorded = await store.recordObject(['b', 'k', '1'], entry, 'm-1', T0, 1, 300);
    expect(recorded).toMatchObject({ status: 'added', generation: 1, sealed: true });

    // Act
    const first = await store.claim(1, T0);
    const commitsBefore = db.commits;
    const whileHeld = await store.claim(1, T0 + CLAIM_TTL_MS - 1);
    const commitsWhileHeld = db.commits - commitsBefore;
    const second = await store.claim(1, T0 + CLAIM_TTL_MS);
    const firstFinished = await store.finish(first!, 'STARTED', { startedAtMs: T0 });
    const secondFinished = await store.finish(second!, 'RETRY', { lastError: 'unavailable', nextAttemptAtMs: T0 + CLAIM_TTL_MS + 60_000 });

    // Assess
    expect(first).toMatchObject({ generation: 1, count: 1, attempts: 1 });
    expect(whileHeld).toBeUndefined();
    expect(commitsWhileHeld).toBe(0);
    expect(second).toMatchObject({ generation: 1, count: 1, attempts: 2 });
    expect(firstFinished).toBe(false);
    expect(secondFinished).toBe(true);
    const batch = firestore.document('triggers/arrivals/batches/1');
    expect(batch).toMatchObject({
      status: { stringValue: 'RETRY' },
      attempts: { integerValue: '2' },
      nextAttemptAtMs: { integerValue: String(T0 + CLAIM_TTL_MS + 60_000) },
      lastError: { stringValue: 'unavailable' },
    });
    expect(batch).not.toHaveProperty('startedAtMs');
  });
});
