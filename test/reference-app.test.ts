import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { ReferenceStack } from '../bin/reference-stack';
import { deployedConfigOf } from './support/deployed-config';
import { withTempDir } from './support/temp-dir';

function synthReferenceApp(outdir: string) {
  const app = new App({ outdir });
  const stack = new ReferenceStack(app, 'MlTriggersReference', { pipelineName: 'churn-model-training', dataBucketName: 'churn-labelled-data', monitoringBucketName: 'churn-model-monitor', branch: 'main' });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  return { app, stack, assembly };
}

function allConstructs(root: IConstruct): IConstruct[] {
  return [root, ...root.node.children.flatMap(allConstructs)];
}

describe('reference app', () => {
  let outdir: string;
  withTempDir('ml-triggers-ref-', (dir) => (outdir = dir));

  test('passes cdk-nag AwsSolutions with zero unacknowledged findings', () => {
    const { assembly } = synthReferenceApp(outdir);

    const report = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
  });

  test('every acknowledged finding carries a reason of at least one sentence', () => {
    const { app } = synthReferenceApp(outdir);

    const acknowledgements = allConstructs(app).flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.entries(entry.data as Record<string, string>)),
    );
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledgements) {
      expect({ id, reason }).toEqual({ id, reason: expect.stringMatching(/^[A-Z].{30,}\.$/) });
    }
  });

  test('the check is live: a queue without TLS or a dead-letter queue added to the stack fails synth', () => {
    const app = new App({ outdir });
    const stack = new ReferenceStack(app, 'MlTriggersReference', { pipelineName: 'churn-model-training', dataBucketName: 'churn-labelled-data', monitoringBucketName: 'churn-model-monitor', branch: 'main' });
    new sqs.Queue(stack, 'CarelessQueue');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    const findings = report.pluginReports[0].violations.map((v: { ruleName: string }) => v.ruleName).sort();
    expect(findings).toEqual(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']);
  });

  test('routes the weekday schedule and the data-arrival trigger through one coordinator, with the dead-letter queue and the alarms', () => {
    const { stack } = synthReferenceApp(outdir);
    const t = Template.fromStack(stack);

    const coordinatorId = Object.keys(
      t.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { COORDINATOR_POLICY: Match.anyValue() } } } }),
    )[0];
    const weekly = Object.values(t.findResources('AWS::Scheduler::Schedule', { Properties: { ScheduleExpression: 'cron(0 3 ? * MON-FRI *)' } }))[0];
    expect(weekly.Properties.ScheduleExpressionTimezone).toBe('Europe/Berlin');
    expect(weekly.Properties.Target.Arn).toEqual({ 'Fn::GetAtt': [coordinatorId, 'Arn'] });
    expect(JSON.parse(weekly.Properties.Target.Input).request.parameters).toEqual({ TrainingMode: 'scheduled', DataWindowDays: '1' });
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: { bucket: { name: ['churn-labelled-data'] }, object: { key: [{ wildcard: 'labels/*.parquet' }] } } },
    });
    const rule = Object.values(t.findResources('AWS::Events::Rule', { Properties: { Description: Match.stringLikeRegexp('data-arrival') } }))[0];
    expect(deployedConfigOf(t, rule).parts).toContainEqual({ 'Fn::GetAtt': [coordinatorId, 'Arn'] });
    t.resourceCountIs('AWS::DynamoDB::Table', 3); // batches, the coordinator's state and decision log, and event joins
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['ml-triggers.churn.main'], 'detail-type': ['model.added'], detail: { data: { model_source: ['hugging_face'] } } },
    });
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['ml-triggers.churn.main'], 'detail-type': ['data_updated', 'features_ready'], detail: { data: { model_id: [{ exists: true }] } } },
    });
    t.hasResourceProperties('AWS::Events::Rule', { EventPattern: { source: ['ml-triggers.churn.main'], 'detail-type': ['labels_corrected'] } });
    t.hasResourceProperties('AWS::SQS::Queue', { DelaySeconds: 600 });
    t.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(0 11 ? * MON-FRI *)', ScheduleExpressionTimezone: 'Europe/Berlin' });
    t.hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ source: ['aws.sagemaker'] }) });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'feature_baseline_drift_tenure_months', Namespace: 'aws/sagemaker/Endpoints/data-metrics' });
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { GUARDRAIL_DEFAULTS: Match.anyValue(), POWERTOOLS_METRICS_NAMESPACE: 'MLTriggers', POWERTOOLS_LOG_LEVEL: 'INFO' } } });
    const metrics = Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties.MetricName).sort();
    expect(metrics).toEqual([
      'ApproximateNumberOfMessagesVisible',
      'BatchesFailed',
      'ExecutionStarted',
      'MissedDeadlines',
      'OldestBatchAge',
      'feature_baseline_drift_tenure_months',
      'feature_baseline_drift_total_amount',
    ]);
  });

  test('synthesizes byte-identical templates and asset manifests in any output folder', () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-ref-other-'));
    try {
      const first = synthReferenceApp(outdir).assembly;
      const second = synthReferenceApp(other).assembly;

      const files = fs.readdirSync(first.directory).filter((f) => f.endsWith('.template.json') || f.endsWith('.assets.json'));
      expect(files.length).toBeGreaterThanOrEqual(2);
      for (const file of files) {
        const a = fs.readFileSync(path.join(first.directory, file), 'utf8');
        expect(fs.readFileSync(path.join(second.directory, file), 'utf8')).toBe(a);
        expect(a).not.toContain(os.tmpdir());
        expect(a).not.toContain(process.cwd());
      }
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });
});
