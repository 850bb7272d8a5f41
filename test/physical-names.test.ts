import { App, Stack, type StackProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DataArrivalTrigger, EventSource, EventTrigger, TrainingPipeline, TriggerEventBus } from '../lib';

/** EventBridge rule names: 1-64 of these characters. */
const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;

/** The same app code, synthesized for one deployment: construct ids never change, only the stack's props. */
function deployment(props: StackProps): Template {
  const stack = new Stack(new App(), 'MlTriggers', props);
  const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training');
  new DataArrivalTrigger(stack, 'Labels', { pipeline, bucket: s3.Bucket.fromBucketName(stack, 'Data', 'mlops-data') });
  const bus = new TriggerEventBus(stack, 'Bus', { project: 'churn' });
  new EventTrigger(stack, 'OnModel', { pipeline, source: EventSource.named(bus, 'model.added') });
  return Template.fromStack(stack);
}

function ruleNames(t: Template): string[] {
  return Object.values(t.findResources('AWS::Events::Rule')).map((rule) => rule.Properties.Name as string).sort();
}

/** The names of the parameters holding the triggers' configurations. */
function configurationNames(t: Template): string[] {
  return Object.values(t.findResources('AWS::SSM::Parameter')).map((p) => p.Properties.Name as string).sort();
}

/** SSM parameter names: at most 1,011 characters of these, in a path of at most 15 levels. */
const PARAMETER_NAME = /^(\/[a-zA-Z0-9_.-]+){1,15}$/;

describe('physical names are unique per stack, account and region', () => {
  const env = { account: '123456789012', region: 'eu-west-1' };

  test('the same app deployed as two stacks (dev, staging) in one account gets different rule names', () => {
    // Prepare and act: the stack's construct id is the same; only its name differs, as with `stackName: ml-${stage}`.
    const dev = deployment({ env, stackName: 'ml-triggers-dev' });
    const staging = deployment({ env, stackName: 'ml-triggers-staging' });

    // Assess
    expect(ruleNames(dev)).toHaveLength(2);
    expect(ruleNames(dev).filter((name) => ruleNames(staging).includes(name))).toEqual([]);
    expect(configurationNames(dev)).toHaveLength(2);
    expect(configurationNames(dev).filter((name) => configurationNames(staging).includes(name))).toEqual([]);
  });

  test('one stack name in two accounts or two regions gets different rule names', () => {
    const names = [
      deployment({ env, stackName: 'ml-triggers' }),
      deployment({ env: { ...env, account: '210987654321' }, stackName: 'ml-triggers' }),
      deployment({ env: { ...env, region: 'us-east-1' }, stackName: 'ml-triggers' }),
    ].flatMap(ruleNames);

    expect(new Set(names).size).toBe(names.length);
  });

  test('rule and configuration names stay within EventBridge\'s and SSM\'s limits, also in an environment-agnostic stack', () => {
    for (const t of [deployment({ env, stackName: 'a'.repeat(128) }), deployment({})]) {
      const names = configurationNames(t);

      expect(ruleNames(t).every((name) => RULE_NAME.test(name))).toBe(true);
      expect(names).toHaveLength(2);
      expect(names.every((name) => PARAMETER_NAME.test(name) && name.length <= 1011)).toBe(true);
    }
  });
});

describe('bus names are unambiguous', () => {
  test("project 'a-b' on branch 'c' and project 'a' on branch 'b-c' get different buses, each keeping its event source", () => {
    // Prepare
    const stack = new Stack(new App(), 'Buses');

    // Act
    const first = new TriggerEventBus(stack, 'First', { project: 'a-b', branch: 'c' });
    const second = new TriggerEventBus(stack, 'Second', { project: 'a', branch: 'b-c' });

    // Assess
    const names = Object.values(Template.fromStack(stack).findResources('AWS::Events::EventBus')).map((bus) => bus.Properties.Name);
    expect(new Set(names).size).toBe(2);
    expect(names.every((name) => /^[/.\-_A-Za-z0-9]{1,256}$/.test(name))).toBe(true);
    expect([first.eventSource, second.eventSource]).toEqual(['ml-triggers.a-b.c', 'ml-triggers.a.b-c']);
  });
});
