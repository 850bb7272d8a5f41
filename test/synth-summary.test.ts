import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, App, Stack, Validations } from 'aws-cdk-lib';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { summarizeCloudAssembly, summarizeTerraformOut } from '../scripts/synth-summary';
import { withTempDir } from './support/temp-dir';

describe('the closing lines of npm run synth', () => {
  let dir: string;
  withTempDir('ml-triggers-summary-', (made) => (dir = made));

  test('name the template with its resource, asset and warning counts, and the validation verdict', () => {
    // Prepare: an app with two resources, one file asset, a warning and cdk-nag with nothing to find.
    const outdir = path.join(dir, 'cdk.out');
    fs.writeFileSync(path.join(dir, 'data.txt'), 'labels');
    const app = new App({ outdir });
    const stack = new Stack(app, 'Small');
    new sqs.CfnQueue(stack, 'First');
    new sqs.CfnQueue(stack, 'Second');
    new Asset(stack, 'Data', { path: path.join(dir, 'data.txt') });
    Annotations.of(stack).addWarningV2('test:warning', 'a warning the summary counts');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    Validations.of(stack).acknowledge({ id: 'AwsSolutions::AwsSolutions-SQS3', reason: 'Test queues need no dead-letter queue.' }, { id: 'AwsSolutions::AwsSolutions-SQS4', reason: 'Test queues are never deployed.' });
    app.synth();

    // Act
    const lines = summarizeCloudAssembly(outdir, (file) => path.relative(dir, file));

    // Assess
    expect(lines).toEqual([
      'wrote cdk.out/Small.template.json (stack Small): 2 resources, 1 asset, 1 warning',
      'validation report cdk.out/validation-report.json: clean',
    ]);
  });

  test('for CDK for Terraform, name the stack file with its resource, data source and asset counts', () => {
    // Prepare: the two files cdktf writes, cut down to what the summary reads.
    const stackDir = path.join(dir, 'stacks', 'gcp');
    fs.mkdirSync(path.join(stackDir, 'assets', 'Source_1'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'manifest.json'),
      JSON.stringify({ version: '0.21.0', stacks: { gcp: { synthesizedStackPath: 'stacks/gcp/cdk.tf.json', workingDirectory: 'stacks/gcp' } } }),
    );
    fs.writeFileSync(
      path.join(stackDir, 'cdk.tf.json'),
      JSON.stringify({
        resource: { google_pubsub_topic: { a: {}, b: {} }, google_storage_bucket: { c: {} } },
        data: { google_project: { project: {} } },
      }),
    );

    // Act
    const lines = summarizeTerraformOut(dir, (file) => path.relative(dir, file));

    // Assess
    expect(lines).toEqual(['wrote stacks/gcp/cdk.tf.json (stack gcp): 3 resources, 1 data source, 1 asset']);
  });
});
