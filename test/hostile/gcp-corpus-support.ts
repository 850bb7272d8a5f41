import type { FunctionRequest, FunctionResponse } from '../../lambda/gcp/adapters/functions-framework';
import { call, type Answer, type FakeGoogleSuite } from '../gcp/function-call';
import { CORPUS_TIMEOUT, deepArrayJson, deepJson, deepObject, hugeDigits, hugeString, sizeRatio, testEachCase, type HostileCase } from './corpus-support';

export type HttpFunction = (req: FunctionRequest, res: FunctionResponse) => Promise<void>;

/** Each test starts its own fakes' work; 10,000-level and 250 KB inputs take a while on a loaded machine. */
export const TIMEOUT = CORPUS_TIMEOUT;
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
    ...impossibleTimeCases('publishTime', (publishTime) => valid({ message: { publishTime, publish_time: undefined } })),
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

/**
 * The times no function may read as a time, in the field `field` of what `data` builds around it (sent as `send` sends
 * it): a number JSON cannot hold, a year past what Date holds, 250 KB of fraction digits, a month and an hour that do not exist.
 */
export function impossibleTimeCases(field: string, data: (time: unknown) => unknown, send: (data: unknown) => unknown = (built) => built): PushCase[] {
  return [
    { name: `${field}: 1e999 in JSON text`, input: () => send(withInfinity(data(0), field)) },
    { name: `${field}: year +275760`, input: () => send(data('+275760-09-13T00:00:00.000Z')) },
    { name: `${field}: 250 KB`, input: () => send(data(`2026-03-02T06:00:00.${'1'.repeat(250 * 1024)}Z`)) },
    { name: `${field}: month 13, hour 99`, input: () => send(data('2026-13-45T99:99:99Z')) },
  ];
}

/** Calls the function; a throw fails the test, as it would crash-loop the function. */
export const answer = (fn: HttpFunction, body: unknown): Promise<Answer> => call(fn, body);

/** The answer a rejection must be: 200 (never redelivered), the status `rejected`, and a field path. */
export function expectRejected(answered: Answer): void {
  expect(answered).toEqual({ status: 200, body: { status: 'rejected', error: { field: expect.stringMatching(/^\S+$/), problem: expect.any(String) } } });
}

/**
 * The assessment of a function whose one effect is a pipeline job under an id the genuine request gives: an accepted
 * case creates exactly that job; any other creates nothing and is rejected, or, where the function has harmless
 * answers, answers a status `harmless` matches.
 */
export function assessJobCase(fn: HttpFunction, fake: FakeGoogleSuite, jobId: string, harmless?: RegExp): (hostile: PushCase) => Promise<void> {
  return async (hostile) => {
    // Act: the await itself checks that the function answers instead of throwing.
    const answered = await answer(fn, hostile.input());

    // Assess
    if (hostile.accepted) {
      expect(answered).toMatchObject({ status: 200, body: { status: 'created', pipelineJobId: jobId } });
      expect(fake.google.jobs.map((job) => job.pipelineJobId)).toEqual([jobId]);
      return;
    }
    expect(fake.google.createAttempts).toEqual([]);
    if (hostile.harmless && harmless) expect(answered).toMatchObject({ status: 200, body: { status: expect.stringMatching(harmless) } });
    else expectRejected(answered);
  };
}

/** What a push function's corpus runs besides its cases' assessment. */
export interface PushCorpus {
  readonly fn: HttpFunction;
  readonly cases: readonly PushCase[];
  /** The request the function acts on, and the answer's body that shows it did: the rejections are then the inputs' doing. */
  readonly genuine: { readonly name: string; readonly request: () => unknown; readonly answers: Record<string, unknown> };
  /** What each case's test holds, after `answers 200, `. */
  readonly behaviour: string;
  readonly assessCase: (hostile: PushCase) => Promise<void>;
  /** A request the function rejects, carrying `length` characters of hostile data. */
  readonly sized: (length: number) => unknown;
}

/** A push function's corpus: the genuine request first, a test per case, the cost of larger data, and the corpus's size. */
export function testPushCorpus(corpus: PushCorpus): void {
  test(corpus.genuine.name, async () => {
    // Act
    const answered = await answer(corpus.fn, corpus.genuine.request());

    // Assess
    expect(answered).toMatchObject({ status: 200, body: corpus.genuine.answers });
  }, TIMEOUT);

  testEachCase(corpus.cases, `answers 200, ${corpus.behaviour}`, corpus.assessCase);

  test('data 100 times larger takes less than 1000 times as long to reject', async () => {
    // Warmed once, then the fastest of several runs each.
    expect(await sizeRatio((input) => answer(corpus.fn, input), corpus.sized(2_500), corpus.sized(250_000))).toBeLessThan(1000);
  }, TIMEOUT);

  test('the corpus holds at least 30 inputs', () => {
    expect(corpus.cases.length).toBeGreaterThanOrEqual(30);
  });
}
