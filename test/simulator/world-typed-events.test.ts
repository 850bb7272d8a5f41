import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { EventSchema, EventSource, EventTrigger, TrainingPipeline, TriggerEventBus } from '../../lib';
import { renderTimeline, simulateApp } from '../../lib/testing';

const TIMEOUT = 300_000;

/** A model.added event of project churn, branch main. */
const modelAdded = (at: string, data: Record<string, unknown>) => ({ at, event: { name: 'model.added', project: 'churn', branch: 'main', data } });

describe('simulating a trigger on a typed event', () => {
  let outdir: string;
  let app: App;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-typed-events-'));
    app = new App({ outdir });
    const stack = new Stack(app, 'TypedEvents');
    const bus = new TriggerEventBus(stack, 'Bus', { project: 'churn', branch: 'main' });
    bus.declareEvent('model.added', {
      schema: EventSchema.fromJson({
        type: 'object',
        properties: { model_id: { type: 'string' }, owner: { type: 'object', properties: { team: { type: 'string' } } } },
        required: ['model_id'],
      }),
    });
    new EventTrigger(stack, 'Deploy', {
      source: EventSource.named(bus, 'model.added'),
      pipeline: TrainingPipeline.fromPipelineName(stack, 'DeployPipeline', 'model-deploy'),
      parameters: { ModelId: '{{ event.model_id }}', Team: "{{ event.owner.team | default: 'ml' }}" },
    });
  });

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('drops and counts an events file line whose data fails the schema; the conforming lines start', async () => {
    // Prepare
    const events = [
      modelAdded('2024-01-29T09:00:00Z', { model_id: 'm-1', owner: { team: 'search' } }),
      modelAdded('2024-01-29T09:01:00Z', { model_id: 'm-2', owner: { team: 42 } }),
      modelAdded('2024-01-29T09:02:00Z', { model_id: 'm-3' }),
    ];

    // Act
    const timeline = await simulateApp(app, events, { until: '2024-01-29T10:00:00Z' });

    // Assess
    expect(timeline.runs.map((run) => [run.at, run.parameters])).toEqual([
      ['2024-01-29T09:00:00Z', { ModelId: 'm-1', Team: 'search' }],
      ['2024-01-29T09:02:00Z', { ModelId: 'm-3', Team: 'ml' }],
    ]);
    expect(timeline.decisions.map((decision) => [decision.at, decision.outcome, decision.reason])).toEqual([
      ['2024-01-29T09:01:00Z', 'rejected', 'data.owner.team must be a string (the schema declared for model.added)'],
    ]);
    expect(renderTimeline(timeline)).toMatch(/2 runs, 1 decision, 0 rejected lines/);
    expect(timeline.errors).toEqual([]);
  }, TIMEOUT);
});
