// A team's CDK app as `npm run compat` builds it in a throwaway folder, against the packed library only.
// It is not part of the library's build: it imports `cdk-ml-triggers` the way an installed package is imported.
import { Duration, Stack, TimeZone, type App } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';
import {
  DataArrivalTrigger,
  DriftBaseline,
  DriftMonitor,
  DriftSource,
  DriftTrigger,
  EventSource,
  EventTrigger,
  PromotionGuardrail,
  RetrainingCoordinator,
  ScheduledTrigger,
  TrainingPipeline,
  TriggerDashboard,
  TriggerEventBus,
  TriggerSchedule,
  type ITrainingPipeline,
} from 'cdk-ml-triggers';
import type { BusTarget, PublishResult } from 'cdk-ml-triggers/publish';

/**
 * Construct paths of what the team declares itself. Every other resource in these stacks was created by
 * cdk-ml-triggers (directly, or by aws-cdk-lib on its behalf), and the compat job counts it as the library's.
 */
export const teamOwned: string[] = [];

function team<T extends IConstruct>(construct: T): T {
  teamOwned.push(construct.node.path);
  return construct;
}

/** Every construct the library exports, wired as a platform team would. */
export function everyConstruct(app: App): Stack {
  const stack = new Stack(app, 'Retraining', { env: { account: '123456789012', region: 'eu-west-1' } });
  const pipeline: ITrainingPipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training');
  const features = TrainingPipeline.fromPipelineArn(stack, 'FeaturePipeline', 'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/churn-features');

  // The team's own resources, deliberately with cdk-nag findings of their own (no access logs, no SSE, a
  // managed policy): they show that the rule pack ran, and they are never the library's to acknowledge.
  const data = team(new s3.Bucket(stack, 'LabelledData', { enforceSSL: true }));
  const monitoring = s3.Bucket.fromBucketName(stack, 'Monitoring', 'churn-model-monitor');
  const onCall = team(new sns.Topic(stack, 'OnCall'));
  const latency = team(
    new cloudwatch.Alarm(stack, 'LatencyDrift', {
      metric: new cloudwatch.Metric({ namespace: 'Churn', metricName: 'PredictionLatencyDrift', period: Duration.hours(1) }),
      threshold: 0.3,
      evaluationPeriods: 1,
    }),
  );
  const publisher = team(
    new lambda.Function(stack, 'Publisher', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({});'),
    }),
  );
  const pipelineRole = team(new iam.Role(stack, 'PipelineExecutionRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') }));

  const coordinator = new RetrainingCoordinator(stack, 'Coordinator', { timeZone: TimeZone.EUROPE_BERLIN, approvalTopic: onCall });
  new ScheduledTrigger(stack, 'Nightly', {
    pipeline,
    schedule: TriggerSchedule.cron('0 3 * * ? *'),
    timeZone: TimeZone.EUROPE_BERLIN,
    parameters: { TrainingMode: 'scheduled' },
  });
  new ScheduledTrigger(stack, 'Weekly', { pipeline, schedule: TriggerSchedule.rate(Duration.days(7)), coordinator, priority: 4 });
  new DataArrivalTrigger(stack, 'NewLabels', { pipeline, bucket: data, prefix: 'labels/', suffix: '.parquet', batchSize: 100, coordinator });
  const driftMonitor = new DriftMonitor(stack, 'ChurnDrift', {
    endpointName: 'churn-prod',
    captureBucket: monitoring,
    capturePrefix: 'data-capture/',
    features: ['tenure_months', 'plan_type'],
    baseline: DriftBaseline.trainingSample({ bucket: data, key: 'baseline/sample.csv', header: true }),
  });
  new DriftTrigger(stack, 'Drift', {
    pipeline,
    sources: [
      DriftSource.driftMonitor(driftMonitor),
      DriftSource.modelMonitor({ endpointName: 'churn-prod', monitoringScheduleName: 'churn-data-quality', features: ['tenure_months'] }),
      DriftSource.alarm(latency),
    ],
    monitoringOutputBucket: monitoring,
    teamTopic: onCall,
    coordinator,
  });
  const bus = new TriggerEventBus(stack, 'PlatformEvents', { project: 'churn' });
  new EventTrigger(stack, 'OnModelAdded', {
    source: EventSource.named(bus, 'model.added', { filter: { model_source: 'hugging_face' } }),
    pipeline,
    parameters: { ModelId: '{{ event.model_id }}' },
  });
  new EventTrigger(stack, 'OnDataAndFeatures', { source: EventSource.join(bus, ['data_updated', 'features_ready'], { within: Duration.hours(12) }), pipeline, coordinator });
  new EventTrigger(stack, 'AfterFeatures', { source: EventSource.afterPipeline(features), pipeline });
  const guardrail = new PromotionGuardrail(stack, 'Guardrail', { reportsBucket: monitoring, reportsPrefix: 'evaluation/' });
  guardrail.grantInvoke(pipelineRole);

  // The team's service publishes platform events through `cdk-ml-triggers/publish`.
  bus.grantPublish(publisher);
  const target: BusTarget = bus.publishTarget;
  publisher.addEnvironment('EVENT_BUS_NAME', target.eventBusName);
  publisher.addEnvironment('EVENT_SOURCE', target.source);
  const noResultYet: PublishResult | undefined = undefined;
  void noResultYet;

  new TriggerDashboard(stack, 'Operations', { alarmActions: [new actions.SnsAction(onCall)] });
  return stack;
}

/** A coordinator that data, drift and event triggers go through, while the only schedule starts the pipeline itself. */
export function coordinatorWithoutCoordinatedSchedule(app: App): Stack {
  const stack = new Stack(app, 'CoordinatedEvents', { env: { account: '123456789012', region: 'eu-west-1' } });
  const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'fraud-training');
  const coordinator = new RetrainingCoordinator(stack, 'Coordinator');
  new ScheduledTrigger(stack, 'Monthly', { pipeline, schedule: TriggerSchedule.cron('0 4 1 * ? *') });
  new DataArrivalTrigger(stack, 'NewData', { pipeline, bucket: s3.Bucket.fromBucketName(stack, 'Data', 'fraud-data'), coordinator });
  new EventTrigger(stack, 'AfterFeatures', {
    source: EventSource.afterPipeline(TrainingPipeline.fromPipelineName(stack, 'FeaturePipeline', 'fraud-features')),
    pipeline,
    coordinator,
  });
  return stack;
}

/**
 * A pipeline and a bus the team already defines with aws-cdk-lib (`sagemaker.CfnPipeline`, an
 * `IPipelineRef`, an `events.IEventBus`), handed to the triggers as they are.
 */
export function pipelineAndBusOfTheApp(app: App): Stack {
  const stack = new Stack(app, 'PipelineInApp', { env: { account: '123456789012', region: 'eu-west-1' } });
  const role = team(new iam.Role(stack, 'PipelineRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') }));
  const pipeline = (id: string, pipelineName: string) =>
    team(
      new sagemaker.CfnPipeline(stack, id, {
        pipelineName,
        roleArn: role.roleArn,
        pipelineDefinition: { PipelineDefinitionBody: JSON.stringify({ Version: '2020-12-01', Steps: [] }) },
      }),
    );
  const training = pipeline('Training', 'ads-training');
  const upstream = pipeline('Features', 'ads-features');
  const bus = TriggerEventBus.fromEventBus(stack, 'Platform', events.EventBus.fromEventBusName(stack, 'Bus', 'platform-events'), {
    project: 'ads',
  });
  new ScheduledTrigger(stack, 'Daily', { pipeline: training, schedule: TriggerSchedule.rate(Duration.days(1)) });
  new EventTrigger(stack, 'AfterFeatures', { source: EventSource.afterPipeline(upstream), pipeline: training });
  new EventTrigger(stack, 'OnDataUpdated', { source: EventSource.named(bus, 'data_updated'), pipeline: training });
  return stack;
}
