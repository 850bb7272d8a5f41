import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { EventSource, EventTrigger, TrainingPipeline, TriggerEventBus } from '../../lib';
import { simulateApp, type Timeline } from '../../lib/testing';

const TIMEOUT = 300_000;

/** A platform event of the churn project on branch main. */
const event = (at: string, name: string, data: Record<string, unknown>) => ({ at, event: { name, project: 'churn', branch: 'main', data } });

describe('simulating per-key joins and sequences on a trigger bus of project churn, branch main', () => {
  let outdir: string;
  let app: App;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-joins-'));
    app = new App({ outdir });
    const stack = new Stack(app, 'Joins');
    const bus = new TriggerEventBus(stack, 'Bus', { project: 'churn', branch: 'main' });
    new EventTrigger(stack, 'PerModel', {
      source: EventSource.join(bus, ['labels_ready', 'features_ready'], { within: Duration.hours(6), forEach: 'model_id' }),
      pipeline: TrainingPipeline.fromPipelineName(stack, 'Training', 'training'),
      parameters: { ModelId: '{{ event.model_id }}', Labels: '{{ events.labels_ready.uri }}' },
    });
    new EventTrigger(stack, 'Ordered', {
      source: EventSource.sequence(bus, ['data_updated', 'features_ready'], { within: Duration.hours(6) }),
      pipeline: TrainingPipeline.fromPipelineName(stack, 'Evaluation', 'evaluation'),
      parameters: { Dataset: '{{ events.data_updated.uri }}', FeatureVersion: '{{ events.features_ready.version }}' },
    });
  });

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  const runsOf = (timeline: Timeline, pipeline: string) => timeline.runs.filter((run) => run.pipeline === pipeline).map((run) => [run.at, run.parameters]);

  test('replays a per-key join: each model starts once its own labels and features arrived', async () => {
    // Prepare
    const events = [
      event('2024-01-29T09:00:00Z', 'labels_ready', { model_id: 'churn-a', uri: 's3://labels/a/' }),
      event('2024-01-29T09:05:00Z', 'labels_ready', { model_id: 'churn-b', uri: 's3://labels/b/' }),
      event('2024-01-29T09:10:00Z', 'features_ready', { model_id: 'churn-b', version: 'v1' }),
      event('2024-01-29T09:20:00Z', 'features_ready', { model_id: 'churn-a', version: 'v1' }),
    ];

    // Act
    const timeline = await simulateApp(app, events, { until: '2024-01-29T10:00:00Z' });

    // Assess
    expect(runsOf(timeline, 'training')).toEqual([
      ['2024-01-29T09:10:00Z', { ModelId: 'churn-b', Labels: 's3://labels/b/' }],
      ['2024-01-29T09:20:00Z', { ModelId: 'churn-a', Labels: 's3://labels/a/' }],
    ]);
    expect(timeline.errors).toEqual([]);
  }, TIMEOUT);

  test('replays a sequence: features before the data update start nothing, features after it start the run', async () => {
    // Prepare
    const events = [
      event('2024-01-29T09:00:00Z', 'features_ready', { version: 'v0' }),
      event('2024-01-29T09:30:00Z', 'data_updated', { uri: 's3://data/1/' }),
      event('2024-01-29T10:00:00Z', 'features_ready', { version: 'v1' }),
    ];

    // Act
    const timeline = await simulateApp(app, events, { until: '2024-01-29T11:00:00Z' });

    // Assess
    expect(runsOf(timeline, 'evaluation')).toEqual([['2024-01-29T10:00:00Z', { Dataset: 's3://data/1/', FeatureVersion: 'v1' }]]);
  }, TIMEOUT);
});
