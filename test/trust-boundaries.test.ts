import * as path from 'node:path';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { App } from 'aws-cdk-lib';
import { COMPOSITIONS, USER_PREFIX } from './support/nag-compositions';

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

interface Statement {
  readonly Effect?: string;
  readonly Principal?: { readonly Service?: string | string[] } | string;
  readonly Condition?: Record<string, Record<string, unknown>>;
  readonly Action?: string | string[];
}

/** Every template the compositions synthesize, by composition and stack. */
function templates(): Array<{ readonly name: string; readonly resources: Record<string, Resource> }> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-trust-'));
  try {
    return Object.entries(COMPOSITIONS).flatMap(([name, compose]) => {
      const app = new App({ outdir: path.join(outdir, name) });
      compose(app);
      const assembly = app.synth();
      return assembly.stacks.map((stack) => ({ name: `${name}/${stack.stackName}`, resources: (stack.template as { Resources: Record<string, Resource> }).Resources }));
    });
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

const services = (statement: Statement): string[] => {
  const service = typeof statement.Principal === 'object' ? statement.Principal.Service : undefined;
  return service === undefined ? [] : Array.isArray(service) ? service : [service];
};

/** Resource policies that admit an AWS service: topic, queue and key policies. */
function serviceStatements(resource: Resource): Statement[] {
  const document = (resource.Properties?.PolicyDocument ?? resource.Properties?.KeyPolicy) as { Statement?: Statement[] } | undefined;
  if (!['AWS::SNS::TopicPolicy', 'AWS::SQS::QueuePolicy', 'AWS::KMS::Key'].includes(resource.Type) || !document?.Statement) return [];
  return document.Statement.filter((statement) => statement.Effect === 'Allow' && services(statement).length > 0);
}

/** Where a policy names the source a service acts for: `aws:SourceArn` under any ARN or string operator. */
function sourceArnsOf(statement: Statement): unknown[] {
  return Object.values(statement.Condition ?? {}).flatMap((operator) =>
    Object.entries(operator).filter(([key]) => key.toLowerCase() === 'aws:sourcearn').flatMap(([, value]) => [value].flat()),
  );
}

/**
 * Whether a source ARN can only be a resource of this template: a `Ref` or `Fn::GetAtt` of one of its
 * resources, or an ARN without a wildcard built from one or ending in the physical name one of them
 * takes (a key policy names its rule so, as the rule depends on the key's topic). Any pattern could be
 * matched by a rule, topic or schedule someone creates elsewhere in the account.
 */
function withinStack(value: unknown, resources: Record<string, Resource>): boolean {
  const isLocal = (v: unknown): boolean => {
    if (typeof v !== 'object' || v === null) return false;
    const ref = (v as { Ref?: unknown }).Ref;
    const getAtt = (v as { 'Fn::GetAtt'?: unknown[] })['Fn::GetAtt'];
    return (typeof ref === 'string' && ref in resources) || (Array.isArray(getAtt) && String(getAtt[0]) in resources);
  };
  if (isLocal(value)) return true;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] } | null)?.['Fn::Join'];
  if (!join) return false;
  const parts = join[1];
  if (parts.some((part) => typeof part === 'string' && part.includes('*'))) return false;
  const names = new Set(Object.values(resources).map((r) => r.Properties?.Name).filter((name): name is string => typeof name === 'string'));
  const tail = parts.at(-1);
  return parts.some(isLocal) || (typeof tail === 'string' && names.has(tail.slice(tail.lastIndexOf('/') + 1)));
}

describe('trust boundaries in every composition', () => {
  const synthesized = templates();

  test('no invoke permission and no topic, queue or key policy admits a source by a pattern that reaches outside the stack', () => {
    let examined = 0;
    const outside = synthesized.flatMap(({ name, resources }) =>
      Object.entries(resources)
        .filter(([id]) => !id.startsWith(USER_PREFIX))
        .flatMap(([id, resource]) => {
          if (resource.Type === 'AWS::Lambda::Permission') {
            const source = resource.Properties?.SourceArn;
            if (String(resource.Properties?.Principal).endsWith('.amazonaws.com')) examined++;
            return source === undefined || withinStack(source, resources) ? [] : [`${name} ${id}: ${JSON.stringify(source)}`];
          }
          return serviceStatements(resource).flatMap((statement) => {
            const sources = sourceArnsOf(statement);
            examined += sources.length;
            return sources.filter((source) => !withinStack(source, resources)).map((source) => `${name} ${id}: ${JSON.stringify(source)}`);
          });
        }),
    );

    expect(outside).toEqual([]);
    // Every permission a service holds on a function names a source: none admits "any rule" or "any topic".
    const unsourced = synthesized.flatMap(({ name, resources }) =>
      Object.entries(resources)
        .filter(([id, r]) => !id.startsWith(USER_PREFIX) && r.Type === 'AWS::Lambda::Permission' && String(r.Properties?.Principal).endsWith('.amazonaws.com') && r.Properties?.SourceArn === undefined)
        .map(([id]) => `${name} ${id}`),
    );
    expect(unsourced).toEqual([]);
    expect(examined).toBeGreaterThanOrEqual(Object.keys(COMPOSITIONS).length * 2);
  });

  test('every Allow to an AWS service on a topic, queue or key of the library names the source it acts for', () => {
    const unconditioned = synthesized.flatMap(({ name, resources }) =>
      Object.entries(resources)
        .filter(([id]) => !id.startsWith(USER_PREFIX))
        .flatMap(([id, resource]) => serviceStatements(resource)
          // CloudWatch Logs encrypting a log group with a user's key is conditioned on the log group's ARN through kms:EncryptionContext.
          .filter((statement) => !(statement.Condition && ('ArnEquals' in statement.Condition || 'ArnLike' in statement.Condition)))
          .map((statement) => `${name} ${id}: ${services(statement).join(',')} ${JSON.stringify(statement.Action)}`)),
    );

    expect(unconditioned).toEqual([]);
    // The check saw what it is about: the drift topic, its key and the dead-letter queue admit EventBridge.
    const examined = synthesized.flatMap(({ resources }) => Object.values(resources).flatMap(serviceStatements));
    expect(examined.filter((statement) => services(statement).includes('events.amazonaws.com')).length).toBeGreaterThanOrEqual(3);
  }, 300_000);

  test('every function invoked asynchronously (by rules, schedules or topics) sends what still fails after its retries to a dead-letter queue', () => {
    let seen = 0;
    const missing = synthesized.flatMap(({ name, resources }) => {
      const asyncInvoked = new Set(
        Object.values(resources)
          .filter((r) => r.Type === 'AWS::Lambda::Permission' && ['events.amazonaws.com', 'sns.amazonaws.com'].includes(String(r.Properties?.Principal)))
          .map((r) => JSON.stringify(r.Properties?.FunctionName)),
      );
      const configured = new Set(
        Object.values(resources)
          .filter((r) => r.Type === 'AWS::Lambda::EventInvokeConfig' && (r.Properties?.DestinationConfig as { OnFailure?: unknown } | undefined)?.OnFailure)
          .map((r) => JSON.stringify({ 'Fn::GetAtt': [(r.Properties?.FunctionName as { Ref: string }).Ref, 'Arn'] })),
      );
      seen += asyncInvoked.size;
      return [...asyncInvoked].filter((fn) => !configured.has(fn)).map((fn) => `${name}: ${fn}`);
    });

    expect(missing).toEqual([]);
    expect(seen).toBeGreaterThanOrEqual(Object.keys(COMPOSITIONS).length);
  });
});
