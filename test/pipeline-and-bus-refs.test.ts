import { App, Resource, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { DataArrivalTrigger, DriftSource, DriftTrigger, EventSource, EventTrigger, ScheduledTrigger, TrainingPipeline, TriggerEventBus, TriggerSchedule, type IRetrainingCoordinator } from '../lib';
import { newStack } from './support/stacks';

/** A pipeline defined in the app itself, as teams that build their pipelines with CDK have it. */
function cfnPipeline(stack: Stack, name = 'churn-training'): sagemaker.CfnPipeline {
  return new sagemaker.CfnPipeline(stack, 'OwnPipeline', {
    pipelineName: name,
    roleArn: 'arn:aws:iam::123456789012:role/pipeline-role',
    pipelineDefinition: { PipelineDefinitionBody: '{"Version":"2020-12-01","Steps":[]}' },
  });
}

const OWN_PIPELINE_ARN = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:eu-west-1:123456789012:pipeline/', { Ref: 'OwnPipeline' }]],
};

/** A pipeline as another construct library models it: aws-cdk-lib's IPipeline, with its own ARN. */
class ExternalPipeline extends Resource implements sagemaker.IPipeline {
  public readonly pipelineName: string;
  constructor(scope: Construct, id: string, public readonly pipelineArn: string) {
    super(scope, id, { environmentFromArn: pipelineArn });
    this.pipelineName = pipelineArn.split('/').pop()!;
  }
  public get pipelineRef(): sagemaker.PipelineReference {
    return { pipelineName: this.pipelineName };
  }
  public grantStartPipelineExecution(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:StartPipelineExecution'], resourceArns: [this.pipelineArn] });
  }
}

/** The policy statements of every role in the template that allow starting a pipeline. */
function startGrants(template: Template): unknown[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
    (policy.Properties.PolicyDocument.Statement as Array<{ Action: unknown; Resource: unknown }>)
      .filter((statement) => statement.Action === 'sagemaker:StartPipelineExecution')
      .map((statement) => statement.Resource),
  );
}

describe('triggers accept the pipelines and buses teams already have', () => {
  test('a ScheduledTrigger starts a CfnPipeline of the same stack by its Ref, and the schedule may start only that pipeline', () => {
    // Prepare
    const stack = newStack();
    const pipeline = cfnPipeline(stack);

    // Act
    new ScheduledTrigger(stack, 'Nightly', { pipeline, schedule: TriggerSchedule.cron('0 3 * * ? *') });

    // Assess
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Scheduler::Schedule', { Target: { Arn: OWN_PIPELINE_ARN } });
    expect(startGrants(template)).toEqual([OWN_PIPELINE_ARN]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Sagemaker/ModelBuildingPipeline',
      Dimensions: [{ Name: 'PipelineName', Value: { Ref: 'OwnPipeline' } }],
    });
  });

  test("another library's sagemaker.IPipeline keeps its own ARN, in another account", () => {
    // Prepare
    const stack = newStack();
    const pipeline = new ExternalPipeline(stack, 'Shared', 'arn:aws:sagemaker:eu-west-1:210987654321:pipeline/shared-training');

    // Act
    const adapted = TrainingPipeline.of(stack, pipeline);
    new DataArrivalTrigger(stack, 'NewData', { pipeline, bucket: s3.Bucket.fromBucketName(stack, 'Data', 'data-bucket') });

    // Assess
    expect(adapted.pipelineName).toBe('shared-training');
    expect(adapted.pipelineArn).toBe('arn:aws:sagemaker:eu-west-1:210987654321:pipeline/shared-training');
    expect(startGrants(Template.fromStack(stack))).toEqual(['arn:aws:sagemaker:eu-west-1:210987654321:pipeline/shared-training']);
  });

  test('triggers given the same CfnPipeline share one reference, whichever is created first', () => {
    // Prepare
    const stack = newStack();
    const pipeline = cfnPipeline(stack);

    // Act
    new DriftTrigger(stack, 'Drift', { pipeline, sources: [DriftSource.alarmStateChange({ alarmNamePrefix: 'drift-' })] });
    new ScheduledTrigger(stack, 'Nightly', { pipeline, schedule: TriggerSchedule.cron('0 3 * * ? *') });

    // Assess: one reference at the stack's root, named by the pipeline's path, not by the order of the triggers.
    const references = stack.node.children.filter((child) => child instanceof TrainingPipeline);
    expect(references).toHaveLength(1);
    expect(references[0].node.id).toMatch(/^PipelineRef[0-9a-f]{12}$/);
    expect(TrainingPipeline.of(stack, pipeline)).toBe(references[0]);
  });

  test('a reference without env, as aws-cdk-lib before 2.222 makes them, is placed in its stack\'s account and region', () => {
    // Prepare: a construct that names a pipeline and nothing else.
    const stack = newStack();
    const bare = new Construct(stack, 'Bare') as Construct & { pipelineRef: sagemaker.PipelineReference };
    Object.defineProperty(bare, 'pipelineRef', { value: { pipelineName: 'older-pipeline' } });

    // Act
    const adapted = TrainingPipeline.fromPipelineRef(stack, 'Older', bare as unknown as sagemaker.IPipelineRef);

    // Assess
    expect(stack.resolve(adapted.pipelineArn)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:eu-west-1:123456789012:pipeline/older-pipeline']],
    });
  });

  test('a TrainingPipeline passes through unchanged', () => {
    // Prepare
    const stack = newStack();
    const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training');

    // Act and assess
    expect(TrainingPipeline.of(stack, pipeline)).toBe(pipeline);
    expect(pipeline.pipelineRef).toEqual({ pipelineName: 'churn-training' });
  });

  test('an EventTrigger chains on a CfnPipeline of another stack through a cross-stack reference', () => {
    // Prepare
    const app = new App();
    const env = { account: '123456789012', region: 'eu-west-1' };
    const pipelines = new Stack(app, 'Pipelines', { env });
    const upstream = cfnPipeline(pipelines, 'feature-engineering');
    const triggers = new Stack(app, 'Triggers', { env });

    // Act
    new EventTrigger(triggers, 'AfterFeatures', { pipeline: TrainingPipeline.fromPipelineName(triggers, 'Training', 'churn-training'), source: EventSource.afterPipeline(upstream) });

    // Assess: the rule matches the upstream pipeline's ARN, imported from the stack that defines it.
    Template.fromStack(triggers).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        source: ['aws.sagemaker'],
        detail: {
          pipelineArn: [{ 'equals-ignore-case': { 'Fn::Join': ['', Match.arrayWith([{ 'Fn::ImportValue': Match.stringLikeRegexp('Pipelines') }])] } }],
          currentPipelineExecutionStatus: ['Succeeded'],
        },
      }),
    });
  });

  test("an EventTrigger listens on a team's existing bus with the namespace's source, and creates no bus or archive", () => {
    // Prepare
    const stack = newStack();
    const existing = events.EventBus.fromEventBusName(stack, 'PlatformBus', 'platform-events');
    const bus = TriggerEventBus.fromEventBus(stack, 'Events', existing, { project: 'churn', branch: 'main' });
    const publisher = new iam.Role(stack, 'Publisher', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    // Act
    new EventTrigger(stack, 'AutoDeploy', { source: EventSource.named(bus, 'model.added'), pipeline: TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'auto-deploy') });
    bus.grantPublish(publisher);

    // Assess
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Events::EventBus', 0);
    template.resourceCountIs('AWS::Events::Archive', 0);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'platform-events',
      EventPattern: { source: ['ml-triggers.churn.main'], 'detail-type': ['model.added'] },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [Match.objectLike({ Action: 'events:PutEvents', Condition: { StringEquals: { 'events:source': 'ml-triggers.churn.main' } } })],
      },
    });
    expect(bus.publishTarget).toEqual({ eventBusName: 'platform-events', source: 'ml-triggers.churn.main' });
  });

  test('an existing bus gets the same namespace checks as a new one', () => {
    // Prepare
    const stack = newStack();
    const existing = events.EventBus.fromEventBusName(stack, 'PlatformBus', 'platform-events');

    // Act and assess
    expect(() => TriggerEventBus.fromEventBus(stack, 'Events', existing, { branch: 'main' })).toThrow("branch 'main' needs a project");
    expect(() => TriggerEventBus.fromEventBus(stack, 'Upper', existing, { project: 'Churn' })).toThrow("project must be 1-32 lowercase letters, digits, - or _, got 'Churn'");
    expect(TriggerEventBus.fromEventBus(stack, 'Plain', existing).eventSource).toBe('ml-triggers');
  });

  test('a trigger takes any IRetrainingCoordinator: it asks that function and lets it start the pipeline', () => {
    // Prepare: a coordinator of the team's own, behind the interface.
    const stack = newStack();
    const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training');
    const allowed: string[] = [];
    const fn = lambda.Function.fromFunctionArn(stack, 'TeamGate', 'arn:aws:lambda:eu-west-1:123456789012:function:team-gate');
    const coordinator: IRetrainingCoordinator = Object.assign(new Construct(stack, 'TeamCoordinator'), {
      function: fn,
      allowPipeline: (allowedPipeline: { pipelineName: string }) => void allowed.push(allowedPipeline.pipelineName),
      grantRequest: (grantee: iam.IGrantable) => fn.grantInvoke(grantee),
    });

    // Act
    new DataArrivalTrigger(stack, 'NewData', { pipeline, bucket: s3.Bucket.fromBucketName(stack, 'Data', 'data-bucket'), coordinator });

    // Assess: the batcher may invoke the team's function, and the coordinator was told of the pipeline.
    expect(allowed).toEqual(['churn-training']);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'lambda:InvokeFunction', Resource: Match.arrayWith(['arn:aws:lambda:eu-west-1:123456789012:function:team-gate']) })]) },
    });
  });
});
