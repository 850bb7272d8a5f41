import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { CLAIM_TTL_MS } from '../../lambda/core/batch-lease';
import { BlobManifests } from '../../lambda/azure/adapters/blobs';
import { ManagedIdentityTokenSource } from '../../lambda/azure/adapters/managed-identity';
import { tokenCredential } from '../../lambda/azure/adapters/tables';
import { BatchStore } from '../../lambda/azure/batcher/store';
import { AZURITE_ACCOUNT, AZURITE_KEY, AZURITE_TIMEOUT } from './azurite';
import { entry, MANIFEST_CONTAINER, T0, useBatcher } from './batcher-harness';

const NO_WAIT = { pause: async () => undefined, random: () => 0 };

describe('the Azure batcher\'s adapters: the batch lease on Table Storage, write-once manifests, managed identity credentials', () => {
  const suite = useBatcher();

  test('a claim is a lease held by the ETag of its take: nobody else takes it until it expires, and then the first holder can no longer finish', async () => {
    // Prepare: one sealed batch of one blob.
    const store = new BatchStore(suite.rows(), NO_WAIT);
    await store.recordObject('k1', entry('incoming/a.csv'), 'evt-1', T0, 1, 300);

    // Act
    const first = await store.claim(1, T0);
    const whileHeld = await store.claim(1, T0 + CLAIM_TTL_MS - 1);
    const afterExpiry = await store.claim(1, T0 + CLAIM_TTL_MS);
    const lateFinish = await store.finish(first!, 'STARTED', { jobName: 'late' });
    const ownFinish = await store.finish(afterExpiry!, 'RETRY', { lastError: 'throttled', nextAttemptAtMs: T0 + CLAIM_TTL_MS + 60_000 });

    // Assess
    expect(first).toMatchObject({ generation: 1, count: 1, attempts: 1 });
    expect(whileHeld).toBeUndefined();
    expect(afterExpiry).toMatchObject({ attempts: 2 });
    expect(lateFinish).toBe(false);
    expect(ownFinish).toBe(true);
    expect(await suite.row('batch-0000000001')).toMatchObject({ fields: { status: 'RETRY', attempts: 2, lastError: 'throttled', nextAttemptAtMs: T0 + CLAIM_TTL_MS + 60_000 } });
    expect(await store.dueBatches(T0 + CLAIM_TTL_MS + 59_999)).toEqual([]);
    expect(await store.dueBatches(T0 + CLAIM_TTL_MS + 60_000)).toEqual([1]);
  }, AZURITE_TIMEOUT);

  test('of eight concurrent takes of one batch exactly one holds it', async () => {
    // Prepare
    const store = new BatchStore(suite.rows(), NO_WAIT);
    await store.recordObject('k1', entry('incoming/a.csv'), 'evt-1', T0, 1, 300);

    // Act
    const claims = await Promise.all(Array.from({ length: 8 }, () => new BatchStore(suite.rows(), NO_WAIT).claim(1, T0)));

    // Assess
    expect(claims.filter((claim) => claim !== undefined)).toHaveLength(1);
    expect(await suite.row('batch-0000000001')).toMatchObject({ fields: { status: 'CLAIMED', attempts: 1 } });
  }, AZURITE_TIMEOUT);

  test('a manifest is written once (If-None-Match: *): a second write keeps the first blob and says so', async () => {
    // Prepare
    const manifests = new BlobManifests(new BlobServiceClient(suite.blobEndpoint, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY)));

    // Act
    const first = await manifests.createIfAbsent(MANIFEST_CONTAINER, 'manifests/t/e-1.ml-triggers-manifest.jsonl', 'first\n', 'application/x-ndjson');
    const second = await manifests.createIfAbsent(MANIFEST_CONTAINER, 'manifests/t/e-1.ml-triggers-manifest.jsonl', 'second\n', 'application/x-ndjson');

    // Assess
    expect(first).toEqual({ url: `${suite.blobEndpoint}/${MANIFEST_CONTAINER}/manifests/t/e-1.ml-triggers-manifest.jsonl`, created: true });
    expect(second).toEqual({ url: first.url, created: false });
    expect(await suite.manifests()).toEqual([{ name: 'manifests/t/e-1.ml-triggers-manifest.jsonl', body: 'first\n' }]);
  }, AZURITE_TIMEOUT);

  test('the TokenCredential asks the managed identity for the resource of the scope, and declares the token good for the margin the source keeps', async () => {
    // Prepare
    const credential = tokenCredential(new ManagedIdentityTokenSource(Date.now), () => T0);
    const requestsBefore = suite.fake.tokenRequests;

    // Act
    const token = await credential.getToken(['https://storage.azure.com/.default']);
    const again = await credential.getToken('https://storage.azure.com/.default');

    // Assess
    expect(token).toEqual({ token: expect.stringMatching(/\.https:\/\/storage\.azure\.com\/$/), expiresOnTimestamp: T0 + 5 * 60_000 });
    expect(again?.token).toBe(token?.token);
    expect(suite.fake.tokenRequests - requestsBefore).toBe(1);
  }, AZURITE_TIMEOUT);
});
