import * as cdk from 'aws-cdk-lib';
import { AspectPriority, Aspects, CfnResource, Stack, type IAspect } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * One cdk-nag finding the library answers for, named as cdk-nag v3 names it: `Pack-Rule`, or
 * `Pack-Rule[finding]` for one finding of a rule that reports several (`AwsSolutions-IAM5[Resource::*]`).
 */
export interface NagAcknowledgement {
  readonly id: string;
  readonly reason: string;
}

/**
 * Acknowledges findings on `scope` and on every CloudFormation resource beneath it, for cdk-nag v3
 * (aws-cdk-lib's `Validations`, which v3 reads on the resource and its ancestors) and for v2 (`cdk_nag`
 * metadata, which v2 reads on the resource itself only). The v2 metadata is written at synth, so that a
 * resource created after this call, such as a role's default policy made by a later grant, is covered.
 */
export function acknowledge(scope: IConstruct, ...acknowledgements: NagAcknowledgement[]): void {
  acknowledgementsOf(scope).add(acknowledgements);
}

/**
 * Acknowledgements that depend on what is known only once every construct exists, such as the final
 * settings of a function that several triggers share: `decide` runs at synth, before either major checks.
 */
export function acknowledgeAtSynth(scope: IConstruct, decide: () => NagAcknowledgement[]): void {
  acknowledgementsOf(scope).addAtSynth(decide);
}

/**
 * Acknowledges AwsSolutions-IAM5 for one wildcard resource. cdk-nag names the finding after the resource
 * as it flattens it (`<LogicalId.Arn>`, `<AWS::Partition>`) when it checks: v2 before references between
 * stacks are resolved, v3 after (a reference to another stack's resource then reads
 * `<Stack>:ExportsOutput...`). So the id is computed from the resource as written, at each of those moments.
 */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  const stack = Stack.of(scope);
  const now = (): NagAcknowledgement[] => [{ id: `AwsSolutions-IAM5[Resource::${flatten(stack.resolve(resource))}]`, reason }];
  const acknowledgements = acknowledgementsOf(scope);
  acknowledgements.add(now());
  acknowledgements.addAtSynth(now);
  // Validation runs after references between stacks are resolved and before v3's plugins check.
  scope.node.addValidation({
    validate: () => {
      acknowledgements.add(now());
      return [];
    },
  });
}

/** cdk-nag v3's API, which aws-cdk-lib before `Validations` (such as 2.223) lacks: then only v2's metadata is written. */
interface ValidationsApi {
  of(scope: IConstruct): { acknowledge(...rules: NagAcknowledgement[]): void };
}

function validationsApi(): ValidationsApi | undefined {
  return (cdk as unknown as { Validations?: ValidationsApi }).Validations;
}

/** What one construct acknowledges. */
class ScopeAcknowledgements {
  private readonly settled: NagAcknowledgement[] = [];
  private readonly undecided: Array<() => NagAcknowledgement[]> = [];

  constructor(private readonly scope: IConstruct) {}

  public add(acknowledgements: readonly NagAcknowledgement[]): void {
    for (const acknowledgement of acknowledgements) {
      if (this.settled.some((known) => known.id === acknowledgement.id && known.reason === acknowledgement.reason)) continue;
      this.settled.push(acknowledgement);
      validationsApi()?.of(this.scope).acknowledge(acknowledgement);
    }
  }

  public addAtSynth(decide: () => NagAcknowledgement[]): void {
    this.undecided.push(decide);
  }

  /** Everything acknowledged on the scope, deciding what was left to synth. */
  public all(): readonly NagAcknowledgement[] {
    for (const decide of this.undecided.splice(0)) this.add(decide());
    return this.settled;
  }
}

/**
 * One per stack: holds what each construct in it acknowledges, and at synth writes it, as cdk-nag v2's
 * metadata, onto every CloudFormation resource beneath that construct. It mutates, so it runs before
 * v2's own aspects (default priority) on each resource.
 */
class NagAcknowledgements implements IAspect {
  private readonly scopes = new Map<IConstruct, ScopeAcknowledgements>();

  public of(scope: IConstruct): ScopeAcknowledgements {
    let acknowledgements = this.scopes.get(scope);
    if (!acknowledgements) {
      acknowledgements = new ScopeAcknowledgements(scope);
      this.scopes.set(scope, acknowledgements);
    }
    return acknowledgements;
  }

  public visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node)) return;
    const acknowledgements = node.node.scopes.flatMap((scope) => this.scopes.get(scope)?.all() ?? []);
    if (acknowledgements.length > 0) writeV2Suppressions(node, acknowledgements);
  }
}

function acknowledgementsOf(scope: IConstruct): ScopeAcknowledgements {
  const stack = Stack.of(scope);
  let aspect = Aspects.of(stack).all.find((candidate): candidate is NagAcknowledgements => candidate instanceof NagAcknowledgements);
  if (!aspect) {
    aspect = new NagAcknowledgements();
    Aspects.of(stack).add(aspect, { priority: AspectPriority.MUTATING });
  }
  return aspect.of(scope);
}

/** The metadata key cdk-nag v2 reads suppressions from (its `NagSuppressions` writes the same). */
const V2_METADATA_KEY = 'cdk_nag';

/** v2's form of a suppression, as its `NagSuppressions` writes it. */
interface V2Suppression {
  readonly reason: string;
  readonly id: string;
  readonly applies_to?: string[];
  readonly is_reason_encoded?: boolean;
}

/** Adds the acknowledgements to what the resource's `cdk_nag` metadata already holds (the user's own suppressions stay). */
function writeV2Suppressions(resource: CfnResource, acknowledgements: readonly NagAcknowledgement[]): void {
  const existing: unknown[] = resource.getMetadata(V2_METADATA_KEY)?.rules_to_suppress ?? [];
  const rules = [...existing, ...acknowledgements.map(toV2Suppression)];
  const unique = [...new Map(rules.map((rule) => [JSON.stringify(rule), rule])).values()];
  resource.addMetadata(V2_METADATA_KEY, { rules_to_suppress: unique });
}

/** v2 names the rule in `id` and the finding in `applies_to` (`AwsSolutions-IAM5` + `Resource::*`). */
function toV2Suppression(acknowledgement: NagAcknowledgement): V2Suppression {
  const match = /^([^[]+)\[(.*)\]$/s.exec(acknowledgement.id);
  const [id, finding] = match ? [match[1], match[2]] : [acknowledgement.id, undefined];
  // v2 keeps reasons with characters beyond Latin-1 in base64 and says so.
  const encoded = [...acknowledgement.reason].some((character) => character.codePointAt(0)! > 255);
  return {
    reason: encoded ? Buffer.from(acknowledgement.reason).toString('base64') : acknowledgement.reason,
    id,
    ...(finding !== undefined ? { applies_to: [finding] } : {}),
    ...(encoded ? { is_reason_encoded: true } : {}),
  };
}

/** The same flattening cdk-nag applies to CloudFormation references before it names a finding. */
function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const record = node as Record<string, unknown>;
    if (Array.isArray(record['Fn::Join'])) {
      const [delimiter, items] = record['Fn::Join'] as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if (record['Fn::Sub'] !== undefined) return flatten(record['Fn::Sub']);
    if (Array.isArray(record['Fn::GetAtt'])) {
      const [resource, attribute] = record['Fn::GetAtt'] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    if (record['Fn::ImportValue'] !== undefined) return flatten(record['Fn::ImportValue']);
    if (record.Ref !== undefined) return `<${flatten(record.Ref)}>`;
  }
  return JSON.stringify(node);
}
