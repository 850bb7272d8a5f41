import { CfnResource, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { USER_PREFIX } from './nag-compositions';

/** Whether a finding or acknowledgement is on the user's own resources rather than the library's. */
export const byUser = (finding: { path: string }) => finding.path.split('/').some((part) => part.startsWith(USER_PREFIX));

export function allConstructs(root: IConstruct): IConstruct[] {
  return [root, ...root.node.children.flatMap(allConstructs)];
}

export function v3Acknowledgements(root: IConstruct): Array<{ path: string; id: string; reason: string }> {
  return allConstructs(root).flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      // aws-cdk-lib from 2.262.1 on qualifies the id (`Annotation::`), as cdk-nag v3 knows
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ path: construct.node.path, id: id.replace(/^annotation::/i, ''), reason }))),
  );
}

export function v2Suppressions(root: IConstruct): Array<{ path: string; id: string; reason: string; applies_to?: string[] }> {
  return allConstructs(root)
    .filter(CfnResource.isCfnResource)
    .flatMap((resource) => ((resource.getMetadata('cdk_nag')?.rules_to_suppress ?? []) as Array<{ id: string; reason: string }>).map((rule) => ({ path: resource.node.path, ...rule })));
}
