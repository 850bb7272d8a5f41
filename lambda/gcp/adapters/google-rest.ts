import { isRecord } from '../../core/result';
import type { AccessTokenSource } from './metadata-token';

/**
 * An error answer from a Google REST API, in Google's shape `{ error: { code, message, status, details } }`, or a
 * request that never got an answer (`httpStatus` 0, `UNAVAILABLE`).
 */
export class GoogleApiError extends Error {
  constructor(
    /** What failed, as the message starts: `Firestore`, `Vertex AI pipelineJobs.create`... */
    readonly operation: string,
    readonly httpStatus: number,
    /** The canonical code name: INVALID_ARGUMENT, PERMISSION_DENIED, ABORTED, UNAVAILABLE... or `HTTP_<n>` without one. */
    readonly status: string,
    readonly detail: string,
    /** Whether the same request may succeed later: see {@link isRetryableAnswer}. */
    readonly retryable: boolean,
    /** Google's `error` object as answered (with its `details`), when the body had one. */
    readonly googleError?: Readonly<Record<string, unknown>>,
  ) {
    super(`${operation} failed with ${status} (HTTP ${httpStatus}): ${detail}`);
    this.name = 'GoogleApiError';
  }
}

/**
 * Google's retry guidance: 408, 429 and 5xx, and ABORTED (a concurrency conflict, HTTP 409), may succeed when sent
 * again; every other refusal (400, 401, 403, 404, 409 ALREADY_EXISTS, 412...) repeats itself.
 */
export function isRetryableAnswer(httpStatus: number, status: string): boolean {
  return httpStatus === 0 || httpStatus === 408 || httpStatus === 429 || httpStatus >= 500 || status === 'ABORTED';
}

/** Whether a failure may pass on a later attempt: anything that does not say `retryable: false` (an unknown error may). */
export function isRetryable(error: unknown): boolean {
  return !(error instanceof Error && 'retryable' in error && error.retryable === false);
}

/** An answer as received: the status, the raw text and its JSON (undefined when empty or not JSON). */
export interface GoogleAnswer {
  readonly httpStatus: number;
  readonly text: string;
  readonly json: unknown;
}

/** One HTTP exchange that gives up after `timeoutMs`; a network failure or timeout becomes `unreachable(why)`. */
export async function exchange(url: string, init: RequestInit, timeoutMs: number, unreachable: (why: string) => Error): Promise<GoogleAnswer & { readonly ok: boolean }> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw unreachable((error as Error).message);
  }
  const text = await response.text();
  return { ok: response.ok, httpStatus: response.status, text, json: parseJson(text) };
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** An API's base URL: the environment variable `variable` when set (tests, private endpoints), else `standard`; no trailing slash. */
export function apiEndpoint(variable: string, standard: string): string {
  return (process.env[variable] || standard).replace(/\/+$/, '');
}

/** Builds an API's own error type from what {@link GoogleRestClient} read. */
export type GoogleErrorFactory = (httpStatus: number, status: string, detail: string, retryable: boolean, googleError?: Readonly<Record<string, unknown>>) => GoogleApiError;

/** What a {@link GoogleRestClient} needs to know of its API. */
export interface GoogleApi {
  /** How long one request may take. */
  readonly timeoutMs: number;
  readonly error: GoogleErrorFactory;
}

/** A request body: JSON (sent as application/json) or text of a given content type. */
export type GoogleRequestBody = { readonly json: unknown } | { readonly text: string; readonly contentType: string };

/**
 * The one way the Google functions call a Google REST API: a bearer token from the function's service account, a
 * timeout, and every answer that is not 2xx thrown as the API's {@link GoogleApiError} with Google's status and body.
 */
export class GoogleRestClient {
  constructor(
    private readonly tokens: AccessTokenSource,
    private readonly api: GoogleApi,
  ) {}

  /** Sends the request; resolves with a 2xx answer, throws the API's error for any other (and for no answer). */
  async send(method: 'GET' | 'POST', url: string, body?: GoogleRequestBody): Promise<GoogleAnswer> {
    const token = await this.tokens.token();
    const content = body === undefined ? undefined : 'json' in body ? { text: JSON.stringify(body.json), contentType: 'application/json' } : body;
    const answer = await exchange(
      url,
      {
        method,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': content?.contentType ?? 'application/json' },
        ...(content === undefined ? {} : { body: content.text }),
      },
      this.api.timeoutMs,
      (why) => this.api.error(0, 'UNAVAILABLE', `could not reach ${url}: ${why}`, true),
    );
    if (answer.ok) return answer;
    throw this.failure(answer);
  }

  /** Reads `{ error: { code, message, status } }`; a body in another shape (a proxy's HTML page) is kept as text. */
  private failure(answer: GoogleAnswer): GoogleApiError {
    const error = isRecord(answer.json) && isRecord(answer.json.error) ? answer.json.error : undefined;
    const status = typeof error?.status === 'string' && error.status !== '' ? error.status : `HTTP_${answer.httpStatus}`;
    const message = typeof error?.message === 'string' ? error.message : answer.text.slice(0, 300);
    return this.api.error(answer.httpStatus, status, message, isRetryableAnswer(answer.httpStatus, status), error);
  }
}
