import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { EventSource, EventTrigger, TrainingPipeline, TriggerEventBus } from '../../lib';
import { simulateApp } from '../../lib/testing';

const TIMEOUT = 300_000;

/** A `model.added` event of the churn project's main branch. */
const modelAdded = (at: string, modelId: string) => ({ at, event: { name: 'model.added', project: 'churn', branch: 'main', data: { model_id: modelId } } });

describe('simulating a debounced event trigger', () => {
  let outdir: string;
  let app: App;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-debounce-'));
    app = new App({ outdir });
    const stack = new Stack(app, 'Debounced', { env: { account: '123456789012', region: 'eu-west-1' } });
    new EventTrigger(stack, 'Deploy', {
      source: EventSource.named(new TriggerEventBus(stack, 'Bus', { project: 'churn', branch: 'main' }), 'model.added'),
      pipeline: TrainingPipeline.fromPipelineName(stack, 'DeployPipeline', 'model-deploy'),
      parameters: { ModelId: '{{ event.model_id }}' },
      debounce: Duration.minutes(5),
    });
  });

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('a burst of three events two minutes apart starts one run five minutes after the last; an isolated later event starts another', async () => {
    // Prepare
    const events = [
      modelAdded('2024-01-29T09:00:00Z', 'm-1'),
      modelAdded('2024-01-29T09:02:00Z', 'm-2'),
      modelAdded('2024-01-29T09:04:00Z', 'm-3'),
      modelAdded('2024-01-29T10:00:00Z', 'm-4'),
    ];

    // Act
    const timeline = await simulateApp(app, events, { until: '2024-01-29T12:00:00Z' });

    // Assess
    expect(timeline.runs.map((run) => [run.at, run.pipeline, run.parameters])).toEqual([
      ['2024-01-29T09:09:00Z', 'model-deploy', { ModelId: 'm-3' }],
      ['2024-01-29T10:05:00Z', 'model-deploy', { ModelId: 'm-4' }],
    ]);
    expect(timeline.errors).toEqual([]);
    expect(timeline.decisions).toEqual([]);
  }, TIMEOUT);
});
