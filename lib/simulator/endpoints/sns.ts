import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback, once, readBody, type LocalEndpoint } from './loopback';

/** Delivers one published message, to the topic's subscribed functions or nowhere. */
export type PublishMessage = (topicArn: string, message: string, subject?: string) => Promise<void>;

export interface PublishedMessage {
  readonly topicArn: string;
  readonly subject?: string;
  readonly message: string;
}

/** SNS's Publish on 127.0.0.1, recording each message and handing it to a callback. */
export interface LocalSns extends LocalEndpoint {
  readonly messages: readonly PublishedMessage[];
}

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

/**
 * Starts SNS's Publish (Query protocol, XML answer) on an OS-assigned loopback port; point
 * `AWS_ENDPOINT_URL_SNS` at it. The answer waits for `publish`, which decides whether delivery happens now.
 */
export async function startLocalSns(publish: PublishMessage = async () => undefined): Promise<LocalSns> {
  const messages: PublishedMessage[] = [];

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const reply = (status: number, xml: string): void => {
      response.writeHead(status, { 'content-type': 'text/xml', 'content-length': String(Buffer.byteLength(xml)) });
      response.end(xml);
    };
    const fail = (status: number, code: string, message: string): void =>
      reply(status, `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${status < 500 ? 'Sender' : 'Receiver'}</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>r-${messages.length}</RequestId></ErrorResponse>`);

    const form = new URLSearchParams(await readBody(request));
    if (form.get('Action') !== 'Publish') return fail(400, 'InvalidAction', `only Publish is served, got ${form.get('Action')}`);
    const topicArn = form.get('TopicArn') ?? form.get('TargetArn');
    if (!topicArn) return fail(400, 'InvalidParameter', 'Invalid parameter: TopicArn or TargetArn is required');
    const message = form.get('Message') ?? '';
    const subject = form.get('Subject') ?? undefined;
    messages.push({ topicArn, subject, message });
    try {
      await publish(topicArn, message, subject);
    } catch (error) {
      return fail(500, 'InternalError', error instanceof Error ? error.message : String(error));
    }
    const n = messages.length;
    reply(200, `<PublishResponse xmlns="${XMLNS}"><PublishResult><MessageId>m-${n}</MessageId></PublishResult><ResponseMetadata><RequestId>r-${n}</RequestId></ResponseMetadata></PublishResponse>`);
  }

  const server = createServer((request, response) => void answer(request, response));
  const endpoint = await listenOnLoopback(server);
  return { endpoint, messages, close: once(() => closeServer(server)) };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
