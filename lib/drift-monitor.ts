import { Duration, Lazy, Stack, TimeZone, type Size } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DRIFT_DEFAULTS, type DriftThresholds } from '../lambda/core/contracts/drift';
import {
  DRIFT_MONITOR_DEFAULTS,
  type DriftMonitorSettings,
  type DriftScoreStatistic,
  type MonitorReports,
} from '../lambda/core/contracts/drift-monitor';
import type { DriftBaseline } from './drift-baseline';
import { MetricDimension, MetricName, MetricService } from '../lambda/core/contracts/metrics';
import { watchedDeadLetterQueue } from './private/dead-letter-queue';
import { handlerMetric, handlerMetricSearch } from './private/handler-metrics';
import { runDefinition } from './private/drift-monitor-runs';
import { validateDriftMonitorProps } from './private/drift-monitor-validation';
import { acknowledgeKeyGrant, grantPublishTo } from './private/grants';
import { handlerFunction } from './private/handler-function';
import { acknowledge, acknowledgeWildcardResource } from './private/nag';
import { shortHash } from './private/short-hash';
import { TriggerSchedule } from './trigger-schedule';
import type { TriggerFunctionOptions } from './trigger-function-options';

/** The statistic that is a feature's drift score. */
export enum DriftStatistic {
  /** Jensen-Shannon distance, base 2, over the baseline's bins or categories: 0 (same) to 1. */
  JENSEN_SHANNON = 'jensen-shannon',
  /** Population stability index over the baseline's bins or categories. */
  PSI = 'psi',
  /** Kolmogorov-Smirnov statistic for numbers (Jensen-Shannon for categories): 0 to 1. */
  KS = 'ks',
}

/** Properties of a {@link DriftMonitor}. */
export interface DriftMonitorProps extends TriggerFunctionOptions {
  /** The SageMaker endpoint whose captured traffic is compared with the baseline. */
  readonly endpointName: string;
  /**
   * The production variant whose capture is read.
   * @default - every variant
   */
  readonly variantName?: string;
  /** The bucket of the endpoint's data capture (its `DestinationS3Uri`). */
  readonly captureBucket: s3.IBucket;
  /**
   * The key prefix of the capture (its `DestinationS3Uri` without the bucket): empty or ending in `/`.
   * @default ''
   */
  readonly capturePrefix?: string;
  /** The model input's features: CSV columns in order, or the keys of JSON input. */
  readonly features: string[];
  /**
   * A name for the endpoint's output (the prediction), to watch its drift too.
   * @default - the output is not compared
   */
  readonly outputName?: string;
  readonly baseline: DriftBaseline;
  /**
   * When the monitor runs; each run assesses the capture since the window the previous run assessed.
   * @default TriggerSchedule.rate(Duration.hours(1))
   */
  readonly schedule?: TriggerSchedule;
  /** @default TimeZone.ETC_UTC */
  readonly timeZone?: TimeZone;
  /** @default DriftStatistic.JENSEN_SHANNON */
  readonly statistic?: DriftStatistic;
  /**
   * Histogram bins fixed by the baseline's quantiles.
   * @default 10
   */
  readonly bins?: number;
  /** @default { medium: 0.1, high: 0.3, critical: 0.5 } */
  readonly thresholds?: DriftThresholds;
  /** @default - none */
  readonly featureThresholds?: { [feature: string]: DriftThresholds };
  /**
   * Where the monitor keeps its baseline, partial results and reports.
   * @default - a bucket of its own, encrypted, TLS only, partial results expiring after 7 days
   */
  readonly bucket?: s3.IBucket;
  /**
   * How long before a run its window ends: SageMaker writes a capture file some minutes after the requests in
   * it, and a request written after its window was assessed would be read by no run. 0 to 1 hour, whole minutes.
   * @default Duration.minutes(10)
   */
  readonly captureDelay?: Duration;
  /**
   * How much capture one invocation reads; a larger window fans out over a Distributed Map.
   * @default Size.mebibytes(512)
   */
  readonly bytesPerInvocation?: Size;
}

/**
 * The library's own drift statistics, for endpoints without Model Monitor: on a schedule, reads the endpoint's
 * data capture since the last run, compares every feature with a baseline built from a training sample,
 * and writes a report in Model Monitor's `constraint_violations.json` format and a `DriftScore` metric per
 * feature. `DriftSource.driftMonitor(monitor)` makes a {@link DriftTrigger} act on its reports.
 *
 * A run is a Step Functions execution: a small window is read by one invocation; a larger one is split into
 * slices read in parallel by a Distributed Map, whose partial sketches merge exactly.
 */
export class DriftMonitor extends Construct {
  /** The monitor's function: plans a run, reads slices of capture, assesses. */
  public readonly function: lambda.IFunction;
  public readonly stateMachine: sfn.IStateMachine;
  public readonly schedule: scheduler.ISchedule;
  /** Where its baseline, partial results and reports are. */
  public readonly bucket: s3.IBucket;
  /** Where its reports are, for drift triggers. @internal */
  public readonly _reports: MonitorReports;
  private readonly topicArns: string[] = [];

  constructor(scope: Construct, id: string, props: DriftMonitorProps) {
    super(scope, id);
    validateDriftMonitorProps(props);
    const monitorId = shortHash(this.node.path, 16);
    const storePrefix = `drift-monitor/${monitorId}/`;
    this.bucket = props.bucket ?? ownBucket(this, storePrefix);
    this._reports = { monitorId, bucket: this.bucket.bucketName, prefix: storePrefix };

    const thresholds = props.thresholds ?? DRIFT_DEFAULTS.thresholds;
    const capturePrefix = props.capturePrefix ?? '';
    const settings = {
      monitorId,
      endpointName: props.endpointName,
      ...(props.variantName ? { variantName: props.variantName } : {}),
      capture: { bucket: props.captureBucket.bucketName, prefix: capturePrefix },
      features: props.features,
      ...(props.outputName ? { outputName: props.outputName } : {}),
      baseline: props.baseline._source(),
      store: { bucket: this.bucket.bucketName, prefix: storePrefix },
      statistic: (props.statistic ?? DRIFT_MONITOR_DEFAULTS.statistic) as DriftScoreStatistic,
      bins: props.bins ?? DRIFT_MONITOR_DEFAULTS.bins,
      drift: { thresholds, featureThresholds: props.featureThresholds ?? {}, autoRetrain: false },
      bytesPerInvocation: props.bytesPerInvocation?.toBytes() ?? DRIFT_MONITOR_DEFAULTS.bytesPerInvocation,
      firstWindowMs: DRIFT_MONITOR_DEFAULTS.firstWindowMs,
      captureDelayMs: props.captureDelay?.toMilliseconds() ?? DRIFT_MONITOR_DEFAULTS.captureDelayMs,
      topicArns: Lazy.list({ produce: () => this.topicArns }, { omitEmpty: false }),
    } satisfies DriftMonitorSettings;

    const fn = handlerFunction(this, {
      handler: 'drift-monitor',
      description: 'cdk-ml-triggers: drift statistics of an endpoint\'s data capture against its baseline.',
      environment: { DRIFT_MONITOR_SETTINGS: Stack.of(this).toJsonString(settings) },
      memorySize: 1024,
      timeout: Duration.minutes(15),
      deadLetterReason: "Invoked synchronously by the monitor's state machine, which retries a failed step and records the failed run.",
      options: props,
      ids: { logGroup: 'MonitorLogs', role: 'MonitorRole', function: 'Monitor' },
    });
    this.function = fn;
    this.grantReads(fn.role!, props, capturePrefix, storePrefix);

    this.stateMachine = runDefinition(this, fn, this.bucket, storePrefix);
    const timeZone = props.timeZone ?? TimeZone.ETC_UTC;
    const schedule = props.schedule ?? TriggerSchedule.rate(Duration.hours(1));
    const deadLetters = watchedDeadLetterQueue(this, undefined);
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      schedule: scheduler.ScheduleExpression.expression(schedule.expressionString, timeZone),
      description: `Assesses drift of endpoint ${props.endpointName} against its baseline.`,
      target: new targets.StepFunctionsStartExecution(this.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({}),
        deadLetterQueue: deadLetters.queue,
        retryAttempts: 20,
        maxEventAge: Duration.hours(6),
      }),
    });
  }

  /** One feature's drift distance by the monitor's statistic: the maximum over 5 minutes, unless `props` says otherwise. */
  public metricDriftScore(feature: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.DriftScore, props, { statistic: cloudwatch.Stats.MAXIMUM, dimensions: { [MetricDimension.Feature]: feature } });
  }

  /** Every finding's score, one series per feature and kind (a SEARCH): the maximum over 5 minutes, unless `props` says otherwise. */
  public metricAllDriftScores(props?: cloudwatch.MetricOptions): cloudwatch.MathExpression {
    return handlerMetricSearch(MetricService.DriftMonitor, MetricName.DriftScore, [MetricDimension.Feature, MetricDimension.Monitor], props, {
      statistic: cloudwatch.Stats.MAXIMUM,
      filter: { [MetricDimension.Monitor]: this._reports.monitorId },
    });
  }

  /** Runs that wrote a report: the sum over 5 minutes, unless `props` says otherwise. */
  public metricRuns(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.MonitorRuns, props);
  }

  /** Findings that entered a report: the sum over 5 minutes, unless `props` says otherwise. */
  public metricViolations(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.MonitorViolations, props);
  }

  /** Capture rows read into sketches: the sum over 5 minutes, unless `props` says otherwise. */
  public metricCaptureRowsRead(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.CaptureRowsRead, props);
  }

  /** Capture lines skipped as malformed: the sum over 5 minutes, unless `props` says otherwise. */
  public metricMalformedCaptureLines(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.MalformedCaptureLines, props);
  }

  private metric(name: MetricName, props?: cloudwatch.MetricOptions, defaults: { statistic?: string; dimensions?: Record<string, string> } = {}): cloudwatch.Metric {
    return handlerMetric(MetricService.DriftMonitor, name, props, { ...defaults, dimensions: { [MetricDimension.Monitor]: this._reports.monitorId, ...defaults.dimensions } });
  }

  /** Tells a drift trigger's topic of each report. @internal */
  public _notify(topic: sns.ITopic): void {
    this.topicArns.push(topic.topicArn);
    grantPublishTo(topic, this.function);
  }

  private grantReads(role: iam.IRole, props: DriftMonitorProps, capturePrefix: string, storePrefix: string): void {
    const captured = `${capturePrefix}${props.endpointName}/${props.variantName ? `${props.variantName}/` : ''}`;
    const captureObjects = props.captureBucket.arnForObjects(`${captured}*`);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [captureObjects] }));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.captureBucket.bucketArn], conditions: { StringLike: { 's3:prefix': [`${captured}*`] } } }),
    );
    acknowledgeWildcardResource(role, captureObjects, 'SageMaker names capture files by hour and request; the grant covers this endpoint\'s capture only.');
    props.captureBucket.encryptionKey?.grantDecrypt(role);
    acknowledgeKeyGrant(role, props.captureBucket.encryptionKey);

    const baseline = props.baseline._source();
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [props.baseline._bucket.arnForObjects(baseline.key)] }));
    props.baseline._bucket.encryptionKey?.grantDecrypt(role);
    acknowledgeKeyGrant(role, props.baseline._bucket.encryptionKey);

    const stored = this.bucket.arnForObjects(`${storePrefix}*`);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [stored] }));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn], conditions: { StringLike: { 's3:prefix': [`${storePrefix}*`] } } }),
    );
    acknowledgeWildcardResource(role, stored, "The monitor names its runs' partial results and reports by time; the grant covers its own folder only.");
    this.bucket.encryptionKey?.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey*');
    acknowledgeKeyGrant(role, this.bucket.encryptionKey);
  }
}

function ownBucket(scope: Construct, storePrefix: string): s3.Bucket {
  const bucket = new s3.Bucket(scope, 'Store', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    // A run's slices and partial sketches serve only that run; reports are kept for a year and a month.
    lifecycleRules: [
      { prefix: `${storePrefix}runs/`, expiration: Duration.days(7) },
      { prefix: `${storePrefix}reports/`, expiration: Duration.days(400) },
    ],
  });
  acknowledge(bucket, { id: 'AwsSolutions-S1', reason: "Only the monitor's function reads and writes it; its reads and writes are in CloudTrail data events where the account records them." });
  return bucket;
}
