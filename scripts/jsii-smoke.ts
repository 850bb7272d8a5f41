/**
 * What Python runs is the JavaScript each generated Python package embeds (`_jsii/<name>@<version>.jsii.tgz`),
 * loaded by jsii's runtime into a `node_modules` of its own. This loads those tarballs the same way, beside
 * each other, and synthesizes an app with each package, so a tarball that misses a handler bundle, a file
 * its code requires, or that finds its bundles in the wrong package fails the build here.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

type Module = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Extracts each tarball to `<dir>/node_modules/<name>`, as jsii's runtime does. */
export function installTarballs(dir: string, tarballs: Readonly<Record<string, string>>): void {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [name, tarball] of Object.entries(tarballs)) {
    const target = path.join(dir, 'node_modules', name);
    fs.mkdirSync(target, { recursive: true });
    const result = spawnSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1'], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`cannot extract ${tarball}: ${result.stderr}`);
  }
}

/** The files a synthesized directory holds, relative to it. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

/** Synthesizes one app per package from the installed tarballs; returns what it checked, one line each. */
export function synthesizeFromTarballs(dir: string, outDir: string): string[] {
  const load = (name: string): Module => require(path.join(dir, 'node_modules', name)) as Module; // eslint-disable-line @typescript-eslint/no-require-imports
  const triggers = load('cdk-ml-triggers');
  const google = load('cdk-ml-triggers-gcp');
  const cdk = require('aws-cdk-lib') as Module; // eslint-disable-line @typescript-eslint/no-require-imports
  const s3 = require('aws-cdk-lib/aws-s3') as Module; // eslint-disable-line @typescript-eslint/no-require-imports
  const cdktf = require('cdktf') as Module; // eslint-disable-line @typescript-eslint/no-require-imports
  const provider = require('@cdktf/provider-google/lib/provider') as Module; // eslint-disable-line @typescript-eslint/no-require-imports

  const awsOut = path.join(outDir, 'cdk.out');
  const app = new cdk.App({ outdir: awsOut });
  const stack = new cdk.Stack(app, 'FromTarball', { env: { account: '123456789012', region: 'eu-west-1' } });
  const pipeline = triggers.TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training');
  const bus = new triggers.TriggerEventBus(stack, 'Bus', { project: 'churn' });
  new triggers.ScheduledTrigger(stack, 'Nightly', { pipeline, schedule: triggers.TriggerSchedule.cron('0 3 * * ? *') });
  new triggers.DataArrivalTrigger(stack, 'Labels', { pipeline, bucket: s3.Bucket.fromBucketName(stack, 'Data', 'churn-data') });
  new triggers.EventTrigger(stack, 'OnModel', { pipeline, source: triggers.EventSource.named(bus, 'model.added') });
  app.synth();
  const template = JSON.parse(fs.readFileSync(path.join(awsOut, 'FromTarball.template.json'), 'utf8')) as { Resources: Record<string, { Type: string }> };
  const functions = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function').length;
  const bundles = filesUnder(awsOut).filter((file) => /^asset\.[0-9a-f]+\/index\.js$/.test(file)).length;
  if (functions < 2 || bundles < 2) throw new Error(`the AWS tarball synthesized ${functions} functions with ${bundles} handler bundles`);

  const googleOut = path.join(outDir, 'cdktf.out');
  const tfApp = new cdktf.App({ outdir: googleOut });
  const tfStack = new cdktf.TerraformStack(tfApp, 'from-tarball');
  new provider.GoogleProvider(tfStack, 'Google', { project: 'churn-ml', region: 'europe-west1' });
  const vertex = new google.VertexPipeline({
    project: 'churn-ml', region: 'europe-west1', templateUri: 'gs://churn-ml/t.json', pipelineName: 'churn', serviceAccount: 'p@churn-ml.iam.gserviceaccount.com',
  });
  new google.VertexScheduledTrigger(tfStack, 'Weekly', { pipeline: vertex, schedule: triggers.TriggerSchedule.cron('0 3 ? * MON *') });
  tfApp.synth();
  const stackJson = fs.readFileSync(path.join(googleOut, 'stacks', 'from-tarball', 'cdk.tf.json'), 'utf8');
  const archives = filesUnder(googleOut).filter((file) => file.endsWith('.zip') || file.endsWith('index.js')).length;
  if (!stackJson.includes('google_cloudfunctions2_function') || archives === 0) throw new Error('the Google tarball synthesized no function with its bundle');
  return [
    `cdk-ml-triggers tarball: ${functions} Lambda functions, ${bundles} handler bundles`,
    `cdk-ml-triggers-gcp tarball: a Cloud Function with its bundle (${archives} files)`,
  ];
}
