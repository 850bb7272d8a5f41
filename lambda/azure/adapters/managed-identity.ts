import { isRecord } from '../../core/result';

/** Anything that hands out a Microsoft Entra access token for one resource (audience). */
export interface AzureTokenSource {
  token(resource: string): Promise<string>;
}

/** A failure to get a token: always worth a retry, as the identity endpoint is local to the function host. */
export class ManagedIdentityError extends Error {
  readonly retryable = true;
  constructor(message: string) {
    super(message);
    this.name = 'ManagedIdentityError';
  }
}

/** A token is used until this long before it expires, so that a request never leaves with one about to lapse. */
export const TOKEN_EXPIRY_MARGIN_MS = 5 * 60_000;
const REQUEST_TIMEOUT_MS = 5_000;

interface CachedToken {
  readonly accessToken: string;
  readonly refreshAtMs: number;
}

/**
 * The function app's managed identity, through the endpoint App Service and Azure Functions expose to the process
 * (`IDENTITY_ENDPOINT` with the secret header `X-IDENTITY-HEADER: $IDENTITY_HEADER`, api-version 2019-08-01). A
 * user-assigned identity is chosen by its client id (`AZURE_CLIENT_ID`, which the constructs set). Tokens are cached
 * per resource until 5 minutes before they expire; concurrent callers share one request.
 */
export class ManagedIdentityTokenSource implements AzureTokenSource {
  private readonly cache = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<CachedToken>>();

  /** @param now the clock, in epoch milliseconds: the entry point passes the real one, a test its own. */
  constructor(private readonly now: () => number) {}

  async token(resource: string): Promise<string> {
    const cached = this.cache.get(resource);
    if (cached && this.now() < cached.refreshAtMs) return cached.accessToken;
    let request = this.pending.get(resource);
    if (!request) {
      request = this.fetchToken(resource).finally(() => this.pending.delete(resource));
      this.pending.set(resource, request);
    }
    const fresh = await request;
    this.cache.set(resource, fresh);
    return fresh.accessToken;
  }

  private async fetchToken(resource: string): Promise<CachedToken> {
    const endpoint = process.env.IDENTITY_ENDPOINT;
    const secret = process.env.IDENTITY_HEADER;
    if (!endpoint || !secret) throw new ManagedIdentityError('IDENTITY_ENDPOINT and IDENTITY_HEADER are not set: the function app has no managed identity');
    const url = new URL(endpoint);
    url.searchParams.set('resource', resource);
    url.searchParams.set('api-version', '2019-08-01');
    if (process.env.AZURE_CLIENT_ID) url.searchParams.set('client_id', process.env.AZURE_CLIENT_ID);
    const requestedAtMs = this.now();
    let response: Response;
    try {
      response = await fetch(url, { headers: { 'X-IDENTITY-HEADER': secret }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (error) {
      throw new ManagedIdentityError(`could not reach the identity endpoint: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (!response.ok) throw new ManagedIdentityError(`the identity endpoint answered HTTP ${response.status}: ${text.slice(0, 200)}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ManagedIdentityError(`the identity endpoint's answer is not JSON: ${text.slice(0, 200)}`);
    }
    const accessToken = isRecord(body) ? body.access_token : undefined;
    // expires_on is epoch seconds, as a string or a number depending on the host.
    const expiresOn = isRecord(body) ? Number(body.expires_on) : NaN;
    if (typeof accessToken !== 'string' || accessToken === '' || !Number.isFinite(expiresOn)) {
      throw new ManagedIdentityError('the identity endpoint\'s answer lacks access_token or expires_on');
    }
    return { accessToken, refreshAtMs: Math.min(expiresOn * 1000, requestedAtMs + 24 * 3_600_000) - TOKEN_EXPIRY_MARGIN_MS };
  }
}
