import { Arn, ArnFormat, Resource, Stack, Token, type IEnvironmentAware } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import type { Construct } from 'constructs';
import { PIPELINE_NAME } from '../lambda/core/contracts/shared';
import { shortHash } from './private/short-hash';

/** The CloudWatch namespace where SageMaker publishes pipeline execution metrics. */
export const PIPELINE_METRICS_NAMESPACE = 'AWS/Sagemaker/ModelBuildingPipeline';

/** A SageMaker pipeline that triggers can start. */
export interface ITrainingPipeline extends sagemaker.IPipeline, sagemaker.IPipelineRef {
  /** Grants `sagemaker:StartPipelineExecution` on this pipeline only. */
  grantStartExecution(grantee: iam.IGrantable): iam.Grant;

  /**
   * Executions of this pipeline that started, from SageMaker's own metrics
   * (`AWS/Sagemaker/ModelBuildingPipeline`, `ExecutionStarted`, by `PipelineName`).
   */
  metricExecutionsStarted(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/**
 * A reference to an existing SageMaker pipeline, the thing every trigger starts.
 *
 * The pipeline itself is defined elsewhere (SageMaker Python SDK, Studio, CloudFormation);
 * this library only decides when it runs.
 */
export class TrainingPipeline extends Resource implements ITrainingPipeline {
  /** References a pipeline in this stack's account and region by name. */
  public static fromPipelineName(scope: Construct, id: string, pipelineName: string): ITrainingPipeline {
    validatePipelineName(pipelineName);
    const pipelineArn = Stack.of(scope).formatArn({
      service: 'sagemaker',
      resource: 'pipeline',
      resourceName: pipelineName,
    });
    return new TrainingPipeline(scope, id, pipelineName, pipelineArn);
  }

  /** References a pipeline by ARN, which may be in another account or region. */
  public static fromPipelineArn(scope: Construct, id: string, pipelineArn: string): ITrainingPipeline {
    if (Token.isUnresolved(pipelineArn)) {
      const pipelineName = Arn.split(pipelineArn, ArnFormat.SLASH_RESOURCE_NAME).resourceName!;
      return new TrainingPipeline(scope, id, pipelineName, pipelineArn);
    }
    const components = Arn.split(pipelineArn, ArnFormat.SLASH_RESOURCE_NAME);
    if (components.service !== 'sagemaker' || components.resource !== 'pipeline' || !components.resourceName) {
      throw new Error(
        `pipelineArn must be a SageMaker pipeline ARN such as arn:aws:sagemaker:eu-west-1:123456789012:pipeline/my-pipeline, got '${pipelineArn}'`,
      );
    }
    validatePipelineName(components.resourceName);
    return new TrainingPipeline(scope, id, components.resourceName, pipelineArn);
  }

  /**
   * References a pipeline that aws-cdk-lib already knows: a `sagemaker.CfnPipeline` defined in this app,
   * `sagemaker.Pipeline.fromPipelineName(...)`, or any other `IPipelineRef`. The ARN is the reference's
   * own where it has one, and otherwise is built in the reference's account and region.
   */
  public static fromPipelineRef(scope: Construct, id: string, pipeline: sagemaker.IPipelineRef): ITrainingPipeline {
    const pipelineName = pipeline.pipelineRef.pipelineName;
    validatePipelineName(pipelineName);
    const ownArn = (pipeline as Partial<sagemaker.IPipeline>).pipelineArn;
    // aws-cdk-lib before 2.222 gives references no `env`: the account and region are then the stack's.
    const env = (pipeline as Partial<IEnvironmentAware>).env;
    const pipelineArn =
      typeof ownArn === 'string'
        ? ownArn
        : Arn.format({ service: 'sagemaker', resource: 'pipeline', resourceName: pipelineName, account: env?.account, region: env?.region }, Stack.of(pipeline));
    return new TrainingPipeline(scope, id, pipelineName, pipelineArn);
  }

  /**
   * The pipeline a trigger is given, as an `ITrainingPipeline`: the pipeline itself when it is one, and
   * otherwise one reference per pipeline per stack (`fromPipelineRef`), whichever trigger asks first.
   */
  public static of(scope: Construct, pipeline: sagemaker.IPipelineRef): ITrainingPipeline {
    if (isTrainingPipeline(pipeline)) return pipeline;
    const stack = Stack.of(scope);
    const id = `PipelineRef${shortHash(pipeline.node.path, 12)}`;
    return (stack.node.tryFindChild(id) as ITrainingPipeline | undefined) ?? TrainingPipeline.fromPipelineRef(stack, id, pipeline);
  }

  public readonly pipelineName: string;
  public readonly pipelineArn: string;

  private constructor(
    scope: Construct,
    id: string,
    pipelineName: string,
    pipelineArn: string,
  ) {
    super(scope, id, { environmentFromArn: pipelineArn });
    this.pipelineName = pipelineName;
    this.pipelineArn = pipelineArn;
  }

  public get pipelineRef(): sagemaker.PipelineReference {
    return { pipelineName: this.pipelineName };
  }

  public grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sagemaker:StartPipelineExecution'],
      resourceArns: [this.pipelineArn],
    });
  }

  /** Same as `grantStartExecution`, under the name aws-cdk-lib's `IPipeline` uses. */
  public grantStartPipelineExecution(grantee: iam.IGrantable): iam.Grant {
    return this.grantStartExecution(grantee);
  }

  public metricExecutionsStarted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: PIPELINE_METRICS_NAMESPACE,
      metricName: 'ExecutionStarted',
      dimensionsMap: { PipelineName: this.pipelineName },
      statistic: cloudwatch.Stats.SUM,
      ...props,
    });
  }
}

function isTrainingPipeline(pipeline: sagemaker.IPipelineRef): pipeline is ITrainingPipeline {
  const candidate = pipeline as Partial<ITrainingPipeline>;
  return typeof candidate.grantStartExecution === 'function' && typeof candidate.metricExecutionsStarted === 'function';
}

function validatePipelineName(pipelineName: string): void {
  if (Token.isUnresolved(pipelineName)) return;
  if (!PIPELINE_NAME.test(pipelineName)) {
    throw new Error(
      `pipelineName must be 1-256 letters, digits and hyphens, starting with a letter or digit, got '${pipelineName}'`,
    );
  }
}
