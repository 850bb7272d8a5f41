import { Match, type Template } from 'aws-cdk-lib/assertions';
import { ScheduledTrigger, type ScheduledTriggerProps } from '../../lib';
import { stackWithPipeline, template } from './stacks';

/** One ScheduledTrigger with id `Trigger` on the test pipeline, synthesized. */
export function synthTrigger(props: Omit<ScheduledTriggerProps, 'pipeline'>) {
  const { stack, pipeline } = stackWithPipeline();
  const trigger = new ScheduledTrigger(stack, 'Trigger', { pipeline, ...props });
  return { stack, trigger, template: template(stack) };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- template JSON, read by the assertions of each test
export type Resource = { [key: string]: any };

/** The stack's scheduled check function: exactly one. */
export function checkFunction(t: Template): [string, Resource] {
  const found = Object.entries(t.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('unlessRanWithin') } }));
  expect(found).toHaveLength(1);
  return found[0];
}

/** The statements of the role policies attached to the function's role. */
export function statementsOf(t: Template, fn: Resource): Resource[] {
  const role = fn.Properties.Role['Fn::GetAtt'][0];
  return Object.values(t.findResources('AWS::IAM::Policy'))
    .filter((policy) => policy.Properties.Roles.some((r: Resource) => r.Ref === role))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}
