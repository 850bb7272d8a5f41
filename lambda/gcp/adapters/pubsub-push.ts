import { isRfc3339Time } from '../../core/event-time';
import { accept, describe, isRecord, reject, type Parsed } from '../../core/result';

/** One Pub/Sub message as a push subscription delivers it, its data decoded. */
export interface PushedMessage {
  /** Unique within the topic, and kept by every redelivery of the same message. */
  readonly messageId: string;
  /** RFC 3339, as Pub/Sub stamps it on publish. */
  readonly publishTime: string;
  readonly attributes: Readonly<Record<string, string>>;
  /** The data, base64-decoded as UTF-8. */
  readonly data: string;
  /** `projects/<project>/subscriptions/<name>`, when the request names it. */
  readonly subscription?: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a push request body `{ message: { data, attributes?, messageId, publishTime }, subscription }` (the
 * PubsubMessage JSON form; push also repeats messageId and publishTime as message_id and publish_time, which are
 * read when the camelCase ones are absent). Names the field on error.
 */
export function parsePushRequest(body: unknown): Parsed<PushedMessage> {
  let root = body;
  if (typeof root === 'string' || Buffer.isBuffer(root)) {
    try {
      root = JSON.parse(root.toString()) as unknown;
    } catch {
      return reject('body', 'is not JSON: a Pub/Sub push request is a JSON object');
    }
  }
  if (!isRecord(root)) return reject('body', `must be a Pub/Sub push request (a JSON object), got ${describe(root)}`);
  const message = root.message;
  if (message === undefined || message === null) return reject('message', 'is missing');
  if (!isRecord(message)) return reject('message', `must be an object, got ${describe(message)}`);
  const messageId = message.messageId ?? message.message_id;
  if (typeof messageId !== 'string' || messageId === '') return reject('message.messageId', `must be a non-empty string, got ${describe(messageId)}`);
  const publishTime = message.publishTime ?? message.publish_time;
  if (typeof publishTime !== 'string' || !isRfc3339Time(publishTime)) {
    return reject('message.publishTime', `must be an RFC 3339 time, got ${describe(publishTime)}`);
  }
  const attributes = message.attributes ?? {};
  if (!isRecord(attributes) || Object.values(attributes).some((value) => typeof value !== 'string')) {
    return reject('message.attributes', 'must map names to string values');
  }
  const data = message.data;
  if (data === undefined || data === null || data === '') return reject('message.data', 'is missing: this function reads its input from the message data');
  if (typeof data !== 'string' || !BASE64.test(data)) return reject('message.data', `must be base64, got ${describe(data)}`);
  let text: string;
  try {
    text = UTF8.decode(Buffer.from(data, 'base64'));
  } catch {
    return reject('message.data', 'must be UTF-8 text once base64-decoded');
  }
  const subscription = typeof root.subscription === 'string' && root.subscription !== '' ? { subscription: root.subscription } : {};
  return accept({ messageId, publishTime, attributes: attributes as Record<string, string>, data: text, ...subscription });
}
