import { Duration, TimeZone } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { keyedTable } from './private/keyed-table';
import { Construct, type IConstruct } from 'constructs';
import type { TriggerFunctionOptions } from './trigger-function-options';
import { COORDINATOR_LIMITS, DEFAULT_COST_MODEL, DEFAULT_POLICY, type CoordinatorPolicy, type CostModel } from '../lambda/core/contracts/coordinator';
import { MetricDimension, MetricName, MetricService } from '../lambda/core/contracts/metrics';
import { watchedDeadLetterQueue } from './private/dead-letter-queue';
import { handlerFunction } from './private/handler-function';
import { handlerMetric, handlerMetricSearch } from './private/handler-metrics';
import { LambdaScheduleTarget } from './private/lambda-schedule-target';
import { grantInvokeTo, grantPublishTo } from './private/grants';
import { validateDurationInRange, validateIntegerInRange, validateTimeZone } from './private/validation';
import type { ITrainingPipeline } from './training-pipeline';

export type { CoordinatorPolicy, CostModel } from '../lambda/core/contracts/coordinator';

/** Properties of a {@link RetrainingCoordinator}. */
export interface RetrainingCoordinatorProps extends TriggerFunctionOptions {
  /**
   * The shortest time between two runs of a pipeline; critical requests (priority 1 or 2) may run sooner.
   * @default Duration.hours(6)
   */
  readonly minInterval?: Duration;
  /**
   * Runs per pipeline per day; critical requests (priority 1 or 2) may exceed it.
   * @default 4
   */
  readonly maxDailyRuns?: number;
  /**
   * Estimated spend per pipeline per day; only priority 1 may exceed it.
   * @default 1000
   */
  readonly dailyBudget?: number;
  /**
   * How a run's cost is estimated from its data size.
   * @default { baseCost: 150, gbPerIncrement: 100 }
   */
  readonly costModel?: CostModel;
  /**
   * The time zone in which days (for the cap and the budget) roll over.
   * @default TimeZone.ETC_UTC
   */
  readonly timeZone?: TimeZone;
  /**
   * How long the decision log keeps each decision.
   * @default Duration.days(90)
   */
  readonly retention?: Duration;
  /**
   * Where to say that a run waits for approval, with the commands that approve or reject it.
   * @default - no notification; pending approvals are still recorded
   */
  readonly approvalTopic?: sns.ITopic;
}

/** What a trigger needs of a coordinator: its function, and the grants that let it be asked and start the pipeline. */
export interface IRetrainingCoordinator extends IConstruct {
  /** The coordinator function; triggers invoke it with their start requests. */
  readonly function: lambda.IFunction;
  /** Lets the coordinator start `pipeline`; every trigger that routes through the coordinator calls it. */
  allowPipeline(pipeline: ITrainingPipeline): void;
  /** Lets `grantee` send start requests and approvals. */
  grantRequest(grantee: iam.IGrantable): iam.Grant;
}

/** The dimensions the coordinator publishes each decision with. */
const DECISION_KEYS = [MetricDimension.Outcome, MetricDimension.Reason, MetricDimension.TriggerType];

/**
 * One gate that every trigger of a pipeline can go through: cooldowns, daily run caps, daily budgets,
 * priorities and approvals, with a record of every decision and its reason.
 */
export class RetrainingCoordinator extends Construct implements IRetrainingCoordinator {
  // Every coordinator publishes under one service name, so these metrics count them together.

  /**
   * The coordinator's decisions, one series per outcome (started, suppressed, awaiting-approval, rejected,
   * withdrawn, failed), reason and trigger type (a SEARCH): the sum over 5 minutes, unless `props` says otherwise.
   */
  public static metricAllDecisions(props?: cloudwatch.MetricOptions): cloudwatch.MathExpression {
    return handlerMetricSearch(MetricService.RetrainingCoordinator, MetricName.Decisions, DECISION_KEYS, props);
  }

  /** Requests held back for an operator's approval, one series per reason and trigger type (a SEARCH): the sum over 5 minutes, unless `props` says otherwise. */
  public static metricAllAwaitingApproval(props?: cloudwatch.MetricOptions): cloudwatch.MathExpression {
    return handlerMetricSearch(MetricService.RetrainingCoordinator, MetricName.Decisions, DECISION_KEYS, props, { filter: { [MetricDimension.Outcome]: 'awaiting-approval' } });
  }

  /** The estimated cost of the runs the coordinators started: the sum over 5 minutes, unless `props` says otherwise. */
  public static metricAllEstimatedSpend(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return handlerMetric(MetricService.RetrainingCoordinator, MetricName.EstimatedSpend, props);
  }

  /** Requests waiting to be decided again, as each sweep counts them: the maximum over 5 minutes, unless `props` says otherwise. */
  public static metricAllWaitingRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return handlerMetric(MetricService.RetrainingCoordinator, MetricName.WaitingRequests, props, { statistic: cloudwatch.Stats.MAXIMUM });
  }

  /** Inputs the coordinators rejected as malformed: the sum over 5 minutes, unless `props` says otherwise. */
  public static metricAllRequestsRejected(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return handlerMetric(MetricService.RetrainingCoordinator, MetricName.RequestsRejected, props);
  }

  /** The coordinator function; triggers invoke it with their start requests. */
  public readonly function: lambda.IFunction;
  /** Per-pipeline state and the decision log. */
  public readonly table: dynamodb.ITable;
  /** The policy the function applies, as it receives it. */
  public readonly policy: CoordinatorPolicy;
  /**
   * Asks the coordinator every minute to decide again the requests that wait: deferred past a cooldown,
   * cap or budget, held back by an approval, or whose start was decided but not confirmed.
   */
  public readonly sweepSchedule: scheduler.Schedule;
  private readonly pipelines = new Set<string>();

  constructor(scope: Construct, id: string, props: RetrainingCoordinatorProps = {}) {
    super(scope, id);
    this.policy = policyOf(props);
    const retention = props.retention ?? Duration.days(90);
    validateDurationInRange('retention', retention, Duration.days(1), Duration.days(3650));

    const table = keyedTable(this, 'Table');
    this.table = table;

    const deadLetters = watchedDeadLetterQueue(this, undefined);
    const fn = handlerFunction(this, {
      handler: 'coordinator',
      description: 'cdk-ml-triggers: decides every start request against cooldowns, caps, budgets and approvals.',
      timeout: Duration.seconds(30),
      environment: {
        COORDINATOR_TABLE_NAME: table.tableName,
        COORDINATOR_POLICY: JSON.stringify(this.policy),
        DECISION_RETENTION_DAYS: String(retention.toDays()),
        ...(props.approvalTopic ? { APPROVAL_TOPIC_ARN: props.approvalTopic.topicArn } : {}),
      },
      retryAttempts: 2,
      onFailure: new destinations.SqsDestination(deadLetters.queue),
      deadLetterReason:
        'EventBridge Scheduler invokes the coordinator asynchronously with a dead-letter queue on its target, and invocations that still fail go to the on-failure destination, ' +
        "the stack's dead-letter queue; the triggers' functions invoke it synchronously and retry themselves.",
      options: props,
      ids: { logGroup: 'Logs', role: 'Role', function: 'Function' },
    });
    table.grantReadWriteData(fn);
    if (props.approvalTopic) grantPublishTo(props.approvalTopic, fn);
    this.function = fn;

    this.sweepSchedule = new scheduler.Schedule(this, 'Sweep', {
      schedule: scheduler.ScheduleExpression.rate(Duration.minutes(1)),
      description: 'cdk-ml-triggers: the coordinator decides again the start requests that wait for their turn.',
      // A sweep that fails is not retried: the next one, a minute later, asks again.
      target: new LambdaScheduleTarget(fn, {
        input: scheduler.ScheduleTargetInput.fromObject({ action: 'sweep' }),
        retryAttempts: 0,
        maxEventAge: Duration.minutes(1),
        deadLetterQueue: deadLetters.queue,
      }),
    });
  }

  /** Lets the coordinator start `pipeline`; every trigger that routes through the coordinator calls it. */
  public allowPipeline(pipeline: ITrainingPipeline): void {
    if (this.pipelines.has(pipeline.node.path)) return;
    this.pipelines.add(pipeline.node.path);
    pipeline.grantStartExecution(this.function);
    // Before a start refused for good is recorded failed, the coordinator looks for the run an earlier attempt made.
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['sagemaker:ListPipelineExecutions'], resources: [pipeline.pipelineArn] }));
  }

  /** Lets `grantee` send start requests and approvals. */
  public grantRequest(grantee: iam.IGrantable): iam.Grant {
    return grantInvokeTo(this.function, grantee, 'the coordinator');
  }
}

function policyOf(props: RetrainingCoordinatorProps): CoordinatorPolicy {
  const limits = COORDINATOR_LIMITS;
  const minInterval = props.minInterval ?? Duration.millis(DEFAULT_POLICY.minIntervalMs);
  validateDurationInRange('minInterval', minInterval, Duration.seconds(limits.minIntervalMs.min / 1000), Duration.seconds(limits.minIntervalMs.max / 1000));
  const maxDailyRuns = props.maxDailyRuns ?? DEFAULT_POLICY.maxDailyRuns;
  validateIntegerInRange('maxDailyRuns', maxDailyRuns, limits.maxDailyRuns.min, limits.maxDailyRuns.max);
  const dailyBudget = props.dailyBudget ?? DEFAULT_POLICY.dailyBudget;
  if (!(dailyBudget >= limits.dailyBudget.min && Number.isFinite(dailyBudget))) {
    throw new Error(`dailyBudget must be a number of at least ${limits.dailyBudget.min}, got ${dailyBudget}`);
  }
  const costModel: CostModel = props.costModel ?? { ...DEFAULT_COST_MODEL };
  if (!(costModel.baseCost >= limits.baseCost.min && Number.isFinite(costModel.baseCost))) {
    throw new Error(`costModel.baseCost must be a number of at least ${limits.baseCost.min}, got ${costModel.baseCost}`);
  }
  if (!(costModel.gbPerIncrement > limits.gbPerIncrement.above && Number.isFinite(costModel.gbPerIncrement))) {
    throw new Error(`costModel.gbPerIncrement must be a number above ${limits.gbPerIncrement.above}, got ${costModel.gbPerIncrement}`);
  }
  const timeZone = (props.timeZone ?? TimeZone.ETC_UTC).timezoneName;
  validateTimeZone(timeZone);
  return { minIntervalMs: minInterval.toMilliseconds(), maxDailyRuns, dailyBudget, costModel, timeZone };
}
