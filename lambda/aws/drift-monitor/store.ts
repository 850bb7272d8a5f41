import { GetObjectCommand, HeadObjectCommand, NoSuchKey, NotFound, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Parsed } from '../../core/result';

/** The folder of one run: its record, its slices' keys, its manifest for the Distributed Map and its partial sketches. */
const RUN_ID = /^[A-Za-z0-9_-]{1,80}$/;

export const isRunId = (text: unknown): text is string => typeof text === 'string' && RUN_ID.test(text);

const missing = (error: unknown): boolean =>
  error instanceof NoSuchKey || error instanceof NotFound || ['NoSuchKey', 'NotFound'].includes((error as { name?: string }).name ?? '');

/**
 * The monitor's own folder in its bucket (`<prefix>`): baseline, watermark, runs and reports. Every document is
 * JSON and read back through a parser, as another writer with access to the bucket could have changed it.
 */
export class MonitorStore {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    readonly prefix: string,
  ) {}

  /** The document at `name`, parsed; undefined when there is none. A document the parser refuses is an error. */
  async read<T>(name: string, parse: (value: unknown) => Parsed<T>): Promise<T | undefined> {
    let text: string;
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(name) }));
      text = (await object.Body?.transformToString()) ?? '';
    } catch (error) {
      if (missing(error)) return undefined;
      throw error;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new Error(`s3://${this.bucket}/${this.key(name)} is not JSON`);
    }
    const parsed = parse(value);
    if (!parsed.ok) throw new Error(`s3://${this.bucket}/${this.key(name)}: ${parsed.error.field} ${parsed.error.problem}`);
    return parsed.value;
  }

  async write(name: string, value: unknown): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(name), Body: JSON.stringify(value), ContentType: 'application/json' }));
  }

  /** The key of `name` in the bucket. */
  key(name: string): string {
    return `${this.prefix}${name}`;
  }

  /** The ETag of an object anywhere, or undefined when there is none. */
  async etagOf(bucket: string, key: string): Promise<string | undefined> {
    try {
      return (await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag;
    } catch (error) {
      if (missing(error)) return undefined;
      throw error;
    }
  }
}
