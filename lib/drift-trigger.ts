import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { DriftSource } from './drift-source';
import type { DriftMonitor } from './drift-monitor';
import type { AlarmSources } from '../lambda/core/alarm-message';
import { COORDINATOR_LIMITS } from '../lambda/core/contracts/coordinator';
import { DRIFT_DEFAULTS, thresholdsProblem, type DriftThresholds, type DriftTriggerSettings } from '../lambda/core/contracts/drift';
import { MetricDimension, MetricName, MetricService } from '../lambda/core/contracts/metrics';
import { watchedDeadLetterQueue } from './private/dead-letter-queue';
import { RuleTopicTarget } from './private/rule-topic-target';
import { shortHash } from './private/short-hash';
import { stackRuleNamePrefix } from './private/stack-scoped-name';
import { acknowledgeKeyGrant, grantPublishTo } from './private/grants';
import { handlerFunction } from './private/handler-function';
import { handlerMetric, handlerMetricSearch } from './private/handler-metrics';
import { acknowledgeWildcardResource } from './private/nag';
import { validatePipelineParameters } from './private/validation';
import { RetrainingCoordinator, type IRetrainingCoordinator } from './retraining-coordinator';
import { wireStartRoute } from './private/start-route';
import type { TriggerFunctionOptions } from './trigger-function-options';
import { TrainingPipeline, type ITrainingPipeline } from './training-pipeline';

export type { DriftThresholds } from '../lambda/core/contracts/drift';

/** Properties of a {@link DriftTrigger}. */
export interface DriftTriggerProps extends TriggerFunctionOptions {
  /**
   * The pipeline to retrain: a `TrainingPipeline`, a `sagemaker.CfnPipeline` defined in your app, or any other
   * `IPipelineRef`.
   */
  readonly pipeline: sagemaker.IPipelineRef;
  /** Where drift signals come from: Model Monitor, your own alarms, or alarms defined elsewhere. */
  readonly sources: DriftSource[];
  /**
   * The bucket Model Monitor writes its output to; required with Model Monitor sources, whose
   * violations reports the evaluator reads.
   * @default - none
   */
  readonly monitoringOutputBucket?: s3.IBucket;
  /**
   * The key prefix of Model Monitor's output in that bucket (its S3Output URI without the bucket).
   * @default '' (the bucket's root)
   */
  readonly monitoringOutputPrefix?: string;
  /**
   * Severity thresholds for every feature.
   * @default { medium: 0.1, high: 0.3, critical: 0.5 }
   */
  readonly thresholds?: DriftThresholds;
  /**
   * Severity thresholds for single features, overriding `thresholds` for them.
   * @default - none
   */
  readonly featureThresholds?: { [feature: string]: DriftThresholds };
  /**
   * Whether medium drift retrains; high drift always retrains (with approval), critical never does.
   * @default false
   */
  readonly autoRetrain?: boolean;
  /**
   * Told of high drift: the retraining run carries RequireApproval=true.
   * @default - no notification
   */
  readonly teamTopic?: sns.ITopic;
  /**
   * Told of critical drift (retraining blocked) and of reports that cannot be read, with the drifted
   * features and a recommendation.
   * @default - no notification
   */
  readonly humanReviewTopic?: sns.ITopic;
  /**
   * Routes retraining through this coordinator; severity sets the priority (critical 1, high 2, medium 3).
   * @default - the evaluator starts the pipeline itself
   */
  readonly coordinator?: IRetrainingCoordinator;
  /**
   * Static pipeline parameters added to every retraining run.
   * @default - none
   */
  readonly parameters?: { [name: string]: string };
}

/**
 * Retrains when a model drifts, as much as the drift warrants: drift alarms feed one encrypted topic,
 * and a severity evaluator reads the real violation reports and decides to log, retrain, retrain with
 * approval, or block retraining and ask a human.
 */
export class DriftTrigger extends Construct {
  // Every drift trigger's evaluator publishes under one service name, so these metrics count them together.

  /** Drift assessments, one series per severity and action (a SEARCH): the sum over 5 minutes, unless `props` says otherwise. */
  public static metricAllAssessments(props?: cloudwatch.MetricOptions): cloudwatch.MathExpression {
    return handlerMetricSearch(MetricService.DriftEvaluator, MetricName.DriftAssessments, [MetricDimension.Action, MetricDimension.Severity], props);
  }

  /** Drift scores, one series per feature (a SEARCH): the maximum over 5 minutes, unless `props` says otherwise. */
  public static metricAllDriftScores(props?: cloudwatch.MetricOptions): cloudwatch.MathExpression {
    return handlerMetricSearch(MetricService.DriftEvaluator, MetricName.DriftScore, [MetricDimension.Feature], props, { statistic: cloudwatch.Stats.MAXIMUM });
  }

  /** Starts the drift triggers requested (retrain, with or without approval): the sum over 5 minutes, unless `props` says otherwise. */
  public static metricAllStartRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return handlerMetric(MetricService.DriftEvaluator, MetricName.StartRequests, props);
  }

  /** Messages the drift triggers rejected as not a CloudWatch alarm notification: the sum over 5 minutes, unless `props` says otherwise. */
  public static metricAllMessagesRejected(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return handlerMetric(MetricService.DriftEvaluator, MetricName.MessagesRejected, props);
  }

  /** Violation reports the drift triggers could not read: the sum over 5 minutes, unless `props` says otherwise. */
  public static metricAllUnreadableReports(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return handlerMetric(MetricService.DriftEvaluator, MetricName.UnreadableReports, props);
  }

  /** The encrypted, TLS-only topic every source feeds. */
  public readonly topic: sns.ITopic;
  /** The severity evaluator. */
  public readonly function: lambda.IFunction;
  /**
   * Without a `coordinator`: where retraining that needs approval (high drift) waits for an operator, who
   * answers with `npx cdk-ml-triggers approve|reject --function <its function>`. It applies no cooldown,
   * cap or budget; give the trigger a coordinator to have them.
   */
  public readonly approvalGate?: RetrainingCoordinator;

  constructor(scope: Construct, id: string, props: DriftTriggerProps) {
    super(scope, id);
    const thresholds = props.thresholds ?? DRIFT_DEFAULTS.thresholds;
    validateThresholds('thresholds', thresholds);
    for (const [feature, own] of Object.entries(props.featureThresholds ?? {})) validateThresholds(`featureThresholds.${feature}`, own);
    validatePipelineParameters(props.parameters ?? {});
    if (props.sources.length === 0) throw new Error('sources must name at least one drift source');
    const prefix = props.monitoringOutputPrefix ?? '';
    if (prefix !== '' && !prefix.endsWith('/')) throw new Error(`monitoringOutputPrefix must be empty or end with '/', got '${prefix}'`);

    const bound = props.sources.map((source) => source.bind(this));
    const monitors = bound.flatMap((source) => source.monitors);
    if (monitors.length > 0 && !props.monitoringOutputBucket) {
      throw new Error('monitoringOutputBucket is required with Model Monitor sources: the evaluator reads their violations reports from it');
    }

    const key = new kms.Key(this, 'TopicKey', { enableKeyRotation: true, description: 'cdk-ml-triggers: encrypts the drift topic' });
    const topic = new sns.Topic(this, 'Topic', { masterKey: key, enforceSSL: true, displayName: 'Drift alarms for retraining' });
    this.topic = topic;

    const deadLetters = watchedDeadLetterQueue(this, undefined);
    const alarmState = { source: ['aws.cloudwatch'], detailType: ['CloudWatch Alarm State Change'] };
    const arns = bound.flatMap((source) => source.alarmArns);
    const named = [...bound.flatMap((source) => source.alarmNames), ...bound.flatMap((source) => source.alarmNamePrefixes.map((p) => ({ prefix: p })))];
    const toTopic = new RuleTopicTarget(topic, deadLetters.queue, { retryAttempts: 20, maxEventAge: Duration.hours(6) });
    // Named, so that the key's policy can name the rules' ARNs without depending on them (the rules depend on the topic, the topic on the key).
    const ruleName = (id: string) => `${stackRuleNamePrefix(Stack.of(this), 'mld')}${shortHash(`${this.node.path}/${id}`, 16)}`;
    const ruleArn = (name: string) => Stack.of(this).formatArn({ service: 'events', resource: 'rule', resourceName: name });
    const rules: string[] = [];
    if (arns.length > 0) {
      rules.push(ruleName('AlarmStates'));
      new events.Rule(this, 'AlarmStates', {
        ruleName: ruleName('AlarmStates'),
        description: 'cdk-ml-triggers: drift alarms going into ALARM',
        eventPattern: { ...alarmState, resources: arns, detail: { state: { value: ['ALARM'] } } },
        targets: [toTopic],
      });
    }
    if (named.length > 0) {
      rules.push(ruleName('NamedAlarmStates'));
      new events.Rule(this, 'NamedAlarmStates', {
        ruleName: ruleName('NamedAlarmStates'),
        description: 'cdk-ml-triggers: drift alarms defined elsewhere going into ALARM',
        eventPattern: { ...alarmState, detail: { alarmName: named, state: { value: ['ALARM'] } } },
        targets: [toTopic],
      });
    }
    // EventBridge delivers this trigger's alarm state changes to the topic, so its rules, and only they, may use the key.
    if (rules.length > 0) key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          ArnEquals: { 'aws:SourceArn': rules.map(ruleArn) },
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
        },
      }),
    );

    this.approvalGate = props.coordinator ? undefined : approvalGateFor(this, props);
    const alarms: AlarmSources = {
      arns: arns,
      names: bound.flatMap((source) => source.alarmNames),
      namePrefixes: bound.flatMap((source) => source.alarmNamePrefixes),
    };
    const driftMonitors = bound.flatMap((source) => source.driftMonitors ?? []);
    const fn = this.evaluator(props, TrainingPipeline.of(this, props.pipeline), thresholds, prefix, monitors, alarms, driftMonitors);
    topic.addSubscription(new subscriptions.LambdaSubscription(fn, { deadLetterQueue: deadLetters.queue }));
    // Each monitor names its reports on the topic; the evaluator reads them from the monitor's own folder.
    for (const monitor of driftMonitors) monitor._notify(topic);
    this.function = fn;
  }

  private evaluator(
    props: DriftTriggerProps,
    pipeline: ITrainingPipeline,
    thresholds: DriftThresholds,
    prefix: string,
    monitors: ReadonlyArray<{ endpointName: string; monitoringScheduleName: string }>,
    alarms: AlarmSources,
    driftMonitors: readonly DriftMonitor[],
  ): lambda.Function {
    const gate = this.approvalGate;
    const settings = {
      triggerId: this.node.path,
      pipelineName: pipeline.pipelineName,
      drift: { thresholds, featureThresholds: props.featureThresholds ?? DRIFT_DEFAULTS.featureThresholds, autoRetrain: props.autoRetrain ?? DRIFT_DEFAULTS.autoRetrain },
      alarms,
      ...(props.monitoringOutputBucket ? { monitoringOutput: { bucket: props.monitoringOutputBucket.bucketName, prefix } } : {}),
      ...(driftMonitors.length > 0 ? { monitors: driftMonitors.map((monitor) => monitor._reports) } : {}),
      parameters: props.parameters ?? {},
      ...(props.coordinator ? { coordinatorFunction: props.coordinator.function.functionArn } : {}),
      ...(gate ? { approvalFunction: gate.function.functionArn } : {}),
      ...(props.teamTopic ? { teamTopicArn: props.teamTopic.topicArn } : {}),
      ...(props.humanReviewTopic ? { humanReviewTopicArn: props.humanReviewTopic.topicArn } : {}),
    } satisfies DriftTriggerSettings;
    const fn = handlerFunction(this, {
      handler: 'drift',
      description: 'cdk-ml-triggers: scores drift from violation reports and decides to log, retrain, or ask a human.',
      environment: { DRIFT_SETTINGS: Stack.of(this).toJsonString(settings) },
      // SNS invokes the evaluator asynchronously: an evaluation that still fails after Lambda's retries is kept, not dropped.
      onFailure: new destinations.SqsDestination(watchedDeadLetterQueue(this, undefined).queue),
      options: props,
      ids: { logGroup: 'EvaluatorLogs', role: 'EvaluatorRole', function: 'Evaluator' },
    });
    const role = fn.role!;

    const bucket = props.monitoringOutputBucket;
    if (bucket) {
      // Read only the violations reports of the named schedules, and list only their folders.
      const reports = monitors.map((m) => bucket.arnForObjects(`${prefix}${m.endpointName}/${m.monitoringScheduleName}/*/constraint_violations.json`));
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: reports }));
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': monitors.map((m) => `${prefix}${m.endpointName}/${m.monitoringScheduleName}/*`) } },
        }),
      );
      for (const report of reports) {
        acknowledgeWildcardResource(role, report, 'Model Monitor names its output folders by execution time; the grant covers the violations reports of the named schedules only.');
      }
      bucket.encryptionKey?.grantDecrypt(role);
      acknowledgeKeyGrant(role, bucket.encryptionKey);
    }
    for (const monitor of driftMonitors) {
      // Only the reports of the monitors it was given, in each monitor's own folder.
      const reports = monitor.bucket.arnForObjects(`${monitor._reports.prefix}reports/*`);
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [reports] }));
      acknowledgeWildcardResource(role, reports, 'A drift monitor names its reports by the window they assess; the grant covers that monitor\'s reports only.');
      monitor.bucket.encryptionKey?.grantDecrypt(role);
      acknowledgeKeyGrant(role, monitor.bucket.encryptionKey);
    }
    // Severity sets each request's priority; the approval gate, when there is one, parks what needs approval.
    wireStartRoute(fn, pipeline, props.coordinator);
    if (gate) wireStartRoute(fn, pipeline, gate);
    for (const topic of [props.teamTopic, props.humanReviewTopic]) if (topic) grantPublishTo(topic, fn);
    return fn;
  }
}

/** A coordinator that only gates: no cooldown, a cap and a budget no drift run reaches, the team told of each wait. */
function approvalGateFor(scope: Construct, props: DriftTriggerProps): RetrainingCoordinator {
  const { tracing, vpc, vpcSubnets, securityGroups, logGroupEncryptionKey, reservedConcurrentExecutions } = props;
  return new RetrainingCoordinator(scope, 'ApprovalGate', {
    minInterval: Duration.seconds(0),
    maxDailyRuns: COORDINATOR_LIMITS.maxDailyRuns.max,
    dailyBudget: 1_000_000_000,
    ...(props.teamTopic ? { approvalTopic: props.teamTopic } : {}),
    tracing,
    vpc,
    vpcSubnets,
    securityGroups,
    logGroupEncryptionKey,
    reservedConcurrentExecutions,
  });
}

function validateThresholds(prop: string, thresholds: DriftThresholds): void {
  const problem = thresholdsProblem(thresholds);
  if (problem) throw new Error(`${prop} ${problem}`);
}
