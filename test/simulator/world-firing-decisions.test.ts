import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { ScheduledTrigger, TrainingPipeline, TriggerSchedule } from '../../lib';
import { renderTimeline } from '../../lib/simulator/timeline';
import { simulateApp } from '../../lib/testing';
import { addCalendarTriggers, landing } from '../support/calendar-triggers';

const TIMEOUT = 300_000;

/**
 * Labels expected every weekday by 06:00 Berlin (05:00Z in January), each deadline starting with what arrived;
 * features batched every day at 03:00 Berlin (02:00Z), only when any came; a daily check at 01:00Z that starts
 * a run unless one ran within 36 hours.
 */
function firingsStack(app: App): void {
  const stack = new Stack(app, 'Firings');
  addCalendarTriggers(stack);
  new ScheduledTrigger(stack, 'AtLeastEvery36Hours', {
    pipeline: TrainingPipeline.fromPipelineName(stack, 'CheckedPipeline', 'checked-training'),
    schedule: TriggerSchedule.cron('0 1 * * ? *'),
    unlessRanWithin: Duration.hours(36),
  });
}

const object = landing;

describe('the timeline shows the deadlines missed and the firings skipped, as their handlers answered them', () => {
  let outdir: string;
  let app: App;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-firings-'));
    app = new App({ outdir });
    firingsStack(app);
  });

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('a missed deadline names its time and the last object; an empty batch schedule firing and a check within the window are skipped', async () => {
    // Prepare: Monday 29 January 2024 to Thursday 1 February, 06:00Z. Labels come on Monday only, features on Monday only.
    const events = [
      object('2024-01-29T03:00:00Z', 'labels/mon-1.parquet'),
      object('2024-01-29T04:10:00Z', 'labels/mon-2.parquet'),
      object('2024-01-29T10:00:00Z', 'features/mon-1.parquet'),
    ];

    // Act
    const timeline = await simulateApp(app, events, { from: '2024-01-29T00:00:00Z', until: '2024-02-01T06:00:00Z' });

    // Assess: Monday's deadline was met (a run); Tuesday's to Thursday's found nothing new since the one before.
    const missed = timeline.decisions.filter((decision) => decision.outcome === 'missed-deadline');
    expect(missed.map(({ at, pipeline, firing }) => [at, pipeline, firing])).toEqual([
      ['2024-01-30T05:00:00Z', 'labels-training', '2024-01-30T05:00:00Z'],
      ['2024-01-31T05:00:00Z', 'labels-training', '2024-01-31T05:00:00Z'],
      ['2024-02-01T05:00:00Z', 'labels-training', '2024-02-01T05:00:00Z'],
    ]);
    const lastArrival = missed[0].lastArrival!;
    expect(Date.parse(lastArrival)).toBeGreaterThanOrEqual(Date.parse('2024-01-29T04:10:00Z'));
    expect(Date.parse(lastArrival)).toBeLessThan(Date.parse('2024-01-29T05:00:00Z'));
    expect(missed.every((decision) => decision.lastArrival === lastArrival && /^data-arrival Firings-Labels/.test(decision.trigger))).toBe(true);
    expect(missed[0].reason).toBe(`deadline 2024-01-30T05:00:00Z: nothing arrived since the deadline before (last object ${lastArrival})`);

    // Monday's 02:00Z firing came before any feature; the batch closed at Tuesday's (a run); Wednesday's and Thursday's had nothing waiting.
    const skippedBatches = timeline.decisions.filter((decision) => decision.outcome === 'skipped' && decision.pipeline === 'features-training');
    expect(skippedBatches.map(({ at, reason }) => [at, reason])).toEqual([
      ['2024-01-29T02:00:00Z', 'batch schedule 2024-01-29T02:00:00Z: nothing arrived since the batch before'],
      ['2024-01-31T02:00:00Z', 'batch schedule 2024-01-31T02:00:00Z: nothing arrived since the batch before'],
      ['2024-02-01T02:00:00Z', 'batch schedule 2024-02-01T02:00:00Z: nothing arrived since the batch before'],
    ]);

    // The check started runs on Monday and Wednesday; Tuesday's and Thursday's firings found the run before them.
    const checks = timeline.runs.filter((run) => run.pipeline === 'checked-training').map((run) => run.at);
    expect(checks).toEqual(['2024-01-29T01:00:00Z', '2024-01-31T01:00:00Z']);
    const skippedChecks = timeline.decisions.filter((decision) => decision.outcome === 'skipped' && decision.pipeline === 'checked-training');
    expect(skippedChecks.map(({ at, firing, counted }) => [at, firing, counted?.status, counted?.startedAt])).toEqual([
      ['2024-01-30T01:00:00Z', '2024-01-30T01:00:00Z', 'Succeeded', '2024-01-29T01:00:00Z'],
      ['2024-02-01T01:00:00Z', '2024-02-01T01:00:00Z', 'Succeeded', '2024-01-31T01:00:00Z'],
    ]);
    expect(skippedChecks[0].trigger).toMatch(/^scheduled AtLeastEvery36Hours/);
    expect(skippedChecks[0].counted?.executionArn).toMatch(/:pipeline\/checked-training\/execution\//);
    expect(skippedChecks[0].reason).toBe(
      `firing 2024-01-30T01:00:00Z: ran within the window since 2024-01-28T13:00:00Z: execution ${skippedChecks[0].counted?.executionArn} (Succeeded) started at 2024-01-29T01:00:00Z`,
    );

    // Each is a decision of its own line, and the summary counts them with the decisions.
    expect(timeline.decisions).toHaveLength(missed.length + skippedBatches.length + skippedChecks.length);
    const text = renderTimeline(timeline).split('\n');
    expect(text).toContainEqual(expect.stringMatching(/^2024-01-30 05:00:00Z {2}missed-deadline {2}labels-training {2}\(data-arrival Firings-Labels\S*\) {2}deadline 2024-01-30T05:00:00Z: /));
    expect(text).toContainEqual(expect.stringMatching(/^2024-01-31 02:00:00Z {2}skipped {5}features-training {2}\(data-arrival Firings-Features\S*\) {2}batch schedule /));
    expect(text).toContainEqual(expect.stringMatching(/^2024-01-30 01:00:00Z {2}skipped {5}checked-training {2}\(scheduled AtLeastEvery36Hours\S*\) {2}firing /));
    expect(text[text.length - 1]).toBe(`${timeline.runs.length} runs, 8 decisions, 0 rejected lines, 0 inputs nothing listens to, 0 errors`);
    expect(timeline.errors).toEqual([]);
  }, TIMEOUT);
});
