import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { COMPOSITIONS, USER_PREFIX } from './support/nag-compositions';
import { withTempDir } from './support/temp-dir';

/**
 * Warnings of cfn-lint that templates may carry, each with why it stays. Anything else, and every
 * error, fails the test.
 */
const ACKNOWLEDGED_WARNINGS: Readonly<Record<string, string>> = {
  W3005:
    "aws-cdk-lib's lambda.Function makes each function depend on its role and the role's default policy, so that " +
    'the policy exists before the function can first run; cfn-lint notes that the role dependency is also implied by `Fn::GetAtt`. ' +
    'The explicit dependency is harmless and belongs to aws-cdk-lib.',
};

interface Finding {
  readonly Rule: { readonly Id: string };
  readonly Level: string;
  readonly Message: string;
  readonly Filename: string;
  readonly Location: { readonly Path?: readonly (string | number)[] };
}

/** Findings on the resources a composition's user created (named `User...`) are theirs, not the library's. */
const onUserResource = (finding: Finding): boolean =>
  finding.Location.Path?.[0] === 'Resources' && String(finding.Location.Path[1]).startsWith(USER_PREFIX);

/** Runs the machine's cfn-lint, an independent validator of CloudFormation templates, over the templates. */
function cfnLint(templates: readonly string[]): Finding[] {
  try {
    const out = execFileSync('cfn-lint', ['--format', 'json', '--non-zero-exit-code', 'none', '--', ...templates], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(out || '[]') as Finding[];
  } catch (error) {
    throw new Error(`cfn-lint could not run (is it installed? python3 -m pip install cfn-lint): ${(error as Error).message}`);
  }
}

describe('cfn-lint over every composition the tests synthesize', () => {
  let outdir: string;
  withTempDir('ml-triggers-cfn-lint-', (dir) => (outdir = dir), 'all');

  test('reports no error, and only acknowledged warnings', () => {
    const templates: string[] = [];
    for (const [name, compose] of Object.entries(COMPOSITIONS)) {
      const app = new App({ outdir: path.join(outdir, name) });
      compose(app);
      const assembly = app.synth();
      templates.push(...assembly.stacks.map((stack) => path.join(assembly.directory, stack.templateFile)));
    }

    const findings = cfnLint(templates);

    const unexpected = findings.filter((f) => f.Level === 'Error' || (!onUserResource(f) && !(f.Rule.Id in ACKNOWLEDGED_WARNINGS)));
    expect(unexpected.map((f) => `${f.Level} ${f.Rule.Id} ${path.relative(outdir, f.Filename)}: ${f.Message}`)).toEqual([]);
    expect(templates.length).toBeGreaterThanOrEqual(Object.keys(COMPOSITIONS).length);
    // The linter ran and saw the templates: the acknowledged warning is there, on library resources.
    expect(findings.some((f) => f.Rule.Id === 'W3005' && !onUserResource(f))).toBe(true);
  }, 300_000);
});
