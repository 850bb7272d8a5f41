import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback, once, readBody, type LocalEndpoint } from './loopback';

/** What an awsJson1_1 endpoint answers one request with: the status, the JSON body, and the error's type. */
export interface AwsJsonReply {
  readonly status: number;
  readonly body: unknown;
  readonly error?: string;
}

/** Answers one request: its `X-Amz-Target` (or `<method> <url>` for anything but a POST) and its body. */
export type AwsJsonServe = (target: string, body: string) => AwsJsonReply | Promise<AwsJsonReply>;

/**
 * Serves an AWS JSON-protocol API (awsJson1_1) on an OS-assigned loopback port: each POST is answered by
 * `serve` with its `X-Amz-Target` and body; any other request is handed over as `<method> <url>`.
 * A `serve` that throws answers HTTP 500 `InternalFailure`, so a bug in a stand-in reaches the caller as
 * a service error rather than a hung request.
 */
export async function startAwsJsonEndpoint(serve: AwsJsonServe): Promise<LocalEndpoint> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      const text = await readBody(request);
      const target = request.method === 'POST' ? String(request.headers['x-amz-target'] ?? '') : `${request.method} ${request.url}`;
      const { status, body, error } = await replyTo(serve, target, text);
      const payload = JSON.stringify(body);
      response.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'content-length': Buffer.byteLength(payload),
        'x-amzn-requestid': randomUUID(),
        ...(error ? { 'x-amzn-errortype': error } : {}),
      });
      response.end(payload);
    })();
  });
  const endpoint = await listenOnLoopback(server);
  return { endpoint, close: once(() => closeServer(server)) };
}

async function replyTo(serve: AwsJsonServe, target: string, body: string): Promise<AwsJsonReply> {
  try {
    return await serve(target, body);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { status: 500, body: { __type: 'InternalFailure', message }, error: 'InternalFailure' };
  }
}
