import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3Location } from '../../core/guardrail';

/** A document read from S3, or why it could not be read, naming the URI. */
export type JsonRead = { readonly ok: true; readonly document: unknown } | { readonly ok: false; readonly problem: string };

// Errors that say the object is not there or not ours to read: asking again will not change them,
// so they are bad input. Anything else (throttling, a 5xx, the network) is thrown and fails the step.
const NOT_READABLE = new Set(['NoSuchKey', 'NoSuchBucket', 'NotFound', 'AccessDenied', 'InvalidObjectState', 'PermanentRedirect']);

/** Reads JSON documents from S3. */
export class JsonReader {
  constructor(private readonly client: S3Client) {}

  async read(location: S3Location): Promise<JsonRead> {
    let text: string;
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
      text = object.Body ? await object.Body.transformToString('utf8') : '';
    } catch (error) {
      const name = error instanceof Error ? error.name : String(error);
      if (NOT_READABLE.has(name)) return { ok: false, problem: `${location.uri} cannot be read (${name})` };
      throw error;
    }
    try {
      return { ok: true, document: JSON.parse(text) as unknown };
    } catch (error) {
      return { ok: false, problem: `${location.uri} is not valid JSON (${(error as Error).message})` };
    }
  }
}
