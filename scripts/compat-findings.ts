/**
 * What cdk-nag found in a synthesized cloud assembly, read the way each major reports it, for `npm run compat`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** One unacknowledged finding: the rule, the construct path it was found on, and its level. */
export interface Finding {
  readonly id: string;
  readonly path: string;
  readonly level: 'error' | 'warning';
}

type AssemblyMetadata = Record<string, Array<{ type: string; data: unknown }>>;

/**
 * cdk-nag 2 reports findings as synth annotations: in the cloud assembly manifest, or in the stack's
 * `additionalMetadataFile` where aws-cdk-lib writes them there.
 */
export function nag2Findings(outdir: string, pack: string): Finding[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { metadata?: AssemblyMetadata; additionalMetadataFile?: string }>;
  };
  const findings: Finding[] = [];
  for (const artifact of Object.values(manifest.artifacts)) {
    const metadata: AssemblyMetadata = { ...artifact.metadata };
    if (artifact.additionalMetadataFile) {
      const more = JSON.parse(fs.readFileSync(path.join(outdir, artifact.additionalMetadataFile), 'utf8')) as AssemblyMetadata;
      for (const [constructPath, entries] of Object.entries(more)) metadata[constructPath] = [...(metadata[constructPath] ?? []), ...entries];
    }
    for (const [constructPath, entries] of Object.entries(metadata)) {
      for (const entry of entries) {
        const level = entry.type === 'aws:cdk:error' ? 'error' : entry.type === 'aws:cdk:warning' ? 'warning' : undefined;
        const message = typeof entry.data === 'string' ? entry.data.split('\n')[0] : '';
        if (!level || !(message.startsWith(`${pack}-`) || message.startsWith('CdkNagValidationFailure'))) continue;
        const id = /^([\w-]+)(\[.*\])?:/.exec(message)?.slice(1, 3).join('') ?? message;
        findings.push({ id, path: constructPath.replace(/^\//, ''), level });
      }
    }
  }
  return findings;
}

interface ValidationReport {
  pluginReports: Array<{
    pluginName: string;
    violations: Array<{ ruleName: string; severity?: string; violatingResources?: Array<{ constructPath?: string }>; violatingConstructs?: Array<{ constructPath?: string }> }>;
  }>;
}

/** cdk-nag 3 reports findings, less the acknowledged ones, in the cloud assembly's validation report. */
export function nag3Findings(outdir: string, pack: string): Finding[] {
  const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
  const findings: Finding[] = [];
  for (const plugin of report.pluginReports.filter((p) => p.pluginName.includes(pack))) {
    for (const violation of plugin.violations) {
      const level = violation.severity === 'warning' || violation.severity === 'info' ? 'warning' : 'error';
      for (const resource of [...(violation.violatingResources ?? []), ...(violation.violatingConstructs ?? [])]) {
        findings.push({ id: violation.ruleName, path: resource.constructPath ?? '(unknown)', level });
      }
    }
  }
  return findings;
}

/** Errors and warnings among `findings`, as the table shows them: `2E 1W`. */
export function counts(findings: Finding[]): string {
  const errors = findings.filter((f) => f.level === 'error').length;
  return `${errors}E ${findings.length - errors}W`;
}
