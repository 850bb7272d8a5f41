import { Duration } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { RetrainingCoordinator, ScheduledTrigger, TrainingPipeline, TriggerSchedule, type ScheduledTriggerProps } from '../lib';
import { checkFunction, statementsOf, synthTrigger, type Resource } from './support/scheduled-trigger-synth';
import { stackWithPipeline, template } from './support/stacks';


const arnOf = (pipelineName: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:sagemaker:eu-west-1:123456789012:pipeline/${pipelineName}`]] });
const PIPELINE_ARN = arnOf('churn-training');

const AT_LEAST_WEEKLY: Omit<ScheduledTriggerProps, 'pipeline'> = {
  schedule: TriggerSchedule.rate(Duration.hours(1)),
  unlessRanWithin: Duration.days(7),
  parameters: { TrainingMode: 'deadline' },
};



function coordinatorId(t: Template): string {
  return Object.keys(t.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: Match.objectLike({ COORDINATOR_POLICY: Match.anyValue() }) } } }))[0];
}

/** The configurations the deployment writes for the check function, by trigger id. */
function deployedConfigs(t: Template): Record<string, Resource> {
  const parameters = Object.values(t.findResources('AWS::SSM::Parameter', { Properties: { Name: Match.stringLikeRegexp('^/cdk-ml-triggers/mls-') } }));
  // A reference (the coordinator's ARN) makes the value an Fn::Join: it reads as its intrinsic's JSON text.
  const textOf = (value: string | Resource) =>
    typeof value === 'string' ? value : value['Fn::Join'][1].map((part: unknown) => (typeof part === 'string' ? part : JSON.stringify(JSON.stringify(part)).slice(1, -1))).join('');
  return Object.assign({}, ...parameters.map((p) => JSON.parse(textOf(p.Properties.Value))));
}

describe('ScheduledTrigger with unlessRanWithin', () => {
  test("the schedule invokes the stack's check function with the trigger's id and the scheduled time, nothing else", () => {
    // Prepare
    const { template: t } = synthTrigger(AT_LEAST_WEEKLY);

    // Act
    const [fnId, fn] = checkFunction(t);
    const schedule = Object.values(t.findResources('AWS::Scheduler::Schedule'))[0];

    // Assess
    expect(fn.Properties).toMatchObject({ Handler: 'index.handler', Runtime: 'nodejs22.x' });
    expect(schedule.Properties).toMatchObject({ ScheduleExpression: 'rate(1 hour)', Target: { Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } } });
    expect(schedule.Properties.Target.SageMakerPipelineParameters).toBeUndefined();
    const input = JSON.parse(schedule.Properties.Target.Input);
    expect(input).toEqual({ triggerId: expect.stringMatching(/^Trigger-[0-9a-f]{8}$/), scheduledTime: '<aws.scheduler.scheduled-time>' });
  });

  test('the deployment writes the window, the pipeline, the schedule and the parameters for the function to read', () => {
    // Prepare
    const { template: t } = synthTrigger(AT_LEAST_WEEKLY);

    // Act
    const configs = deployedConfigs(t);
    const input = JSON.parse(Object.values(t.findResources('AWS::Scheduler::Schedule'))[0].Properties.Target.Input);

    // Assess
    expect(configs[input.triggerId]).toEqual({
      triggerId: input.triggerId,
      pipelineName: 'churn-training',
      withinSeconds: 604_800,
      schedule: 'rate(1 hour)',
      parameters: { TrainingMode: 'deadline' },
    });
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ TRIGGER_CONFIG_PATH: Match.stringLikeRegexp('^/cdk-ml-triggers/mls-[0-9a-f]{8}/$') }) } });
  });

  test('the function may list and start this pipeline only, and read its configurations', () => {
    // Prepare
    const { template: t } = synthTrigger(AT_LEAST_WEEKLY);

    // Act
    const statements = statementsOf(t, checkFunction(t)[1]);

    // Assess
    const sagemaker = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('sagemaker:')));
    expect(sagemaker).toEqual([
      expect.objectContaining({ Action: 'sagemaker:ListPipelineExecutions', Resource: PIPELINE_ARN }),
      expect.objectContaining({ Action: 'sagemaker:StartPipelineExecution', Resource: PIPELINE_ARN }),
    ]);
    expect(statements.some((s) => s.Action === 'ssm:GetParametersByPath')).toBe(true);
    expect(statements.some((s) => [s.Action].flat().some((a: string) => a.startsWith('lambda:')))).toBe(false);
  });

  test('through a coordinator, the function may ask it and not start the pipeline itself', () => {
    // Prepare
    const { stack, pipeline } = stackWithPipeline();
    const coordinator = new RetrainingCoordinator(stack, 'Coordinator');
    new ScheduledTrigger(stack, 'Trigger', { pipeline, ...AT_LEAST_WEEKLY, coordinator, priority: 2 });
    const t = template(stack);

    // Act
    const [, fn] = checkFunction(t);
    const statements = statementsOf(t, fn);
    const config = Object.values(deployedConfigs(t))[0];

    // Assess
    expect(statements.filter((s) => [s.Action].flat().includes('sagemaker:StartPipelineExecution'))).toEqual([]);
    expect(statements.some((s) => s.Action === 'sagemaker:ListPipelineExecutions' && JSON.stringify(s.Resource) === JSON.stringify(PIPELINE_ARN))).toBe(true);
    expect(statements.some((s) => [s.Action].flat().includes('lambda:InvokeFunction'))).toBe(true);
    expect(config).toMatchObject({ priority: 2, coordinatorFunction: JSON.stringify({ 'Fn::GetAtt': [coordinatorId(t), 'Arn'] }) });
  });

  test('triggers of a stack share one function, listing each pipeline once; a plain schedule adds none', () => {
    // Prepare
    const { stack, pipeline } = stackWithPipeline();
    const features = TrainingPipeline.fromPipelineName(stack, 'Features', 'churn-features');
    new ScheduledTrigger(stack, 'Weekly', { pipeline, ...AT_LEAST_WEEKLY });
    new ScheduledTrigger(stack, 'Daily', { pipeline, schedule: TriggerSchedule.rate(Duration.hours(2)), unlessRanWithin: Duration.days(1) });
    new ScheduledTrigger(stack, 'FeaturesWeekly', { pipeline: features, ...AT_LEAST_WEEKLY });
    new ScheduledTrigger(stack, 'Nightly', { pipeline, schedule: TriggerSchedule.rate(Duration.days(1)) });
    const t = template(stack);

    // Act
    const statements = statementsOf(t, checkFunction(t)[1]);

    // Assess
    t.resourceCountIs('AWS::Lambda::Function', 1);
    t.resourceCountIs('AWS::Scheduler::Schedule', 4);
    expect(statements.filter((s) => s.Action === 'sagemaker:ListPipelineExecutions').map((s) => s.Resource)).toEqual([
      PIPELINE_ARN,
      arnOf('churn-features'),
    ]);
    expect(Object.keys(deployedConfigs(t))).toHaveLength(3);
  });

  test('the missed-run alarm waits for the window and a firing after it', () => {
    // Prepare
    const { template: t } = synthTrigger({ schedule: TriggerSchedule.rate(Duration.hours(1)), unlessRanWithin: Duration.days(3) });

    // Act
    const alarm = Object.values(t.findResources('AWS::CloudWatch::Alarm')).find((a) => a.Properties.MetricName === 'ExecutionStarted')!.Properties;

    // Assess: 3 days + 1 hour + 15 minutes of grace
    const watchedSeconds = alarm.Period * alarm.EvaluationPeriods;
    expect(watchedSeconds).toBeGreaterThanOrEqual(3 * 86_400 + 75 * 60);
    expect(watchedSeconds - alarm.Period).toBeLessThan(3 * 86_400 + 75 * 60);
  });

  test.each([
    ['shorter than the schedule fires', TriggerSchedule.rate(Duration.hours(6)), Duration.hours(2), "unlessRanWithin must be at least the schedule's longest interval, 6 hours for rate(6 hours), got 2 hours: lengthen it, or fire the schedule more often"],
    ['shorter than a cron leaves between firings', TriggerSchedule.cron('0 3 ? * MON-FRI *'), Duration.days(2), "unlessRanWithin must be at least the schedule's longest interval, 3 days for cron(0 3 ? * MON-FRI *), got 2 days"],
    ['longer than a year', TriggerSchedule.rate(Duration.hours(1)), Duration.days(400), 'unlessRanWithin must be between 1 minute and 365 days, got 400 days'],
    ['not whole minutes', TriggerSchedule.rate(Duration.hours(1)), Duration.seconds(150), 'unlessRanWithin must be a whole number of minutes, got 2 minutes 30 seconds: the schedule fires in whole minutes'],
  ])('fails synth when unlessRanWithin is %s, naming the prop, the value and the fix', (_name, schedule, unlessRanWithin, message) => {
    // Prepare
    const { stack, pipeline } = stackWithPipeline();

    // Act
    const create = () => new ScheduledTrigger(stack, 'Trigger', { pipeline, schedule, unlessRanWithin });

    // Assess
    expect(create).toThrow(message);
  });
});
