import { createHash } from 'node:crypto';
import { batchVerdict, receiptHandleOf, sqsEvent, type ReceivedMessage } from '../../lib/simulator/sqs-records';

const QUEUE_ARN = 'arn:aws:sqs:eu-west-1:111122223333:arrivals';
const IDS = ['m-1', 'm-2', 'm-3'];

const message = (messageId: string, receiveCount = 1): ReceivedMessage => ({
  messageId, receiptHandle: receiptHandleOf(QUEUE_ARN, messageId, receiveCount), body: `{"triggerId":"labels","n":"${messageId}"}`,
  receiveCount, sentAtMs: Date.UTC(2024, 0, 29, 9), firstReceiveAtMs: Date.UTC(2024, 0, 29, 9, 0, 1),
});

describe('the SQS event a queue poller invokes a function with', () => {
  test('carries each message as a record of the queue, with its receive count, times, body digest and region', () => {
    // Prepare
    const batch = [message('m-1'), message('m-2', 3)];

    // Act
    const { Records } = sqsEvent(QUEUE_ARN, batch);

    // Assess
    expect(Records).toHaveLength(2);
    expect(Records[1]).toEqual({
      messageId: 'm-2',
      receiptHandle: batch[1].receiptHandle,
      body: batch[1].body,
      attributes: { ApproximateReceiveCount: '3', SentTimestamp: '1706518800000', SenderId: expect.stringMatching(/^AIDA[0-9A-F]{17}$/), ApproximateFirstReceiveTimestamp: '1706518801000' },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(batch[1].body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: QUEUE_ARN,
      awsRegion: 'eu-west-1',
    });
  });

  test('gives a message a new receipt handle at each receive, the same in every simulation', () => {
    // Act
    const handles = [1, 2, 1].map((count) => receiptHandleOf(QUEUE_ARN, 'm-1', count));

    // Assess
    expect(handles[0]).not.toBe(handles[1]);
    expect(handles[2]).toBe(handles[0]);
  });
});

describe('which messages of a batch go back to the queue', () => {
  test('none when the function answers no failures, an empty answer or no answer', () => {
    // Prepare
    const answers = [{ batchItemFailures: [] }, { batchItemFailures: null }, {}, undefined, null];

    // Act
    const verdicts = answers.map((result) => batchVerdict({ result }, IDS, true));

    // Assess
    expect(verdicts.map((verdict) => verdict.failed)).toEqual([[], [], [], [], []]);
  });

  test('the messages the answer names, once each', () => {
    // Act
    const verdict = batchVerdict({ result: { batchItemFailures: [{ itemIdentifier: 'm-3' }, { itemIdentifier: 'm-1' }, { itemIdentifier: 'm-3' }] } }, IDS, true);

    // Assess
    expect(verdict).toEqual({ failed: ['m-3', 'm-1'], reason: 'reported in batchItemFailures' });
  });

  test('every message when the function threw, whether or not it reports failures', () => {
    // Prepare
    const threw = { error: { type: 'TypeError', message: 'no records' } };

    // Act
    const verdicts = [true, false].map((reports) => batchVerdict(threw, IDS, reports));

    // Assess
    expect(verdicts).toEqual([0, 1].map(() => ({ failed: IDS, reason: 'the function threw TypeError: no records' })));
  });

  test.each([
    ['a text', 'ok', /is no object/],
    ['a list', [{ itemIdentifier: 'm-1' }], /is no object/],
    ['failures that are no list', { batchItemFailures: 'm-1' }, /batchItemFailures is no list/],
    ['an empty identifier', { batchItemFailures: [{ itemIdentifier: '' }] }, /names ""/],
    ['a misspelt key', { batchItemFailures: [{ itemId: 'm-1' }] }, /names null/],
    ['a message of no batch', { batchItemFailures: [{ itemIdentifier: 'm-9' }] }, /names "m-9"/],
  ])('every message when the answer is malformed: %s', (_name, result, reason) => {
    // Act
    const verdict = batchVerdict({ result }, IDS, true);

    // Assess
    expect(verdict.failed).toEqual(IDS);
    expect(verdict.reason).toMatch(reason);
  });

  test('none when the mapping does not read failures from the answer, whatever it says', () => {
    // Act
    const verdict = batchVerdict({ result: { batchItemFailures: [{ itemIdentifier: 'm-1' }] } }, IDS, false);

    // Assess
    expect(verdict.failed).toEqual([]);
  });
});
