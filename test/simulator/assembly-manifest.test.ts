import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Stage } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { readAssembly } from '../../lib/simulator/assembly';
import { generatedName, nameSuffix } from '../../lib/simulator/physical-names';

describe('reading the stacks of an assembly', () => {
  let outdir: string;

  beforeAll(() => {
    // A stage with a producing and a consuming stack (a cross-stack reference), and a stack pinned to Frankfurt.
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-manifest-'));
    const app = new App({ outdir });
    const stage = new Stage(app, 'Prod');
    const producer = new Stack(stage, 'Topics');
    const topic = new sns.Topic(producer, 'Orders');
    const consumer = new Stack(stage, 'Alerts');
    new sns.Topic(consumer, 'Mirror', { topicName: topic.topicName });
    new sns.Topic(new Stack(app, 'Pinned', { env: { account: '444455556666', region: 'eu-central-1' } }), 'Local', { topicName: 'local' });
    app.synth();
  }, 120_000);

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test("follows a stage's nested assembly and reads every stack", () => {
    // Prepare: the assembly synthesized above. Act
    const stacks = readAssembly(outdir);

    // Assess
    expect(stacks.map(({ stackName, account, region }) => [stackName, account, region]).sort()).toEqual([
      ['Pinned', '444455556666', 'eu-central-1'],
      ['Prod-Alerts', '123456789012', 'us-east-1'],
      ['Prod-Topics', '123456789012', 'us-east-1'],
    ]);
  });

  test('resolves Fn::ImportValue from the stack of the assembly that exports the value', () => {
    // Prepare
    const [topics] = readAssembly(outdir, { stackName: 'Prod-Topics' });

    // Act
    const [alerts] = readAssembly(outdir, { stackName: 'Prod/Alerts' });

    // Assess
    expect(alerts.topics[0].topicName).toBe(topics.topics[0].topicName);
    expect(topics.topics[0].topicName).toMatch(/^Prod-Topics-Orders[0-9A-F]{8}-[0-9A-Z]{13}$/);
  });

  test('keeps the account and region of a pinned stack whatever the options say', () => {
    // Prepare, act
    const [pinned] = readAssembly(outdir, { stackName: 'Pinned', account: '111122223333', region: 'us-west-2' });

    // Assess
    expect(pinned.topics[0].topicArn).toBe('arn:aws:sns:eu-central-1:444455556666:local');
  });

  test('refuses a folder that is not a cloud assembly', () => {
    // Prepare, act and assess
    expect(() => readAssembly(path.join(outdir, 'nothing-here'))).toThrow(/nothing-here has no manifest\.json: it is not a cloud assembly/);
  });
});

describe('generated physical names', () => {
  test('are stable for a stack and logical id, and differ between stacks', () => {
    // Prepare, act and assess
    expect(nameSuffix('Shop', 'Orders')).toBe(nameSuffix('Shop', 'Orders'));
    expect(nameSuffix('Shop', 'Orders')).toMatch(/^[0-9A-Z]{13}$/);
    expect(nameSuffix('Shop-dev', 'Orders')).not.toBe(nameSuffix('Shop', 'Orders'));
  });

  test('cut the stack and logical id so that the name fits the limit, keeping the whole suffix', () => {
    // Prepare
    const name = generatedName('AVeryLongStackNameForAnApplication', 'AVeryLongLogicalIdOfAFunction0123ABCD', 64);

    // Act and assess
    expect(name).toHaveLength(64);
    expect(name.endsWith(`-${nameSuffix('AVeryLongStackNameForAnApplication', 'AVeryLongLogicalIdOfAFunction0123ABCD')}`)).toBe(true);
  });
});
