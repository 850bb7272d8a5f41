import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DataArrivalTrigger, TrainingPipeline } from '../../lib';
import { simulateApp } from '../../lib/testing';

const TIMEOUT = 300_000;

/**
 * A data-arrival trigger alone: batches of two labelled Parquet files, or ten minutes after the first. Objects
 * reach the batcher through its queue, 30 seconds (the batching window) after they land.
 */
function arrivalStack(app: App, id: string): Stack {
  const stack = new Stack(app, id);
  new DataArrivalTrigger(stack, 'Labels', {
    pipeline: TrainingPipeline.fromPipelineName(stack, 'Pipeline', `${id.toLowerCase()}-training`),
    bucket: s3.Bucket.fromBucketName(stack, 'Data', 'labelled-data'),
    prefix: 'labels/',
    suffix: '.parquet',
    batchSize: 2,
    batchWindow: Duration.minutes(10),
    parameters: { TrainingMode: 'arrival' },
  });
  return stack;
}

const object = (at: string, key: string) => ({ at, s3: { bucket: 'labelled-data', key } });

describe('simulateApp with a data-arrival trigger', () => {
  let outdir: string;
  let app: App;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-arrival-'));
    app = new App({ outdir });
    arrivalStack(app, 'Arrival');
  });

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('starts exactly one run when two objects fill the batch, with its count and the static parameters', async () => {
    // Prepare
    const events = [object('2024-01-29T09:00:00Z', 'labels/a.parquet'), object('2024-01-29T09:01:00Z', 'labels/b.parquet')];

    // Act
    const timeline = await simulateApp(app, events, { until: '2024-01-29T11:00:00Z' });

    // Assess
    expect(timeline.runs).toHaveLength(1);
    expect(timeline.runs[0]).toMatchObject({ at: '2024-01-29T09:01:30Z', pipeline: 'arrival-training', trigger: 'data-arrival' });
    expect(timeline.runs[0].parameters).toMatchObject({ ObjectCount: '2', TrainingMode: 'arrival' });
    expect(timeline.errors).toEqual([]);
  }, TIMEOUT);

  test('starts a run for a lone object when the batch window closes, and reports keys outside the prefix or suffix', async () => {
    // Prepare
    const events = [
      object('2024-01-29T09:00:00Z', 'labels/c.parquet'),
      object('2024-01-29T09:02:00Z', 'raw/c.parquet'),
      object('2024-01-29T09:03:00Z', 'labels/c.csv'),
    ];

    // Act
    const timeline = await simulateApp(app, events, { until: '2024-01-29T11:00:00Z' });

    // Assess
    // The batcher reads the object at 09:00:30; its window closes at 09:10:30, and the flush after that is at 09:11.
    expect(timeline.runs.map((run) => [run.at, run.parameters.ObjectCount])).toEqual([['2024-01-29T09:11:00Z', '1']]);
    expect(timeline.nothingListens.map((item) => [item.line, item.what])).toEqual([
      [2, 's3://labelled-data/raw/c.parquet'],
      [3, 's3://labelled-data/labels/c.csv'],
    ]);
  }, TIMEOUT);
});

describe('simulateApp with one stack of an app', () => {
  let outdir: string;
  let app: App;
  let second: Stack;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-two-stacks-'));
    app = new App({ outdir });
    arrivalStack(app, 'First');
    second = arrivalStack(app, 'Second');
  });

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('simulates only the stack it is given', async () => {
    // Prepare
    const events = [object('2024-01-29T09:00:00Z', 'labels/a.parquet'), object('2024-01-29T09:01:00Z', 'labels/b.parquet')];

    // Act
    const timeline = await simulateApp(second, events, { until: '2024-01-29T10:00:00Z' });

    // Assess
    expect(timeline.runs.map((run) => run.pipeline)).toEqual(['second-training']);
  }, TIMEOUT);

  test('simulates every stack when given the app', async () => {
    // Prepare
    const events = [object('2024-01-29T09:00:00Z', 'labels/a.parquet'), object('2024-01-29T09:01:00Z', 'labels/b.parquet')];

    // Act
    const timeline = await simulateApp(app, events, { until: '2024-01-29T10:00:00Z' });

    // Assess
    expect(timeline.runs.map((run) => run.pipeline)).toEqual(['first-training', 'second-training']);
  }, TIMEOUT);
});

describe('simulateApp with events it cannot simulate', () => {
  let outdir: string;
  let app: App;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-rejected-'));
    app = new App({ outdir });
    arrivalStack(app, 'Rejecting');
  });

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('returns the rejected lines when every line is rejected, over the days the lines name', async () => {
    // Prepare
    const events = '{"at": "2024-01-29T09:00:00Z", "s3": {"bucket": "Bad_Bucket", "key": "k"}}\n{"at": "2024-01-29T09:05:00Z", "approve": {"pipeline": "p"}}';

    // Act
    const timeline = await simulateApp(app, events, { until: '2024-01-29T10:00:00Z' });

    // Assess
    expect(timeline.rejected.map((line) => [line.line, line.field])).toEqual([[1, 's3.bucket'], [2, 'approve.request']]);
    expect(timeline.runs).toEqual([]);
  }, TIMEOUT);

  test('reads a relative report path from baseDir', async () => {
    // Prepare
    const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-reports-'));
    fs.writeFileSync(path.join(baseDir, 'violations.json'), '{"violations": []}');
    const events = [
      { at: '2024-01-29T09:00:00Z', alarm: { name: 'some-alarm', state: 'ALARM' }, report: 'violations.json' },
      { at: '2024-01-29T09:01:00Z', alarm: { name: 'some-alarm', state: 'ALARM' }, report: 'missing.json' },
    ];

    // Act
    const timeline = await simulateApp(app, events, { until: '2024-01-29T10:00:00Z', baseDir }).finally(() => fs.rmSync(baseDir, { recursive: true, force: true }));

    // Assess
    expect(timeline.rejected).toEqual([{ at: '2024-01-29T09:01:00Z', line: 2, field: 'report', problem: `is no file: ${path.join(baseDir, 'missing.json')}` }]);
    expect(timeline.nothingListens.map((item) => item.line)).toEqual([1]);
  }, TIMEOUT);
});
