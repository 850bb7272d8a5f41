import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DataArrivalTrigger, ReEnable, TrainingPipeline, type DataArrivalTriggerProps } from '../../lib';
import { simulateApp, type Timeline } from '../../lib/testing';

const TIMEOUT = 300_000;

/** A data-arrival trigger `labels` on `labels/`: batches of ten, or ten minutes after the first object. */
function arrivalApp(outdir: string, props: Partial<DataArrivalTriggerProps>): App {
  const app = new App({ outdir });
  const stack = new Stack(app, 'Arrival');
  new DataArrivalTrigger(stack, 'Labels', {
    pipeline: TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'arrival-training'),
    bucket: s3.Bucket.fromBucketName(stack, 'Data', 'labelled-data'),
    prefix: 'labels/',
    triggerId: 'labels',
    batchSize: 10,
    batchWindow: Duration.minutes(10),
    ...props,
  });
  return app;
}

const object = (at: string, key: string) => ({ at, s3: { bucket: 'labelled-data', key } });
/** One object before the trigger is disabled at 10:00, three while it is off, then enabled at 11:00, and again at 11:30. */
const EVENTS = [
  object('2024-01-29T09:00:00Z', 'labels/before.csv'),
  { at: '2024-01-29T10:00:00Z', disable: 'labels' },
  object('2024-01-29T10:05:00Z', 'labels/off-1.csv'),
  object('2024-01-29T10:06:00Z', 'labels/off-2.csv'),
  object('2024-01-29T10:07:00Z', 'labels/off-3.csv'),
  { at: '2024-01-29T11:00:00Z', enable: 'labels' },
  { at: '2024-01-29T11:30:00Z', enable: 'labels' },
];

describe('simulating a data-arrival trigger disabled and enabled again by redeployments', () => {
  let outdir: string;
  beforeEach(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-re-enable-'));
  });
  afterEach(() => fs.rmSync(outdir, { recursive: true, force: true }));

  const arrivalRuns = (timeline: Timeline) => timeline.runs.filter((run) => run.trigger === 'data-arrival').map((run) => [run.at, run.parameters.ObjectCount]);

  test('with catch-up, the objects that landed while it was off start one batch when it is enabled, and enabling it again starts nothing', async () => {
    // Prepare
    const app = arrivalApp(outdir, { whenReEnabled: ReEnable.catchUp({ maxObjects: 5 }) });

    // Act
    const timeline = await simulateApp(app, EVENTS, { until: '2024-01-29T13:00:00Z' });

    // Assess: the first object's batch closes with its window; the three that landed while off start one batch at
    // 11:01, the flush once the trigger's rule delivers again (a minute after its configuration is).
    expect(arrivalRuns(timeline)).toEqual([['2024-01-29T09:11:00Z', '1'], ['2024-01-29T11:01:00Z', '3']]);
    expect(timeline.nothingListens.map((item) => item.what)).toEqual(['s3://labelled-data/labels/off-1.csv', 's3://labelled-data/labels/off-2.csv', 's3://labelled-data/labels/off-3.csv']);
    expect(timeline.errors).toEqual([]);
  }, TIMEOUT);

  test('with catch-up bounded to two objects, the batch holds the first two in key order', async () => {
    const app = arrivalApp(outdir, { whenReEnabled: ReEnable.catchUp({ maxObjects: 2 }) });

    const timeline = await simulateApp(app, EVENTS, { until: '2024-01-29T13:00:00Z' });

    expect(arrivalRuns(timeline)).toEqual([['2024-01-29T09:11:00Z', '1'], ['2024-01-29T11:01:00Z', '2']]);
  }, TIMEOUT);

  test('skipping, the objects that landed while it was off never start a run', async () => {
    const app = arrivalApp(outdir, {});

    const timeline = await simulateApp(app, EVENTS, { until: '2024-01-29T13:00:00Z' });

    expect(arrivalRuns(timeline)).toEqual([['2024-01-29T09:11:00Z', '1']]);
    expect(timeline.errors).toEqual([]);
  }, TIMEOUT);

  test('a line naming no trigger of the app is reported as unheard', async () => {
    const app = arrivalApp(outdir, {});

    const timeline = await simulateApp(app, [{ at: '2024-01-29T10:00:00Z', disable: 'no-such-trigger' }], { until: '2024-01-29T11:00:00Z' });

    expect(timeline.nothingListens.map((item) => item.what)).toEqual(['disable: no trigger no-such-trigger in the app']);
  }, TIMEOUT);
});
