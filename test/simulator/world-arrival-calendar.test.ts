import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { simulateApp } from '../../lib/testing';
import { addCalendarTriggers, landing } from '../support/calendar-triggers';

const TIMEOUT = 300_000;

/** The calendar triggers (see {@link addCalendarTriggers}) in a stack of their own. */
function calendarStack(app: App): void {
  addCalendarTriggers(new Stack(app, 'Calendar'));
}

const object = landing;

describe('simulating a deadline and a schedule-gated batch', () => {
  let outdir: string;
  let app: App;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-calendar-'));
    app = new App({ outdir });
    calendarStack(app);
  });

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('starts the labels at the Monday deadline and nothing at the Tuesday one it missed; the features at the first 03:00 after they came and never without', async () => {
    // Prepare: Monday 29 January 2024 to Wednesday 31 January, 06:00Z.
    // The simulation starts at midnight of the first line's day.
    const events = [
      object('2024-01-29T03:00:00Z', 'labels/mon-1.parquet'),
      object('2024-01-29T04:10:00Z', 'labels/mon-2.parquet'),
      object('2024-01-29T10:00:00Z', 'features/mon-1.parquet'),
      object('2024-01-29T11:00:00Z', 'features/mon-2.parquet'),
    ];

    // Act
    const timeline = await simulateApp(app, events, { until: '2024-01-31T06:00:00Z' });

    // Assess: 06:00 Berlin is 05:00Z and 03:00 Berlin 02:00Z. Neither batch filled or ran out of its window; the
    // calendar closed each at its firing. Tuesday's deadline and Wednesday's 03:00 found nothing and started nothing.
    expect(timeline.runs.map((run) => [run.at, run.pipeline, run.trigger, run.parameters.ObjectCount])).toEqual([
      ['2024-01-29T05:00:00Z', 'labels-training', 'data-arrival', '2'],
      ['2024-01-30T02:00:00Z', 'features-training', 'data-arrival', '2'],
    ]);
    expect(timeline.errors).toEqual([]);
    expect(timeline.rejected).toEqual([]);
  }, TIMEOUT);
});
