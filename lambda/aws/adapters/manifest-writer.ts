import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** Writes batch manifests (JSON lines) to S3. */
export class ManifestWriter {
  constructor(private readonly client: S3Client) {}

  /** Writes `body` at s3://bucket/key and returns that URI; writing the same batch again rewrites the same bytes. */
  async write(bucket: string, key: string, body: string): Promise<string> {
    await this.client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/x-ndjson' }),
    );
    return `s3://${bucket}/${key}`;
  }
}
