import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArtifactMetadataEntryType, ArtifactType, Manifest } from 'aws-cdk-lib/cloud-assembly-schema';

/**
 * The closing lines of `npm run synth` and `npm run synth:gcp`: what was written, where, and how big,
 * read back from the output folder rather than taken on trust from the app.
 */

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;
const readJson = (file: string): unknown => JSON.parse(fs.readFileSync(file, 'utf8'));

/** A CloudFormation cloud assembly (`cdk.out`): one line per stack, then the validation report. */
export function summarizeCloudAssembly(outDir: string, show: (file: string) => string = (file) => file): string[] {
  const manifest = Manifest.loadAssemblyManifest(path.join(outDir, 'manifest.json'));
  const lines: string[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== ArtifactType.AWS_CLOUDFORMATION_STACK) continue;
    const templateFile = (artifact.properties as { templateFile: string }).templateFile;
    const template = readJson(path.join(outDir, templateFile)) as { Resources?: Record<string, unknown> };
    const facts = [plural(Object.keys(template.Resources ?? {}).length, 'resource')];
    // The stack's own asset manifest lists its template too; that one is not an asset of the app.
    const assetFiles = (artifact.dependencies ?? [])
      .map((dependency) => manifest.artifacts?.[dependency])
      .filter((dependency) => dependency?.type === ArtifactType.ASSET_MANIFEST)
      .map((assets) => Manifest.loadAssetManifest(path.join(outDir, (assets?.properties as { file: string }).file)))
      .flatMap((assets) => [...Object.values(assets.files ?? {}), ...Object.values(assets.dockerImages ?? {})])
      .filter((asset) => !('path' in asset.source && asset.source.path === templateFile));
    facts.push(plural(assetFiles.length, 'asset'));
    // Newer apps write the construct metadata to a file of its own instead of the manifest.
    const extraMetadata = artifact.additionalMetadataFile ? readJson(path.join(outDir, artifact.additionalMetadataFile)) : {};
    const warnings = [artifact.metadata ?? {}, extraMetadata as typeof artifact.metadata]
      .flatMap((metadata) => Object.values(metadata ?? {}).flat())
      .filter((entry) => entry.type === ArtifactMetadataEntryType.WARN).length;
    if (warnings > 0) facts.push(plural(warnings, 'warning'));
    lines.push(`wrote ${show(path.join(outDir, templateFile))} (stack ${id}): ${facts.join(', ')}`);
  }
  const reportFile = path.join(outDir, 'validation-report.json');
  if (fs.existsSync(reportFile)) {
    const reports = Manifest.loadValidationReport(reportFile).pluginReports;
    const findings = reports.flatMap((report) => report.violations.map(() => report.pluginName));
    const verdict = findings.length === 0 ? 'clean' : `${plural(findings.length, 'finding')} from ${[...new Set(findings)].join(', ')}`;
    lines.push(`validation report ${show(reportFile)}: ${verdict}`);
  }
  return lines;
}

type TerraformJson = Readonly<Partial<Record<'resource' | 'data', Record<string, Record<string, unknown>>>>>;
const countBlocks = (blocks: Record<string, Record<string, unknown>> = {}): number =>
  Object.values(blocks).reduce((sum, byName) => sum + Object.keys(byName).length, 0);

/** A CDK for Terraform output folder (`cdktf.out`): one line per stack. */
export function summarizeTerraformOut(outDir: string, show: (file: string) => string = (file) => file): string[] {
  const manifest = readJson(path.join(outDir, 'manifest.json')) as {
    stacks: Record<string, { synthesizedStackPath: string; workingDirectory: string }>;
  };
  return Object.entries(manifest.stacks).map(([id, stack]) => {
    const stackFile = path.join(outDir, stack.synthesizedStackPath);
    const config = readJson(stackFile) as TerraformJson;
    const assetsDir = path.join(outDir, stack.workingDirectory, 'assets');
    const assets = fs.existsSync(assetsDir) ? fs.readdirSync(assetsDir).length : 0;
    const facts = [plural(countBlocks(config.resource), 'resource'), plural(countBlocks(config.data), 'data source'), plural(assets, 'asset')];
    return `wrote ${show(stackFile)} (stack ${id}): ${facts.join(', ')}`;
  });
}

// `tsx scripts/synth-summary.ts [outDir]`: cdk.out by default; a folder holding a CDK for Terraform
// manifest (one with `stacks`) is read as such.
if (require.main === module) {
  const outDir = process.argv[2] ?? 'cdk.out';
  const show = (file: string): string => path.relative(process.cwd(), path.resolve(file));
  try {
    const manifest = readJson(path.join(outDir, 'manifest.json')) as { stacks?: unknown };
    const lines = manifest.stacks ? summarizeTerraformOut(outDir, show) : summarizeCloudAssembly(outDir, show);
    for (const line of lines) console.log(line);
  } catch (error) {
    console.error(`could not summarize ${outDir}: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
