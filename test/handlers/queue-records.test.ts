import { queueRecords } from '../../lambda/aws/batcher/queue-records';

const QUEUE = 'arn:aws:sqs:eu-west-1:123456789012:arrivals';
const record = (overrides: Record<string, unknown> = {}) => ({ messageId: 'm-1', eventSource: 'aws:sqs', eventSourceARN: QUEUE, body: '{"triggerId":"t"}', ...overrides });

describe('queueRecords: the messages of an SQS event, each read on its own', () => {
  test('a good message gives its id, place and parsed body', () => {
    // Act
    const read = queueRecords([record()], QUEUE);

    // Assess
    expect(read).toEqual({ ok: true, value: [{ messageId: 'm-1', position: 0, body: { triggerId: 't' } }] });
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['a body that is not JSON', { body: '{not json' }, 'Records[1].body'],
    ['a body that is not text', { body: 42 }, 'Records[1].body'],
    ['another queue', { eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:someone-elses' }, 'Records[1].eventSourceARN'],
    ['another event source', { eventSource: 'aws:kinesis' }, 'Records[1].eventSource'],
    ['no message id', { messageId: '' }, 'Records[1].messageId'],
  ])('%s is an error naming its field, and the message before it is unaffected', (_case, overrides, field) => {
    // Act
    const read = queueRecords([record(), record(overrides)], QUEUE);

    // Assess
    if (!read.ok) throw new Error('the event itself was refused');
    expect(read.value[0]).toEqual({ messageId: 'm-1', position: 0, body: { triggerId: 't' } });
    expect(read.value[1]).toEqual({ error: { field, problem: expect.any(String) } });
  });

  test('a function deployed without an arrival queue takes no queue message', () => {
    // Act
    const read = queueRecords([record()], undefined);

    // Assess
    expect(read.ok && read.value[0]).toEqual({ error: { field: 'Records[0].eventSourceARN', problem: expect.stringContaining("this stack's arrival queue") } });
  });

  test.each([[{}], ['text'], [Array.from({ length: 10_001 }, () => record())]])('an event that is not a list of at most 10,000 messages is refused whole', (records) => {
    // Act
    const read = queueRecords(records, QUEUE);

    // Assess
    expect(read).toEqual({ ok: false, error: { field: 'Records', problem: expect.any(String) } });
  });
});
