import { isRecord } from '../../lambda/core/result';
import type { AccessTokenSource } from './metadata-token';

/** An error answer from Cloud Storage's JSON API. */
export class StorageError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly status: string,
    readonly detail: string,
    /** 408, 429 and 5xx: the same upload may succeed later. */
    readonly retryable: boolean,
  ) {
    super(`Cloud Storage upload failed with ${status} (HTTP ${httpStatus}): ${detail}`);
    this.name = 'StorageError';
  }
}

const REQUEST_TIMEOUT_MS = 30_000;

/** The API host: `GCS_API_ENDPOINT` when set (tests), else storage.googleapis.com. */
export function gcsEndpoint(): string {
  return (process.env.GCS_API_ENDPOINT || 'https://storage.googleapis.com').replace(/\/+$/, '');
}

/** Cloud Storage through its JSON API, authorised with the function's service account. */
export class CloudStorage {
  constructor(private readonly tokens: AccessTokenSource) {}

  /**
   * Creates the object unless one of that name exists: a simple media upload (objects.insert, `uploadType=media`) with
   * `ifGenerationMatch=0`, which "makes the operation succeed only if there are no live versions of the object" and
   * otherwise answers 412. Never replacing is what `roles/storage.objectCreator` allows (replacing needs
   * storage.objects.delete, a 403 without it) and what a write-once name wants. Returns the `gs://` URI, and the
   * generation when this call created the object (`created: false` when the object already existed).
   */
  async createIfAbsent(bucket: string, name: string, body: string, contentType: string): Promise<{ uri: string; created: boolean; generation?: string }> {
    const url = `${gcsEndpoint()}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=media&ifGenerationMatch=0&name=${encodeURIComponent(name)}`;
    const token = await this.tokens.token();
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new StorageError(0, 'UNAVAILABLE', `could not reach ${url}: ${(error as Error).message}`, true);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text) as unknown;
    } catch {
      json = undefined;
    }
    if (response.status === 412) return { uri: `gs://${bucket}/${name}`, created: false };
    if (!response.ok) {
      const error = isRecord(json) && isRecord(json.error) ? json.error : {};
      const message = typeof error.message === 'string' ? error.message : text.slice(0, 300);
      const status = typeof error.status === 'string' ? error.status : `HTTP_${response.status}`;
      throw new StorageError(response.status, status, message, response.status === 408 || response.status === 429 || response.status >= 500);
    }
    const generation = isRecord(json) && typeof json.generation === 'string' ? json.generation : '';
    return { uri: `gs://${bucket}/${name}`, created: true, generation };
  }
}
