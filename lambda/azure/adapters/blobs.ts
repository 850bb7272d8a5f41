import type { TokenCredential } from '@azure/core-auth';
import { BlobServiceClient } from '@azure/storage-blob';
import { statusCode } from './tables';

/** A blob written once: its URL, and whether this call wrote it (false: it was there already and was kept). */
export interface WrittenBlob {
  readonly url: string;
  readonly created: boolean;
}

/** Where the batcher writes manifests; a test may wrap it. */
export interface ManifestBlobs {
  /** Writes the blob unless one exists under the name: an existing blob is never replaced. */
  createIfAbsent(container: string, name: string, body: string, contentType: string): Promise<WrittenBlob>;
}

/** Manifests in Blob Storage through `@azure/storage-blob`. */
export class BlobManifests implements ManifestBlobs {
  constructor(private readonly service: BlobServiceClient) {}

  async createIfAbsent(container: string, name: string, body: string, contentType: string): Promise<WrittenBlob> {
    const blob = this.service.getContainerClient(container).getBlockBlobClient(name);
    const bytes = Buffer.from(body, 'utf8');
    try {
      // If-None-Match: * makes Put Blob fail when the blob exists: 409 BlobAlreadyExists (412 from older versions).
      await blob.upload(bytes, bytes.length, { conditions: { ifNoneMatch: '*' }, blobHTTPHeaders: { blobContentType: contentType } });
      return { url: blob.url, created: true };
    } catch (error) {
      const status = statusCode(error);
      if (status === 409 || status === 412) return { url: blob.url, created: false };
      throw error;
    }
  }
}

/** The Blob service of a storage account (`https://<account>.blob.core.windows.net`), as `credential`. */
export function blobServiceClient(account: string, credential: TokenCredential): BlobServiceClient {
  return new BlobServiceClient(`https://${account}.blob.core.windows.net`, credential);
}
