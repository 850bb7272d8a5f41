import type { Template } from 'aws-cdk-lib/assertions';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- template JSON, read by the assertions below
type Resource = { [key: string]: any };

/** The trigger id a rule's target sends: its input is `{"triggerId": ..., "event": <the event>}` and nothing else. */
export function triggerIdOf(rule: Resource): string {
  const transformer = rule.Properties.Targets[0].InputTransformer;
  expect(transformer.InputPathsMap).toEqual({ f1: '$' });
  const input = JSON.parse(String(transformer.InputTemplate).replace('<f1>', 'null'));
  expect(Object.keys(input)).toEqual(['triggerId', 'event']);
  return input.triggerId;
}

/** The SSM parameter, of those the deployment writes, that holds the rule's trigger's configuration. */
export function configParameterOf(t: Template, rule: Resource): Resource {
  const triggerId = triggerIdOf(rule);
  const found = Object.values(t.findResources('AWS::SSM::Parameter')).filter((p) => JSON.stringify(p.Properties.Value).includes(`${JSON.stringify(JSON.stringify(triggerId)).slice(1, -1)}:`));
  expect(found).toHaveLength(1);
  return found[0];
}

/**
 * The configuration the deployment writes for the rule's trigger, parsed; a reference in it (its
 * parameter is then an `Fn::Join`) reads as its intrinsic's JSON text, and `parts` holds the join's parts
 * (strings and intrinsics) as CloudFormation receives them, for the whole parameter.
 */
export function deployedConfigOf(t: Template, rule: Resource): { readonly config: Resource; readonly parts?: unknown[] } {
  const value = configParameterOf(t, rule).Properties.Value;
  const parts: unknown[] | undefined = typeof value === 'string' ? undefined : value['Fn::Join'][1];
  const text = parts ? parts.map((part) => (typeof part === 'string' ? part : JSON.stringify(JSON.stringify(part)).slice(1, -1))).join('') : value;
  return { config: JSON.parse(text)[triggerIdOf(rule)], ...(parts ? { parts } : {}) };
}
