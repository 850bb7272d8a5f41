import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { BatchTriggerConfig } from '../../lambda/core/contracts/batch';
import { DataArrivalTrigger, TrainingPipeline } from '../../lib';
import { readAssembly } from '../../lib/simulator/assembly';
import { simulateApp, type Timeline } from '../../lib/testing';
import { DATA_BUCKET, objectCreated } from '../support/batcher-env';
import { BatcherHandlerWorld, captureOutput, runsOf } from '../support/handler-batcher';
import { deploy } from '../support/handler-deployment';
import { SERVICES_TIMEOUT } from '../support/handler-harness';

const KEYS = ['labels/2024-01-29/a.parquet', 'labels/2024-01-29/b.parquet', 'labels/2024-01-29/c.parquet'];

/** A run's parameters without the manifest's batch id, which each side draws on its own. */
const comparable = (parameters: Readonly<Record<string, string>>) => ({
  ...parameters,
  ManifestS3Uri: parameters.ManifestS3Uri?.replace(/\/[0-9a-f-]{36}-(\d+)\.ml-triggers-manifest\.jsonl$/, '/<batch>-$1.ml-triggers-manifest.jsonl'),
});

describe('the simulator agrees with the batcher handler on the same deployment and objects', () => {
  const world = new BatcherHandlerWorld();
  let outdir: string;
  let simulated: Timeline;
  let deployed: BatchTriggerConfig;

  beforeAll(async () => {
    // Prepare: one data-arrival trigger of three objects per batch, synthesized once, run both ways.
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-agreement-'));
    const app = new App({ outdir });
    const stack = new Stack(app, 'Agreement');
    new DataArrivalTrigger(stack, 'Labels', {
      pipeline: TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'agreement-pipeline'),
      bucket: s3.Bucket.fromBucketName(stack, 'Data', DATA_BUCKET),
      prefix: 'labels/',
      batchSize: 3,
      parameters: { TrainingMode: 'data-arrival' },
    });
    simulated = await simulateApp(app, KEYS.map((key, index) => ({ at: `2024-01-29T09:0${index}:00Z`, s3: { bucket: DATA_BUCKET, key } })), { until: '2024-01-29T10:00:00Z' });
    const [parameter] = readAssembly(outdir)[0].parameters;
    deployed = Object.values(JSON.parse(parameter.value) as Record<string, BatchTriggerConfig>)[0];
    await world.start();
  }, SERVICES_TIMEOUT * 5);

  afterEach(() => jest.restoreAllMocks());

  afterAll(async () => {
    await world.stop();
    fs.rmSync(outdir, { recursive: true, force: true });
  }, SERVICES_TIMEOUT);

  test('both start exactly one run of the deployed pipeline, with the same parameters and manifest location', async () => {
    // Act: the same three objects through the batcher's handler, with the configuration the deployment writes.
    captureOutput();
    deploy(world.ssm, deployed);
    for (const [index, key] of KEYS.entries()) {
      await world.lambdaHandler({ triggerId: deployed.triggerId, event: objectCreated(key, `0a0${index}`) });
    }
    const direct = runsOf(world.local, deployed.triggerId);

    // Assess
    expect(direct).toHaveLength(1);
    expect(simulated.runs).toHaveLength(1);
    expect(simulated.runs[0].pipeline).toBe(direct[0].pipelineName);
    expect(comparable(simulated.runs[0].parameters)).toEqual(comparable(direct[0].parameters));
    expect(simulated.runs[0].parameters).toMatchObject({ ObjectCount: '3', TrainingMode: 'data-arrival' });
    expect(simulated.errors).toEqual([]);
  }, SERVICES_TIMEOUT);
});
