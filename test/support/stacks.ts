import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { TrainingPipeline, type ITrainingPipeline } from '../../lib';

/** A stack in a fresh app, pinned to an account and region so that ARNs read plainly. */
export function newStack(): Stack {
  const app = new App();
  return new Stack(app, 'TestStack', { env: { account: '123456789012', region: 'eu-west-1' } });
}

/** A stack with a reference to the pipeline `churn-training`. */
export function stackWithPipeline(): { stack: Stack; pipeline: ITrainingPipeline } {
  const stack = newStack();
  return { stack, pipeline: TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training') };
}

export const PIPELINE_ARN = 'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/churn-training';

export function template(stack: Stack): Template {
  return Template.fromStack(stack);
}
