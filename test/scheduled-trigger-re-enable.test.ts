import { App, Duration, Stack, TimeZone } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ReEnable, RetrainingCoordinator, ScheduledTrigger, TrainingPipeline, TriggerSchedule, type ScheduledTriggerProps } from '../lib';
import { byUser } from './support/nag-acknowledgements';
import { ENV } from './support/nag-compositions';
import { NAG_MAJORS, NAG_PACKS, runNag } from './support/nag-findings';
import { checkFunction, statementsOf, synthTrigger, type Resource } from './support/scheduled-trigger-synth';


const NIGHTLY: Omit<ScheduledTriggerProps, 'pipeline'> = {
  schedule: TriggerSchedule.cron('0 3 * * ? *'),
  timeZone: TimeZone.EUROPE_BERLIN,
  enabled: false,
  whenReEnabled: ReEnable.catchUp({ maxAge: Duration.days(3) }),
};



/** The configurations the deployment writes for the check function, by trigger id (literal values only). */
function deployedConfigs(t: Template): Record<string, Resource> {
  const parameters = Object.values(t.findResources('AWS::SSM::Parameter', { Properties: { Name: Match.stringLikeRegexp('^/cdk-ml-triggers/mls-') } }));
  return Object.assign({}, ...parameters.map((p) => JSON.parse(p.Properties.Value)));
}

function configurationPathOf(t: Template): string {
  const [parameter] = Object.values(t.findResources('AWS::SSM::Parameter', { Properties: { Name: Match.stringLikeRegexp('^/cdk-ml-triggers/mls-') } }));
  return (parameter.Properties.Name as string).replace(/configs-\d+$/, '');
}

describe('ScheduledTrigger whenReEnabled', () => {
  test("a catch-up writes its schedule, enabled, time zone and maxAge where the check function reads them, and the schedule still starts the pipeline", () => {
    // Prepare
    const { template: t } = synthTrigger({ ...NIGHTLY, startDate: new Date('2027-01-01T00:00:00Z') });

    // Act
    const configs = Object.values(deployedConfigs(t));
    const schedule = Object.values(t.findResources('AWS::Scheduler::Schedule'))[0];

    // Assess
    expect(configs).toEqual([
      expect.objectContaining({
        schedule: 'cron(0 3 * * ? *)',
        enabled: false,
        whenReEnabled: { mode: 'catch-up', maxAgeSeconds: 3 * 86_400, timeZone: 'Europe/Berlin', startDate: '2027-01-01T00:00:00.000Z' },
      }),
    ]);
    expect(configs[0].withinSeconds).toBeUndefined();
    expect(JSON.stringify(schedule.Properties.Target.Arn)).toContain(':sagemaker:eu-west-1:123456789012:pipeline/churn-training');
    expect(schedule.Properties.State).toBe('DISABLED');
  });

  test("the stack's rule matches Parameter Store changes under the check function's path and invokes it with a fixed input", () => {
    // Prepare
    const { template: t } = synthTrigger(NIGHTLY);
    const [fnId] = checkFunction(t);

    // Act
    const rules = Object.values(t.findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['aws.ssm'] } } }));

    // Assess
    expect(rules).toHaveLength(1);
    expect(rules[0].Properties.Name).toMatch(/^mls-[0-9a-f]{8}-configuration-changes$/);
    expect(rules[0].Properties.EventPattern).toEqual({
      source: ['aws.ssm'],
      'detail-type': ['Parameter Store Change'],
      detail: { name: [{ prefix: configurationPathOf(t) }] },
    });
    expect(rules[0].Properties.Targets).toEqual([
      expect.objectContaining({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] }, Input: JSON.stringify({ configurationChanged: 'read-the-configurations' }) }),
    ]);
    t.hasResourceProperties('AWS::Lambda::Permission', { FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] }, Principal: 'events.amazonaws.com', SourceArn: Match.anyValue() });
  });

  test("the function may read the history of this stack's configuration path only, and start the pipeline", () => {
    // Prepare
    const { template: t } = synthTrigger(NIGHTLY);
    const [, fn] = checkFunction(t);

    // Act
    const statements = statementsOf(t, fn);
    const history = statements.filter((s) => [s.Action].flat().includes('ssm:GetParameterHistory'));

    // Assess
    expect(history).toHaveLength(1);
    expect(history[0].Action).toBe('ssm:GetParameterHistory');
    expect(JSON.stringify(history[0].Resource)).toContain(`:parameter${configurationPathOf(t)}*`);
    expect(statements.some((s) => [s.Action].flat().includes('sagemaker:StartPipelineExecution'))).toBe(true);
    expect(statements.some((s) => [s.Action].flat().includes('sagemaker:ListPipelineExecutions'))).toBe(true);
  });

  test('two catch-up triggers in a stack share one rule', () => {
    // Prepare
    const stack = new Stack(new App(), 'Two', { env: ENV });
    const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training');

    // Act
    new ScheduledTrigger(stack, 'A', { pipeline, ...NIGHTLY });
    new ScheduledTrigger(stack, 'B', { pipeline, schedule: TriggerSchedule.rate(Duration.hours(6)), unlessRanWithin: Duration.days(1), whenReEnabled: ReEnable.catchUp() });

    // Assess
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::Events::Rule', 1);
    const configs = Object.values(deployedConfigs(t));
    expect(configs.map((c) => c.whenReEnabled?.maxAgeSeconds).sort()).toEqual([3 * 86_400, 7 * 86_400]);
    const enabled = configs.find((c) => c.withinSeconds === 86_400);
    expect(enabled?.whenReEnabled).toEqual({ mode: 'catch-up', maxAgeSeconds: 7 * 86_400, timeZone: 'Etc/UTC' });
    expect(enabled?.enabled).toBeUndefined();
  });

  test('behind a coordinator, the function may ask the coordinator and not start the pipeline itself', () => {
    // Prepare
    const stack = new Stack(new App(), 'Coordinated', { env: ENV });
    const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training');
    const coordinator = new RetrainingCoordinator(stack, 'Coordinator');

    // Act
    new ScheduledTrigger(stack, 'Trigger', { pipeline, ...NIGHTLY, coordinator });
    const t = Template.fromStack(stack);

    // Assess
    const [, fn] = checkFunction(t);
    const statements = statementsOf(t, fn);
    expect(statements.some((s) => [s.Action].flat().includes('sagemaker:StartPipelineExecution'))).toBe(false);
    expect(statements.some((s) => [s.Action].flat().includes('lambda:InvokeFunction'))).toBe(true);
  });

  test('skip, the default, writes no configuration and no rule', () => {
    // Prepare, Act
    const { template: t } = synthTrigger({ schedule: TriggerSchedule.cron('0 3 * * ? *'), enabled: false });
    const { template: skipping } = synthTrigger({ schedule: TriggerSchedule.cron('0 3 * * ? *'), enabled: false, whenReEnabled: ReEnable.skip() });

    // Assess
    for (const template of [t, skipping]) {
      template.resourceCountIs('AWS::Events::Rule', 0);
      template.resourceCountIs('AWS::SSM::Parameter', 0);
      template.resourceCountIs('AWS::Lambda::Function', 0);
    }
  });

  test('skip with unlessRanWithin writes the configuration it wrote before, without whenReEnabled', () => {
    // Prepare, Act
    const { template: t } = synthTrigger({ schedule: TriggerSchedule.rate(Duration.hours(1)), unlessRanWithin: Duration.days(7), whenReEnabled: ReEnable.skip() });

    // Assess
    expect(Object.values(deployedConfigs(t))[0].whenReEnabled).toBeUndefined();
    t.resourceCountIs('AWS::Events::Rule', 0);
  });

  test("the schedule names its trigger in the template's metadata, the id its configuration is written under", () => {
    // Act
    const { template: t, trigger } = synthTrigger(NIGHTLY);
    const { template: skipping, trigger: skipper } = synthTrigger({ schedule: TriggerSchedule.rate(Duration.hours(1)) });

    // Assess
    const [schedule] = Object.values(t.findResources('AWS::Scheduler::Schedule'));
    expect(trigger.triggerId).toMatch(/^Trigger-[0-9a-f]{8}$/);
    expect(schedule.Metadata['cdk-ml-triggers:triggerId']).toBe(trigger.triggerId);
    expect(Object.keys(deployedConfigs(t))).toEqual([trigger.triggerId]);
    expect(Object.values(skipping.findResources('AWS::Scheduler::Schedule'))[0].Metadata['cdk-ml-triggers:triggerId']).toBe(skipper.triggerId);
  });

  test('maxObjects fails at synth with a message naming the prop', () => {
    expect(() => synthTrigger({ ...NIGHTLY, whenReEnabled: ReEnable.catchUp({ maxObjects: 10 }) })).toThrow(
      'whenReEnabled.maxObjects does not apply to a scheduled trigger, got 10',
    );
  });

  test.each(NAG_MAJORS.flatMap((major) => NAG_PACKS.map((pack) => [major, pack] as const)))("cdk-nag %s %s reports nothing on the library's resources of a scheduled trigger that catches up", (major, pack) => {
    // Prepare
    const compose = (app: App) => {
      const stack = new Stack(app, 'ScheduledCatchUp', { env: ENV });
      const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training');
      new ScheduledTrigger(stack, 'Nightly', { pipeline, ...NIGHTLY });
    };

    // Act
    const { findings } = runNag(compose, [major]);

    // Assess
    expect(findings[`${major} ${pack}`].filter((finding) => !byUser(finding))).toEqual([]);
  }, 120_000);
});
