import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { EventSource, EventTrigger, ScheduledTrigger, TrainingPipeline, TriggerEventBus, TriggerSchedule } from '../../lib';
import { simulateApp } from '../../lib/testing';

const TIMEOUT = 300_000;

describe('simulating an hourly schedule that runs the pipeline at least every 3 days, beside an event trigger', () => {
  let outdir: string;
  let app: App;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-unless-ran-'));
    app = new App({ outdir });
    const stack = new Stack(app, 'Deadline');
    const pipeline = TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training');
    const bus = new TriggerEventBus(stack, 'Bus', { project: 'churn', branch: 'main' });
    new EventTrigger(stack, 'OnNewData', { source: EventSource.named(bus, 'data_updated'), pipeline, parameters: { Dataset: '{{ event.uri }}' } });
    new ScheduledTrigger(stack, 'AtLeastEvery3Days', {
      pipeline,
      schedule: TriggerSchedule.rate(Duration.hours(1)),
      unlessRanWithin: Duration.days(3),
      parameters: { TrainingMode: 'deadline' },
    });
  });

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('starts a run at the first firing, then only once 3 days passed since the run the event started on day 2', async () => {
    // Prepare: a week from Monday 1 March 2027; new data arrives on Wednesday at 10:30
    const events = [{ at: '2027-03-03T10:30:00Z', event: { name: 'data_updated', project: 'churn', branch: 'main', data: { uri: 's3://churn/2027-03-03' } } }];

    // Act
    const timeline = await simulateApp(app, events, { from: '2027-03-01T00:00:00Z', until: '2027-03-08T00:00:00Z' });

    // Assess: nothing had run when the first firing came; 3 days after the event's run, the 11:00 firing is the first outside it
    expect(timeline.runs.map((run) => [run.at, run.trigger, run.parameters])).toEqual([
      ['2027-03-01T01:00:00Z', 'scheduled', { TrainingMode: 'deadline' }],
      ['2027-03-03T10:30:00Z', 'event', { Dataset: 's3://churn/2027-03-03' }],
      ['2027-03-06T11:00:00Z', 'scheduled', { TrainingMode: 'deadline' }],
    ]);
    expect(timeline.errors).toEqual([]);
    // Every other firing is skipped, naming the run within the window; the first after the event's run counts that one.
    expect(new Set(timeline.decisions.map((decision) => decision.outcome))).toEqual(new Set(['skipped']));
    expect(timeline.decisions.find((decision) => decision.at === '2027-03-03T11:00:00Z')?.counted).toMatchObject({ startedAt: '2027-03-03T10:30:00Z' });
  }, TIMEOUT);
});
