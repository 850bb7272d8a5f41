import { App, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ReferenceStack } from '../../bin/reference-stack';
import { DataArrivalTrigger, DriftBaseline, DriftMonitor, DriftSource, DriftTrigger, EventSource, EventTrigger, PromotionGuardrail, RetrainingCoordinator, ScheduledTrigger, TrainingPipeline, TriggerDashboard, TriggerEventBus, TriggerSchedule } from '../../lib';

/**
 * Constructs a user creates in a composition, named so that findings on them (theirs to fix, never
 * ours to acknowledge) can be told from findings on the library's resources.
 */
export const USER_PREFIX = 'User';

export const ENV = { account: '123456789012', region: 'eu-west-1' };

/** The ways the constructs get composed, ordinary and unusual, each in a fresh app. */
export const COMPOSITIONS: Record<string, (app: App) => void> = {
  reference: (app) => {
    new ReferenceStack(app, 'MlTriggersReference', {
      pipelineName: 'churn-model-training',
      dataBucketName: 'churn-labelled-data',
      monitoringBucketName: 'churn-model-monitor',
      branch: 'main',
    });
  },

  /** The coordinator behind a data-arrival and a drift trigger, with no scheduled trigger to acknowledge anything on the stack. */
  coordinatorWithoutSchedule: (app) => {
    const stack = new Stack(app, 'Coordinated', { env: ENV });
    const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training');
    const coordinator = new RetrainingCoordinator(stack, 'Coordinator');
    new DataArrivalTrigger(stack, 'Data', { pipeline, bucket: s3.Bucket.fromBucketName(stack, 'DataBucket', 'churn-data'), coordinator });
    new DriftTrigger(stack, 'Drift', { pipeline, sources: [DriftSource.alarmStateChange({ alarmNamePrefix: 'churn-drift-' })], coordinator });
    // A role of the user's that the library's grantRequest lets send requests.
    coordinator.grantRequest(new iam.Role(stack, `${USER_PREFIX}Requester`, { assumedBy: new iam.AccountRootPrincipal() }));
  },

  /** A drift trigger alone, reading Model Monitor's reports from a bucket the user owns, telling topics the user owns. */
  driftAlone: (app) => {
    const stack = new Stack(app, 'Drift', { env: ENV });
    const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training');
    new DriftTrigger(stack, 'Drift', {
      pipeline,
      sources: [
        DriftSource.modelMonitor({ endpointName: 'churn-prod', monitoringScheduleName: 'churn-dq', features: ['tenure'] }),
        DriftSource.alarm(cloudwatch.Alarm.fromAlarmArn(stack, 'Existing', 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:churn-drift')),
      ],
      monitoringOutputBucket: new s3.Bucket(stack, `${USER_PREFIX}MonitorBucket`),
      teamTopic: new sns.Topic(stack, `${USER_PREFIX}Team`),
    });
  },

  /**
   * Two drift monitors feeding one drift trigger: one with a bucket of its own reading a training sample, one writing
   * to a KMS-encrypted bucket the user gave and reading a Model Monitor statistics file, both over encrypted capture.
   */
  driftMonitored: (app) => {
    const stack = new Stack(app, 'DriftMonitored', { env: ENV });
    const key = kms.Key.fromKeyArn(stack, 'CaptureKey', 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555');
    const captureBucket = s3.Bucket.fromBucketAttributes(stack, 'Capture', { bucketName: 'churn-capture', encryptionKey: key });
    const data = s3.Bucket.fromBucketName(stack, 'Data', 'churn-data');
    const monitor = new DriftMonitor(stack, 'Monitor', {
      endpointName: 'churn-prod',
      captureBucket,
      capturePrefix: 'capture/',
      features: ['tenure', 'plan'],
      baseline: DriftBaseline.trainingSample({ bucket: data, key: 'baseline/sample.csv', header: true }),
    });
    const legacy = new DriftMonitor(stack, 'Legacy', {
      endpointName: 'churn-legacy',
      variantName: 'AllTraffic',
      captureBucket,
      features: ['tenure'],
      baseline: DriftBaseline.modelMonitorStatistics({ bucket: data, key: 'model-monitor/statistics.json' }),
      bucket: s3.Bucket.fromBucketAttributes(stack, 'Store', { bucketName: 'churn-monitor-store', encryptionKey: key }),
    });
    new DriftTrigger(stack, 'Drift', {
      pipeline: TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training'),
      sources: [DriftSource.driftMonitor(monitor), DriftSource.driftMonitor(legacy)],
    });
  },

  /** One event trigger alone, on a chain (no bus). */
  eventAlone: (app) => {
    const stack = new Stack(app, 'Event', { env: ENV });
    new EventTrigger(stack, 'AfterFeatures', {
      pipeline: TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training'),
      source: EventSource.afterPipeline(TrainingPipeline.fromPipelineName(stack, 'Features', 'churn-features')),
    });
  },

  /** One named-event trigger alone, on its bus. */
  namedEventAlone: (app) => {
    const stack = new Stack(app, 'NamedEvent', { env: ENV });
    new EventTrigger(stack, 'OnModel', {
      source: EventSource.named(new TriggerEventBus(stack, 'Bus'), 'model.added'),
      pipeline: TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training'),
    });
  },

  /** A data-arrival trigger alone on a bucket the user owns, starting the pipeline directly. */
  dataArrivalAlone: (app) => {
    const stack = new Stack(app, 'DataArrival', { env: ENV });
    new DataArrivalTrigger(stack, 'Data', {
      pipeline: TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training'),
      bucket: new s3.Bucket(stack, `${USER_PREFIX}Bucket`, { enforceSSL: true }),
    });
    // A function of the user's next to the library's: its findings are the user's to fix and must stay reported.
    new lambda.Function(stack, `${USER_PREFIX}Function`, { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {};') });
  },

  /** A scheduled trigger alone, starting the pipeline directly, and a guardrail alone, which the user's pipeline role may call. */
  scheduleAndGuardrail: (app) => {
    const stack = new Stack(app, 'Schedule', { env: ENV });
    const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training');
    new ScheduledTrigger(stack, 'Nightly', { pipeline, schedule: TriggerSchedule.rate(Duration.days(1)) });
    const guardrail = new PromotionGuardrail(stack, 'Guardrail', { reportsBucket: s3.Bucket.fromBucketName(stack, 'Reports', 'churn-reports') });
    // The user's pipeline execution role, which the pipeline's LambdaStep calls the guardrail with.
    guardrail.grantInvoke(new iam.Role(stack, `${USER_PREFIX}Requester`, { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') }));
    new TriggerDashboard(stack, 'Dashboard');
  },

  /** Scheduled triggers that start a run only when none ran within a window: one directly, one through a coordinator. */
  scheduleUnlessRan: (app) => {
    const stack = new Stack(app, 'ScheduleUnlessRan', { env: ENV });
    const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training');
    new ScheduledTrigger(stack, 'AtLeastWeekly', { pipeline, schedule: TriggerSchedule.rate(Duration.hours(1)), unlessRanWithin: Duration.days(3) });
    const coordinated = TrainingPipeline.fromPipelineName(stack, 'Coordinated', 'churn-features');
    const coordinator = new RetrainingCoordinator(stack, 'Coordinator');
    new ScheduledTrigger(stack, 'AtLeastDaily', { pipeline: coordinated, schedule: TriggerSchedule.cron('0 * * * ? *'), unlessRanWithin: Duration.days(1), coordinator });
  },

  /** Every construct with every function setting: tracing, a VPC of the user's, an encryption key of the user's, reserved concurrency. */
  allFunctionOptions: (app) => {
    const stack = new Stack(app, 'Options', { env: ENV });
    const vpc = new ec2.Vpc(stack, `${USER_PREFIX}Vpc`, { maxAzs: 2, natGateways: 1 });
    const options = {
      tracing: lambda.Tracing.ACTIVE,
      vpc,
      logGroupEncryptionKey: new kms.Key(stack, `${USER_PREFIX}LogKey`, { enableKeyRotation: true }),
      reservedConcurrentExecutions: 5,
    };
    const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training');
    const coordinator = new RetrainingCoordinator(stack, 'Coordinator', options);
    new ScheduledTrigger(stack, 'Weekly', { pipeline, schedule: TriggerSchedule.cron('0 3 ? * MON-FRI *'), coordinator });
    new DataArrivalTrigger(stack, 'Data', { pipeline, bucket: s3.Bucket.fromBucketName(stack, 'DataBucket', 'churn-data'), coordinator, ...options });
    new DriftTrigger(stack, 'Drift', { pipeline, sources: [DriftSource.alarmStateChange({ alarmNames: ['churn-drift'] })], coordinator, ...options });
    new EventTrigger(stack, 'Chain', { pipeline, source: EventSource.afterPipeline(TrainingPipeline.fromPipelineName(stack, 'Features', 'churn-features')), coordinator, ...options });
    new PromotionGuardrail(stack, 'Guardrail', { reportsBucket: s3.Bucket.fromBucketName(stack, 'Reports', 'churn-reports'), ...options });
  },

  /** Two stacks in one app, each with its own coordinator and triggers, and a third whose trigger uses the first stack's coordinator. */
  twoStacks: (app) => {
    const coordinators: RetrainingCoordinator[] = [];
    for (const name of ['Blue', 'Green']) {
      const stack = new Stack(app, name, { env: ENV });
      const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', `churn-${name.toLowerCase()}`);
      const coordinator = new RetrainingCoordinator(stack, 'Coordinator');
      coordinators.push(coordinator);
      new ScheduledTrigger(stack, 'Weekly', { pipeline, schedule: TriggerSchedule.cron('0 3 ? * MON-FRI *'), coordinator });
      new DataArrivalTrigger(stack, 'Data', { pipeline, bucket: s3.Bucket.fromBucketName(stack, 'DataBucket', `churn-${name.toLowerCase()}`), coordinator });
      new EventTrigger(stack, 'Chain', { pipeline, source: EventSource.afterPipeline(TrainingPipeline.fromPipelineName(stack, 'Features', 'churn-features')), coordinator });
    }
    const consumer = new Stack(app, 'Consumer', { env: ENV });
    const pipeline = TrainingPipeline.fromPipelineName(consumer, 'Pipeline', 'churn-consumer');
    new DataArrivalTrigger(consumer, 'Data', { pipeline, bucket: s3.Bucket.fromBucketName(consumer, 'DataBucket', 'churn-consumer'), coordinator: coordinators[0] });
  },
};
