import type { Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DriftBaseline, DriftMonitor, DriftSource, DriftTrigger, TrainingPipeline, TrainingSampleFormat } from '../lib';
import { joinWithPlaceholders, monitorRoleStatements, monitorSettings, statementsOfRoleOf, synthMonitor } from './support/drift-monitor-synth';

/** A drift trigger fed only by the given monitors, created after them. */
const triggerOn = (stack: Stack, ...monitors: DriftMonitor[]) =>
  new DriftTrigger(stack, 'Drift', { pipeline: TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training'), sources: monitors.map((m) => DriftSource.driftMonitor(m)) });

const EVALUATOR = { Environment: { Variables: { DRIFT_SETTINGS: Match.anyValue() } } };

function evaluatorSettings(t: Template) {
  const fn = Object.values(t.findResources('AWS::Lambda::Function', { Properties: EVALUATOR }))[0];
  return JSON.parse(joinWithPlaceholders(fn.Properties.Environment.Variables.DRIFT_SETTINGS, t.toJSON().Resources));
}

const only = (t: Template, type: string) => {
  const ids = Object.keys(t.findResources(type));
  expect(ids).toHaveLength(1);
  return ids[0];
};

describe('DriftSource.driftMonitor', () => {
  test("the monitor, made before the trigger, names the trigger's topic in its settings and may publish to it with its key", () => {
    const { template: t } = synthMonitor({}, (stack, monitor) => triggerOn(stack, monitor));

    const topic = only(t, 'AWS::SNS::Topic');
    const key = only(t, 'AWS::KMS::Key');
    expect(monitorSettings(t).topicArns).toEqual([topic.toLowerCase()]);
    const statements = monitorRoleStatements(t);
    expect(statements).toContainEqual({ Action: 'sns:Publish', Effect: 'Allow', Resource: { Ref: topic } });
    expect(statements).toContainEqual({ Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [key, 'Arn'] } });
  });

  test("the evaluator is told where the monitor's reports are and may read only those", () => {
    const { template: t, monitor } = synthMonitor({}, (stack, m) => triggerOn(stack, m));
    const store = only(t, 'AWS::S3::Bucket');
    const prefix = `drift-monitor/${monitor._reports.monitorId}/`;

    const settings = evaluatorSettings(t);
    const statements = statementsOfRoleOf(t, 'AWS::Lambda::Function', EVALUATOR);

    expect(settings.monitors).toEqual([{ monitorId: monitor._reports.monitorId, bucket: store.toLowerCase(), prefix }]);
    const s3 = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')));
    expect(s3).toEqual([{ Action: 's3:GetObject', Effect: 'Allow', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [store, 'Arn'] }, `/${prefix}reports/*`]] } }]);
  });

  test('with only monitor sources there is no EventBridge rule, and neither the topic nor its key lets EventBridge in', () => {
    const { template: t } = synthMonitor({}, (stack, monitor) => triggerOn(stack, monitor));

    t.resourceCountIs('AWS::Events::Rule', 0);
    t.resourceCountIs('AWS::CloudWatch::Alarm', 1); // the dead-letter queue's, nothing that feeds the topic
    const keyPolicy = Object.values(t.findResources('AWS::KMS::Key'))[0].Properties.KeyPolicy;
    const services = JSON.stringify(keyPolicy.Statement.map((s: { Principal?: unknown }) => s.Principal));
    expect(services).not.toContain('events.amazonaws.com');
    const topicPolicies = Object.values(t.findResources('AWS::SNS::TopicPolicy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(JSON.stringify(topicPolicies)).not.toContain('events.amazonaws.com');
  });

  test('two monitors in one stack have their own ids and folders, and both tell the one trigger', () => {
    const { template: t, monitor } = synthMonitor({}, (stack, first) => {
      const canary = s3.Bucket.fromBucketName(stack, 'CanaryData', 'churn-canary');
      const second = new DriftMonitor(stack, 'Second', {
        endpointName: 'churn-canary',
        captureBucket: canary,
        features: ['tenure_months'],
        baseline: DriftBaseline.trainingSample({ bucket: canary, key: 'baseline/sample.jsonl', format: TrainingSampleFormat.JSONL }),
      });
      triggerOn(stack, first, second);
    });
    const topic = only(t, 'AWS::SNS::Topic');
    const ids = Object.values(t.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { DRIFT_MONITOR_SETTINGS: Match.anyValue() } } } })).map(
      (fn) => JSON.parse(joinWithPlaceholders(fn.Properties.Environment.Variables.DRIFT_MONITOR_SETTINGS, t.toJSON().Resources)),
    );

    expect(ids).toHaveLength(2);
    expect(new Set(ids.map((s) => s.monitorId)).size).toBe(2);
    expect(new Set(ids.map((s) => s.store.prefix)).size).toBe(2);
    for (const settings of ids) {
      expect(settings.store.prefix).toBe(`drift-monitor/${settings.monitorId}/`);
      expect(settings.topicArns).toEqual([topic.toLowerCase()]);
    }
    expect(evaluatorSettings(t).monitors.map((m: { monitorId: string }) => m.monitorId)).toEqual([monitor._reports.monitorId, ids.find((s) => s.monitorId !== monitor._reports.monitorId).monitorId]);
  });
});
