import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { CONFIGURATION_CHANGED } from '../lambda/core/contracts/re-enable';
import { parseEventTriggerConfig } from '../lambda/core/contracts/event-trigger';
import { EventSource, EventTrigger, ReEnable, TrainingPipeline, TriggerEventBus, type EventTriggerProps } from '../lib';
import { deployedConfigOf } from './support/deployed-config';
import { template } from './support/stacks';
import { byUser } from './support/nag-acknowledgements';
import { ENV } from './support/nag-compositions';
import { NAG_MAJORS, NAG_PACKS, runNag } from './support/nag-findings';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- template JSON, read by the assertions below
type Resource = { [key: string]: any };

/** Event triggers on one bus of a new stack: `triggers` gives each trigger's props but the pipeline. */
function synth(triggers: (bus: TriggerEventBus) => Record<string, Omit<EventTriggerProps, 'pipeline'>>, busProps = {}) {
  const stack = new Stack(new App(), 'Events', { env: ENV });
  const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training');
  const bus = new TriggerEventBus(stack, 'Bus', { project: 'churn', branch: 'main', ...busProps });
  for (const [id, props] of Object.entries(triggers(bus))) new EventTrigger(stack, id, { pipeline, ...props });
  return { stack, template: template(stack) };
}

const triggerRules = (t: Template): Resource[] => Object.values(t.findResources('AWS::Events::Rule', { Properties: { Description: Match.stringLikeRegexp('^cdk-ml-triggers: [a-z]+ trigger ') } }));
const changeRules = (t: Template): Resource[] => Object.values(t.findResources('AWS::Events::Rule')).filter((rule) => rule.Properties.EventPattern?.source?.[0] === 'aws.ssm');
const statementsWith = (t: Template, action: string): Resource[] =>
  Object.values(t.findResources('AWS::IAM::Policy')).flatMap((policy) => policy.Properties.PolicyDocument.Statement).filter((statement: Resource) => [statement.Action].flat().includes(action));

describe('EventTrigger turned back on', () => {
  test('by default skips: no rule on configuration changes, no replay permission, and the configuration as before', () => {
    const { template: t } = synth((bus) => ({ Trigger: { source: EventSource.named(bus, 'model.added'), enabled: false } }));

    expect(changeRules(t)).toEqual([]);
    expect(statementsWith(t, 'events:StartReplay')).toEqual([]);
    const { config } = deployedConfigOf(t, triggerRules(t)[0]);
    expect(config).not.toHaveProperty('whenReEnabled');
    expect(config).not.toHaveProperty('enabled');
  });

  test("with catch-up, one rule on Parameter Store's changes under the events function's path invokes it with a fixed input", () => {
    // Act
    const { template: t } = synth((bus) => ({
      First: { source: EventSource.named(bus, 'model.added'), whenReEnabled: ReEnable.catchUp() },
      Second: { source: EventSource.join(bus, ['data.updated', 'features.ready'], { within: Duration.hours(1) }), whenReEnabled: ReEnable.catchUp() },
    }));

    // Assess
    const [fn] = Object.values(t.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { JOIN_TABLE_NAME: Match.anyValue() } } } }));
    const path = fn.Properties.Environment.Variables.TRIGGER_CONFIG_PATH;
    expect(path).toMatch(/^\/cdk-ml-triggers\/mle-[0-9a-f]{8}\/$/);
    const changes = changeRules(t);
    expect(changes).toHaveLength(1);
    expect(changes[0].Properties.EventPattern).toEqual({ source: ['aws.ssm'], 'detail-type': ['Parameter Store Change'], detail: { name: [{ prefix: path }] } });
    expect(changes[0].Properties.Targets).toEqual([
      expect.objectContaining({ Input: JSON.stringify(CONFIGURATION_CHANGED), DeadLetterConfig: { Arn: expect.anything() }, RetryPolicy: { MaximumEventAgeInSeconds: 21_600, MaximumRetryAttempts: 20 } }),
    ]);
    t.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ConfigurationChanges'), 'Arn'] } });
  });

  test("writes the catch-up into the configuration: the bus's archive, this trigger's rule, and the bounds (1,000 events, 7 days by default)", () => {
    // Act
    const { template: t } = synth((bus) => ({
      Off: { source: EventSource.named(bus, 'model.added'), enabled: false, whenReEnabled: ReEnable.catchUp() },
      Bounded: { source: EventSource.named(bus, 'model.deleted'), whenReEnabled: ReEnable.catchUp({ maxObjects: 20, maxAge: Duration.days(2) }) },
    }));

    // Assess
    const [off, bounded] = triggerRules(t).map((rule) => ({ rule, config: deployedConfigOf(t, rule).config }));
    expect(off.config).toMatchObject({ enabled: false, whenReEnabled: { mode: 'catch-up', maxEvents: 1000, maxAgeSeconds: 604_800 } });
    expect(bounded.config).not.toHaveProperty('enabled');
    expect(bounded.config.whenReEnabled).toMatchObject({ mode: 'catch-up', maxEvents: 20, maxAgeSeconds: 172_800 });
    const [archiveId] = Object.keys(t.findResources('AWS::Events::Archive'));
    expect(off.config.whenReEnabled.archiveArn).toBe(JSON.stringify({ 'Fn::GetAtt': [archiveId, 'Arn'] }));
    // The rule's ARN is formatted from its name under the bus: the configuration cannot reference the rule, which invokes the function that depends on it.
    expect(off.config.whenReEnabled.ruleArn).toContain(`:rule/`);
    expect(off.config.whenReEnabled.ruleArn).toContain(`/${off.rule.Properties.Name}`);
    expect(parseEventTriggerConfig({ ...off.config, whenReEnabled: { ...off.config.whenReEnabled, archiveArn: 'arn:aws:events:eu-west-1:123456789012:archive/a', busArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/b', ruleArn: 'arn:aws:events:eu-west-1:123456789012:rule/b/r' } })).toMatchObject({ ok: true });
  });

  test("the function may start replays from the bus's archive to the catching-up triggers' rules only, see those rules, and read the configurations' history", () => {
    // Act
    const { template: t } = synth((bus) => ({
      CatchesUp: { source: EventSource.named(bus, 'model.added'), whenReEnabled: ReEnable.catchUp() },
      Skips: { source: EventSource.named(bus, 'model.deleted') },
    }));

    // Assess
    const replays = statementsWith(t, 'events:StartReplay');
    expect(replays).toHaveLength(1);
    const [archiveId] = Object.keys(t.findResources('AWS::Events::Archive'));
    const [catchesUp, skips] = triggerRules(t);
    const resources = JSON.stringify(replays[0].Resource);
    expect(replays[0].Resource[0]).toEqual({ 'Fn::GetAtt': [archiveId, 'Arn'] });
    expect(resources).toContain(catchesUp.Properties.Name);
    expect(resources).not.toContain(skips.Properties.Name);
    expect(replays[0].Resource).toHaveLength(2);
    const describe = statementsWith(t, 'events:DescribeRule');
    expect(describe).toHaveLength(1);
    expect(JSON.stringify(describe[0].Resource)).toContain(catchesUp.Properties.Name);
    expect(JSON.stringify(describe[0].Resource)).not.toContain(skips.Properties.Name);
    const history = statementsWith(t, 'ssm:GetParameterHistory');
    expect(history).toHaveLength(1);
    expect(JSON.stringify(history[0].Resource)).toMatch(/parameter\/cdk-ml-triggers\/mle-[0-9a-f]{8}\/\*/);
  });

  test("a TriggerEventBus's own archive serves the catch-ups: no second archive", () => {
    const { template: t } = synth((bus) => ({ Trigger: { source: EventSource.named(bus, 'model.added'), whenReEnabled: ReEnable.catchUp() } }));

    t.resourceCountIs('AWS::Events::Archive', 1);
  });

  test('on a bus of your own, one archive of the catching-up triggers\' events, kept for the longest maxAge in whole days', () => {
    // Prepare
    const stack = new Stack(new App(), 'Imported', { env: ENV });
    const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training');
    const bus = TriggerEventBus.fromEventBus(stack, 'Bus', events.EventBus.fromEventBusName(stack, 'Platform', 'platform'), { project: 'churn' });

    // Act
    new EventTrigger(stack, 'Short', { pipeline, source: EventSource.named(bus, 'model.added'), whenReEnabled: ReEnable.catchUp({ maxAge: Duration.hours(30) }) });
    new EventTrigger(stack, 'Long', { pipeline, source: EventSource.anyOf(bus, ['model.deleted', 'model.added']), whenReEnabled: ReEnable.catchUp({ maxAge: Duration.hours(49) }) });
    new EventTrigger(stack, 'Skips', { pipeline, source: EventSource.named(bus, 'deployment.failed') });

    // Assess
    const t = template(stack);
    t.resourceCountIs('AWS::Events::Archive', 1);
    t.hasResourceProperties('AWS::Events::Archive', {
      RetentionDays: 3,
      EventPattern: { source: ['ml-triggers.churn.main'], 'detail-type': ['model.added', 'model.deleted'] },
      SourceArn: Match.anyValue(),
    });
  });

  test.each<[string, (bus: TriggerEventBus, stack: Stack) => Omit<EventTriggerProps, 'pipeline'>, string]>([
    [
      'a chain on another pipeline',
      (_bus, stack) => ({ source: EventSource.afterPipeline(TrainingPipeline.fromPipelineName(stack, 'Upstream', 'features')), whenReEnabled: ReEnable.catchUp() }),
      'whenReEnabled must be ReEnable.skip() for an EventTrigger whose source is EventSource.afterPipeline, got ReEnable.catchUp()',
    ],
    [
      "a maxAge longer than the bus's archive keeps events",
      (bus) => ({ source: EventSource.named(bus, 'model.added'), whenReEnabled: ReEnable.catchUp({ maxAge: Duration.days(10) }) }),
      "whenReEnabled.maxAge must be at most the bus's archiveRetention (7 days), got 10 days",
    ],
  ])('%s fails at synth with a message naming whenReEnabled', (_what, props, message) => {
    const act = () => {
      const stack = new Stack(new App(), 'Rejected', { env: ENV });
      const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training');
      const bus = new TriggerEventBus(stack, 'Bus', { archiveRetention: Duration.days(7) });
      new EventTrigger(stack, 'Trigger', { pipeline, ...props(bus, stack) });
    };

    expect(act).toThrow(message);
  });

  test.each(NAG_MAJORS.flatMap((major) => NAG_PACKS.map((pack) => [major, pack] as const)))("cdk-nag %s %s reports nothing on the library's resources of an event trigger that catches up", (major, pack) => {
    // Prepare
    const compose = (app: App) => {
      const stack = new Stack(app, 'CatchUp', { env: ENV });
      const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training');
      const bus = new TriggerEventBus(stack, 'Bus', { project: 'churn' });
      new EventTrigger(stack, 'Trigger', { pipeline, source: EventSource.named(bus, 'model.added'), enabled: false, whenReEnabled: ReEnable.catchUp() });
    };

    // Act
    const { findings } = runNag(compose, [major]);

    // Assess
    expect(findings[`${major} ${pack}`].filter((finding) => !byUser(finding))).toEqual([]);
  }, 120_000);
});
