import { matchesPattern } from '../../lambda/core/event-pattern';

// Each case comes from the Amazon EventBridge User Guide; the comment names the page and example.
// Pages: "Creating event patterns" (eb-event-patterns), "Matching null values and empty strings"
// (eb-event-patterns-null-values), "Arrays in event patterns" (eb-event-patterns-arrays), "Content
// filtering in event patterns" (eb-event-patterns-content-based-filtering) and "Comparison operators
// for use in event patterns" (eb-create-pattern-operators).

// eb-event-patterns: the Amazon EC2 state-change event.
const ec2Terminated = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};

describe('field and value matching (eb-event-patterns)', () => {
  test('the instance-termination pattern matches the EC2 event: source, detail-type and detail.state', () => {
    const pattern = { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['terminated'] } };
    expect(matchesPattern(pattern, ec2Terminated)).toBe(true);
    expect(matchesPattern(pattern, { ...ec2Terminated, detail: { ...ec2Terminated.detail, state: 'running' } })).toBe(false);
  });

  test('"the event must contain all the field names listed in the pattern"', () => {
    expect(matchesPattern({ detail: { 'instance-type': ['t3.micro'] } }, ec2Terminated)).toBe(false);
  });

  test('match values: ["aws.ec2", "aws.fargate"] matches either source', () => {
    const pattern = { source: ['aws.ec2', 'aws.fargate'] };
    expect(matchesPattern(pattern, ec2Terminated)).toBe(true);
    expect(matchesPattern(pattern, { ...ec2Terminated, source: 'aws.fargate' })).toBe(true);
    expect(matchesPattern(pattern, { ...ec2Terminated, source: 'aws.s3' })).toBe(false);
  });

  test('"exact character-by-character matching without case-folding"', () => {
    expect(matchesPattern({ source: ['AWS.EC2'] }, ec2Terminated)).toBe(false);
  });

  test('the Macie example: risk-score 80 and the nested trigger.risk 8', () => {
    const macie = { source: 'aws.macie', 'detail-type': 'Macie Alert', detail: { 'risk-score': 80, tags: ['Custom_Alert', 'Insider'], trigger: { 'alert-type': 'basic', risk: 8 } } };
    const pattern = { source: ['aws.macie'], 'detail-type': ['Macie Alert'], detail: { 'risk-score': [80], trigger: { risk: [8] } } };
    expect(matchesPattern(pattern, macie)).toBe(true);
    expect(matchesPattern({ ...pattern, detail: { ...pattern.detail, trigger: { risk: [9] } } }, macie)).toBe(false);
    // JSON types differ: the string "80" is not the number 80.
    expect(matchesPattern({ detail: { 'risk-score': ['80'] } }, macie)).toBe(false);
  });
});

describe('null values and empty strings (eb-event-patterns-null-values)', () => {
  const autoscaling = { 'detail-type': 'EC2 Instance Launch Successful', source: 'aws.autoscaling', resources: [], detail: { eventVersion: '', responseElements: null } };

  test('eventVersion [""] and responseElements [null] both match the example event', () => {
    expect(matchesPattern({ detail: { eventVersion: [''] } }, autoscaling)).toBe(true);
    expect(matchesPattern({ detail: { responseElements: [null] } }, autoscaling)).toBe(true);
  });

  test('"null values and empty strings are not interchangeable"', () => {
    expect(matchesPattern({ detail: { responseElements: [''] } }, autoscaling)).toBe(false);
    expect(matchesPattern({ detail: { eventVersion: [null] } }, autoscaling)).toBe(false);
  });
});

describe('arrays (eb-event-patterns-arrays)', () => {
  const resourcesPattern = {
    resources: [
      'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
    ],
  };

  test('matches because the first pattern value equals the second element of the event array', () => {
    const event = { resources: ['arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b:autoScalingGroupName/ASGTerminate', 'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f'] };
    expect(matchesPattern(resourcesPattern, event)).toBe(true);
  });

  test('does not match when the intersection is empty', () => {
    expect(matchesPattern(resourcesPattern, { resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f'] })).toBe(false);
  });
});

describe('content filtering (eb-event-patterns-content-based-filtering)', () => {
  test('prefix matching: time starting with 2017-10-02', () => {
    const pattern = { time: [{ prefix: '2017-10-02' }] };
    expect(matchesPattern(pattern, { time: '2017-10-02T18:43:48Z' })).toBe(true);
    expect(matchesPattern(pattern, { time: '2017-10-03T18:43:48Z' })).toBe(false);
  });

  test('suffix matching: FileName ending with .png', () => {
    const pattern = { FileName: [{ suffix: '.png' }] };
    expect(matchesPattern(pattern, { FileName: 'photo.png' })).toBe(true);
    expect(matchesPattern(pattern, { FileName: 'photo.jpg' })).toBe(false);
  });

  test('equals-ignore-case (eb-create-pattern-operators, "Name is Alice"): alice matches any casing of Alice', () => {
    const pattern = { Name: [{ 'equals-ignore-case': 'alice' }] };
    expect(matchesPattern(pattern, { Name: 'Alice' })).toBe(true);
    expect(matchesPattern(pattern, { Name: 'ALICE' })).toBe(true);
    expect(matchesPattern(pattern, { Name: 'Alicia' })).toBe(false);
  });

  test('anything-but a string and anything-but a number', () => {
    expect(matchesPattern({ detail: { state: [{ 'anything-but': 'initializing' }] } }, { detail: { state: 'running' } })).toBe(true);
    expect(matchesPattern({ detail: { state: [{ 'anything-but': 'initializing' }] } }, { detail: { state: 'initializing' } })).toBe(false);
    expect(matchesPattern({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, { detail: { 'x-limit': 124 } })).toBe(true);
    expect(matchesPattern({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, { detail: { 'x-limit': 123 } })).toBe(false);
  });

  test('anything-but a list of strings and a list of numbers', () => {
    const states = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
    expect(matchesPattern(states, { detail: { state: 'running' } })).toBe(true);
    expect(matchesPattern(states, { detail: { state: 'overloaded' } })).toBe(false);
    const limits = { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } };
    expect(matchesPattern(limits, { detail: { 'x-limit': 150 } })).toBe(true);
    expect(matchesPattern(limits, { detail: { 'x-limit': 200 } })).toBe(false);
  });

  test('anything-but a prefix: any state without the prefix "init"', () => {
    const pattern = { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } };
    expect(matchesPattern(pattern, { detail: { state: 'running' } })).toBe(true);
    expect(matchesPattern(pattern, { detail: { state: 'initializing' } })).toBe(false);
  });

  test('numeric matching: c-count > 0 and <= 5, d-count < 10, x-limit = 3.018e2, all must hold', () => {
    const pattern = { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }], 'd-count': [{ numeric: ['<', 10] }], 'x-limit': [{ numeric: ['=', 3.018e2] }] } };
    expect(matchesPattern(pattern, { detail: { 'c-count': 5, 'd-count': 9, 'x-limit': 301.8 } })).toBe(true);
    expect(matchesPattern(pattern, { detail: { 'c-count': 0, 'd-count': 9, 'x-limit': 301.8 } })).toBe(false);
    expect(matchesPattern(pattern, { detail: { 'c-count': 5, 'd-count': 10, 'x-limit': 301.8 } })).toBe(false);
    // "Numeric matching works with values that are JSON numbers": a numeric string does not match.
    expect(matchesPattern(pattern, { detail: { 'c-count': '5', 'd-count': 9, 'x-limit': 301.8 } })).toBe(false);
  });

  test('exists true: matches the EC2 event with detail.state, not the event without it', () => {
    const pattern = { detail: { state: [{ exists: true }] } };
    const pending = { source: 'aws.ec2', detail: { 'instance-id': 'i-abcd1111', state: 'pending' } };
    expect(matchesPattern(pattern, pending)).toBe(true);
    expect(matchesPattern(pattern, { detail: { 'c-count': { c1: 100 } } })).toBe(false);
  });

  test('exists false on detail.c-count: matches without c-count, and where c-count is not a leaf', () => {
    const pattern = { detail: { 'c-count': [{ exists: false }] } };
    expect(matchesPattern(pattern, { detail: { state: ['initializing', 'running'] } })).toBe(true);
    expect(matchesPattern(pattern, { detail: { state: ['initializing', 'running'], 'c-count': { c1: 100 } } })).toBe(true);
    expect(matchesPattern(pattern, { detail: { 'c-count': 3 } })).toBe(false);
  });

  test('the complex example combining prefix, anything-but and numeric', () => {
    const pattern = {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
      },
    };
    const event = { time: '2017-10-02T18:43:48Z', detail: { state: 'running', 'c-count': 3, 'd-count': 2, 'x-limit': 150 } };
    expect(matchesPattern(pattern, event)).toBe(true);
    expect(matchesPattern(pattern, { ...event, detail: { ...event.detail, 'x-limit': 300 } })).toBe(false);
    expect(matchesPattern(pattern, { ...event, time: '2017-10-03T00:00:00Z' })).toBe(false);
  });
});

describe('the matcher refuses patterns outside its subset rather than answering false', () => {
  test.each([
    ['a non-object pattern', ['aws.ec2']],
    ['a scalar field value', { source: 'aws.ec2' }],
    ['an empty list of conditions', { source: [] }],
    ['an operator it does not implement', { source: [{ cidr: '10.0.0.0/24' }] }],
    ['two operators in one condition', { source: [{ prefix: 'a', suffix: 'b' }] }],
    ['a nested list as a condition', { source: [['aws.ec2']] }],
    ['a prefix that is not a string, on an absent field', { detail: { missing: [{ prefix: 3 }] } }],
    ['a bad field after one that does not match', { source: ['aws.s3'], detail: { state: [{ cidr: '10.0.0.0/24' }] } }],
  ])('%s', (_name, pattern) => {
    expect(() => matchesPattern(pattern, ec2Terminated)).toThrow();
  });
});

test('a bad condition throws even when the field is absent from the event', () => {
  expect(() => matchesPattern({ detail: { missing: [{ numeric: ['>', 'x'] }] } }, ec2Terminated)).toThrow(/numeric/);
});
