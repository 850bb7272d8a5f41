import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

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
  beforeAll(() => {
    workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-pack-'));
  });
  afterAll(() => fs.rmSync(workdir, { recursive: true, force: true }));

  test('installs from its tarball into a separate app that synthesizes a ScheduledTrigger and a DataArrivalTrigger', () => {
    // Prepare: build and pack exactly what would be published, and a throwaway app next to it.
    run('npm', ['run', 'build'], repo);
    const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', workdir], repo))[0];
    const tarball = path.join(workdir, packed.filename);
    const appDir = path.join(workdir, 'user-app');
    fs.mkdirSync(appDir);
    fs.writeFileSync(path.join(appDir, 'package.json'), JSON.stringify({ name: 'user-app', private: true }));
    fs.writeFileSync(path.join(appDir, 'app.js'), USER_APP);

    // Act: install it with its peers, as a user would, and synthesize.
    run(
      'npm',
      [
        'install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts',
        tarball,
        `aws-cdk-lib@${installedVersion('aws-cdk-lib')}`,
        `constructs@${installedVersion('constructs')}`,
        `@aws-sdk/client-eventbridge@${installedVersion('@aws-sdk/client-eventbridge')}`,
      ],
      appDir,
    );
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
    expect(files).toContain('cli.js');
    // The operator command is installed and answers without AWS access when it is called wrongly.
    const cli = path.join(appDir, 'node_modules', '.bin', 'cdk-ml-triggers');
    let usage = '';
    try {
      execFileSync(cli, ['approve'], { cwd: appDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const failed = error as { status: number; stdout: string };
      expect(failed.status).toBe(2);
      usage = failed.stdout;
    }
    expect(usage).toContain('usage: cdk-ml-triggers <approve|reject>');
    expect(files).toContain('dist/lib/index.js');
    expect(files).toContain('dist/lib/index.d.ts');
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((file) => file.startsWith('test/') || file.startsWith('bin/'))).toEqual([]);
    const installed = JSON.parse(fs.readFileSync(path.join(appDir, 'node_modules/cdk-ml-triggers/package.json'), 'utf8'));
    expect(installed.peerDependencies).toEqual({
      'aws-cdk-lib': expect.any(String),
      constructs: expect.any(String),
      '@aws-sdk/client-eventbridge': expect.any(String),
      cdktf: expect.any(String),
      '@cdktf/provider-google': expect.any(String),
    });
    // AWS users install none of the optional peers: the Google constructs and the publish client are separate entry points.
    expect(installed.peerDependenciesMeta).toEqual({
      '@aws-sdk/client-eventbridge': { optional: true },
      cdktf: { optional: true },
      '@cdktf/provider-google': { optional: true },
    });
    // The publish client has its own entry point, for services that publish platform events.
    const publishExports = run('node', ['-e', "const p = require('cdk-ml-triggers/publish'); console.log(Object.keys(p).sort().join(','))"], appDir);
    expect(publishExports.trim().split(',')).toEqual(expect.arrayContaining(['PublishError', 'publishEvent', 'publishEvents', 'safePublish']));
    expect(installed.dependencies ?? {}).toEqual({});
  }, 300_000);
});
