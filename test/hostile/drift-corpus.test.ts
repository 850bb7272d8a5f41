import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { HandlerServices } from '../support/handler-harness';
import {
  bucketSnapshot,
  CORPUS_TIMEOUT as TIMEOUT,
  deepArrayJson,
  deepJson,
  deepObject,
  sizeRatio,
  hugeDigits,
  hugeString,
  loadBundledHandler,
  manyItems,
  MANY,
  silenceEachTest,
  startBundledServices,
  testEachCase,
  type HostileCase,
} from './corpus-support';

type Handler = (event: unknown) => Promise<{ outcomes: ReadonlyArray<Record<string, unknown>> }>;
const BUCKET = 'churn-model-monitor';
const OUR_ALARM = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:model-drift-detected';
const FOREIGN_ALARM = 'arn:aws:cloudwatch:us-east-1:999999999999:alarm:payments-drift';
/** The fixture alarm watches feature_baseline_drift_total_amount of churn-prod / churn-data-quality, at 2024-01-29T13:00:41Z. */
const FIXTURE = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../fixtures/events/sns-cloudwatch-alarm-record.json'), 'utf8'));
const REPORT_KEY = 'model-monitor/churn-prod/churn-data-quality/2024/01/29/12/constraint_violations.json';

/** The fixture's alarm message, with fields replaced (an `undefined` value removes the field). */
function alarm(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const message = { ...JSON.parse(FIXTURE.Records[0].Sns.Message), ...overrides };
  for (const [key, value] of Object.entries(overrides)) if (value === undefined) delete message[key];
  return message;
}
const foreign = (overrides: Record<string, unknown> = {}) => alarm({ AlarmName: 'payments-drift', AlarmArn: FOREIGN_ALARM, NewStateReason: 'Threshold Crossed: 1 datapoint [0.99 (29/01/24 12:00:00)]', ...overrides });
/** An SNS event delivering each message (objects are written as JSON; strings are sent as they are). */
function sns(...messages: unknown[]): { Records: unknown[] } {
  return {
    Records: messages.map((message) => ({
      ...FIXTURE.Records[0],
      Sns: { ...FIXTURE.Records[0].Sns, Message: typeof message === 'string' ? message : JSON.stringify(message) },
    })),
  };
}
const stateChangeEvent = (resource: string, extra: Record<string, unknown> = {}) => ({
  version: '0',
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  resources: [resource],
  detail: { alarmName: 'model-drift-detected', state: { value: 'ALARM', reason: 'Threshold Crossed', timestamp: '2024-01-29T13:00:41.232+0000', ...extra }, previousState: { value: 'OK' } },
});

const DRIFT_CORPUS: readonly HostileCase[] = [
  // Not an SNS event.
  { name: 'null', input: () => null },
  { name: 'undefined', input: () => undefined },
  { name: 'a number', input: () => 7 },
  { name: 'a string', input: () => 'Records' },
  { name: 'an array of SNS events', input: () => [sns(alarm())] },
  { name: 'an empty object', input: () => ({}) },
  { name: 'Records: null', input: () => ({ Records: null }) },
  { name: 'Records: an object', input: () => ({ Records: { 0: FIXTURE.Records[0] } }) },
  { name: 'an event 10,000 levels deep', input: () => deepObject() },
  { name: 'a JSON "__proto__" key holding the Records', input: () => JSON.parse(`{"__proto__":${JSON.stringify(sns(alarm()))}}`) },
  // The record around the message.
  { name: 'a null record', input: () => ({ Records: [null] }) },
  { name: 'a record whose Sns is a string', input: () => ({ Records: [{ Sns: JSON.stringify(alarm()) }] }) },
  { name: 'a message that is an object, not text', input: () => ({ Records: [{ Sns: { Message: alarm() } }] }) },
  { name: 'a message that is a number', input: () => ({ Records: [{ Sns: { Message: 42 } }] }) },
  { name: '10,000 null records', input: () => ({ Records: manyItems(null) }) },
  // The message text.
  { name: 'an empty message', input: () => sns('') },
  { name: 'the message null', input: () => sns('null') },
  { name: 'the message []', input: () => sns('[]') },
  { name: 'a JSON string as the message', input: () => sns('"ALARM"') },
  { name: 'NaN as the message', input: () => sns('NaN') },
  { name: 'a 250 KB string of digits as the message', input: () => sns(hugeDigits()) },
  { name: 'a 250 KB message that is not JSON', input: () => sns(hugeString()) },
  { name: 'a message 10,000 objects deep', input: () => sns(deepJson()) },
  { name: 'a message 10,000 arrays deep', input: () => sns(deepArrayJson()) },
  { name: 'a message whose "__proto__" key holds the alarm', input: () => sns(`{"__proto__":${JSON.stringify(alarm())}}`) },
  // Forged alarms: not one of the trigger's sources.
  { name: 'another account\'s alarm in ALARM', input: () => sns(foreign()) },
  { name: 'our alarm\'s name under another account\'s ARN', input: () => sns(foreign({ AlarmName: 'model-drift-detected' })) },
  { name: 'another alarm with a 250 KB string of digits in the reason', input: () => sns(foreign({ NewStateReason: `Threshold Crossed: 1 datapoint [${hugeDigits()} (29/01/24 12:00:00)]` })) },
  { name: 'another alarm far in the future', input: () => sns(foreign({ StateChangeTime: '9999-12-31T23:59:59.999+0000' })) },
  { name: 'another alarm far in the past', input: () => sns(foreign({ StateChangeTime: '0001-01-01T00:00:00.000+0000' })) },
  { name: 'another alarm with a datapoint of 1e999', input: () => sns(foreign({ NewStateReason: 'Threshold Crossed: 1 datapoint [1e999 (29/01/24 12:00:00)]' })) },
  { name: 'another alarm named constructor with the ARN prototype', input: () => sns(foreign({ AlarmName: 'constructor', AlarmArn: 'prototype' })) },
  { name: 'another alarm\'s state-change event with a reasonData of 1e999', input: () => sns(stateChangeEvent(FOREIGN_ALARM, { reasonData: '{"recentDatapoints":[1e999]}' })) },
  { name: '10,000 messages about another alarm', input: () => sns(...manyItems(foreign())) },
  // Our alarm, with fields of the wrong type or out of range.
  { name: 'AlarmName: a number', input: () => sns(alarm({ AlarmName: 42 })) },
  { name: 'AlarmArn: null', input: () => sns(alarm({ AlarmArn: null })) },
  { name: 'AlarmArn: a list of our ARN', input: () => sns(alarm({ AlarmArn: [OUR_ALARM] })) },
  { name: 'NewStateValue: __proto__', input: () => sns(alarm({ NewStateValue: '__proto__' })) },
  { name: 'NewStateValue: constructor', input: () => sns(alarm({ NewStateValue: 'constructor' })) },
  { name: 'NewStateValue missing', input: () => sns(alarm({ NewStateValue: undefined })) },
  { name: 'StateChangeTime: 1e999 in JSON text', input: () => sns(JSON.stringify(alarm({ StateChangeTime: 0 })).replace('"StateChangeTime":0', '"StateChangeTime":1e999')) },
  { name: 'StateChangeTime: year 275760', input: () => sns(alarm({ StateChangeTime: '+275760-09-13T00:00:00.000Z' })) },
  { name: 'StateChangeTime: month 13, hour 99', input: () => sns(alarm({ StateChangeTime: '2024-13-45T99:99:99.000+0000' })) },
  { name: 'StateChangeTime: 250 KB', input: () => sns(alarm({ StateChangeTime: `2024-01-29T13:00:41.${'1'.repeat(250 * 1024)}+0000` })) },
  { name: 'Trigger.Dimensions: a string', input: () => sns(alarm({ Trigger: { ...(alarm().Trigger as object), Dimensions: 'Endpoint=churn-prod' } })) },
  { name: 'Trigger.Dimensions: 10,000 entries, the last without a value', input: () => sns(alarm({ Trigger: { ...(alarm().Trigger as object), Dimensions: [...manyItems({ name: 'Endpoint', value: 'churn-prod' }).slice(1), { name: 'MonitoringSchedule' }] } })) },
  { name: 'Trigger.Metrics: an object', input: () => sns(alarm({ Trigger: { Metrics: { 0: {} } } })) },
  { name: 'a state-change event with another detail-type', input: () => sns({ ...stateChangeEvent(OUR_ALARM), 'detail-type': 'EC2 Instance State-change Notification' }) },
  { name: 'our state-change event whose reasonData is not JSON', input: () => sns(stateChangeEvent(OUR_ALARM, { reasonData: '{"recentDatapoints":[0.9' })) },
  // Accepted, and harmless here.
  { name: 'no records', input: () => ({ Records: [] }), harmless: 'an empty batch has nothing to reject: the answer is { outcomes: [] }' },
  {
    name: 'our alarm in OK far in the future',
    input: () => sns(alarm({ NewStateValue: 'OK', StateChangeTime: '9999-12-31T23:59:59.999+0000' })),
    harmless: 'a transition to OK is ignored whatever its time: nothing is read, started or told',
  },
  {
    name: 'our alarm in OK at 0001-01-01',
    input: () => sns(alarm({ NewStateValue: 'OK', StateChangeTime: '0001-01-01T00:00:00.000+0000' })),
    harmless: 'a transition to OK is ignored whatever its time',
  },
  {
    name: 'our alarm with a 250 KB string of digits in the reason',
    input: () => sns(alarm({ NewStateReason: `Threshold Crossed: 1 datapoint [${hugeDigits()} (29/01/24 12:00:00)]` })),
    harmless: 'a Model Monitor alarm is scored from its violations report (here: no violations), never from the reason, which is read only to 2,048 characters',
  },
  {
    name: 'our alarm with a datapoint of 1e999 in the reason',
    input: () => sns(alarm({ NewStateReason: 'Threshold Crossed: 1 datapoint [1e999 (29/01/24 12:00:00)]' })),
    harmless: 'scored from its violations report (no violations): the reason\'s Infinity is never a score',
  },
];

describe('the bundled drift evaluator against hostile input', () => {
  let services: HandlerServices;
  let client: S3Client;
  let handler: Handler;

  beforeAll(async () => {
    // A coordinator and an approval gate that would start: neither may be asked.
    const answer = async () => ({ requestId: 'r', start: true, reason: 'started', executionArn: 'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/churn/execution/x' });
    services = await startBundledServices({
      s3: true,
      sns: true,
      lambda: { 'coordinator-fn': answer, 'gate-fn': answer },
      env: {
        // A trigger that retrains on its own: any drift scored from a forged message would start a run.
        DRIFT_SETTINGS: JSON.stringify({
          triggerId: 'Stack/Drift',
          pipelineName: 'churn-pipeline',
          drift: { thresholds: { medium: 0.1, high: 0.3, critical: 0.5 }, featureThresholds: {}, autoRetrain: true },
          alarms: { arns: [OUR_ALARM], names: [], namePrefixes: [] },
          monitoringOutput: { bucket: BUCKET, prefix: 'model-monitor/' },
          parameters: { TrainingMode: 'drift' },
          teamTopicArn: 'arn:aws:sns:eu-west-1:123456789012:drift-team',
          humanReviewTopicArn: 'arn:aws:sns:eu-west-1:123456789012:drift-review',
          approvalFunction: 'gate-fn',
        }),
      },
    });
    client = new S3Client({});
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    // The report of the monitoring execution before the fixture's alarm: it found no violations.
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: REPORT_KEY, Body: JSON.stringify({ violations: [] }) }));
    handler = loadBundledHandler<Handler>('drift');
  }, TIMEOUT);
  afterAll(async () => {
    client.destroy();
    await services.stop();
  }, TIMEOUT);
  silenceEachTest();

  const sideEffects = async () => ({
    bucket: await bucketSnapshot(client, BUCKET),
    executions: services.sagemaker.executions.length,
    messages: services.sns.messages.length,
    invocations: services.lambda.invocations.length,
  });

  async function assessCase(hostile: HostileCase): Promise<void> {
    const before = await sideEffects();

    // Act: a rejection (not a throw) is the answer under test, so the await itself checks (1).
    const answer = await handler(hostile.input());

    // Assess: nothing started, asked, told or written; every rejection names its field.
    expect(await sideEffects()).toEqual(before);
    expect(Array.isArray(answer.outcomes)).toBe(true);
    if (hostile.harmless) {
      expect(answer.outcomes.filter((outcome) => outcome.status !== 'ignored' && outcome.status !== 'assessed')).toEqual([]);
    } else {
      expect(answer.outcomes.length).toBeGreaterThan(0);
      for (const outcome of answer.outcomes) {
        expect(outcome).toEqual({ status: 'rejected', error: { field: expect.stringMatching(/^\S+$/), problem: expect.any(String) } });
      }
    }
  }

  test('a genuine alarm of the trigger is assessed from the report, so the harmless cases reach the evaluator', async () => {
    const answer = await handler(sns(alarm()));

    expect(answer.outcomes).toEqual([expect.objectContaining({ status: 'assessed', assessment: expect.objectContaining({ action: 'log' }) })]);
  }, TIMEOUT);

  testEachCase(DRIFT_CORPUS, 'resolves, starts nothing, tells no one, names the field', assessCase);

  test(`${MANY} forged records take less than 1000 times as long to reject as 100`, async () => {
    const small = sns(...Array.from({ length: MANY / 100 }, () => foreign()));
    const large = sns(...manyItems(foreign()));
    // Warmed once, then the fastest of several runs each.
    expect(await sizeRatio(handler, small, large)).toBeLessThan(1000);
  }, TIMEOUT);

  test('the corpus holds at least 30 inputs', () => {
    expect(DRIFT_CORPUS.length).toBeGreaterThanOrEqual(30);
  });
});
