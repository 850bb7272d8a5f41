import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DriftSource, DriftTrigger, type DriftTriggerProps } from '../lib';
import { stackWithPipeline } from './support/stacks';

type AlarmResource = { Type: string; Properties: { MetricName?: string; Dimensions?: Array<{ Name: string; Value: string }> } };

/** Logical ids of the Model Monitor alarms, keyed by what each watches. */
function modelMonitorAlarms(sources: (stack: ReturnType<typeof stackWithPipeline>['stack']) => DriftTriggerProps['sources']): Record<string, string> {
  const { stack, pipeline } = stackWithPipeline();
  new DriftTrigger(stack, 'Drift', {
    pipeline,
    sources: sources(stack),
    monitoringOutputBucket: s3.Bucket.fromBucketName(stack, 'Monitoring', 'churn-model-monitor'),
  });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, AlarmResource>;
  return Object.fromEntries(
    Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.MetricName?.startsWith('feature_baseline_drift_'))
      .map(([logicalId, r]) => [`${r.Properties.Dimensions!.find((d) => d.Name === 'Endpoint')!.Value}:${r.Properties.MetricName}`, logicalId]),
  );
}

const churn = () => DriftSource.modelMonitor({ endpointName: 'churn-prod', monitoringScheduleName: 'churn-data-quality', features: ['tenure_months', 'total_amount'] });
const fraud = () => DriftSource.modelMonitor({ endpointName: 'fraud-prod', monitoringScheduleName: 'fraud-data-quality', features: ['tenure_months'] });

describe('construct ids follow what a construct is, not where it stands', () => {
  test('adding a Model Monitor source in front of another keeps every existing alarm', () => {
    // Prepare
    const before = modelMonitorAlarms(() => [churn()]);

    // Act: a new source goes first, and a plain alarm source before it.
    const after = modelMonitorAlarms((stack) => [
      DriftSource.alarm(cloudwatch.Alarm.fromAlarmArn(stack, 'Own', 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:own-drift')),
      fraud(),
      churn(),
    ]);

    // Assess: churn's alarms keep their logical ids; fraud's same-named feature gets its own.
    expect(Object.keys(before)).toHaveLength(2);
    for (const [watched, logicalId] of Object.entries(before)) expect(after[watched]).toBe(logicalId);
    expect(after['fraud-prod:feature_baseline_drift_tenure_months']).toBeDefined();
    expect(new Set(Object.values(after)).size).toBe(3);
  });

  test('a feature named twice for one schedule fails synth with a message naming it', () => {
    // Prepare
    const { stack, pipeline } = stackWithPipeline();

    // Act and assess
    expect(
      () =>
        new DriftTrigger(stack, 'Drift', {
          pipeline,
          sources: [churn(), churn()],
          monitoringOutputBucket: s3.Bucket.fromBucketName(stack, 'Monitoring', 'churn-model-monitor'),
        }),
    ).toThrow("features entry 'tenure_months' of churn-prod/churn-data-quality is given twice");
  });
});
