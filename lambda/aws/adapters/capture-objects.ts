import { ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { captureEndpointPrefix, captureHourPrefixes, isCaptureKeyInWindow } from '../../core/data-capture-layout';

/** Which captures to read: an endpoint's (one variant's, or every variant's) over [fromMs, toMs). */
export interface CaptureWindow {
  readonly bucket: string;
  /** The key prefix of the endpoint config's `DestinationS3Uri`, without the bucket. */
  readonly prefix: string;
  readonly endpointName: string;
  /** @default - every variant folder found below the endpoint's folder */
  readonly variantName?: string;
  readonly fromMs: number;
  readonly toMs: number;
}

/** A capture file of the window. */
export interface CaptureObject {
  readonly key: string;
  readonly variantName: string;
  readonly size: number;
}

/**
 * Lists the capture files of a window: for each variant, the hour folders the window overlaps, each
 * read page by page. Objects come variant by variant, hours oldest first, keys in S3's order within
 * an hour. `pageSize` bounds each ListObjectsV2 page.
 */
export async function listCaptureObjects(client: S3Client, window: CaptureWindow, pageSize?: number): Promise<CaptureObject[]> {
  const { bucket, prefix, endpointName, fromMs, toMs } = window;
  const variants = window.variantName !== undefined ? [window.variantName] : await listVariants(client, bucket, prefix, endpointName, pageSize);
  const objects: CaptureObject[] = [];
  for (const variantName of variants) {
    for (const hourPrefix of captureHourPrefixes(prefix, endpointName, variantName, fromMs, toMs)) {
      for await (const page of pages(client, bucket, hourPrefix, undefined, pageSize)) {
        for (const { Key: key, Size: size } of page.Contents ?? []) {
          if (key !== undefined && isCaptureKeyInWindow(key, prefix, endpointName, variantName, fromMs, toMs)) {
            objects.push({ key, variantName, size: size ?? 0 });
          }
        }
      }
    }
  }
  return objects;
}

/** The variant folders below the endpoint's folder, by name. */
async function listVariants(client: S3Client, bucket: string, prefix: string, endpointName: string, pageSize?: number): Promise<string[]> {
  const endpointPrefix = captureEndpointPrefix(prefix, endpointName);
  const variants: string[] = [];
  for await (const page of pages(client, bucket, endpointPrefix, '/', pageSize)) {
    for (const { Prefix: folder } of page.CommonPrefixes ?? []) {
      if (folder !== undefined && folder.length > endpointPrefix.length + 1) variants.push(folder.slice(endpointPrefix.length, -1));
    }
  }
  return variants;
}

async function* pages(
  client: S3Client,
  bucket: string,
  prefix: string,
  delimiter: string | undefined,
  pageSize: number | undefined,
): AsyncGenerator<ListObjectsV2CommandOutput> {
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: delimiter, MaxKeys: pageSize, ContinuationToken: token }),
    );
    yield page;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}
