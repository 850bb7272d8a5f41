import { canonicalJson, isLibraryManifest, sha256, type ManifestEntry } from '../../core/batching';
import type { AzureBatcherSettings } from '../../core/contracts/azure-functions';
import { accept, describe, reject, type Parsed } from '../../core/result';
import { parseEventGridEvent } from '../adapters/event-grid';

/**
 * What one Event Grid delivery asks of the batcher: add a blob, or nothing (another event type or API, a blob outside
 * the prefix or suffix, or a manifest of any trigger of the library: logged and dropped).
 */
export type BatcherEvent =
  | { readonly kind: 'blob'; readonly eventId: string; readonly entry: ManifestEntry; readonly identityKey: string }
  | { readonly kind: 'ignored'; readonly eventId: string; readonly reason: string };

export type BatcherScope = Pick<AzureBatcherSettings, 'triggerId' | 'storageAccount' | 'container' | 'prefix' | 'suffix' | 'manifestAccount' | 'manifestContainer' | 'manifestPrefix'>;

export const BLOB_CREATED = 'Microsoft.Storage.BlobCreated';
/** The operations that leave a complete blob behind (ADLS Gen2 commits with FlushWithClose); others add no data. */
export const COUNTED_APIS: readonly string[] = ['PutBlob', 'PutBlockList', 'CopyBlob', 'FlushWithClose'];
/** Blob names are 1-1,024 characters. */
export const MAX_BLOB_NAME_LENGTH = 1024;
const SUBJECT = /^\/blobServices\/default\/containers\/([^/]+)\/blobs\/([\s\S]+)$/;

/**
 * Reads a `Microsoft.Storage.BlobCreated` event (https://learn.microsoft.com/azure/event-grid/event-schema-blob-storage):
 * `topic` is the storage account's ARM id, `subject` `/blobServices/default/containers/<container>/blobs/<name>`,
 * `data` holds `api`, `url`, `eTag` and `contentLength`. A blob is known by its account, container, name and eTag, so
 * the same upload delivered twice counts once and a re-upload (a new eTag) counts again. Names the field on error.
 */
export function parseBatcherEvent(input: unknown, scope: BatcherScope): Parsed<BatcherEvent> {
  const parsed = parseEventGridEvent(input);
  if (!parsed.ok) return parsed;
  const event = parsed.value;
  const eventId = event.id;
  if (event.eventType !== BLOB_CREATED) return accept({ kind: 'ignored', eventId, reason: `event type ${event.eventType} adds no data` });
  const accountSuffix = `/providers/Microsoft.Storage/storageAccounts/${scope.storageAccount}`.toLowerCase();
  if (!event.topic.toLowerCase().endsWith(accountSuffix)) {
    return reject('event.topic', `is '${event.topic.slice(0, 300)}', but this batcher serves storage account '${scope.storageAccount}'`);
  }
  const subject = SUBJECT.exec(event.subject);
  if (!subject) return reject('event.subject', `must be /blobServices/default/containers/<container>/blobs/<name>, got '${event.subject.slice(0, 300)}'`);
  const [, container, name] = subject;
  if (container !== scope.container) return reject('event.subject', `names container '${container}', but this batcher serves container '${scope.container}'`);
  if (name.length > MAX_BLOB_NAME_LENGTH) return reject('event.subject', `must name a blob of at most ${MAX_BLOB_NAME_LENGTH} characters, got ${name.length}`);
  const { api, url, eTag, contentLength } = event.data;
  if (typeof api !== 'string' || api === '') return reject('event.data.api', `must name the operation, got ${describe(api)}`);
  if (!COUNTED_APIS.includes(api)) return accept({ kind: 'ignored', eventId, reason: `operation ${api} leaves no complete blob` });
  if (typeof eTag !== 'string' || eTag === '' || eTag.length > 256) return reject('event.data.eTag', `must be the blob's ETag, got ${describe(eTag)}`);
  if (typeof contentLength !== 'number' || !Number.isSafeInteger(contentLength) || contentLength < 0) {
    return reject('event.data.contentLength', `must be the blob's size in bytes, got ${describe(contentLength)}`);
  }
  const blobUrl = urlProblem(url, container, name);
  if (blobUrl) return reject('event.data.url', blobUrl);
  if (!name.startsWith(scope.prefix)) return accept({ kind: 'ignored', eventId, reason: `blob ${name} is outside prefix '${scope.prefix}'` });
  if (!name.endsWith(scope.suffix)) return accept({ kind: 'ignored', eventId, reason: `blob ${name} does not end with suffix '${scope.suffix}'` });
  const own = { manifestBucket: scope.manifestAccount === scope.storageAccount ? scope.manifestContainer : '', manifestPrefix: scope.manifestPrefix, triggerId: scope.triggerId };
  if (isLibraryManifest({ bucket: container, key: name }, own)) {
    return accept({ kind: 'ignored', eventId, reason: `blob ${name} is a manifest of a cdk-ml-triggers trigger` });
  }
  const entry: ManifestEntry = { uri: url as string, bucket: container, key: name, versionId: eTag, size: contentLength, eventTime: event.eventTime };
  return accept({ kind: 'blob', eventId, entry, identityKey: blobIdentityKey(scope.storageAccount, container, name, eTag) });
}

/** The key of one version of a blob: a hash of account, container, name and eTag (a row key cannot hold `/`). */
export function blobIdentityKey(account: string, container: string, name: string, eTag: string): string {
  return sha256(canonicalJson([account, container, name, eTag]));
}

/** What is wrong with `data.url` for the blob the subject names; undefined when nothing is. */
function urlProblem(url: unknown, container: string, name: string): string | undefined {
  if (typeof url !== 'string' || url.length > 4096) return `must be the blob's URL, got ${describe(url)}`;
  let path: string;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return `must be an https URL, got '${url.slice(0, 300)}'`;
    path = decodeURIComponent(parsed.pathname);
  } catch {
    return `must be the blob's URL, got '${url.slice(0, 300)}'`;
  }
  return path.endsWith(`/${container}/${name}`) ? undefined : `is '${url.slice(0, 300)}', which is not blob ${container}/${name.slice(0, 300)}`;
}
