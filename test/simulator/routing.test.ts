import * as fs from 'node:fs';
import * as path from 'node:path';
import { keyFilter } from '../../lib/private/object-created-events';
import type { PlatformEventInput, S3Input } from '../../lib/simulator/events-file';
import type { SimulatedRule, SimulatedRuleTarget } from '../../lib/simulator/model';
import {
  alarmNotification, alarmStateChangeEvent, alarmTransition, eventsFor, jsonPath, matchRules, objectCreatedEvent,
  pipelineSucceededEvent, platformEvent, ruleMatches, snsRecord, targetInput, wildcardMatches, type DeliveryContext,
} from '../../lib/simulator/routing';
import { MANIFEST_KEY_SUFFIX } from '../../lambda/core/batching';
import { compileFilter } from '../../lambda/core/event-filter';

const FIXTURES = path.resolve(__dirname, '../fixtures/events');
const fixture = (name: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
const context: DeliveryContext = { account: '123456789012', region: 'us-east-1', triggerBusName: 'ml-triggers-churn-main' };
const atMs = Date.parse('2024-01-29T12:00:00Z');

/** The value's shape: its keys, recursively, with each leaf's type. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shape(value[0])];
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, shape(v)]));
  return value === null ? 'null' : typeof value;
}

const s3Input: S3Input = { kind: 's3', atMs, line: 1, fail: false, bucket: 'mlops-data-prod', key: 'labels/2024-01-29/batch-0001.parquet', size: 52311, versionId: 'IYV3p45BT0ac8hjHg1houSdS1a.Mc8cE' };
const modelAdded: PlatformEventInput = { kind: 'event', atMs, line: 2, fail: false, name: 'model.added', data: { model_source: 'hugging_face' }, project: 'churn', branch: 'main', id: 'evt_abc123' };
const lambdaTarget = (overrides: Partial<SimulatedRuleTarget> = {}): SimulatedRuleTarget => ({ arn: 'arn:aws:lambda:us-east-1:123456789012:function:events', ...overrides });
const rule = (eventPattern: unknown, overrides: Partial<SimulatedRule> = {}): SimulatedRule =>
  ({ logicalId: 'Rule', eventBusName: 'default', eventPattern, enabled: true, targets: [lambdaTarget()], ...overrides });

describe('the events the simulator puts on buses have the real services\' format', () => {
  test('an object created has the shape and values of the S3 fixture', () => {
    // Act
    const event = objectCreatedEvent(s3Input, context);

    // Assess
    const real = fixture('s3-object-created.json');
    expect(shape(event)).toEqual(shape(real));
    expect(event.detail).toMatchObject({ bucket: { name: 'mlops-data-prod' }, object: { key: s3Input.key, size: 52311, 'version-id': s3Input.versionId }, reason: 'PutObject' });
    expect(event).toMatchObject({ source: 'aws.s3', 'detail-type': 'Object Created', time: '2024-01-29T12:00:00Z', resources: ['arn:aws:s3:::mlops-data-prod'] });
  });

  test('the same line gives the same event every time, and another line another id', () => {
    expect(objectCreatedEvent(s3Input, context)).toEqual(objectCreatedEvent(s3Input, context));
    expect(objectCreatedEvent({ ...s3Input, line: 9 }, context).id).not.toBe(objectCreatedEvent(s3Input, context).id);
  });

  test('a CloudWatch alarm transition has the shape of the fixture, and its SNS record the shape of the SNS fixture', () => {
    // Prepare
    const metric = { namespace: 'aws/sagemaker/Endpoints/data-metrics', name: 'feature_baseline_drift_total_amount', dimensions: { Endpoint: 'churn-prod', MonitoringSchedule: 'churn-data-quality' } };
    const transition = { ...alarmTransition({ kind: 'alarm', atMs, line: 3, fail: false, name: 'model-drift-detected', state: 'ALARM' }, context), description: 'drift', metric, alarmActions: ['arn:aws:sns:us-east-1:123456789012:model-drift-alerts'] };

    // Act
    const event = alarmStateChangeEvent(transition, context);
    const { subject, message } = alarmNotification(transition, context);
    const record = snsRecord('arn:aws:sns:us-east-1:123456789012:model-drift-alerts', message, subject, atMs, 'm-1');

    // Assess
    const realEvent = fixture('cloudwatch-alarm-state-change.json');
    const { detail: realDetail, ...realEnvelope } = realEvent as { detail: Record<string, unknown> };
    const { detail, ...envelope } = event;
    expect(shape(envelope)).toEqual(shape(realEnvelope));
    // A simulated transition has no datapoints, so no reasonData to list them in.
    const realState = Object.fromEntries(Object.entries(realDetail.state as object).filter(([key]) => key !== 'reasonData'));
    expect(shape(detail)).toEqual(shape({ ...realDetail, state: realState }));
    expect(event.resources).toEqual(['arn:aws:cloudwatch:us-east-1:123456789012:alarm:model-drift-detected']);
    const realRecord = fixture('sns-cloudwatch-alarm-record.json') as { Records: { Sns: { Message: string } }[] };
    expect(shape(record)).toEqual(shape(realRecord));
    expect(subject).toBe('ALARM: "model-drift-detected" in US East (N. Virginia)');
    expect(shape(JSON.parse(message))).toEqual(shape(JSON.parse(realRecord.Records[0].Sns.Message)));
    expect(JSON.parse(message)).toMatchObject({ NewStateValue: 'ALARM', OldStateValue: 'OK', StateChangeTime: '2024-01-29T12:00:00.000+0000' });
  });

  test('a pipeline that succeeded has the shape of the SageMaker fixture, its ARN in lower case', () => {
    // Act
    const event = pipelineSucceededEvent('Training-Pipeline', atMs, context, 'line 4');

    // Assess
    expect(shape(event)).toEqual(shape(fixture('sagemaker-pipeline-execution-status-change.json')));
    expect(event.detail).toMatchObject({ pipelineArn: 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/training-pipeline', currentPipelineExecutionStatus: 'Succeeded' });
  });

  test('a platform event carries its bus\'s namespace as source, its name as detail-type and { event_id, data } as detail', () => {
    // Act
    const event = platformEvent(modelAdded, context);
    const unnamespaced = platformEvent({ ...modelAdded, project: undefined, branch: undefined, id: undefined }, context);

    // Assess
    expect(event).toMatchObject({ source: 'ml-triggers.churn.main', 'detail-type': 'model.added', detail: { event_id: 'evt_abc123', data: { model_source: 'hugging_face' } } });
    expect(unnamespaced.source).toBe('ml-triggers');
    expect(unnamespaced.detail).toEqual({ data: { model_source: 'hugging_face' } });
  });

  test('eventsFor puts AWS services\' events on the default bus, platform events on the trigger bus and approvals nowhere', () => {
    expect(eventsFor(s3Input, context).map((delivery) => delivery.busName)).toEqual(['default']);
    expect(eventsFor(modelAdded, context).map((delivery) => delivery.busName)).toEqual(['ml-triggers-churn-main']);
    expect(eventsFor(modelAdded, { ...context, triggerBusName: undefined })).toEqual([]);
    expect(eventsFor({ kind: 'approve', atMs, line: 5, fail: false, pipeline: 'p', request: 'r' }, context)).toEqual([]);
  });
});

describe('matchRules with the patterns the library\'s constructs write', () => {
  const objectCreated = (prefix?: string, suffix?: string) =>
    ({ source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { bucket: { name: ['mlops-data-prod'] }, ...keyFilter(prefix, suffix) } });

  test.each([
    ['a prefix and suffix (wildcard)', objectCreated('labels/', '.parquet'), true],
    ['a prefix and suffix that miss', objectCreated('features/', '.parquet'), false],
    ['a prefix only', objectCreated('labels/'), true],
    ['a suffix only that misses', objectCreated(undefined, '.csv'), false],
    ['no key filter, which leaves out manifests', objectCreated(), true],
  ])('an object created under %s', (_case, pattern, matched) => {
    expect(matchRules([rule(pattern)], 'default', objectCreatedEvent(s3Input, context))).toHaveLength(matched ? 1 : 0);
  });

  test('the data-arrival rule without a key filter skips the library\'s own manifests', () => {
    // Prepare
    const manifest = objectCreatedEvent({ ...s3Input, key: `manifests/t/batch-0001${MANIFEST_KEY_SUFFIX}` }, context);

    // Act and assess
    expect(matchRules([rule(objectCreated())], 'default', manifest)).toEqual([]);
  });

  test('an event trigger\'s data filter (equals, prefix, numeric, exists, anything-but) on its own bus only', () => {
    // Prepare
    const filter = compileFilter({ model_source: 'hugging_face', model_name: { prefix: 'Llama' }, size_gb: { numeric: ['<', 10] }, auto_deploy: { exists: true }, stage: { 'anything-but': 'archived' } });
    if (!filter.ok) throw new Error(filter.error.problem);
    const pattern = { source: ['ml-triggers.churn.main'], 'detail-type': ['model.added'], detail: { data: filter.value } };
    const event = platformEvent({ ...modelAdded, data: { model_source: 'hugging_face', model_name: 'Llama-3.2-1B', size_gb: 2.5, auto_deploy: true, stage: 'new' } }, context);

    // Act
    const onBus = matchRules([rule(pattern, { eventBusName: 'ml-triggers-churn-main' })], 'ml-triggers-churn-main', event);
    const elsewhere = matchRules([rule(pattern, { eventBusName: 'ml-triggers-churn-main' })], 'default', event);
    const archived = matchRules([rule(pattern, { eventBusName: 'ml-triggers-churn-main' })], 'ml-triggers-churn-main', { ...event, detail: { data: { ...(event.detail.data as object), stage: 'archived' } } });

    // Assess
    expect(onBus).toHaveLength(1);
    expect(elsewhere).toEqual([]);
    expect(archived).toEqual([]);
  });

  test('a chain rule matches the upstream pipeline\'s ARN whatever its case', () => {
    // Prepare
    const pattern = {
      source: ['aws.sagemaker'], 'detail-type': ['SageMaker Model Building Pipeline Execution Status Change'],
      detail: { pipelineArn: [{ 'equals-ignore-case': 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/Training-Pipeline' }], currentPipelineExecutionStatus: ['Succeeded'] },
    };

    // Act and assess
    expect(matchRules([rule(pattern)], 'default', pipelineSucceededEvent('Training-Pipeline', atMs, context, 'x'))).toHaveLength(1);
    expect(matchRules([rule(pattern)], 'default', pipelineSucceededEvent('Other-Pipeline', atMs, context, 'x'))).toEqual([]);
  });

  test('the drift rules match an alarm going into ALARM by ARN or by name prefix, and not one going to OK', () => {
    // Prepare
    const alarm = alarmTransition({ kind: 'alarm', atMs, line: 1, fail: false, name: 'churn-drift-total', state: 'ALARM' }, context);
    const base = { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'] };
    const byArn = rule({ ...base, resources: [alarm.alarmArn], detail: { state: { value: ['ALARM'] } } }, { logicalId: 'AlarmStates' });
    const byName = rule({ ...base, detail: { alarmName: [{ prefix: 'churn-drift-' }], state: { value: ['ALARM'] } } }, { logicalId: 'NamedAlarmStates' });

    // Act
    const intoAlarm = matchRules([byArn, byName], 'default', alarmStateChangeEvent(alarm, context));
    const intoOk = matchRules([byArn, byName], 'default', alarmStateChangeEvent({ ...alarm, state: 'OK', previousState: 'ALARM' }, context));

    // Assess
    expect(intoAlarm.map((match) => match.rule.logicalId)).toEqual(['AlarmStates', 'NamedAlarmStates']);
    expect(intoOk).toEqual([]);
  });

  test('a disabled rule never matches, and each target of a matching rule is delivered', () => {
    // Prepare
    const pattern = { source: ['aws.s3'] };
    const twoTargets = rule(pattern, { targets: [lambdaTarget(), lambdaTarget({ arn: 'arn:aws:sqs:us-east-1:123456789012:q' })] });

    // Act
    const event = objectCreatedEvent(s3Input, context);

    // Assess
    expect(matchRules([rule(pattern, { enabled: false })], 'default', event)).toEqual([]);
    expect(matchRules([twoTargets], 'default', event).map((match) => match.target.arn)).toEqual([lambdaTarget().arn, 'arn:aws:sqs:us-east-1:123456789012:q']);
  });

  test('wildcards follow EventBridge: * for any characters, \\* for a star', () => {
    expect(wildcardMatches('labels/*.parquet', 'labels/a/b.parquet')).toBe(true);
    expect(wildcardMatches('labels/*.parquet', 'labels/.parquet')).toBe(true);
    expect(wildcardMatches('a*b*c', 'abc')).toBe(true);
    expect(wildcardMatches('a*b*c', 'acb')).toBe(false);
    expect(wildcardMatches('ab*ba', 'aba')).toBe(false);
    expect(wildcardMatches('star\\*/*', 'star*/x')).toBe(true);
    expect(wildcardMatches('star\\*/*', 'stars/x')).toBe(false);
    expect(ruleMatches({ detail: { tags: [{ wildcard: 'team-*' }] } }, { detail: { tags: ['x', 'team-ml'] } })).toBe(true);
  });
});

describe('what each target receives', () => {
  const event = platformEvent(modelAdded, context);

  test('the whole event without Input, InputPath or InputTransformer', () => {
    expect(targetInput(lambdaTarget(), event, 'Rule')).toBe(event);
  });

  test('a constant Input, parsed', () => {
    expect(targetInput(lambdaTarget({ input: '{"action":"sweep"}' }), event, 'Rule')).toEqual({ action: 'sweep' });
  });

  test('the part of the event an InputPath selects, array indices included', () => {
    expect(targetInput(lambdaTarget({ inputPath: '$.detail' }), event, 'Rule')).toEqual(event.detail);
    expect(targetInput(lambdaTarget({ inputPath: '$.detail.data.model_source' }), event, 'Rule')).toBe('hugging_face');
    expect(jsonPath(objectCreatedEvent(s3Input, context), '$.resources[0]')).toBe('arn:aws:s3:::mlops-data-prod');
    expect(jsonPath(event, '$.detail.missing.deeper')).toBeUndefined();
  });

  test('the library\'s trigger target: the whole event as JSON into the template', () => {
    // Prepare: as aws-cdk-lib renders RuleTargetInput.fromObject({ triggerId, event: EventField.fromPath('$') }).
    const target = lambdaTarget({ inputTransformer: { inputPathsMap: { f1: '$' }, inputTemplate: '{"triggerId":"AutoDeploy-7bf609f2","event":<f1>}' } });

    // Act
    const input = targetInput(target, event, 'AutoDeployRule');

    // Assess
    expect(input).toEqual({ triggerId: 'AutoDeploy-7bf609f2', event });
  });

  test('inside a JSON string a value goes in as text, elsewhere as JSON; missing values as nothing or null', () => {
    // Prepare
    const target = lambdaTarget({
      inputTransformer: {
        inputPathsMap: { name: '$.detail-type', data: '$.detail.data', gone: '$.detail.gone' },
        inputTemplate: '{"text":"model <name> with <data>","value":<data>,"missing":<gone>,"missingText":"[<gone>]","kept":"<unmapped>"}',
      },
    });

    // Act
    const input = targetInput(target, event, 'Rule');

    // Assess
    expect(input).toEqual({
      text: 'model model.added with {"model_source":"hugging_face"}',
      value: { model_source: 'hugging_face' },
      missing: null,
      missingText: '[]',
      kept: '<unmapped>',
    });
  });

  test('the predefined variables: rule name, ingestion time, the event without and with its detail', () => {
    // Prepare
    const target = lambdaTarget({
      inputTransformer: {
        inputPathsMap: {},
        inputTemplate: '{"rule":"<aws.events.rule-name>","at":"<aws.events.event.ingestion-time>","bare":<aws.events.event>,"full":<aws.events.event.json>}',
      },
    });

    // Act
    const input = targetInput(target, event, 'AutoDeployRule') as Record<string, Record<string, unknown>>;

    // Assess
    expect(input.rule).toBe('AutoDeployRule');
    expect(input.at).toBe('2024-01-29T12:00:00Z');
    expect(input.bare.detail).toBeUndefined();
    expect(input.bare.source).toBe('ml-triggers.churn.main');
    expect(input.full).toEqual(event);
  });

  test('a template that is not JSON is delivered as its text, quotes in values escaped only inside strings', () => {
    // Prepare
    const target = lambdaTarget({ inputTransformer: { inputPathsMap: { name: '$.detail-type' }, inputTemplate: 'Event <name> arrived' } });
    const quoted = lambdaTarget({ inputTransformer: { inputPathsMap: { q: '$.detail.data.q' }, inputTemplate: '{"say":"<q>"}' } });

    // Act and assess
    expect(targetInput(target, event, 'Rule')).toBe('Event "model.added" arrived');
    expect(targetInput(quoted, platformEvent({ ...modelAdded, data: { q: 'a "quote"' } }, context), 'Rule')).toEqual({ say: 'a "quote"' });
  });
});
