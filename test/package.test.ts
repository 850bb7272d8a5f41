import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

const repo = path.resolve(__dirname, '..');
const installedVersion = (name: string): string =>
  JSON.parse(fs.readFileSync(path.join(repo, 'node_modules', name, 'package.json'), 'utf8')).version;

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// A user's CDK app, in plain JavaScript, that only knows the published package.
const USER_APP = `
const { App, Stack, Duration } = require('aws-cdk-lib');
const { Bucket } = require('aws-cdk-lib/aws-s3');
const { DataArrivalTrigger, ScheduledTrigger, TrainingPipeline, TriggerSchedule } = require('cdk-ml-triggers');

const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'UserStack');
const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'user-pipeline');
new ScheduledTrigger(stack, 'Nightly', {
  pipeline,
  schedule: TriggerSchedule.rate(Duration.hours(24)),
  parameters: { TrainingMode: 'scheduled' },
});
new DataArrivalTrigger(stack, 'NewData', { pipeline, bucket: Bucket.fromBucketName(stack, 'Data', 'user-data'), batchSize: 50 });
app.synth();
`;

describe('the published package', () => {
  let workdir: string;
  let appDir: string;
  let packed: { filename: string; files: Array<{ path: string }> };
  beforeAll(() => {
    // Prepare: build and pack exactly what would be published, and a throwaway app that installs it
    // with its peers, as a user would.
    workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-pack-'));
    run('npm', ['run', 'build'], repo);
    packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', workdir], repo))[0];
    appDir = path.join(workdir, 'user-app');
    fs.mkdirSync(appDir);
    fs.writeFileSync(path.join(appDir, 'package.json'), JSON.stringify({ name: 'user-app', private: true }));
    fs.writeFileSync(path.join(appDir, 'app.js'), USER_APP);
    run(
      'npm',
      [
        'install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts',
        path.join(workdir, packed.filename),
        `aws-cdk-lib@${installedVersion('aws-cdk-lib')}`,
        `constructs@${installedVersion('constructs')}`,
        `@aws-sdk/client-eventbridge@${installedVersion('@aws-sdk/client-eventbridge')}`,
      ],
      appDir,
    );
  }, 300_000);
  afterAll(() => fs.rmSync(workdir, { recursive: true, force: true }));

  test('installs from its tarball into a separate app that synthesizes a ScheduledTrigger and a DataArrivalTrigger', () => {
    // Act: synthesize the user's app.
    run('node', ['app.js', 'cdk.out'], appDir);

    // Assess: the template holds the schedule, and the package holds compiled code only.
    const template = JSON.parse(fs.readFileSync(path.join(appDir, 'cdk.out', 'UserStack.template.json'), 'utf8'));
    type ScheduleResource = {
      Type: string;
      Properties: { ScheduleExpression: string; Target: { SageMakerPipelineParameters: { PipelineParameterList: unknown[] } } };
    };
    const schedules = Object.values(template.Resources as Record<string, ScheduleResource>).filter(
      (resource) => resource.Type === 'AWS::Scheduler::Schedule' && resource.Properties.ScheduleExpression !== 'rate(1 minute)',
    );
    expect(schedules).toHaveLength(1);
    expect(schedules[0].Properties.ScheduleExpression).toBe('rate(1 day)');
    expect(schedules[0].Properties.Target.SageMakerPipelineParameters.PipelineParameterList).toEqual([
      { Name: 'TrainingMode', Value: 'scheduled' },
    ]);
    const functions = Object.values(template.Resources as Record<string, { Type: string; Properties: { Handler?: string; Code?: { S3Key?: string } } }>)
      .filter((resource) => resource.Type === 'AWS::Lambda::Function' && resource.Properties.Code?.S3Key !== undefined);
    expect(functions).toHaveLength(1);
    expect(functions[0].Properties.Code?.S3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
    const files: string[] = packed.files.map((file: { path: string }) => file.path);
    expect(files).toContain('assets/batcher/index.js');
    expect(files).toContain('assets/coordinator/index.js');
    expect(files).toContain('bin/cdk-ml-triggers.js');
    // The operator command is installed and answers without AWS access when it is called wrongly.
    const cli = path.join(appDir, 'node_modules', '.bin', 'cdk-ml-triggers');
    let usage = '';
    try {
      execFileSync(cli, ['approve'], { cwd: appDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const failed = error as { status: number; stderr: string };
      expect(failed.status).toBe(2);
      usage = failed.stderr;
    }
    expect(usage).toContain('usage: cdk-ml-triggers <approve|reject>');
    expect(run(cli, ['--version'], appDir)).toBe(`${JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')).version}\n`);
    expect(files).toContain('dist/lib/index.js');
    expect(files).toContain('dist/lib/index.d.ts');
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    // The reference apps stay in the repository; only the operator command ships from bin/.
    expect(files.filter((file) => file.startsWith('test/') || (file.startsWith('bin/') && file !== 'bin/cdk-ml-triggers.js'))).toEqual([]);
    const installed = JSON.parse(fs.readFileSync(path.join(appDir, 'node_modules/cdk-ml-triggers/package.json'), 'utf8'));
    expect(installed.peerDependencies).toEqual({
      'aws-cdk-lib': expect.any(String),
      constructs: expect.any(String),
      '@aws-sdk/client-eventbridge': expect.any(String),
      cdktf: expect.any(String),
      '@cdktf/provider-google': expect.any(String),
      '@cdktf/provider-azurerm': expect.any(String),
      dynalite: expect.any(String),
      s3rver: expect.any(String),
    });
    // AWS users install none of the optional peers: the Google and Azure constructs, the publish client and the simulator are separate entry points.
    expect(installed.peerDependenciesMeta).toEqual({
      '@aws-sdk/client-eventbridge': { optional: true },
      cdktf: { optional: true },
      '@cdktf/provider-google': { optional: true },
      dynalite: { optional: true },
      s3rver: { optional: true },
      '@cdktf/provider-azurerm': { optional: true },
    });
    // The publish client has its own entry point, for services that publish platform events.
    const publishExports = run('node', ['-e', "const p = require('cdk-ml-triggers/publish'); console.log(Object.keys(p).sort().join(','))"], appDir);
    expect(publishExports.trim().split(',')).toEqual(expect.arrayContaining(['PublishError', 'publishEvent', 'publishEvents', 'safePublish']));
    expect(installed.dependencies ?? {}).toEqual({});
    // What a registry needs to publish it, and what a user reads about it.
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'CHANGELOG.md', 'README.md']));
    expect(installed).toMatchObject({ license: 'Apache-2.0', repository: { type: 'git' }, homepage: expect.any(String) });
    expect(installed.keywords).toEqual(expect.arrayContaining(['aws-cdk', 'sagemaker']));
  }, 300_000);

  test("simulates the user's app through cdk-ml-triggers/testing, with the simulator's optional peers installed", () => {
    // Prepare: the simulator's peers, as a team adds them for its tests, and a test script using the entry point.
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', `dynalite@${installedVersion('dynalite')}`, `s3rver@${installedVersion('s3rver')}`], appDir);
    fs.writeFileSync(path.join(appDir, 'simulate.js'), `
const { App, Stack } = require('aws-cdk-lib');
const { Bucket } = require('aws-cdk-lib/aws-s3');
const { DataArrivalTrigger, TrainingPipeline } = require('cdk-ml-triggers');
const { simulateApp } = require('cdk-ml-triggers/testing');
const app = new App({ outdir: 'sim.out' });
const stack = new Stack(app, 'UserStack');
const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'user-pipeline');
new DataArrivalTrigger(stack, 'NewData', { pipeline, bucket: Bucket.fromBucketName(stack, 'Data', 'user-data'), batchSize: 2 });
simulateApp(app, [
  { at: '2024-01-29T09:00:00Z', s3: { bucket: 'user-data', key: 'a.parquet' } },
  { at: '2024-01-29T09:01:00Z', s3: { bucket: 'user-data', key: 'b.parquet' } },
], { until: '2024-01-29T10:00:00Z' }).then((timeline) => console.log(JSON.stringify(timeline)));
`);

    // Act
    const timeline = JSON.parse(run('node', ['simulate.js'], appDir)) as { runs: { at: string; pipeline: string; parameters: Record<string, string> }[]; errors: unknown[] };

    // Assess: one run for the batch of two, started by the installed package's own bundled batcher once the
    // arrival queue handed the objects over, at the end of its 30-second batching window.
    expect(timeline.runs).toEqual([expect.objectContaining({ at: '2024-01-29T09:01:30Z', pipeline: 'user-pipeline', parameters: expect.objectContaining({ ObjectCount: '2' }) })]);
    expect(timeline.errors).toEqual([]);
  }, 300_000);

  test.each([
    ['commonjs', 'node10'],
    ['node16', 'node16'],
    ['nodenext', 'nodenext'],
  ])('its entry points resolve to their types in an app compiled with module %s', (module, moduleResolution) => {
    // Prepare: the module settings of an existing CDK app (cdk init writes commonjs).
    const options = ts.convertCompilerOptionsFromJson({ module, moduleResolution, strict: true, noEmit: true }, appDir).options;
    const importer = path.join(appDir, 'app.ts');

    // Act
    const resolved = Object.fromEntries(
      ['cdk-ml-triggers', 'cdk-ml-triggers/publish', 'cdk-ml-triggers/gcp', 'cdk-ml-triggers/azure', 'cdk-ml-triggers/testing'].map((specifier) => [
        specifier,
        ts.resolveModuleName(specifier, importer, options, ts.sys, undefined, undefined, ts.ModuleKind.CommonJS).resolvedModule?.resolvedFileName,
      ]),
    );

    // Assess
    const installedAt = (file: string) => fs.realpathSync(path.join(appDir, 'node_modules', 'cdk-ml-triggers', file));
    expect(Object.fromEntries(Object.entries(resolved).map(([specifier, file]) => [specifier, file && fs.realpathSync(file)]))).toEqual({
      'cdk-ml-triggers': installedAt('dist/lib/index.d.ts'),
      'cdk-ml-triggers/publish': installedAt('dist/lib/publish/index.d.ts'),
      'cdk-ml-triggers/gcp': installedAt('dist/lib/gcp/index.d.ts'),
      'cdk-ml-triggers/azure': installedAt('dist/lib/azure/index.d.ts'),
      'cdk-ml-triggers/testing': installedAt('dist/lib/testing/index.d.ts'),
    });
  });

  test('the README\'s publish example compiles, without top-level await, in an app compiled with module commonjs', () => {
    // Prepare: the example as the README gives it.
    const readme = fs.readFileSync(path.join(repo, 'README.md'), 'utf8');
    const example = /```ts\n(import \{ publishEvent, safePublish \} from 'cdk-ml-triggers\/publish';[\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    fs.writeFileSync(path.join(appDir, 'publisher.ts'), example!);

    // Act
    const program = ts.createProgram([path.join(appDir, 'publisher.ts')], {
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      noEmit: true,
      types: ['node'],
      typeRoots: [path.join(repo, 'node_modules', '@types')],
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));

    // Assess
    expect(diagnostics).toEqual([]);
  });
});
