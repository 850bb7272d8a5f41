import { Duration, Names } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { MetricDimension, MetricName, MetricService } from '../lambda/core/contracts/metrics';
import { DEFAULT_PRIORITY } from '../lambda/core/contracts/shared';
import { ObjectDelivery } from './object-delivery';
import { DataArrivalBatcher } from './private/data-arrival-batcher';
import { configureHandlerFunction } from './private/handler-function';
import { TriggerTarget } from './private/trigger-configuration';
import { acknowledgeKeyGrant } from './private/grants';
import { shortHash } from './private/short-hash';
import { batcherMetric, handlerMetricSearch } from './private/handler-metrics';
import { acknowledgeWildcardResource } from './private/nag';
import { enableEventBridge, keyFilter } from './private/object-created-events';
import type { IRetrainingCoordinator } from './retraining-coordinator';
import { wireStartRoute } from './private/start-route';
import type { TriggerFunctionOptions } from './trigger-function-options';
import type { ArrivalScheduleOptions } from './arrival-schedule-options';
import { missedDeadlines, wireArrivalCalendar } from './private/arrival-calendar';
import { TrainingPipeline } from './training-pipeline';
import type { ReEnable } from './re-enable';
import { followReEnabling } from './private/config-change-rule';
import { triggerConfig, validateDataArrivalProps } from './private/data-arrival-config';

/** Properties of a {@link DataArrivalTrigger}. */
export interface DataArrivalTriggerProps extends TriggerFunctionOptions, ArrivalScheduleOptions {
  /**
   * The pipeline to start for each batch: a `TrainingPipeline`, a `sagemaker.CfnPipeline` defined in your app, or any other
   * `IPipelineRef`.
   */
  readonly pipeline: sagemaker.IPipelineRef;

  /** The bucket data lands in; EventBridge notifications are turned on for it. */
  readonly bucket: s3.IBucket;

  /**
   * Only objects whose key starts with this count.
   * @default - every key
   */
  readonly prefix?: string;

  /**
   * Only objects whose key ends with this count, such as `.parquet`.
   * @default - every key
   */
  readonly suffix?: string;

  /**
   * Objects per batch: the pipeline starts as soon as this many distinct objects arrived. 1 to 10,000.
   * @default 1000
   */
  readonly batchSize?: number;

  /**
   * The longest a batch waits after its first object: then it starts with what it has, even if no
   * further object arrives. 1 minute to 7 days.
   * @default Duration.hours(1)
   */
  readonly batchWindow?: Duration;

  /**
   * Static pipeline parameters added to every start.
   * @default - none
   */
  readonly parameters?: { [name: string]: string };

  /**
   * Where batch manifests (JSON lines, one object per line) are written.
   * @default - the data bucket
   */
  readonly manifestBucket?: s3.IBucket;

  /**
   * Key prefix for manifests; each trigger writes below `<manifestPrefix><triggerId>/`.
   * @default 'ml-triggers/manifests/'
   */
  readonly manifestPrefix?: string;

  /**
   * The pipeline parameter that receives the manifest's S3 URI.
   * @default 'ManifestS3Uri'
   */
  readonly manifestParameterName?: string;

  /**
   * The pipeline parameter that receives the number of objects in the batch.
   * @default 'ObjectCount'
   */
  readonly countParameterName?: string;

  /**
   * Start attempts (throttling, service errors, access denied) before a batch is recorded as failed
   * and the failed-batch alarm fires. Retries back off from 1 to 15 minutes.
   * @default 6
   */
  readonly maxStartAttempts?: number;

  /**
   * Whether the rule is enabled; a disabled trigger keeps its state and counts nothing (see `whenReEnabled`).
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * What the trigger does with the objects that landed while it was disabled, once it is enabled again.
   * @default ReEnable.skip()
   */
  readonly whenReEnabled?: ReEnable;

  /**
   * The trigger's id in batch state, manifests and logs; changing it starts counting afresh.
   * @default - derived from the construct path
   */
  readonly triggerId?: string;

  /**
   * Sends each full batch's start request to this coordinator (cooldowns, caps, budgets, approvals).
   * A batch the coordinator defers waits, without using a start attempt, until the time it names.
   * @default - batches start the pipeline directly
   */
  readonly coordinator?: IRetrainingCoordinator;

  /**
   * The priority of this trigger's requests to the coordinator: 1 (most urgent) to 5.
   * @default 3
   */
  readonly priority?: number;

  /**
   * How the rule hands Object Created events to the stack's batcher: into one queue that the stack's
   * data-arrival triggers share, read in batches with bounded concurrency, or one invocation per event.
   * @default ObjectDelivery.queue()
   */
  readonly delivery?: ObjectDelivery;
}

/**
 * Starts a pipeline once per batch of objects landing in S3: when `batchSize` distinct objects arrived,
 * or `batchWindow` after the first one, whichever comes first, exactly once per batch.
 *
 * S3 -> EventBridge rule -> the stack's arrival queue -> the stack's shared batcher function (DynamoDB state,
 * S3 manifest) -> SageMaker. With `ObjectDelivery.perEvent()` the rule invokes the batcher itself.
 */
export class DataArrivalTrigger extends Construct {
  // One batcher function serves every data-arrival trigger, so its metrics, all but the oldest batch's age, count them together.

  /** Object Created events the data-arrival triggers received: the sum over 5 minutes, unless `props` says otherwise. */
  public static metricAllEventsReceived(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return batcherMetric(MetricName.EventsReceived, props);
  }

  /** Events the data-arrival triggers rejected as malformed or not theirs: the sum over 5 minutes, unless `props` says otherwise. */
  public static metricAllEventsRejected(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return batcherMetric(MetricName.EventsRejected, props);
  }

  /** Starts the data-arrival triggers requested, one per full batch: the sum over 5 minutes, unless `props` says otherwise. */
  public static metricAllStartRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return batcherMetric(MetricName.StartRequests, props);
  }

  /** Batch starts that failed and will be tried again: the sum over 5 minutes, unless `props` says otherwise. */
  public static metricAllStartFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return batcherMetric(MetricName.StartFailures, props);
  }

  /** Batches given up after their last start attempt: the sum over 5 minutes, unless `props` says otherwise. */
  public static metricAllBatchesFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return batcherMetric(MetricName.BatchesFailed, props);
  }

  /** Objects per started batch: the average over 5 minutes, unless `props` says otherwise. */
  public static metricAllBatchSizes(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return batcherMetric(MetricName.BatchSize, props, { statistic: cloudwatch.Stats.AVERAGE });
  }

  /** The oldest waiting batch's age in seconds, one series per trigger (a SEARCH): the maximum over 5 minutes, unless `props` says otherwise. */
  public static metricAllOldestBatchAges(props?: cloudwatch.MetricOptions): cloudwatch.MathExpression {
    return handlerMetricSearch(MetricService.DataArrivalBatcher, MetricName.OldestBatchAge, [MetricDimension.TriggerId], props, { statistic: cloudwatch.Stats.MAXIMUM });
  }

  /** The trigger's id in batch state and manifests. */
  public readonly triggerId: string;
  /** The rule that forwards the bucket's Object Created events. */
  public readonly rule: events.IRule;
  /** Fires when a batch has waited more than twice its window without starting. */
  public readonly staleBatchAlarm: cloudwatch.IAlarm;
  /** Fires when a deadline of `expectedBy` passed with no object since the deadline before; undefined without `expectedBy`. */
  public readonly missedDeadlineAlarm?: cloudwatch.IAlarm;

  constructor(scope: Construct, id: string, props: DataArrivalTriggerProps) {
    super(scope, id);
    this.triggerId = props.triggerId ?? Names.uniqueResourceName(this, { maxLength: 64, separator: '-' });
    const pipeline = TrainingPipeline.of(this, props.pipeline);
    validateDataArrivalProps(props, triggerConfig(this.triggerId, pipeline.pipelineName, props, {}));

    const batcher = DataArrivalBatcher.of(this);
    configureHandlerFunction(batcher.function, props, this);
    batcher.register(this.triggerId);
    enableEventBridge(props.bucket);
    const config = triggerConfig(this.triggerId, pipeline.pipelineName, props, wireStartRoute(batcher.function, pipeline, props.coordinator, props.priority ?? DEFAULT_PRIORITY));
    if (!props.coordinator) {
      // Before a batch is recorded failed, the batcher looks for a run whose every start reply was lost.
      batcher.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['sagemaker:ListPipelineExecutions'], resources: [pipeline.pipelineArn] }));
    }
    const manifestBucket = props.manifestBucket ?? props.bucket;
    const manifests = manifestBucket.arnForObjects(`${config.manifestPrefix}${this.triggerId}/*`);
    batcher.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [manifests] }));
    acknowledgeWildcardResource(
      batcher.function.role!,
      manifests,
      'Manifest keys are made per batch at run time; the grant covers this trigger\'s manifest prefix only.',
    );
    manifestBucket.encryptionKey?.grantEncrypt(batcher.function);
    acknowledgeKeyGrant(batcher.function, manifestBucket.encryptionKey);

    const queueOptions = (props.delivery ?? ObjectDelivery.queue())._queueOptions;
    const queue = queueOptions ? batcher.arrivalQueue(queueOptions, this) : undefined;
    const ruleName = `${batcher.ruleNamePrefix}${shortHash(this.node.path, 16)}`;
    const rule = new events.Rule(this, 'ObjectCreated', {
      ruleName,
      description: `cdk-ml-triggers: objects for data-arrival trigger ${this.triggerId}`,
      enabled: props.enabled ?? true,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [props.bucket.bucketName] }, ...keyFilter(props.prefix, props.suffix) },
      },
      targets: [new TriggerTarget(batcher, this.triggerId, config, 'parameters', queue)],
    });
    this.rule = rule;
    followReEnabling(batcher, config, props.bucket, props.prefix, rule);

    this.staleBatchAlarm = new cloudwatch.Alarm(this, 'StaleBatchAlarm', {
      alarmDescription:
        `A batch of data-arrival trigger ${this.triggerId} has waited more than twice its window (${Duration.seconds(config.batchWindowSeconds).toHumanString()}) without starting: ` +
        'its starts fail or are deferred. The batch table holds its status and last error.',
      metric: this.metricOldestBatchAge(),
      threshold: 2 * config.batchWindowSeconds,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.missedDeadlineAlarm = wireArrivalCalendar(this, batcher, config, props);
  }

  /** The age in seconds of this trigger's oldest batch still waiting to start: the maximum over 5 minutes, unless `props` says otherwise. */
  public metricOldestBatchAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return batcherMetric(MetricName.OldestBatchAge, props, { statistic: cloudwatch.Stats.MAXIMUM, dimensions: { [MetricDimension.TriggerId]: this.triggerId } });
  }

  /** Deadlines of `expectedBy` this trigger missed (no object since the deadline before): the sum over 5 minutes, unless `props` says otherwise. */
  public metricMissedDeadlines(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return missedDeadlines(this.triggerId, props);
  }
}
