import type { IncomingMessage, Server } from 'node:http';

/** A local stand-in for an AWS service, reachable at `endpoint` until `close()` resolves. */
export interface LocalEndpoint {
  /** `http://127.0.0.1:<port>`, for the service's `AWS_ENDPOINT_URL_<SERVICE>` variable. */
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * Answers without a `Date` header. Node writes it from the real clock; the functions sign their requests on
 * the simulator's virtual clock, and the SDK, seeing a server hours or years away, would correct its clock
 * toward the real one, and its next request would be refused as skewed.
 */
export function withoutDateHeader(server: Server): void {
  server.prependListener('request', (_request, response) => {
    response.sendDate = false;
  });
}

/** Listens on an OS-assigned port of 127.0.0.1 only, and resolves the endpoint to reach it at. */
export function listenOnLoopback(server: Server): Promise<string> {
  withoutDateHeader(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(endpointOf(server));
    });
  });
}

/** The loopback endpoint a listening server is reached at. */
export function endpointOf(server: Server): string {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`server is not listening on TCP: ${address}`);
  return `http://127.0.0.1:${address.port}`;
}

/** Closes the server, dropping the SDK's idle keep-alive sockets so that close resolves promptly. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/** The request's whole body as UTF-8 text. */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Runs `close` once; later calls get the same promise, so stopping twice is harmless. */
export function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= close());
}
