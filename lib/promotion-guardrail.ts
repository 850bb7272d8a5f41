import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  DEFAULT_GUARDRAIL_THRESHOLDS,
  GUARDRAIL_THRESHOLD_NAMES,
  GUARDRAIL_THRESHOLD_RANGES,
  thresholdProblem,
  type GuardrailThresholds,
} from '../lambda/core/contracts/guardrail';
import { MetricName, MetricService } from '../lambda/core/contracts/metrics';
import { handlerFunction } from './private/handler-function';
import { handlerMetric } from './private/handler-metrics';
import { acknowledgeKeyGrant, grantInvokeTo } from './private/grants';
import { acknowledgeWildcardResource } from './private/nag';
import type { TriggerFunctionOptions } from './trigger-function-options';

/** Properties of a {@link PromotionGuardrail}. */
export interface PromotionGuardrailProps extends TriggerFunctionOptions {
  /** The bucket holding evaluation reports and golden-set results. */
  readonly reportsBucket: s3.IBucket;
  /**
   * The key prefix the guardrail may read below.
   * @default '' (the whole bucket)
   */
  readonly reportsPrefix?: string;
  /**
   * Lowest accuracy on the golden set a candidate may have.
   * @default 0.85
   */
  readonly minGoldenAccuracy?: number;
  /**
   * Largest difference between the candidate's and the baseline's accuracy.
   * @default 0.4
   */
  readonly maxAccuracyDelta?: number;
  /**
   * Prediction-distribution shift (KL divergence, Laplace-smoothed) the candidate must stay under.
   * @default 0.5
   */
  readonly maxPredictionShift?: number;
  /**
   * Largest share any one error type may take of the candidate's errors.
   * @default 0.7
   */
  readonly maxErrorConcentration?: number;
  /**
   * Prediction shift above which a human must approve the promotion, even when every check passes.
   * @default 0.2
   */
  readonly approvalPredictionShift?: number;
}

/**
 * Feedback-loop prevention: a function that a SageMaker pipeline calls (LambdaStep) before it registers
 * or deploys a retrained model, and that says whether the candidate may be promoted.
 */
export class PromotionGuardrail extends Construct {
  // Every guardrail publishes under one service name, so these metrics count them together.

  /** Candidates that passed every check: the sum over 5 minutes, unless `props` says otherwise. */
  public static metricAllCandidatesPassed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return handlerMetric(MetricService.PromotionGuardrail, MetricName.CandidatesPassed, props);
  }

  /** Candidates that failed a check: the sum over 5 minutes, unless `props` says otherwise. */
  public static metricAllCandidatesFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return handlerMetric(MetricService.PromotionGuardrail, MetricName.CandidatesFailed, props);
  }

  /** Candidates whose promotion asks for an approval: the sum over 5 minutes, unless `props` says otherwise. */
  public static metricAllApprovalsRequested(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return handlerMetric(MetricService.PromotionGuardrail, MetricName.ApprovalsRequested, props);
  }

  /** Guardrail inputs that could not be read: the sum over 5 minutes, unless `props` says otherwise. */
  public static metricAllInputsRejected(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return handlerMetric(MetricService.PromotionGuardrail, MetricName.InputsRejected, props);
  }

  /** The guardrail function; give its ARN to the pipeline's LambdaStep. */
  public readonly function: lambda.IFunction;

  constructor(scope: Construct, id: string, props: PromotionGuardrailProps) {
    super(scope, id);
    const base = DEFAULT_GUARDRAIL_THRESHOLDS;
    const defaults: GuardrailThresholds = {
      minGoldenAccuracy: props.minGoldenAccuracy ?? base.minGoldenAccuracy,
      maxAccuracyDelta: props.maxAccuracyDelta ?? base.maxAccuracyDelta,
      maxPredictionShift: props.maxPredictionShift ?? base.maxPredictionShift,
      maxErrorConcentration: props.maxErrorConcentration ?? base.maxErrorConcentration,
      approvalPredictionShift: props.approvalPredictionShift ?? base.approvalPredictionShift,
    };
    // Shares first, then divergences: the first problem reported is the same whatever the names' order.
    for (const kind of ['share', 'divergence'] as const) {
      for (const name of GUARDRAIL_THRESHOLD_NAMES.filter((candidate) => GUARDRAIL_THRESHOLD_RANGES[candidate].kind === kind)) {
        const problem = thresholdProblem(name, defaults[name]);
        if (problem) throw new Error(problem);
      }
    }
    const prefix = props.reportsPrefix ?? '';

    const fn = handlerFunction(this, {
      handler: 'guardrail',
      description: 'cdk-ml-triggers: checks a retrained model against its baseline and golden set before promotion.',
      environment: { GUARDRAIL_DEFAULTS: JSON.stringify(defaults) },
      deadLetterReason:
        "A pipeline's LambdaStep invokes the guardrail synchronously and fails the step on an error, so no invocation is asynchronous and none can be lost.",
      options: props,
      ids: { logGroup: 'Logs', role: 'Role', function: 'Function' },
    });
    const reports = props.reportsBucket.arnForObjects(`${prefix}*`);
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [reports] }));
    acknowledgeWildcardResource(fn.role!, reports, 'Each pipeline run writes its reports under new keys; the grant is read-only and covers the reports prefix only.');
    props.reportsBucket.encryptionKey?.grantDecrypt(fn);
    acknowledgeKeyGrant(fn, props.reportsBucket.encryptionKey);
    this.function = fn;
  }

  /** Lets a SageMaker pipeline's execution role call the guardrail from a LambdaStep. */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return grantInvokeTo(this.function, grantee, 'the promotion guardrail');
  }
}
