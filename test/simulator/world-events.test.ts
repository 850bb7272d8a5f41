import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { EventSource, EventTrigger, TrainingPipeline, TriggerEventBus } from '../../lib';
import { simulateApp, type Timeline } from '../../lib/testing';

const TIMEOUT = 300_000;

/** A platform event of the churn project, on `branch`. */
const event = (at: string, name: string, branch: string, data: Record<string, unknown>, fail?: boolean) => ({
  at, event: { name, project: 'churn', branch, data }, ...(fail ? { fail } : {}),
});

describe('simulating event triggers on a trigger bus of project churn, branch main', () => {
  let outdir: string;
  let app: App;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-events-'));
    app = new App({ outdir });
    const stack = new Stack(app, 'Events');
    const bus = new TriggerEventBus(stack, 'Bus', { project: 'churn', branch: 'main' });
    const features = TrainingPipeline.fromPipelineName(stack, 'Features', 'feature-engineering');
    new EventTrigger(stack, 'Deploy', {
      source: EventSource.named(bus, 'model.added', { filter: { model_source: 'hugging_face' } }),
      pipeline: TrainingPipeline.fromPipelineName(stack, 'DeployPipeline', 'model-deploy'),
      parameters: { ModelId: '{{ event.model_id }}' },
    });
    new EventTrigger(stack, 'Join', {
      source: EventSource.join(bus, ['labels_ready', 'features_ready'], { within: Duration.hours(6) }),
      pipeline: TrainingPipeline.fromPipelineName(stack, 'TrainingPipeline', 'training'),
      parameters: { Labels: '{{ events.labels_ready.uri }}', FeatureVersion: '{{ events.features_ready.version }}' },
    });
    new EventTrigger(stack, 'Refresh', { source: EventSource.named(bus, 'data_updated'), pipeline: features, parameters: { Dataset: '{{ event.uri }}' } });
    new EventTrigger(stack, 'Chain', {
      source: EventSource.afterPipeline(features),
      pipeline: TrainingPipeline.fromPipelineName(stack, 'EvaluationPipeline', 'evaluation'),
      parameters: { Mode: 'chained' },
    });
  });

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  const runsOf = (timeline: Timeline, pipeline: string) => timeline.runs.filter((run) => run.pipeline === pipeline);

  test('starts the named trigger for a matching event of its branch only, with the rendered parameters', async () => {
    // Prepare
    const events = [
      event('2024-01-29T09:00:00Z', 'model.added', 'main', { model_id: 'm-1', model_source: 'hugging_face' }),
      event('2024-01-29T09:01:00Z', 'model.added', 'main', { model_id: 'm-2', model_source: 'internal' }),
      event('2024-01-29T09:02:00Z', 'model.added', 'feature', { model_id: 'm-3', model_source: 'hugging_face' }),
    ];

    // Act
    const timeline = await simulateApp(app, events, { until: '2024-01-29T10:00:00Z' });

    // Assess
    expect(runsOf(timeline, 'model-deploy').map((run) => [run.at, run.parameters])).toEqual([['2024-01-29T09:00:00Z', { ModelId: 'm-1' }]]);
    expect(timeline.nothingListens.map((item) => item.line)).toEqual([2, 3]);
  }, TIMEOUT);

  test("joins events of its own branch only, ignoring another branch's half", async () => {
    // Prepare
    const events = [
      event('2024-01-29T09:10:00Z', 'labels_ready', 'feature', { uri: 's3://labels/feature/' }),
      event('2024-01-29T09:11:00Z', 'features_ready', 'main', { version: 'v1' }),
      event('2024-01-29T09:20:00Z', 'features_ready', 'feature', { version: 'v-feature' }),
      event('2024-01-29T09:30:00Z', 'labels_ready', 'main', { uri: 's3://labels/main/' }),
    ];

    // Act
    const timeline = await simulateApp(app, events, { until: '2024-01-29T10:00:00Z' });

    // Assess
    expect(runsOf(timeline, 'training').map((run) => [run.at, run.parameters])).toEqual([
      ['2024-01-29T09:30:00Z', { Labels: 's3://labels/main/', FeatureVersion: 'v1' }],
    ]);
    expect(timeline.runs).toHaveLength(1);
  }, TIMEOUT);

  test('starts the chain after a successful upstream run only, never after a failed one', async () => {
    // Prepare
    const events = [
      event('2024-01-29T10:00:00Z', 'data_updated', 'main', { uri: 's3://d/1/' }, true),
      event('2024-01-29T11:00:00Z', 'data_updated', 'main', { uri: 's3://d/2/' }),
    ];

    // Act
    const timeline = await simulateApp(app, events, { until: '2024-01-29T12:00:00Z' });

    // Assess
    expect(runsOf(timeline, 'feature-engineering').map((run) => [run.at, run.parameters.Dataset])).toEqual([
      ['2024-01-29T10:00:00Z', 's3://d/1/'],
      ['2024-01-29T11:00:00Z', 's3://d/2/'],
    ]);
    const chained = runsOf(timeline, 'evaluation');
    expect(chained.map((run) => run.at)).toEqual(['2024-01-29T11:00:00Z']);
    expect(chained[0].parameters).toMatchObject({ Mode: 'chained' });
    expect(timeline.errors).toEqual([]);
  }, TIMEOUT);
});
