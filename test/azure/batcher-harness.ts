import * as path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { AzureMLJobs } from '../../lambda/azure/adapters/azure-ml-jobs';
import { BlobManifests } from '../../lambda/azure/adapters/blobs';
import { settle, type Outcome } from '../../lambda/azure/adapters/functions-host';
import { ManagedIdentityTokenSource } from '../../lambda/azure/adapters/managed-identity';
import { TablePartition, type PartitionRows, type StoredRow } from '../../lambda/azure/adapters/tables';
import { batcherHandler, flushHandler, type BatcherDependencies } from '../../lambda/azure/batcher/handler';
import { batchRow, STATE_ROW } from '../../lambda/azure/batcher/store';
import { AZURITE_ACCOUNT, AZURITE_KEY, AZURITE_TIMEOUT, startAzurite, type Azurite } from './azurite';
import type { FakeAzureML } from './fake-azure-ml';
import { captureEachTestLogs, TARGET, useFakeAzureML } from './function-harness';

export const T0 = Date.UTC(2026, 2, 2, 6, 0, 0);
/** The batcher's clock, which the tests move: set to T0 before each test and advanced to let windows and claims run out. */
export const clock = { now: T0 };

export const CONTAINER = 'landing';
export const MANIFEST_CONTAINER = 'manifests';
export const TOPIC = `/subscriptions/${TARGET.subscriptionId}/resourceGroups/ml-prod/providers/Microsoft.Storage/storageAccounts/${AZURITE_ACCOUNT}`;
/** Event Grid writes times with seven fractional digits. */
const EVENT_TIME = '2026-03-02T06:00:00.9584103Z';
const BLOB_BASE = `https://${AZURITE_ACCOUNT}.blob.core.windows.net/${CONTAINER}`;

/** TRIGGER_SETTINGS, less the state table's endpoint and name (Azurite's, and a fresh table per test). */
export const SETTINGS = {
  triggerId: 'churn-arrivals',
  ...TARGET,
  storageAccount: AZURITE_ACCOUNT,
  container: CONTAINER,
  prefix: 'incoming/',
  suffix: '',
  batchSize: 3,
  batchWindowSeconds: 300,
  maxStartAttempts: 6,
  manifestAccount: AZURITE_ACCOUNT,
  manifestContainer: MANIFEST_CONTAINER,
  manifestPrefix: 'manifests/',
};

/** A `Microsoft.Storage.BlobCreated` event, as Event Grid delivers it to the function. */
export function blobCreated(name: string, options: { id?: string; eTag?: string; api?: string; contentLength?: number } = {}): Record<string, unknown> {
  const eTag = options.eTag ?? '0x8DC1A2B3C4D5E6F';
  return {
    id: options.id ?? `evt-${name}-${eTag}`,
    topic: TOPIC,
    subject: `/blobServices/default/containers/${CONTAINER}/blobs/${name}`,
    eventType: 'Microsoft.Storage.BlobCreated',
    eventTime: EVENT_TIME,
    dataVersion: '',
    metadataVersion: '1',
    data: {
      api: options.api ?? 'PutBlob',
      clientRequestId: 'c1', requestId: 'r1', eTag, contentType: 'text/csv', contentLength: options.contentLength ?? 2048,
      blobType: 'BlockBlob', url: `${BLOB_BASE}/${name}`, sequencer: '00000000000004420000000000028963', storageDiagnostics: { batchId: 'b1' },
    },
  };
}

/** The manifest line of a blob the tests upload (blobCreated's defaults). */
export const entry = (name: string, eTag = '0x8DC1A2B3C4D5E6F') => ({
  uri: `${BLOB_BASE}/${name}`, bucket: CONTAINER, key: name, versionId: eTag, size: 2048, eventTime: EVENT_TIME,
});

export const inputValues = (job: { body: Record<string, unknown> }): Record<string, string> =>
  Object.fromEntries(Object.entries((job.body.properties as { inputs: Record<string, { value: string }> }).inputs).map(([k, v]) => [k, v.value]));

export interface BatcherSuite {
  readonly fake: FakeAzureML;
  readonly logs: { readonly lines: Array<Record<string, unknown>> };
  /** The event handler and the timer's, wired to Azurite and the fake Azure ML (as index.ts wires the real ones). */
  deliver(event: unknown, invocationId?: string): Promise<Outcome>;
  flush(invocationId?: string): Promise<Outcome>;
  /** Sets TRIGGER_SETTINGS to the test settings with `overrides`. */
  configure(overrides?: Record<string, unknown>): void;
  /** Wraps the partition the handlers use for the rest of the test (a crashing or racing decorator). */
  wrapRows(wrap: (rows: PartitionRows) => PartitionRows): void;
  /** The test's own partition of the state table, read and written directly. */
  rows(): PartitionRows;
  row(rowKey: string): Promise<StoredRow | undefined>;
  epoch(): Promise<string>;
  batchStatus(generation: number): Promise<unknown>;
  /** Every row of the partition, by row key, for "nothing changed" assertions. */
  snapshot(): Promise<Record<string, unknown>>;
  /** The blobs of the manifest container (or another), by name, with their text. */
  manifests(container?: string): Promise<Array<{ name: string; body: string }>>;
  /** A client of the test's state table, as the store's own. */
  table(): TableClient;
  readonly tableEndpoint: string;
  readonly tableName: string;
  /** Azurite's Blob endpoint (`http://127.0.0.1:<port>/devstoreaccount1`), which manifest URLs start with. */
  readonly blobEndpoint: string;
}

/**
 * Runs the surrounding describe against Azurite (Table and Blob, in memory) and the fake Azure ML. Before each test:
 * a fresh state table and an empty manifest container, the settings and the clock reset, the log lines captured.
 */
export function useBatcher(): BatcherSuite {
  let table: Azurite | undefined;
  let blob: Azurite | undefined;
  let blobs: BlobServiceClient | undefined;
  let tableName = '';
  let tables = 0;
  let wrap: (rows: PartitionRows) => PartitionRows = (rows) => rows;
  const started = (): { table: Azurite; blobs: BlobServiceClient } => {
    if (!table || !blobs) throw new Error('Azurite is started in beforeAll');
    return { table, blobs };
  };
  const client = (name = tableName): TableClient => new TableClient(started().table.endpoint, name, started().table.credential, { allowInsecureConnection: true });

  beforeAll(async () => {
    [table, blob] = await Promise.all([startAzurite('table'), startAzurite('blob')]);
    blobs = new BlobServiceClient(blob.endpoint, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
  }, AZURITE_TIMEOUT);
  afterAll(async () => {
    delete process.env.TRIGGER_SETTINGS;
    await Promise.all([table?.stop(), blob?.stop()]);
  }, AZURITE_TIMEOUT);
  const azure = useFakeAzureML(() => ({}));
  const logs = captureEachTestLogs();
  const configure = (overrides: Record<string, unknown> = {}): void => {
    process.env.TRIGGER_SETTINGS = JSON.stringify({ ...SETTINGS, stateTableEndpoint: started().table.endpoint, stateTable: tableName, ...overrides });
  };
  beforeEach(async () => {
    tables += 1;
    tableName = `batches${process.pid}x${tables}`;
    await client().createTable();
    for (const name of [MANIFEST_CONTAINER, CONTAINER]) {
      const container = started().blobs.getContainerClient(name);
      await container.deleteIfExists();
      // A deleted container's name is briefly unavailable in Azure; Azurite frees it at once.
      await container.create();
    }
    wrap = (rows) => rows;
    clock.now = T0;
    configure();
  }, AZURITE_TIMEOUT);

  const now = (): number => clock.now;
  const deps: BatcherDependencies = {
    stateTable: (endpoint, name) => new TableClient(endpoint, name, started().table.credential, { allowInsecureConnection: true }),
    stateRows: (tableClient, triggerId) => wrap(new TablePartition(tableClient, triggerId)),
    manifests: () => new BlobManifests(started().blobs),
    jobs: new AzureMLJobs(new ManagedIdentityTokenSource(now)),
    now,
  };
  const handle = batcherHandler(deps);
  const flushing = flushHandler(deps);
  let invocations = 0;
  const rows = (): PartitionRows => new TablePartition(client(), SETTINGS.triggerId);

  return {
    get fake() {
      return azure.fake;
    },
    logs,
    deliver: (event, invocationId = `inv-${++invocations}`) => handle(event, invocationId),
    flush: (invocationId = `flush-${++invocations}`) => flushing({ isPastDue: false }, invocationId),
    configure,
    wrapRows: (next) => {
      wrap = next;
    },
    rows,
    row: (rowKey) => rows().get(rowKey),
    epoch: async () => String((await rows().get(STATE_ROW))?.fields.epoch),
    batchStatus: async (generation) => (await rows().get(batchRow(generation)))?.fields.status,
    snapshot: async () => Object.fromEntries((await rows().list('', '~')).map((row) => [row.rowKey, row.fields])),
    manifests: async (name = MANIFEST_CONTAINER) => {
      const found: Array<{ name: string; body: string }> = [];
      const container = started().blobs.getContainerClient(name);
      for await (const item of container.listBlobsFlat()) {
        found.push({ name: item.name, body: (await container.getBlobClient(item.name).downloadToBuffer()).toString('utf8') });
      }
      return found;
    },
    table: () => client(),
    get blobEndpoint() {
      if (!blob) throw new Error('Azurite is started in beforeAll');
      return blob.endpoint;
    },
    get tableEndpoint() {
      return started().table.endpoint;
    },
    get tableName() {
      return tableName;
    },
  };
}

/**
 * Delivers the events through `concurrency` parallel invocations as Event Grid does: an invocation that fails
 * (settle throws for retry) is delivered again, at most 5 times.
 */
export async function deliverAll(suite: BatcherSuite, events: readonly unknown[], concurrency: number): Promise<Outcome[]> {
  const queue = [...events];
  const outcomes: Outcome[] = [];
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let event = queue.shift(); event; event = queue.shift()) {
      for (let attempt = 1; ; attempt += 1) {
        try {
          outcomes.push(settle(await suite.deliver(event)));
          break;
        } catch (error) {
          if (attempt >= 5) throw error;
        }
      }
    }
  }));
  return outcomes;
}

/** Where the entry point lives, for the test that loads it with a recording `app`. */
export const BATCHER_ENTRY = path.join(__dirname, '..', '..', 'lambda', 'azure', 'batcher');
