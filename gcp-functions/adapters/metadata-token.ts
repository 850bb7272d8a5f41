import { isRecord } from '../../lambda/core/result';

/** Anything that hands out an OAuth access token for Google APIs. */
export interface AccessTokenSource {
  token(): Promise<string>;
}

/** A failure to get a token; always worth a retry, as the metadata server is local and usually only briefly unavailable. */
export class MetadataTokenError extends Error {
  readonly retryable = true;
  constructor(message: string) {
    super(message);
    this.name = 'MetadataTokenError';
  }
}

/** A token is used until this long before it expires, so that a request never leaves with a token about to lapse. */
export const TOKEN_EXPIRY_MARGIN_MS = 60_000;
const REQUEST_TIMEOUT_MS = 5_000;

/** The metadata server's host: `GCE_METADATA_HOST` (as Google's client libraries honour it), else metadata.google.internal. */
export function metadataTokenUrl(host = process.env.GCE_METADATA_HOST || 'metadata.google.internal'): string {
  return `http://${host}/computeMetadata/v1/instance/service-accounts/default/token`;
}

interface CachedToken {
  readonly accessToken: string;
  readonly refreshAtMs: number;
}

/**
 * The function's service-account token from the GCE metadata server (which Cloud Functions and Cloud Run serve too),
 * cached per metadata host until 60 s before it expires. Concurrent callers share one request.
 */
export class MetadataTokenSource implements AccessTokenSource {
  private readonly cache = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<CachedToken>>();

  /** @param now the clock, in epoch milliseconds; a parameter so that expiry can be tested without waiting. */
  constructor(private readonly now: () => number = Date.now) {}

  async token(): Promise<string> {
    const url = metadataTokenUrl();
    const cached = this.cache.get(url);
    if (cached && this.now() < cached.refreshAtMs) return cached.accessToken;
    let request = this.pending.get(url);
    if (!request) {
      request = this.fetchToken(url).finally(() => this.pending.delete(url));
      this.pending.set(url, request);
    }
    const fresh = await request;
    this.cache.set(url, fresh);
    return fresh.accessToken;
  }

  private async fetchToken(url: string): Promise<CachedToken> {
    const requestedAtMs = this.now();
    let response: Response;
    try {
      response = await fetch(url, { headers: { 'Metadata-Flavor': 'Google' }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (error) {
      throw new MetadataTokenError(`could not reach the metadata server at ${url}: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (!response.ok) throw new MetadataTokenError(`the metadata server answered HTTP ${response.status}: ${text.slice(0, 200)}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new MetadataTokenError(`the metadata server's token answer is not JSON: ${text.slice(0, 200)}`);
    }
    const accessToken = isRecord(body) ? body.access_token : undefined;
    const expiresIn = isRecord(body) ? body.expires_in : undefined;
    if (typeof accessToken !== 'string' || accessToken === '' || typeof expiresIn !== 'number' || !Number.isFinite(expiresIn)) {
      throw new MetadataTokenError('the metadata server\'s token answer lacks access_token or a numeric expires_in');
    }
    // Counted from when the request left, so that the time it took only shortens the token's use.
    return { accessToken, refreshAtMs: requestedAtMs + expiresIn * 1000 - TOKEN_EXPIRY_MARGIN_MS };
  }
}
