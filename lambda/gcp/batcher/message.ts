import { isLibraryManifest, type ManifestEntry } from '../../core/batching';
import { accept, describe, isRecord, parseJson, reject, requiredString, type Parsed } from '../../core/result';
import type { PushedMessage } from '../adapters/pubsub-push';
import { isRfc3339Time } from '../../core/event-time';

/**
 * What one pushed message asks of the batcher: add an object, flush (from the Cloud Scheduler job), or nothing
 * (another event type, an object outside the prefix or suffix, or a manifest of any trigger of the library: answered
 * 200 and dropped).
 */
export type BatcherMessage =
  | { readonly kind: 'object'; readonly entry: ManifestEntry; readonly identity: readonly [string, string, string] }
  | { readonly kind: 'flush' }
  | { readonly kind: 'ignored'; readonly reason: string };

/** What the batcher counts: objects of its bucket under its prefix and suffix, never a manifest. */
export interface BatcherScope {
  readonly triggerId: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly suffix: string;
  readonly manifestBucket: string;
  readonly manifestPrefix: string;
}

const GENERATION = /^[0-9]{1,20}$/;
const MAX_OBJECT_NAME_BYTES = 1024;

/**
 * Reads a Cloud Storage Pub/Sub notification (https://cloud.google.com/storage/docs/pubsub-notifications: attributes
 * `eventType`, `bucketId`, `objectId`, `objectGeneration`, `payloadFormat`; with JSON_API_V1 the data is the object
 * resource, whose `size` and `generation` are strings) or a flush `{"flush": true}`. Names the field on error.
 */
export function parseBatcherMessage(message: PushedMessage, scope: BatcherScope): Parsed<BatcherMessage> {
  const eventType = message.attributes.eventType;
  if (eventType === undefined) return parseFlush(message.data);
  if (eventType !== 'OBJECT_FINALIZE') return accept({ kind: 'ignored', reason: `event type ${eventType} does not add data` });
  const attributes: Record<string, unknown> = message.attributes;
  const names: Record<string, string> = {};
  for (const name of ['bucketId', 'objectId', 'objectGeneration'] as const) {
    const value = requiredString(attributes, name, `message.attributes.${name}`);
    if (!value.ok) return value;
    names[name] = value.value;
  }
  const { bucketId, objectId, objectGeneration } = names;
  // Cloud Storage object names are 1-1,024 bytes of UTF-8: a longer one is no object of the bucket.
  if (Buffer.byteLength(objectId, 'utf8') > MAX_OBJECT_NAME_BYTES) {
    return reject('message.attributes.objectId', `must be an object name of at most ${MAX_OBJECT_NAME_BYTES} bytes, got ${Buffer.byteLength(objectId, 'utf8')}`);
  }
  if (!GENERATION.test(objectGeneration)) return reject('message.attributes.objectGeneration', `must be a decimal generation, got '${objectGeneration}'`);
  if (bucketId !== scope.bucket) return reject('message.attributes.bucketId', `is '${bucketId}', but this batcher serves bucket '${scope.bucket}'`);
  const json = parseJson(message.data, 'message.data');
  if (!json.ok) return json;
  const resource = json.value;
  if (!isRecord(resource)) return reject('message.data', `must be the object resource (payloadFormat JSON_API_V1), got ${describe(resource)}`);
  for (const [field, expected] of [['bucket', bucketId], ['name', objectId], ['generation', objectGeneration]] as const) {
    if (resource[field] !== undefined && String(resource[field]) !== expected) {
      return reject(`message.data.${field}`, `is ${describe(resource[field])}, but the attributes say '${expected}'`);
    }
  }
  const size = typeof resource.size === 'number' ? resource.size : typeof resource.size === 'string' && /^\d+$/.test(resource.size) ? Number(resource.size) : NaN;
  if (!Number.isSafeInteger(size) || size < 0) return reject('message.data.size', `must be the object's size in bytes, got ${describe(resource.size)}`);
  const timeCreated = resource.timeCreated;
  if (typeof timeCreated !== 'string' || !isRfc3339Time(timeCreated)) {
    return reject('message.data.timeCreated', `must be an RFC 3339 time, got ${describe(timeCreated)}`);
  }
  if (!objectId.startsWith(scope.prefix)) return accept({ kind: 'ignored', reason: `object ${objectId} is outside prefix '${scope.prefix}'` });
  if (!objectId.endsWith(scope.suffix)) return accept({ kind: 'ignored', reason: `object ${objectId} does not end with suffix '${scope.suffix}'` });
  if (isLibraryManifest({ bucket: bucketId, key: objectId }, scope)) {
    return accept({ kind: 'ignored', reason: `object ${objectId} is a manifest of a cdk-ml-triggers trigger` });
  }
  const entry: ManifestEntry = { uri: `gs://${bucketId}/${objectId}`, bucket: bucketId, key: objectId, versionId: objectGeneration, size, eventTime: timeCreated };
  return accept({ kind: 'object', entry, identity: [bucketId, objectId, objectGeneration] });
}

function parseFlush(data: string): Parsed<BatcherMessage> {
  const json = parseJson(data, 'message.data');
  if (!json.ok) return reject('message.attributes.eventType', 'is missing, and the data is not a flush {"flush": true} either');
  if (!isRecord(json.value) || json.value.flush === undefined) {
    return reject('message.attributes.eventType', 'is missing: the message is neither a Cloud Storage notification nor a flush {"flush": true}');
  }
  if (json.value.flush !== true) return reject('message.data.flush', `must be true, got ${describe(json.value.flush)}`);
  return accept({ kind: 'flush' });
}
