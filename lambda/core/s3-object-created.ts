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
  /** When S3 created the object (the event's `time`). */
  readonly eventTime: string;
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
  return accept({
    bucket: bucket.value,
    key: key.value,
    size: size.value,
    versionId: versionId as string | undefined,
    sequencer: sequencer.value,
    eventTime: time.value,
  });
}

/**
 * The identity of one object version: bucket, key, and the version id or, on unversioned buckets,
 * the sequencer. Two deliveries of the same upload share it; an overwrite does not.
 */
export function objectIdentity(object: CreatedObject): string {
  return `s3://${object.bucket}/${object.key}#${object.versionId ?? object.sequencer}`;
}
