import * as iam from 'aws-cdk-lib/aws-iam';
import { Match } from 'aws-cdk-lib/assertions';
import { TrainingPipeline } from '../lib';
import { PIPELINE_ARN, newStack, stackWithPipeline, template } from './support/stacks';

describe('TrainingPipeline', () => {
  test('fromPipelineName builds the ARN in the stack account and region', () => {
    const { stack, pipeline } = stackWithPipeline();

    expect(pipeline.pipelineName).toBe('churn-training');
    expect(stack.resolve(pipeline.pipelineArn)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:eu-west-1:123456789012:pipeline/churn-training']],
    });
  });

  test('fromPipelineArn reads the name from the ARN and keeps the ARN as given', () => {
    const stack = newStack();

    const pipeline = TrainingPipeline.fromPipelineArn(
      stack,
      'Pipeline',
      'arn:aws:sagemaker:us-east-1:210987654321:pipeline/fraud-model',
    );

    expect(pipeline.pipelineName).toBe('fraud-model');
    expect(pipeline.pipelineArn).toBe('arn:aws:sagemaker:us-east-1:210987654321:pipeline/fraud-model');
    expect(pipeline.env).toEqual({ account: '210987654321', region: 'us-east-1' });
  });

  test.each([
    ['an underscore', 'churn_training'],
    ['a leading hyphen', '-churn'],
    ['an empty name', ''],
    ['257 characters', 'a'.repeat(257)],
  ])('fromPipelineName rejects %s', (_what, name) => {
    const stack = newStack();

    expect(() => TrainingPipeline.fromPipelineName(stack, 'Pipeline', name)).toThrow(
      `pipelineName must be 1-256 letters, digits and hyphens, starting with a letter or digit, got '${name}'`,
    );
  });

  test('fromPipelineArn rejects an ARN of another resource type', () => {
    const stack = newStack();

    expect(() =>
      TrainingPipeline.fromPipelineArn(stack, 'Pipeline', 'arn:aws:sagemaker:eu-west-1:123456789012:endpoint/churn'),
    ).toThrow(/pipelineArn must be a SageMaker pipeline ARN .*got 'arn:aws:sagemaker:eu-west-1:123456789012:endpoint\/churn'/);
  });

  test('grantStartExecution allows StartPipelineExecution on this pipeline ARN only', () => {
    const { stack, pipeline } = stackWithPipeline();
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    pipeline.grantStartExecution(role);

    template(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'sagemaker:StartPipelineExecution',
            Effect: 'Allow',
            Resource: {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:eu-west-1:123456789012:pipeline/churn-training']],
            },
          },
        ],
      },
    });
    const statements = Object.values(template(stack).findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement,
    );
    expect(statements.some((statement) => statement.Resource === '*')).toBe(false);
  });

  test('a pipeline referenced by ARN grants on exactly that ARN', () => {
    const stack = newStack();
    const pipeline = TrainingPipeline.fromPipelineArn(stack, 'Pipeline', PIPELINE_ARN);
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    pipeline.grantStartPipelineExecution(role);

    template(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'sagemaker:StartPipelineExecution', Resource: PIPELINE_ARN })] },
    });
  });

  test('metricExecutionsStarted reads SageMaker pipeline metrics by pipeline name', () => {
    const { pipeline } = stackWithPipeline();

    const metric = pipeline.metricExecutionsStarted();

    expect(metric.namespace).toBe('AWS/Sagemaker/ModelBuildingPipeline');
    expect(metric.metricName).toBe('ExecutionStarted');
    expect(metric.dimensions).toEqual({ PipelineName: 'churn-training' });
    expect(metric.statistic).toBe('Sum');
  });
});
