import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { ReferenceStack } from '../../bin/reference-stack';
import { readAssembly } from '../../lib/simulator/assembly';
import type { SimulatedStack } from '../../lib/simulator/model';
import { createTableProblems } from './assembly-botocore';

/** Every key of every object in `value`, however deep. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => [key, ...keysOf(item)]);
}

const functionNamed = (stack: SimulatedStack, logicalIdPrefix: string) => {
  const found = stack.functions.find((fn) => fn.logicalId.startsWith(logicalIdPrefix));
  if (!found) throw new Error(`no function ${logicalIdPrefix}* in ${stack.functions.map((fn) => fn.logicalId).join(', ')}`);
  return found;
};

describe('reading the reference app’s cloud assembly', () => {
  let outdir: string;
  let stack: SimulatedStack;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-assembly-'));
    const app = new App({ outdir });
    new ReferenceStack(app, 'MlTriggersReference', { pipelineName: 'churn-model-training', dataBucketName: 'churn-labelled-data', monitoringBucketName: 'churn-model-monitor', branch: 'main' });
    app.synth();
    [stack] = readAssembly(outdir);
  }, 120_000);

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test("names each alarm by its construct path, from the assembly's metadata when the template carries none", () => {
    // Prepare: an App synthesized outside the CDK command line writes no aws:cdk:path into the template.
    const template = JSON.parse(fs.readFileSync(path.join(outdir, 'MlTriggersReference.template.json'), 'utf8')) as { Resources: Record<string, { Metadata?: Record<string, unknown> }> };
    expect(Object.values(template.Resources).some((resource) => resource.Metadata?.['aws:cdk:path'] !== undefined)).toBe(false);

    // Act
    const paths = stack.alarms.map((alarm) => alarm.path).filter((alarmPath) => alarmPath?.includes('ModelMonitor'));

    // Assess
    expect(paths).toEqual(['MlTriggersReference/Drift/ModelMonitortenuremonths637162f4', 'MlTriggersReference/Drift/ModelMonitortotalamountbe5b5f43']);
  });

  test('reads the one stack, environment-agnostic, into the default account and region', () => {
    // Prepare: the assembly synthesized above. Act
    const stacks = readAssembly(outdir);

    // Assess
    expect(stacks.map(({ stackName, account, region }) => ({ stackName, account, region }))).toEqual([
      { stackName: 'MlTriggersReference', account: '123456789012', region: 'us-east-1' },
    ]);
  });

  test('leaves no intrinsic function anywhere in the model', () => {
    // Prepare and act: the stack read above. Assess
    expect(keysOf(stack).filter((key) => key.startsWith('Ref') || key.startsWith('Fn::'))).toEqual([]);
    expect(JSON.stringify(stack)).not.toMatch(/\$\{AWS::|\{"Ref"/);
  });

  test('finds the six Node.js functions, each with its bundled code in a folder of the assembly', () => {
    // Prepare and act: the stack read above. Assess
    expect(stack.functions).toHaveLength(6);
    for (const fn of stack.functions) {
      expect(fs.existsSync(path.join(fn.codeDir, 'index.js'))).toBe(true);
      expect(path.dirname(fn.codeDir)).toBe(outdir);
      expect(fn.handler).toBe('index.handler');
      expect(fn.functionArn).toBe(`arn:aws:lambda:us-east-1:123456789012:function:${fn.functionName}`);
      expect(fn.functionName.length).toBeLessThanOrEqual(64);
    }
    expect(functionNamed(stack, 'CoordinatorFunction').timeoutSeconds).toBe(30);
  });

  test("resolves the functions' environments to the names and ARNs of the stack's own tables and topics", () => {
    // Prepare
    const coordinator = functionNamed(stack, 'CoordinatorFunction');
    const table = stack.tables.find((t) => t.logicalId.startsWith('CoordinatorTable'));
    const approvals = stack.topics.find((t) => t.logicalId.startsWith('Approvals'));

    // Act
    const { COORDINATOR_TABLE_NAME, APPROVAL_TOPIC_ARN, COORDINATOR_POLICY } = coordinator.environment;

    // Assess
    expect(COORDINATOR_TABLE_NAME).toBe(table?.tableName);
    expect(APPROVAL_TOPIC_ARN).toBe(approvals?.topicArn);
    expect(APPROVAL_TOPIC_ARN).toMatch(/^arn:aws:sns:us-east-1:123456789012:MlTriggersReference-Approvals[0-9A-F]{8}-[0-9A-Z]{13}$/);
    expect(JSON.parse(COORDINATOR_POLICY).timeZone).toBe('Europe/Berlin');
    const drift = JSON.parse(functionNamed(stack, 'DriftEvaluator').environment.DRIFT_SETTINGS);
    expect(drift.coordinatorFunction).toBe(coordinator.functionArn);
    expect(drift.monitors[0].bucket).toBe(stack.buckets[0].bucketName);
  });

  test("finds the six rules with their buses, patterns and targets; objects go to the queue the batcher's mapping polls, a debounced event also to its delay queue", () => {
    // Prepare
    const events = functionNamed(stack, 'MlTriggersEventsFunction');
    const batcher = functionNamed(stack, 'MlTriggersDataArrivalBatcher');
    const [arrivals] = stack.eventSourceMappings.filter((mapping) => mapping.functionName === batcher.functionName);
    const [debounce] = stack.eventSourceMappings.filter((mapping) => mapping.functionName === events.functionName);

    // Act
    const rules = stack.rules.map((rule) => ({ bus: rule.eventBusName, source: (rule.eventPattern as { source: string[] }).source, targets: rule.targets.map((t) => t.arn) }));

    // Assess
    expect(rules).toEqual([
      { bus: 'default', source: ['aws.s3'], targets: [arrivals.queueArn] },
      { bus: 'default', source: ['aws.cloudwatch'], targets: [stack.topics.find((t) => t.logicalId.startsWith('DriftTopic'))?.topicArn] },
      { bus: 'ml-triggers.churn.main', source: ['ml-triggers.churn.main'], targets: [events.functionArn] },
      { bus: 'ml-triggers.churn.main', source: ['ml-triggers.churn.main'], targets: [events.functionArn] },
      { bus: 'ml-triggers.churn.main', source: ['ml-triggers.churn.main'], targets: [events.functionArn, debounce.queueArn] },
      { bus: 'default', source: ['aws.sagemaker'], targets: [events.functionArn] },
    ]);
    expect(stack.rules.every((rule) => rule.enabled)).toBe(true);
    expect(stack.rules[5].eventPattern).toMatchObject({
      detail: { pipelineArn: [{ 'equals-ignore-case': 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn-feature-engineering' }] },
    });
    expect(stack.rules[0].targets[0].inputTransformer).toEqual({
      inputPathsMap: { f1: '$' },
      inputTemplate: '{"triggerId":"MlTriggersReference-NewLabels-C4C8034A","event":<f1>}',
    });
  });

  test('finds the five schedules with their expressions, time zones and targets', () => {
    // Prepare
    const coordinator = functionNamed(stack, 'CoordinatorFunction');
    const batcher = functionNamed(stack, 'MlTriggersDataArrivalBatcher');

    // Act
    const schedules = stack.schedules.map(({ expression, timeZone, targetArn, enabled }) => ({ expression, timeZone, targetArn, enabled }));

    // Assess
    expect(schedules).toEqual([
      { expression: 'rate(1 minute)', timeZone: 'Etc/UTC', targetArn: coordinator.functionArn, enabled: true },
      { expression: 'cron(0 3 ? * MON-FRI *)', timeZone: 'Europe/Berlin', targetArn: coordinator.functionArn, enabled: true },
      { expression: 'cron(0 11 ? * MON-FRI *)', timeZone: 'Europe/Berlin', targetArn: batcher.functionArn, enabled: true },
      { expression: 'rate(1 minute)', timeZone: 'Etc/UTC', targetArn: batcher.functionArn, enabled: true },
      { expression: 'rate(1 hour)', timeZone: 'Europe/Berlin', targetArn: expect.stringMatching(/^arn:aws:states:us-east-1:123456789012:stateMachine:MlTriggersReference-ChurnDriftRuns/), enabled: true },
    ]);
    expect(stack.schedules[1].input).toContain('<aws.scheduler.scheduled-time>');
  });

  test("reads the triggers' configuration parameters, whose values parse as JSON with the coordinator's ARN in them", () => {
    // Prepare
    const coordinator = functionNamed(stack, 'CoordinatorFunction');

    // Act
    const values = stack.parameters.map((parameter) => JSON.parse(parameter.value));

    // Assess
    expect(stack.parameters.map((parameter) => parameter.name)).toEqual(['/cdk-ml-triggers/mlt-33147b8a/configs-1', '/cdk-ml-triggers/mle-33147b8a/configs-1']);
    expect(values[0]['MlTriggersReference-NewLabels-C4C8034A'].coordinatorFunction).toBe(coordinator.functionArn);
    expect(values[1]['AfterFeatures-a783dfff'].pattern.detail.pipelineArn).toEqual([{ 'equals-ignore-case': 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn-feature-engineering' }]);
  });

  test('gives each of the three tables an on-demand CreateTable input that botocore accepts', () => {
    // Prepare and act: the stack read above
    const inputs = stack.tables.map((table) => table.createTable);

    // Assess
    expect(inputs).toHaveLength(3);
    for (const [index, input] of inputs.entries()) {
      expect(input).toEqual({
        TableName: stack.tables[index].tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      });
    }
    expect(createTableProblems(inputs)).toEqual(['', '', '']);
  }, 60_000);

  test("subscribes the drift evaluator to the drift topic, and names the alarms the drift rule watches", () => {
    // Prepare
    const evaluator = functionNamed(stack, 'DriftEvaluator');

    // Act
    const subscribed = stack.topics.filter((topic) => topic.functionSubscriptions.length > 0);

    // Assess
    expect(subscribed.map((topic) => [topic.logicalId.slice(0, 10), topic.functionSubscriptions])).toEqual([['DriftTopic', [evaluator.functionArn]]]);
    expect(stack.alarms).toHaveLength(10);
    const watched = (stack.rules[1].eventPattern as { resources: string[] }).resources;
    expect(watched.every((alarmArn) => stack.alarms.some((alarm) => alarm.alarmArn === alarmArn))).toBe(true);
  });

  test('counts what the simulator does not run: the state machine, the archive and the inline custom-resource handler', () => {
    // Prepare and act: the stack read above. Assess
    expect(stack.notSimulated).toEqual({
      'AWS::Events::Archive': 1,
      'AWS::Lambda::Function': 1,
      'AWS::StepFunctions::StateMachine': 1,
    });
  });

  test('runs the arrival queue the batcher polls, the debounce queue the events function polls, and the dead-letter queue both redrive to', () => {
    // Prepare
    const batcher = functionNamed(stack, 'MlTriggersDataArrivalBatcher');
    const events = functionNamed(stack, 'MlTriggersEventsFunction');

    // Act
    const [mapping, debounceMapping] = stack.eventSourceMappings;
    const arrivals = stack.queues.find((queue) => queue.queueArn === mapping.queueArn);
    const debounce = stack.queues.find((queue) => queue.queueArn === debounceMapping.queueArn);
    const deadLetters = stack.queues.find((queue) => queue !== arrivals && queue !== debounce);

    // Assess
    expect(stack.eventSourceMappings).toHaveLength(2);
    expect(mapping).toMatchObject({ functionName: batcher.functionName, enabled: true, reportBatchItemFailures: true });
    expect(debounceMapping).toMatchObject({ functionName: events.functionName, enabled: true, reportBatchItemFailures: true });
    expect(arrivals?.redrive?.deadLetterTargetArn).toBe(deadLetters?.queueArn);
    expect(debounce?.redrive?.deadLetterTargetArn).toBe(deadLetters?.queueArn);
    expect(stack.queues).toHaveLength(3);
    expect(batcher.environment.ARRIVAL_QUEUE_ARN).toBe(mapping.queueArn);
  });

  test('reads the same assembly twice into deep-equal models', () => {
    // Prepare and act
    const again = readAssembly(outdir);

    // Assess
    expect(again).toEqual([stack]);
  });

  test('reads a copy of the assembly in another folder into the same model but for the code folders', () => {
    // Prepare
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-assembly-copy-'));
    try {
      fs.cpSync(outdir, copy, { recursive: true });

      // Act
      const [copied] = readAssembly(copy);

      // Assess
      const withoutCode = (s: SimulatedStack) => ({ ...s, functions: s.functions.map(({ codeDir, ...fn }) => ({ ...fn, code: path.basename(codeDir) })) });
      expect(withoutCode(copied)).toEqual(withoutCode(stack));
      expect(copied.functions.every((fn) => fn.codeDir.startsWith(copy))).toBe(true);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  }, 60_000);

  test('reads an environment-agnostic stack into the account and region the options give', () => {
    // Prepare and act
    const [inFrankfurt] = readAssembly(outdir, { stackName: 'MlTriggersReference', account: '111122223333', region: 'eu-central-1' });

    // Assess
    expect(inFrankfurt.functions[0].functionArn).toMatch(/^arn:aws:lambda:eu-central-1:111122223333:function:/);
    expect(inFrankfurt.functions.map((fn) => fn.functionName)).toEqual(stack.functions.map((fn) => fn.functionName));
  });

  test('refuses a stack name the assembly does not have, listing the ones it has', () => {
    // Prepare, act and assess
    expect(() => readAssembly(outdir, { stackName: 'Elsewhere' })).toThrow(/has no stack named Elsewhere; its stacks: MlTriggersReference$/);
  });

  test("refuses an assembly whose function code folder is missing, naming the function", () => {
    // Prepare
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-assembly-gap-'));
    try {
      fs.cpSync(outdir, copy, { recursive: true });
      fs.rmSync(path.join(copy, path.basename(functionNamed(stack, 'GuardrailFunction').codeDir)), { recursive: true });

      // Act and assess
      expect(() => readAssembly(copy)).toThrow(/^function GuardrailFunction[0-9A-F]{8}: its code asset\.[0-9a-f]{64} is not a folder of the assembly .* \(at GuardrailFunction[0-9A-F]{8}\.Properties\.Code\.S3Key\)$/);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  }, 60_000);
});
