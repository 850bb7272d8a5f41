import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Aspects } from 'aws-cdk-lib';
import * as nag3 from 'cdk-nag';
import * as nag2 from 'cdk-nag-v2';

/** One finding cdk-nag reports: the rule (with its finding, as `Rule[finding]`) and the CloudFormation resource's path. */
export interface NagFinding {
  readonly rule: string;
  readonly path: string;
}

/** One finding cdk-nag v2 did not report because it was suppressed, with the reason it gave. */
export interface NagSuppressed extends NagFinding {
  readonly reason: string;
}

export const NAG_MAJORS = ['v2', 'v3'] as const;
export const NAG_PACKS = ['AwsSolutions', 'Serverless'] as const;
export type NagMajor = (typeof NAG_MAJORS)[number];
export type NagPackName = (typeof NAG_PACKS)[number];

export interface NagRun {
  readonly app: App;
  readonly findings: Record<`${NagMajor} ${NagPackName}`, NagFinding[]>;
  /** What v2 suppressed (v3 does not say what it skipped). */
  readonly suppressed: Record<`v2 ${NagPackName}`, NagSuppressed[]>;
  /**
   * What aws-cdk-lib's own validation reported besides cdk-nag's annotations: with the flags `cdk init`
   * sets, it checks every template against its default rules and fails synth on an error annotation.
   */
  readonly validation: NagFinding[];
}

interface ValidationReport {
  readonly pluginReports: ReadonlyArray<{
    readonly violations: ReadonlyArray<{ readonly ruleName: string; readonly violatingConstructs?: ReadonlyArray<{ readonly constructPath?: string }> }>;
  }>;
}

/**
 * Builds an app with `compose` and runs both packs of both majors over it the way users register them:
 * v2 as aspects (`Aspects.of(app).add(...)`, checked during synth), v3 over the synthesized tree, which
 * is what its validation plugin sees (without failing synth on a finding). v3 needs aws-cdk-lib's
 * `Validations`: leave it out (`majors`) to check as on an aws-cdk-lib that lacks them. `context` sets
 * feature flags, such as the ones `cdk init` writes into a new app's cdk.json.
 */
export function runNag(compose: (app: App) => void, majors: readonly NagMajor[] = NAG_MAJORS, context: Record<string, unknown> = {}): NagRun {
  const app = new App({ context });
  compose(app);
  const loggers = { AwsSolutions: new CollectingLogger(), Serverless: new CollectingLogger() };
  Aspects.of(app).add(new nag2.AwsSolutionsChecks({ reports: false, additionalLoggers: [loggers.AwsSolutions] }));
  Aspects.of(app).add(new nag2.ServerlessChecks({ reports: false, additionalLoggers: [loggers.Serverless] }));
  try {
    app.synth();
  } catch (error) {
    // cdk-nag v2's findings are error annotations, which fail synth under `@aws-cdk/core:annotationsInValidationReport`;
    // the loggers hold them, and the report holds anything else that failed.
    if (!/ValidationFailed|Validation failed/.test(String(error))) throw error;
  }
  const reportFile = path.join(app.outdir, 'validation-report.json');
  const report: ValidationReport = fs.existsSync(reportFile) ? JSON.parse(fs.readFileSync(reportFile, 'utf8')) : { pluginReports: [] };
  return {
    validation: report.pluginReports.flatMap((plugin) =>
      plugin.violations
        .filter((violation) => violation.ruleName !== 'Annotation::error-annotation')
        .flatMap((violation) => (violation.violatingConstructs ?? []).map((c) => ({ rule: violation.ruleName, path: c.constructPath ?? '(unknown)' }))),
    ),
    app,
    findings: {
      'v2 AwsSolutions': loggers.AwsSolutions.findings,
      'v2 Serverless': loggers.Serverless.findings,
      'v3 AwsSolutions': majors.includes('v3') ? v3Findings(app, new nag3.AwsSolutionsChecks()) : [],
      'v3 Serverless': majors.includes('v3') ? v3Findings(app, new nag3.ServerlessChecks()) : [],
    },
    suppressed: { 'v2 AwsSolutions': loggers.AwsSolutions.suppressed, 'v2 Serverless': loggers.Serverless.suppressed },
  };
}

function v3Findings(app: App, pack: nag3.NagPack): NagFinding[] {
  return pack.validateScope(app).violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => ({ rule: violation.ruleName, path: resource.constructPath ?? resource.resourceLogicalId ?? '(unknown)' })),
  );
}

class CollectingLogger implements nag2.INagLogger {
  public readonly findings: NagFinding[] = [];
  public readonly suppressed: NagSuppressed[] = [];

  public onNonCompliance(data: nag2.NagLoggerNonComplianceData): void {
    this.findings.push({ rule: ruleOf(data.ruleId, data.findingId), path: data.resource.node.path });
  }

  public onError(data: nag2.NagLoggerErrorData): void {
    this.findings.push({ rule: `${data.ruleId} (the rule failed: ${data.errorMessage})`, path: data.resource.node.path });
  }

  public onSuppressed(data: nag2.NagLoggerSuppressedData): void {
    this.suppressed.push({ rule: ruleOf(data.ruleId, data.findingId), path: data.resource.node.path, reason: data.suppressionReason });
  }

  public onSuppressedError(data: nag2.NagLoggerSuppressedErrorData): void {
    this.suppressed.push({ rule: data.ruleId, path: data.resource.node.path, reason: data.errorSuppressionReason });
  }

  public onCompliance(): void {}
  public onNotApplicable(): void {}
}

function ruleOf(ruleId: string, findingId: string): string {
  return findingId ? `${ruleId}[${findingId}]` : ruleId;
}
