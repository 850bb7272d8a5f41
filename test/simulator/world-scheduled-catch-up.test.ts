import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { ReEnable, ScheduledTrigger, TrainingPipeline, TriggerSchedule, type ScheduledTriggerProps } from '../../lib';
import { simulateApp, type Timeline } from '../../lib/testing';

const TIMEOUT = 300_000;

/** A nightly trigger at 03:00 UTC on `nightly-training`; its id, for the events file. */
function nightlyApp(outdir: string, props: Partial<ScheduledTriggerProps>): { app: App; triggerId: string } {
  const app = new App({ outdir });
  const stack = new Stack(app, 'Nightly');
  const trigger = new ScheduledTrigger(stack, 'Nightly', {
    pipeline: TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'nightly-training'),
    schedule: TriggerSchedule.cron('0 3 * * ? *'),
    parameters: { TrainingMode: 'nightly' },
    ...props,
  });
  return { app, triggerId: trigger.triggerId };
}

/** Off from Monday noon to Wednesday noon: the firings of Tuesday and Wednesday 03:00 fall while it is off. */
const offMondayToWednesday = (triggerId: string) => [
  { at: '2027-03-01T12:00:00Z', disable: triggerId },
  { at: '2027-03-03T12:00:00Z', enable: triggerId },
];
const runTimes = (timeline: Timeline) => timeline.runs.map((run) => run.at);

describe('simulating a scheduled trigger disabled and enabled again by redeployments', () => {
  let outdir: string;
  beforeEach(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-scheduled-catch-up-'));
  });
  afterEach(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('with catch-up, the schedule does not fire while off, and one run makes up its two missed firings when it is enabled', async () => {
    // Prepare
    const { app, triggerId } = nightlyApp(outdir, { whenReEnabled: ReEnable.catchUp({ maxAge: Duration.days(3) }) });

    // Act
    const timeline = await simulateApp(app, offMondayToWednesday(triggerId), { from: '2027-03-01T00:00:00Z', until: '2027-03-05T00:00:00Z' });

    // Assess
    expect(runTimes(timeline)).toEqual(['2027-03-01T03:00:00Z', '2027-03-03T12:00:00Z', '2027-03-04T03:00:00Z']);
    expect(timeline.runs[1].parameters).toEqual({ TrainingMode: 'nightly' });
    expect(timeline.nothingListens).toEqual([]);
    expect(timeline.errors).toEqual([]);
  }, TIMEOUT);

  test('with catch-up, a later redeployment that enables it again starts nothing: the catch-up run started since the latest missed firing', async () => {
    // Prepare: enabled on Wednesday at 06:00, after the missed 03:00 firing, and deployed enabled again at noon.
    const { app, triggerId } = nightlyApp(outdir, { whenReEnabled: ReEnable.catchUp() });
    const early = { at: '2027-03-03T06:00:00Z', enable: triggerId };

    // Act
    const timeline = await simulateApp(app, [offMondayToWednesday(triggerId)[0], early, offMondayToWednesday(triggerId)[1]], { from: '2027-03-01T00:00:00Z', until: '2027-03-04T00:00:00Z' });

    // Assess
    expect(runTimes(timeline)).toEqual(['2027-03-01T03:00:00Z', '2027-03-03T06:00:00Z']);
    expect(timeline.errors).toEqual([]);
  }, TIMEOUT);

  test('skipping, the schedule does not fire while off and nothing makes its firings up', async () => {
    // Prepare
    const { app, triggerId } = nightlyApp(outdir, {});

    // Act
    const timeline = await simulateApp(app, offMondayToWednesday(triggerId), { from: '2027-03-01T00:00:00Z', until: '2027-03-05T00:00:00Z' });

    // Assess
    expect(runTimes(timeline)).toEqual(['2027-03-01T03:00:00Z', '2027-03-04T03:00:00Z']);
    expect(timeline.nothingListens).toEqual([]);
  }, TIMEOUT);
});
