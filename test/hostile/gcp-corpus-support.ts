import type { FunctionRequest, FunctionResponse } from '../../lambda/gcp/adapters/functions-framework';
import { call, type Answer } from '../gcp/function-call';
import { deepArrayJson, deepJson, deepObject, hugeDigits, hugeString, type HostileCase } from './corpus-support';

export type HttpFunction = (req: FunctionRequest, res: FunctionResponse) => Promise<void>;

/** Each test starts its own fakes' work; 10,000-level and 250 KB inputs take a while on a loaded machine. */
export const TIMEOUT = 120_000;
export const MESSAGE_ID = '11800000001';
export const SUBSCRIPTION = 'projects/ml-prod-481/subscriptions/churn-trigger-push';
const PUBLISH_TIME = '2026-03-02T06:00:00.123Z';
/** 1,025 bytes after the prefix: past Cloud Storage's 1,024-byte limit on object names, in two-byte characters. */
export const overlongObjectName = (prefix: string): string => `${prefix}${'é'.repeat(513)}`;

/**
 * A hostile input to a push-triggered function. `harmless`: accepted, and changes nothing (the reason says why).
 * `accepted`: accepted by design and allowed exactly the change its test file asserts (the reason says why).
 * `bug`: reveals a defect in lambda/gcp (named there), run as `test.failing` until it is fixed.
 */
export interface PushCase extends HostileCase {
  readonly accepted?: string;
}

export const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const dataText = (data: unknown): string => (typeof data === 'string' ? data : JSON.stringify(data));

/**
 * A push request body; `message` and `root` entries replace the message's and the body's fields (`undefined`
 * removes one). `data` is encoded as the push subscription does: objects as JSON, strings as they are.
 */
export function push(
  data: unknown,
  { attributes, message = {}, root = {} }: { attributes?: Record<string, unknown>; message?: Record<string, unknown>; root?: Record<string, unknown> } = {},
): Record<string, unknown> {
  const pushed: Record<string, unknown> = {
    data: base64(dataText(data)), ...(attributes ? { attributes } : {}), messageId: MESSAGE_ID, message_id: MESSAGE_ID, publishTime: PUBLISH_TIME, publish_time: PUBLISH_TIME,
  };
  for (const [key, value] of Object.entries(message)) {
    if (value === undefined) delete pushed[key];
    else pushed[key] = value;
  }
  const body: Record<string, unknown> = { message: pushed, subscription: SUBSCRIPTION };
  for (const [key, value] of Object.entries(root)) {
    if (value === undefined) delete body[key];
    else body[key] = value;
  }
  return body;
}

/** JSON text of `value` with `"key":0` (written once, as a placeholder) replaced by `"key":1e999`: JSON.stringify cannot write Infinity. */
export function withInfinity(value: unknown, key: string): string {
  const text = JSON.stringify(value);
  if (!text.includes(`"${key}":0`)) throw new Error(`no placeholder "${key}":0 in ${text.slice(0, 80)}`);
  return text.replace(`"${key}":0`, `"${key}":1e999`);
}

/**
 * The hostile inputs every push-triggered function meets the same way: the request body, the Pub/Sub envelope and
 * the encoding of its data, around `genuine` (the data of a message the function would act on).
 */
export function envelopeCases(genuine: () => unknown, attributes?: Record<string, string>): PushCase[] {
  const valid = (options: Parameters<typeof push>[1] = {}) => push(genuine(), { attributes, ...options });
  return [
    // The request body.
    { name: 'a body that is not JSON', input: () => '{"message":' },
    { name: 'a body of 250 KB that is not JSON', input: () => hugeString() },
    { name: 'a body that is a buffer of binary bytes', input: () => Buffer.from([0xff, 0xfe, 0x00, 0x7b]) },
    { name: 'a body that is null', input: () => null },
    { name: 'a body that is a number', input: () => 7 },
    { name: 'a body that is 250 KB of digits', input: () => hugeDigits() },
    { name: 'a body that is an array of push requests', input: () => [valid()] },
    { name: 'a body 10,000 objects deep', input: () => deepObject() },
    { name: 'a body whose JSON text is 10,000 objects deep', input: () => deepJson() },
    { name: 'a body whose JSON text is 10,000 arrays deep', input: () => deepArrayJson() },
    { name: 'a body whose "__proto__" key holds the push request', input: () => JSON.parse(`{"__proto__":${JSON.stringify(valid())}}`) },
    { name: 'a body whose "constructor" key holds the message', input: () => ({ constructor: valid().message }) },
    // The message around the data.
    { name: 'no message', input: () => valid({ root: { message: undefined } }) },
    { name: 'message: null', input: () => valid({ root: { message: null } }) },
    { name: 'message: the base64 data as a string', input: () => valid({ root: { message: base64(dataText(genuine())) } }) },
    { name: 'message: an array', input: () => valid({ root: { message: [(valid().message as object)] } }) },
    { name: 'a forged message without messageId', input: () => valid({ message: { messageId: undefined, message_id: undefined } }) },
    { name: 'messageId: a number', input: () => valid({ message: { messageId: 11800000001, message_id: undefined } }) },
    { name: 'messageId: 1e999 in JSON text', input: () => withInfinity(valid({ message: { messageId: 0, message_id: undefined } }), 'messageId') },
    { name: 'publishTime: not a time', input: () => valid({ message: { publishTime: 'yesterday', publish_time: undefined } }) },
    { name: 'publishTime: 1e999 in JSON text', input: () => withInfinity(valid({ message: { publishTime: 0, publish_time: undefined } }), 'publishTime') },
    { name: 'publishTime: year +275760', input: () => valid({ message: { publishTime: '+275760-09-13T00:00:00.000Z', publish_time: undefined } }) },
    { name: 'publishTime: 250 KB', input: () => valid({ message: { publishTime: `2026-03-02T06:00:00.${'1'.repeat(250 * 1024)}Z`, publish_time: undefined } }) },
    { name: 'attributes: an array', input: () => valid({ message: { attributes: ['eventType'] } }) },
    { name: 'an attribute that is a number', input: () => valid({ message: { attributes: { ...attributes, objectGeneration: 1 } } }) },
    {
      name: 'a JSON "__proto__" attribute holding an object',
      input: () => JSON.parse(JSON.stringify(valid({ message: { attributes: '@' } })).replace('"attributes":"@"', `"attributes":{${JSON.stringify(attributes ?? {}).slice(1, -1)}${attributes ? ',' : ''}"__proto__":{"eventType":"OBJECT_FINALIZE"}}`)),
    },
    // The data.
    { name: 'no data', input: () => valid({ message: { data: undefined } }) },
    { name: 'data: null', input: () => valid({ message: { data: null } }) },
    { name: 'data: a number', input: () => valid({ message: { data: 42 } }) },
    { name: 'data: the message as an object, not base64', input: () => valid({ message: { data: genuine() } }) },
    { name: 'data that is not base64', input: () => valid({ message: { data: 'not base64!' } }) },
    { name: 'data that is 250 KB, not base64', input: () => valid({ message: { data: `${hugeString('A')}!` } }) },
    { name: 'data that decodes to bytes that are not UTF-8', input: () => valid({ message: { data: Buffer.from([0xff, 0xfe, 0xfd]).toString('base64') } }) },
    { name: 'data that decodes to text that is not JSON', input: () => push('{"triggerId":', { attributes }) },
    { name: 'data that decodes to 250 KB that is not JSON', input: () => push(hugeString(), { attributes }) },
    { name: 'data that decodes to 250 KB of digits', input: () => push(hugeDigits(), { attributes }) },
    { name: 'data that decodes to null', input: () => push('null', { attributes }) },
    { name: 'data that decodes to NaN', input: () => push('NaN', { attributes }) },
    { name: 'data that decodes to 1e999', input: () => push('1e999', { attributes }) },
    { name: 'data that decodes to 10,000 arrays deep', input: () => push(deepArrayJson(), { attributes }) },
  ];
}

/** Calls the function; a throw fails the test, as it would crash-loop the function. */
export const answer = (fn: HttpFunction, body: unknown): Promise<Answer> => call(fn, body);

/** The answer a rejection must be: 200 (never redelivered), the status `rejected`, and a field path. */
export function expectRejected(answered: Answer): void {
  expect(answered).toEqual({ status: 200, body: { status: 'rejected', error: { field: expect.stringMatching(/^\S+$/), problem: expect.any(String) } } });
}
