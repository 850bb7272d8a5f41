import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, TimeZone } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ScheduledTrigger, TrainingPipeline, TriggerSchedule } from '../../lib';
import { simulateApp } from '../../lib/testing';

describe('simulating a scheduled trigger without a coordinator', () => {
  let outdir: string;
  let app: App;
  let stack: Stack;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-schedule-'));
    app = new App({ outdir });
    stack = new Stack(app, 'Nightly');
    new ScheduledTrigger(stack, 'Nightly', {
      pipeline: TrainingPipeline.fromPipelineName(stack, 'Pipeline', 'churn-training'),
      schedule: TriggerSchedule.cron('0 3 ? * MON-FRI *'),
      timeZone: TimeZone.EUROPE_BERLIN,
      parameters: { TrainingMode: 'scheduled', DataWindowDays: '1' },
    });
  });

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test("deploys a schedule whose SageMaker target starts the pipeline itself, with the trigger's parameters", () => {
    // Prepare
    const template = Template.fromStack(stack);

    // Act
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule'));

    // Assess
    expect(schedules).toHaveLength(1);
    expect(schedules[0].Properties.Target.SageMakerPipelineParameters.PipelineParameterList).toEqual([
      { Name: 'DataWindowDays', Value: '1' },
      { Name: 'TrainingMode', Value: 'scheduled' },
    ]);
    template.resourceCountIs('AWS::Lambda::Function', 0);
  }, 300_000);

  test('starts a run at 03:00 Berlin on each weekday, in UTC across the change to summer time, with its parameters', async () => {
    // Prepare: Thursday 28 March 2024 to Tuesday 2 April; Berlin moves to summer time on Sunday 31 March
    const window = { from: '2024-03-28T00:00:00Z', until: '2024-04-03T00:00:00Z' };

    // Act
    const timeline = await simulateApp(app, [], window);

    // Assess
    expect(timeline.runs.map((run) => run.at)).toEqual(['2024-03-28T02:00:00Z', '2024-03-29T02:00:00Z', '2024-04-01T01:00:00Z', '2024-04-02T01:00:00Z']);
    for (const run of timeline.runs) {
      expect(run).toMatchObject({ pipeline: 'churn-training', trigger: 'scheduled', parameters: { TrainingMode: 'scheduled', DataWindowDays: '1' } });
    }
    expect(timeline.errors).toEqual([]);
  }, 300_000);
});
