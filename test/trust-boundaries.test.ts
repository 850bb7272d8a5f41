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

describe('trust boundaries in every composition', () => {
  const synthesized = templates();

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
