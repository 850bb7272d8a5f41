import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { App, Stack } from 'aws-cdk-lib';
import { DriftMonitor } from '../lib';
import { monitorProps, runDefinition, synthMonitor, type AslDefinition } from './support/drift-monitor-synth';
import { withTempDir } from './support/temp-dir';

/** asl-validator ships no types: its one export, as its README describes it. */
type AslValidator = (definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }) => { isValid: boolean; errors: Array<{ message: string }> };
const aslValidator = createRequire(__filename)('asl-validator') as AslValidator;

const choices = (definition: AslDefinition, state: string) => definition.States[state].Choices?.map((c) => [c.Variable, c.StringEquals, c.Next]);

describe('DriftMonitor run definition', () => {
  test('plans, then succeeds on no capture, assesses a small window, fans out over a larger one, and fails on anything else', () => {
    const definition = runDefinition(synthMonitor().template);

    expect(definition.StartAt).toBe('Plan');
    expect(definition.TimeoutSeconds).toBe(21600);
    expect(definition.States.Plan).toMatchObject({ Type: 'Task', Next: 'WindowSize', Parameters: { action: 'plan', 'executionName.$': '$$.Execution.Name', 'executionStartTime.$': '$$.Execution.StartTime' } });
    expect(definition.States.WindowSize.Type).toBe('Choice');
    expect(choices(definition, 'WindowSize')).toEqual([
      ['$.mode', 'empty', 'NoCapture'],
      ['$.mode', 'single', 'Assess'],
      ['$.mode', 'fan-out', 'SketchSlices'],
    ]);
    expect(definition.States.WindowSize.Default).toBe('PlanRejected');
    expect(definition.States.NoCapture).toEqual({ Type: 'Succeed' });
    expect(definition.States.PlanRejected).toMatchObject({ Type: 'Fail', Error: 'InputRejected' });
    expect(definition.States.Assess).toMatchObject({ Type: 'Task', Next: 'Assessed', Parameters: { action: 'assess', 'runId.$': '$.runId' } });
    expect(choices(definition, 'Assessed')).toEqual([['$.status', 'rejected', 'AssessRejected']]);
    expect(definition.States.Assessed.Default).toBe('Reported');
    expect(definition.States.Reported).toEqual({ Type: 'Succeed' });
    expect(definition.States.AssessRejected).toMatchObject({ Type: 'Fail', Error: 'InputRejected' });
  });

  test("fans out with a Distributed Map that reads the run's manifest from the monitor's bucket and sketches each slice", () => {
    const { template: t } = synthMonitor();
    const store = Object.keys(t.findResources('AWS::S3::Bucket'))[0];

    const map = runDefinition(t).States.SketchSlices;

    expect(map).toMatchObject({
      Type: 'Map',
      Next: 'Assess',
      ResultPath: null,
      MaxConcurrency: 40,
      ItemSelector: { 'runId.$': '$.runId', 'slice.$': '$$.Map.Item.Value.slice' },
      ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { Bucket: store.toLowerCase(), 'Key.$': '$.manifestKey' } },
    });
    const processor = map.ItemProcessor as AslDefinition & { ProcessorConfig: unknown };
    expect(processor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(processor.StartAt).toBe('SketchSlice');
    expect(processor.States.SketchSlice).toMatchObject({ Type: 'Task', Next: 'SliceRead', Parameters: { action: 'sketch', 'runId.$': '$.runId', 'slice.$': '$.slice' } });
    expect(choices(processor, 'SliceRead')).toEqual([['$.status', 'rejected', 'SliceRejected']]);
    expect(processor.States.SliceRead.Default).toBe('SliceDone');
  });

  test('every task invokes the monitor function and retries its service errors', () => {
    const { template: t } = synthMonitor();
    const fn = Object.keys(t.findResources('AWS::Lambda::Function'))[0];
    const definition = runDefinition(t);
    const processor = definition.States.SketchSlices.ItemProcessor as AslDefinition;

    const tasks = [definition.States.Plan, definition.States.Assess, processor.States.SketchSlice];

    for (const task of tasks) {
      expect(task.Resource).toBe(`arn:aws:lambda:eu-west-1:123456789012:function:${fn}`);
      expect(task.Retry).toEqual([expect.objectContaining({ ErrorEquals: expect.arrayContaining(['Lambda.ServiceException']), MaxAttempts: 6 })]);
    }
  });

  test('asl-validator finds no error in the synthesized definition', () => {
    const definition = runDefinition(synthMonitor().template);

    const { isValid, errors } = aslValidator(definition);

    expect(errors.map((e) => e.message)).toEqual([]);
    expect(isValid).toBe(true);
  });

  test('asl-validator does find errors, so a clean result means something: a choice to a missing state', () => {
    const definition = runDefinition(synthMonitor().template);
    const { Reported: _, ...states } = definition.States;

    const { isValid, errors } = aslValidator({ ...definition, States: states });

    expect(isValid).toBe(false);
    expect(errors.length).toBeGreaterThan(0);
  });
});

describe('DriftMonitor synthesis', () => {
  let outdir: string;
  withTempDir('ml-triggers-drift-monitor-', (dir) => (outdir = dir));

  test('gives byte-identical templates in any output folder', () => {
    const synth = (dir: string) => {
      const app = new App({ outdir: dir });
      const stack = new Stack(app, 'Monitored', { env: { account: '123456789012', region: 'eu-west-1' } });
      new DriftMonitor(stack, 'Monitor', monitorProps(stack));
      const assembly = app.synth();
      return fs.readFileSync(path.join(assembly.directory, assembly.getStackByName('Monitored').templateFile), 'utf8');
    };

    const first = synth(path.join(outdir, 'a'));
    const second = synth(path.join(outdir, 'b'));

    expect(second).toBe(first);
    expect(first).toContain('DRIFT_MONITOR_SETTINGS');
    expect(first).not.toContain(os.tmpdir());
    expect(first).not.toContain(process.cwd());
  });
});
