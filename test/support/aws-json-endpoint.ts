import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { LocalService } from './local-services';

/** What an awsJson1_1 endpoint answers one request with: the status, the JSON body, and the error's type. */
export interface AwsJsonReply {
  readonly status: number;
  readonly body: unknown;
  readonly error?: string;
}

/**
 * Serves an AWS JSON-protocol API (awsJson1_1) on an OS-assigned loopback port: each POST is answered by
 * `serve` with its `X-Amz-Target` and body; any other request is handed over as `<method> <url>`.
 */
export async function startAwsJsonEndpoint(serve: (target: string, body: string) => AwsJsonReply): Promise<LocalService> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = req.method === 'POST' ? String(req.headers['x-amz-target'] ?? '') : `${req.method} ${req.url}`;
      const { status, body, error } = serve(target, Buffer.concat(chunks).toString('utf8'));
      const payload = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'content-length': Buffer.byteLength(payload),
        'x-amzn-requestid': randomUUID(),
        ...(error ? { 'x-amzn-errortype': error } : {}),
      });
      res.end(payload);
    });
  });
  const endpoint = await listenOnLoopback(server);
  return { endpoint, close: () => closeServer(server) };
}

/** Listens on an OS-assigned loopback port and resolves the endpoint to reach it at. */
export function listenOnLoopback(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(endpointOf(server));
    });
  });
}

export function endpointOf(server: Server): string {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`server is not listening on TCP: ${address}`);
  return `http://127.0.0.1:${address.port}`;
}

/** Closes the server, dropping the SDK's idle keep-alive sockets so close resolves promptly. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
