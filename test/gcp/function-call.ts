import type { FunctionRequest, FunctionResponse } from '../../lambda/gcp/adapters/functions-framework';
import { startFakeGoogle, type FakeGoogle } from './fake-google';

export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

type HttpFunction = (req: FunctionRequest, res: FunctionResponse) => Promise<void>;

/** Calls an HTTP function as the Functions Framework would, with a response that records what it was told. */
export async function call(fn: HttpFunction, body: unknown): Promise<Answer> {
  let status = 200;
  let sent: unknown;
  let ended = 0;
  const res: FunctionResponse = {
    status(code) {
      status = code;
      return res;
    },
    json(value) {
      sent = value;
      ended += 1;
    },
    send(value) {
      sent = value;
      ended += 1;
    },
  };
  await fn({ body, headers: { 'content-type': 'application/json' } }, res);
  if (ended !== 1) throw new Error(`the function answered ${ended} times`);
  return { status, body: sent as Record<string, unknown> };
}

/** A Pub/Sub push request body, as a push subscription POSTs it (both spellings of the id and time, as Pub/Sub sends them). */
export function pushBody(data: unknown, messageId: string, attributes?: Record<string, string>): Record<string, unknown> {
  const publishTime = '2026-03-02T06:00:00.123Z';
  const encoded = Buffer.from(typeof data === 'string' ? data : JSON.stringify(data), 'utf8').toString('base64');
  return {
    message: { data: encoded, ...(attributes ? { attributes } : {}), messageId, message_id: messageId, publishTime, publish_time: publishTime },
    subscription: 'projects/ml-prod-481/subscriptions/churn-trigger-push',
  };
}

/** The structured lines the function wrote to stdout, parsed. */
export function captureLogs(): { readonly lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
    return true;
  });
  return { lines };
}

/** The structured lines the function wrote to stdout during the current test of the surrounding describe. */
export function captureEachTestLogs(): { readonly lines: Array<Record<string, unknown>> } {
  let captured: { readonly lines: Array<Record<string, unknown>> } = { lines: [] };
  beforeEach(() => {
    captured = captureLogs();
  });
  return {
    get lines() {
      return captured.lines;
    },
  };
}

/** Starts the fake and points the functions' environment at it; returns the fake and a restore for afterAll. */
export async function fakeGoogleEnv(env: Record<string, string>): Promise<{ google: FakeGoogle; restore: () => Promise<void> }> {
  const google = await startFakeGoogle();
  const values: Record<string, string> = { ...env, GCE_METADATA_HOST: google.metadataHost, VERTEX_API_ENDPOINT: google.endpoint };
  const previous = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  Object.assign(process.env, values);
  return {
    google,
    restore: async () => {
      for (const [key, value] of Object.entries(previous)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      await google.close();
    },
  };
}

/** How long one test against the fakes may take: each call crosses local HTTP servers, slow on a loaded machine. */
export const FAKE_GOOGLE_TIMEOUT = 60_000;

/** The started fake, read inside hooks and tests (it exists once the suite's beforeAll has run). */
export interface FakeGoogleSuite {
  readonly google: FakeGoogle;
}

/**
 * Runs the surrounding describe against one fake Google: started with `env` set before all its tests (`env` is read then,
 * so it may name servers an earlier beforeAll started), reset and `env` set again before each test (a test may change
 * it), mocks restored after each, and everything restored after all.
 */
export function useFakeGoogle(env: () => Record<string, string>, timeout = FAKE_GOOGLE_TIMEOUT): FakeGoogleSuite {
  let started: { google: FakeGoogle; restore: () => Promise<void> } | undefined;
  const suite: FakeGoogleSuite = {
    get google(): FakeGoogle {
      if (!started) throw new Error('the fake Google is started in beforeAll');
      return started.google;
    },
  };
  beforeAll(async () => {
    started = await fakeGoogleEnv(env());
  }, timeout);
  afterAll(async () => started?.restore(), timeout);
  beforeEach(() => {
    suite.google.reset();
    Object.assign(process.env, env());
  });
  afterEach(() => jest.restoreAllMocks());
  return suite;
}
