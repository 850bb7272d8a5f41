import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { LocalService } from './local-services';

async function body(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    });
}

export type InvokedFunction = (payload: unknown) => Promise<unknown>;

/**
 * Lambda's Invoke API (REST JSON: POST /2015-03-31/functions/{name}/invocations) on 127.0.0.1, running
 * registered functions in this process, so the real SDK client reaches them through AWS_ENDPOINT_URL_LAMBDA.
 * A function that throws answers like Lambda: status 200 with `X-Amz-Function-Error: Unhandled`.
 */
export async function startFakeLambda(functions: Readonly<Record<string, InvokedFunction>>): Promise<LocalService & { invocations: Array<{ name: string; payload: unknown }> }> {
  const invocations: Array<{ name: string; payload: unknown }> = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(request.url ?? '');
      const name = match ? decodeURIComponent(match[1]).split(':').slice(-1)[0] : '';
      const fn = Object.entries(functions).find(([key]) => key === name || decodeURIComponent(match?.[1] ?? '').endsWith(`:${key}`))?.[1];
      if (!fn) {
        response.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' });
        response.end(JSON.stringify({ Type: 'User', message: `Function not found: ${name}` }));
        return;
      }
      const payload = JSON.parse((await body(request)) || 'null');
      invocations.push({ name, payload });
      try {
        const result = await fn(payload);
        response.writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' });
        response.end(JSON.stringify(result ?? null));
      } catch (error) {
        response.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
        response.end(JSON.stringify({ errorType: 'Error', errorMessage: error instanceof Error ? error.message : String(error) }));
      }
    })();
  });
  const endpoint = await listen(server);
  return { endpoint, invocations, close: closer(server) };
}

/** SNS's Publish (Query protocol, XML answer) on 127.0.0.1, recording each message. */
export async function startFakeSns(): Promise<LocalService & { messages: Array<{ topicArn: string; subject?: string; message: string }> }> {
  const messages: Array<{ topicArn: string; subject?: string; message: string }> = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      const form = new URLSearchParams(await body(request));
      if (form.get('Action') !== 'Publish') {
        response.writeHead(400, { 'content-type': 'text/xml' });
        response.end('<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>only Publish</Message></Error></ErrorResponse>');
        return;
      }
      messages.push({ topicArn: form.get('TopicArn') ?? '', subject: form.get('Subject') ?? undefined, message: form.get('Message') ?? '' });
      response.writeHead(200, { 'content-type': 'text/xml' });
      response.end(
        `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-${messages.length}</MessageId></PublishResult><ResponseMetadata><RequestId>r-${messages.length}</RequestId></ResponseMetadata></PublishResponse>`,
      );
    })();
  });
  const endpoint = await listen(server);
  return { endpoint, messages, close: closer(server) };
}
