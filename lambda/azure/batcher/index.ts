import type { TableClient } from '@azure/data-tables';
import { app } from '@azure/functions';
import { AzureMLJobs } from '../adapters/azure-ml-jobs';
import { BlobManifests, blobServiceClient } from '../adapters/blobs';
import { settle } from '../adapters/functions-host';
import { ManagedIdentityTokenSource } from '../adapters/managed-identity';
import { stateTableClient, tokenCredential } from '../adapters/tables';
import { batcherHandler, flushHandler, type BatcherDependencies } from './handler';

const tokens = new ManagedIdentityTokenSource(Date.now);
const credential = tokenCredential(tokens, Date.now);
const tables = new Map<string, TableClient>();
const manifests = new Map<string, BlobManifests>();

/** The real clock, the function app's managed identity and one client per endpoint, made once per instance. */
const deps: BatcherDependencies = {
  stateTable: (endpoint, table) => cached(tables, `${endpoint} ${table}`, () => stateTableClient(endpoint, table, credential)),
  manifests: (account) => cached(manifests, account, () => new BlobManifests(blobServiceClient(account, credential))),
  jobs: new AzureMLJobs(tokens),
  now: Date.now,
};

const handle = batcherHandler(deps);
const flush = flushHandler(deps);

app.eventGrid('batcher', { handler: async (event, context) => settle(await handle(event, context.invocationId)) });
app.timer('flush', { schedule: '0 */1 * * * *', handler: async (timer, context) => void settle(await flush(timer, context.invocationId)) });

function cached<T>(clients: Map<string, T>, key: string, make: () => T): T {
  let client = clients.get(key);
  if (!client) {
    client = make();
    clients.set(key, client);
  }
  return client;
}
