import { isRecord } from '../../core/result';
import { exchange } from './google-rest';

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

  /** @param now the clock, in epoch milliseconds: the entry point passes the real one, a test its own. */
  constructor(private readonly now: () => number) {}

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
    const answer = await exchange(url, { headers: { 'Metadata-Flavor': 'Google' } }, REQUEST_TIMEOUT_MS, (why) => new MetadataTokenError(`could not reach the metadata server at ${url}: ${why}`));
    const { text } = answer;
    if (!answer.ok) throw new MetadataTokenError(`the metadata server answered HTTP ${answer.httpStatus}: ${text.slice(0, 200)}`);
    const body = answer.json;
    if (body === undefined) throw new MetadataTokenError(`the metadata server's token answer is not JSON: ${text.slice(0, 200)}`);
    const accessToken = isRecord(body) ? body.access_token : undefined;
    const expiresIn = isRecord(body) ? body.expires_in : undefined;
    if (typeof accessToken !== 'string' || accessToken === '' || typeof expiresIn !== 'number' || !Number.isFinite(expiresIn)) {
      throw new MetadataTokenError('the metadata server\'s token answer lacks access_token or a numeric expires_in');
    }
    // Counted from when the request left, so that the time it took only shortens the token's use.
    return { accessToken, refreshAtMs: requestedAtMs + expiresIn * 1000 - TOKEN_EXPIRY_MARGIN_MS };
  }
}
