import { isRecord } from '../../core/result';
import { apiEndpoint, GoogleApiError, GoogleRestClient } from './google-rest';
import type { AccessTokenSource } from './metadata-token';

/** An error answer from Cloud Storage's JSON API. */
export class StorageError extends GoogleApiError {
  constructor(httpStatus: number, status: string, detail: string, retryable: boolean, googleError?: Readonly<Record<string, unknown>>) {
    super('Cloud Storage upload', httpStatus, status, detail, retryable, googleError);
    this.name = 'StorageError';
  }
}

/** The API host: `GCS_API_ENDPOINT` when set (tests), else storage.googleapis.com. */
export const gcsEndpoint = (): string => apiEndpoint('GCS_API_ENDPOINT', 'https://storage.googleapis.com');

/** Cloud Storage through its JSON API, authorised with the function's service account. */
export class CloudStorage {
  private readonly client: GoogleRestClient;

  constructor(tokens: AccessTokenSource) {
    this.client = new GoogleRestClient(tokens, { timeoutMs: 30_000, error: (...args) => new StorageError(...args) });
  }

  /**
   * Creates the object unless one of that name exists: a simple media upload (objects.insert, `uploadType=media`) with
   * `ifGenerationMatch=0`, which "makes the operation succeed only if there are no live versions of the object" and
   * otherwise answers 412. Never replacing is what `roles/storage.objectCreator` allows (replacing needs
   * storage.objects.delete, a 403 without it) and what a write-once name wants. Returns the `gs://` URI, and the
   * generation when this call created the object (`created: false` when the object already existed).
   */
  async createIfAbsent(bucket: string, name: string, body: string, contentType: string): Promise<{ uri: string; created: boolean; generation?: string }> {
    const url = `${gcsEndpoint()}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=media&ifGenerationMatch=0&name=${encodeURIComponent(name)}`;
    const uri = `gs://${bucket}/${name}`;
    try {
      const { json } = await this.client.send('POST', url, { text: body, contentType });
      const generation = isRecord(json) && typeof json.generation === 'string' ? json.generation : '';
      return { uri, created: true, generation };
    } catch (error) {
      if (error instanceof StorageError && error.httpStatus === 412) return { uri, created: false };
      throw error;
    }
  }
}
