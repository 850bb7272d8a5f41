import { accept, isRecord, reject, requiredNumber, requiredString, type Parsed } from './result';

/** An object that landed in S3, as far as a batch needs to know it. */
export interface CreatedObject {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  /** The version id on versioned buckets. */
  readonly versionId?: string;
  /** S3's ordering token for events on one key; present on every Object Created event. */
  readonly sequencer: string;
  /** When S3 created the object (the event's `time`); for an object a catch-up listed, its last-modified time. */
  readonly eventTime: string;
  /** The object's ETag, without quotes: an upload's content, as both S3's events and its listings name it. */
  readonly etag?: string;
  /** For an object a catch-up listed: when the listing ended, so its upload completed by then. */
  readonly listedAtMs?: number;
}

/** Where an upload's completion lies, in milliseconds since the epoch: from `lowMs` to `highMs`, both included. */
export interface UploadWindow {
  readonly lowMs: number;
  readonly highMs: number;
}

/**
 * Reads an EventBridge "Object Created" event from S3 (detail-type `Object Created`, source `aws.s3`),
 * naming the first field that is missing or of the wrong type.
 */
export function parseObjectCreated(event: unknown): Parsed<CreatedObject> {
  if (!isRecord(event)) return reject('event', 'must be an object');
  if (event.source !== 'aws.s3') return reject('source', `must be 'aws.s3', got ${JSON.stringify(event.source)}`);
  if (event['detail-type'] !== 'Object Created') {
    return reject('detail-type', `must be 'Object Created', got ${JSON.stringify(event['detail-type'])}`);
  }
  const time = requiredString(event, 'time', 'time');
  if (!time.ok) return time;
  if (Number.isNaN(Date.parse(time.value))) return reject('time', `must be an ISO 8601 time, got '${time.value}'`);
  const detail = event.detail;
  if (!isRecord(detail)) return reject('detail', 'must be an object');
  if (!isRecord(detail.bucket)) return reject('detail.bucket', 'must be an object');
  const bucket = requiredString(detail.bucket, 'name', 'detail.bucket.name');
  if (!bucket.ok) return bucket;
  const object = detail.object;
  if (!isRecord(object)) return reject('detail.object', 'must be an object');
  const key = requiredString(object, 'key', 'detail.object.key');
  if (!key.ok) return key;
  const size = requiredNumber(object, 'size', 'detail.object.size', 0, Number.MAX_SAFE_INTEGER);
  if (!size.ok) return size;
  if (!Number.isInteger(size.value)) return reject('detail.object.size', `must be a whole number of bytes, got ${size.value}`);
  const sequencer = requiredString(object, 'sequencer', 'detail.object.sequencer');
  if (!sequencer.ok) return sequencer;
  const versionId = object['version-id'];
  if (versionId !== undefined && (typeof versionId !== 'string' || versionId.length === 0)) {
    return reject('detail.object.version-id', 'must be a non-empty string when present');
  }
  const etag = object.etag === undefined ? undefined : bareEtag(object.etag);
  if (etag === '') return reject('detail.object.etag', 'must be a non-empty string of at most 256 characters when present');
  return accept({
    bucket: bucket.value,
    key: key.value,
    size: size.value,
    versionId: versionId as string | undefined,
    sequencer: sequencer.value,
    eventTime: time.value,
    ...(etag !== undefined ? { etag } : {}),
  });
}

/** An ETag as S3 writes it, quoted in listings and bare in events, without its quotes; '' when it is not one. */
export function bareEtag(etag: unknown): string {
  if (typeof etag !== 'string' || etag.length > 256) return '';
  return etag.replace(/^"(.*)"$/, '$1');
}

/**
 * The identity of an object's content: bucket, key and ETag, which S3's events and its listings both name, so a
 * delivery and a catch-up's listing of one upload share it. Two uploads of the same content to one key share it
 * too: {@link uploadWindow} tells them apart. Without an ETag, the version id or, on unversioned buckets, the
 * sequencer: two deliveries of the same upload share it; an overwrite does not.
 */
export function objectIdentity(object: CreatedObject): string {
  return `s3://${object.bucket}/${object.key}#${object.etag !== undefined ? `etag:${object.etag}` : object.versionId ?? object.sequencer}`;
}

/**
 * When the upload completed, as far as is known. A delivery knows it to the second: the event's time, the same in
 * every delivery of one upload. A listing knows the object's last-modified time, which S3 takes when the upload
 * begins and keeps to the second (a second earlier is allowed for), and that the upload completed before the
 * listing ended. An upload of the same identity counts again only when its window lies wholly after the one
 * counted before; windows that meet are one upload.
 */
export function uploadWindow(object: CreatedObject): UploadWindow {
  const timeMs = Date.parse(object.eventTime);
  if (object.listedAtMs === undefined) return { lowMs: timeMs, highMs: timeMs };
  return { lowMs: Math.floor(timeMs / 1000) * 1000 - 1000, highMs: Math.max(object.listedAtMs, timeMs) };
}
