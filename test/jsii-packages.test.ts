import * as fs from 'node:fs';
import * as path from 'node:path';
import { jsiiPackages, relativeImports, rewriteImports, sourceClosure } from '../scripts/jsii-packages';
import { pythonExamples } from '../scripts/jsii-docs';
import { withTempDir } from './support/temp-dir';

const REPO = path.resolve(__dirname, '..');
const [aws, gcp] = jsiiPackages('0.1.0');

describe('the jsii packages', () => {
  test('compile the AWS constructs without the Google ones, the publish client or the command line', () => {
    // Act
    const { files, rewritten } = sourceClosure(REPO, aws);

    // Assess
    expect(files).toContain('lib/index.ts');
    expect(files).toContain('lib/private/handler-code.ts');
    expect(files).toContain('lambda/core/contracts/coordinator.ts');
    expect(files.filter((file) => /^lib\/(gcp|azure|publish|cli)\//.test(file) || file.startsWith('lambda/aws/'))).toEqual([]);
    expect(rewritten).toEqual([]);
  });

  test('carry only their own cloud\'s function bundles: the AWS package no Google or Azure function app, no command', () => {
    // Act
    const bundled = aws.assets(REPO);

    // Assess
    expect(bundled).toContain('batcher');
    expect(bundled.filter((name) => ['gcp', 'azure', 'cli'].includes(name))).toEqual([]);
    expect(gcp.assets(REPO)).toEqual(['gcp']);
  });

  test('compile the Google constructs with the shared core, importing the AWS package for its public types', () => {
    // Act
    const { files, rewritten } = sourceClosure(REPO, gcp);

    // Assess: the neutral core and the private helpers are copied; public AWS files never are.
    expect(files).toContain('lib/gcp/index.ts');
    expect(files).toContain('lambda/core/pipeline-parameters.ts');
    expect(files.filter((file) => /^lib\/[^/]+\.ts$/.test(file))).toEqual([]);
    expect(rewritten).toEqual(['lib/trigger-schedule.ts']);
  });

  test("rewrite the Google constructs' relative imports of AWS public files, and no other import", () => {
    // Prepare
    const source = [
      "import { ScheduleKind, type TriggerSchedule } from '../trigger-schedule';",
      "import { packageRoot } from '../private/handler-code';",
      "import { deploymentHash } from './deployment-hash';",
    ].join('\n');

    // Act
    const rewritten = rewriteImports('lib/gcp/cloud-scheduler-schedule.ts', source, gcp);

    // Assess
    expect(rewritten.split('\n')).toEqual([
      "import { ScheduleKind, type TriggerSchedule } from 'cdk-ml-triggers';",
      "import { packageRoot } from '../private/handler-code';",
      "import { deploymentHash } from './deployment-hash';",
    ]);
    expect(rewriteImports('lib/index.ts', source, aws)).toBe(source);
  });

  test('find relative imports and re-exports across lines, and not package imports', () => {
    // Prepare
    const source = "import {\n  a,\n  b,\n} from './a';\nimport type * as s3 from 'aws-cdk-lib/aws-s3';\nexport * from '../b';\nconst s = 'from ./c';";

    // Act
    const found = relativeImports(source);

    // Assess
    expect(found).toEqual(['./a', '../b']);
  });

  test("give the AWS package the README without the regions that are not its API, and the Google one only its region", () => {
    // Prepare
    const readme = [
      '# lib', 'intro', '<!-- jsii: omit -->', '### Publishing', "import 'cdk-ml-triggers/publish'", '<!-- jsii: end -->',
      '<!-- jsii: gcp -->', '## Google', "import { VertexPipeline } from 'cdk-ml-triggers/gcp';", '<!-- jsii: end -->', 'outro', '',
    ].join('\n');

    // Act
    const awsReadme = aws.readme(readme);
    const gcpReadme = gcp.readme(readme);

    // Assess
    expect(awsReadme).toBe('# lib\nintro\noutro\n');
    expect(gcpReadme).toBe("# cdk-ml-triggers-gcp\n\n## Google\nimport { VertexPipeline } from 'cdk-ml-triggers-gcp';\n");
  });

  test('refuse a README without the Google region', () => {
    expect(() => gcp.readme('# lib\n')).toThrow(/no <!-- jsii: gcp --> region/);
  });

  test("declare jsii dependencies only: AWS users never install Terraform's packages", () => {
    expect(Object.keys(aws.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
    expect(Object.keys(gcp.peerDependencies).sort()).toEqual(['@cdktf/provider-google', 'aws-cdk-lib', 'cdk-ml-triggers', 'cdktf', 'constructs']);
  });
});

describe("the README's Python minimal example", () => {
  let dir: string;
  withTempDir('ml-triggers-tablet-', (made) => (dir = made));

  const readme = (python: string) =>
    ['## A minimal example', '', '```ts nofixture', "new Thing(stack, 'Id');", '```', '', '<!-- python: minimal-example -->', '```python', python, '```', ''].join('\n');
  const tablet = (typescript: string, python: string) => ({
    version: '2',
    snippets: { key: { translations: { $: { source: typescript }, python: { source: python } } } },
  });

  test("is replaced by the tablet's translation of the TypeScript example", () => {
    // Prepare
    fs.writeFileSync(path.join(dir, '.jsii.tabl.json'), JSON.stringify(tablet("new Thing(stack, 'Id');", 'Thing(stack, "Id")')));

    // Act
    const updated = pythonExamples(readme('old_python()'), dir);

    // Assess
    expect(updated).toBe(readme('Thing(stack, "Id")'));
  });

  test('fails when the tablet has no translation of the current TypeScript', () => {
    // Prepare: the tablet is of an older example.
    fs.writeFileSync(path.join(dir, '.jsii.tabl.json'), JSON.stringify(tablet("new Other(stack, 'Id');", 'Other(stack, "Id")')));

    // Act / Assess
    expect(() => pythonExamples(readme('old_python()'), dir)).toThrow(/no Python translation/);
  });

  test('fails when the README lost its marker', () => {
    expect(() => pythonExamples('## A minimal example\n\n```ts nofixture\nx;\n```\n', dir)).toThrow(/no <!-- python: minimal-example --> marker/);
  });
});
