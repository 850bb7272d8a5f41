import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { EventSource, EventTrigger, ReEnable, TrainingPipeline, TriggerEventBus, type EventTriggerProps } from '../../lib';
import { simulateApp, type Timeline } from '../../lib/testing';

const TIMEOUT = 300_000;

/** A platform event of the churn project on branch main. */
const event = (at: string, name: string, data: Record<string, unknown>) => ({ at, event: { name, project: 'churn', branch: 'main', data } });

/** An app with two event triggers on the churn bus: `Models`, on model.added, and `Joined`, a join of labels and features within an hour. */
function eventApp(outdir: string, props: Pick<EventTriggerProps, 'whenReEnabled'>): { app: App; models: string; joined: string } {
  const app = new App({ outdir });
  const stack = new Stack(app, 'Events');
  const bus = new TriggerEventBus(stack, 'Bus', { project: 'churn', branch: 'main' });
  const models = new EventTrigger(stack, 'Models', {
    source: EventSource.named(bus, 'model.added'),
    pipeline: TrainingPipeline.fromPipelineName(stack, 'Training', 'training'),
    parameters: { ModelId: '{{ event.model_id }}' },
    ...props,
  });
  const joined = new EventTrigger(stack, 'Joined', {
    source: EventSource.join(bus, ['labels_ready', 'features_ready'], { within: Duration.hours(1) }),
    pipeline: TrainingPipeline.fromPipelineName(stack, 'Evaluation', 'evaluation'),
    parameters: { Labels: '{{ events.labels_ready.uri }}' },
    ...props,
  });
  return { app, models: models.triggerId, joined: joined.triggerId };
}

/** Both triggers disabled at 10:00 and enabled at 13:00; a model before, three models and a whole join while off, a model after. */
function lines(models: string, joined: string) {
  return [
    event('2024-01-29T09:00:00Z', 'model.added', { model_id: 'before' }),
    { at: '2024-01-29T10:00:00Z', disable: models },
    { at: '2024-01-29T10:00:00Z', disable: joined },
    event('2024-01-29T10:10:00Z', 'model.added', { model_id: 'off-1' }),
    event('2024-01-29T10:20:00Z', 'labels_ready', { uri: 's3://labels/off/' }),
    event('2024-01-29T10:30:00Z', 'features_ready', { version: 'v7' }),
    event('2024-01-29T11:00:00Z', 'model.added', { model_id: 'off-2' }),
    event('2024-01-29T12:00:00Z', 'model.added', { model_id: 'off-3' }),
    { at: '2024-01-29T13:00:00Z', enable: models },
    { at: '2024-01-29T13:00:00Z', enable: joined },
    event('2024-01-29T13:30:00Z', 'model.added', { model_id: 'after' }),
    { at: '2024-01-29T14:00:00Z', enable: models },
  ];
}

describe('simulating event triggers disabled and enabled again by redeployments', () => {
  let outdir: string;
  beforeEach(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-event-catch-up-'));
  });
  afterEach(() => fs.rmSync(outdir, { recursive: true, force: true }));

  /** The runs of a pipeline by time; those of one time (a replay's) in parameter order, as a replay keeps no order. */
  const runsOf = (timeline: Timeline, pipeline: string) =>
    timeline.runs
      .filter((run) => run.pipeline === pipeline)
      .map((run): [string, Record<string, string>] => [run.at, run.parameters])
      .sort(([a, p], [b, q]) => a.localeCompare(b) || JSON.stringify(p).localeCompare(JSON.stringify(q)));

  test('with catch-up, the events published while off are replayed to each trigger when it is enabled, completing the join they made, once', async () => {
    // Prepare
    const { app, models, joined } = eventApp(outdir, { whenReEnabled: ReEnable.catchUp() });

    // Act
    const timeline = await simulateApp(app, lines(models, joined), { until: '2024-01-29T15:00:00Z' });

    // Assess: the three models and the join published while off start at 13:00; enabling again at 14:00 starts nothing.
    expect(runsOf(timeline, 'training')).toEqual([
      ['2024-01-29T09:00:00Z', { ModelId: 'before' }],
      ['2024-01-29T13:00:00Z', { ModelId: 'off-1' }],
      ['2024-01-29T13:00:00Z', { ModelId: 'off-2' }],
      ['2024-01-29T13:00:00Z', { ModelId: 'off-3' }],
      ['2024-01-29T13:30:00Z', { ModelId: 'after' }],
    ]);
    expect(runsOf(timeline, 'evaluation')).toEqual([['2024-01-29T13:00:00Z', { Labels: 's3://labels/off/' }]]);
    expect(timeline.errors).toEqual([]);
  }, TIMEOUT);

  test('with catch-up bounded by maxAge and maxObjects, only the newest events within the age are replayed, at most maxObjects of them', async () => {
    // Prepare: events older than two hours at 13:00 are skipped (off-1 and the join); of off-2 and off-3, one is taken.
    const { app, models, joined } = eventApp(outdir, { whenReEnabled: ReEnable.catchUp({ maxAge: Duration.hours(2), maxObjects: 1 }) });

    // Act
    const timeline = await simulateApp(app, lines(models, joined), { until: '2024-01-29T15:00:00Z' });

    // Assess
    expect(runsOf(timeline, 'training')).toEqual([
      ['2024-01-29T09:00:00Z', { ModelId: 'before' }],
      ['2024-01-29T13:00:00Z', { ModelId: 'off-2' }],
      ['2024-01-29T13:30:00Z', { ModelId: 'after' }],
    ]);
    expect(runsOf(timeline, 'evaluation')).toEqual([]);
    expect(timeline.errors).toEqual([]);
  }, TIMEOUT);

  test('skipping, the events published while off never start a run', async () => {
    // Prepare
    const { app, models, joined } = eventApp(outdir, {});

    // Act
    const timeline = await simulateApp(app, lines(models, joined), { until: '2024-01-29T15:00:00Z' });

    // Assess
    expect(runsOf(timeline, 'training')).toEqual([['2024-01-29T09:00:00Z', { ModelId: 'before' }], ['2024-01-29T13:30:00Z', { ModelId: 'after' }]]);
    expect(runsOf(timeline, 'evaluation')).toEqual([]);
    expect(timeline.errors).toEqual([]);
  }, TIMEOUT);
});
