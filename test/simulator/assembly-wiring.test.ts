import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CfnTemplate } from '../../lib/simulator/intrinsics';
import type { SimulatedStack } from '../../lib/simulator/model';
import { simulatedStack } from '../../lib/simulator/wiring';
import { createTableProblems } from './assembly-botocore';

const env = { stackName: 'Shop', account: '111122223333', region: 'eu-west-1', partition: 'aws', urlSuffix: 'amazonaws.com' };
const read = (template: CfnTemplate, assemblyDir = os.tmpdir()): SimulatedStack => simulatedStack({ template, env }, assemblyDir);
const handlerArn = { 'Fn::GetAtt': ['Handler', 'Arn'] };
const HANDLER = { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'shop-handler', Runtime: 'nodejs22.x', Handler: 'index.handler', Code: { ZipFile: 'x' } } };

describe('wiring a resolved template into the simulator’s model', () => {
  test('a rule without a bus listens on the default bus; a pattern given as text is parsed; DISABLED turns it off', () => {
    // Prepare
    const template: CfnTemplate = {
      Resources: {
        Handler: HANDLER,
        Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'orders' } },
        OnDefault: { Type: 'AWS::Events::Rule', Properties: { EventPattern: '{"source":["shop"]}', Targets: [{ Id: 'a', Arn: handlerArn, Input: '{"x":1}' }] } },
        OnBusArn: { Type: 'AWS::Events::Rule', Properties: { EventBusName: { 'Fn::GetAtt': ['Bus', 'Arn'] }, State: 'DISABLED', EventPattern: { source: ['shop'] }, Targets: [{ Id: 'b', Arn: handlerArn, InputPath: '$.detail' }] } },
        Nightly: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'rate(1 day)', Targets: [{ Id: 'c', Arn: handlerArn }] } },
      },
    };

    // Act
    const { rules, notSimulated } = read(template);

    // Assess
    const arn = 'arn:aws:lambda:eu-west-1:111122223333:function:shop-handler';
    expect(rules).toEqual([
      { logicalId: 'OnDefault', ruleArn: expect.stringMatching(/^arn:aws:events:eu-west-1:111122223333:rule\/Shop-OnDefault-[0-9A-Z]+$/), eventBusName: 'default', eventPattern: { source: ['shop'] }, enabled: true, targets: [{ arn, input: '{"x":1}' }] },
      { logicalId: 'OnBusArn', ruleArn: expect.stringMatching(/^arn:aws:events:eu-west-1:111122223333:rule\/orders\/Shop-OnBusArn-[0-9A-Z]+$/), eventBusName: 'orders', eventPattern: { source: ['shop'] }, enabled: false, targets: [{ arn, inputPath: '$.detail' }] },
    ]);
    expect(notSimulated).toEqual({ 'AWS::Events::Rule': 1, 'AWS::Lambda::Function': 1 });
  });

  test('a schedule without a time zone runs in UTC and keeps its start and end dates and its input', () => {
    // Prepare
    const template: CfnTemplate = {
      Resources: {
        Handler: HANDLER,
        Once: {
          Type: 'AWS::Scheduler::Schedule',
          Properties: { ScheduleExpression: 'at(2030-01-01T00:00:00)', State: 'DISABLED', StartDate: '2029-12-01T00:00:00Z', EndDate: '2030-02-01T00:00:00Z', Target: { Arn: handlerArn, Input: '{"at":"<aws.scheduler.scheduled-time>"}' } },
        },
      },
    };

    // Act
    const [schedule] = read(template).schedules;

    // Assess
    expect(schedule).toEqual({
      logicalId: 'Once',
      expression: 'at(2030-01-01T00:00:00)',
      timeZone: 'UTC',
      enabled: false,
      startDate: '2029-12-01T00:00:00Z',
      endDate: '2030-02-01T00:00:00Z',
      targetArn: 'arn:aws:lambda:eu-west-1:111122223333:function:shop-handler',
      input: '{"at":"<aws.scheduler.scheduled-time>"}',
    });
  });

  test('a topic lists the functions subscribed inline and by subscription resources; an email subscription is not simulated', () => {
    // Prepare
    const template: CfnTemplate = {
      Resources: {
        Handler: HANDLER,
        Orders: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'orders', Subscription: [{ Protocol: 'lambda', Endpoint: handlerArn }, { Protocol: 'email', Endpoint: 'a@b.c' }] } },
        Audit: { Type: 'AWS::SNS::Subscription', Properties: { Protocol: 'lambda', TopicArn: { Ref: 'Orders' }, Endpoint: 'arn:aws:lambda:eu-west-1:111122223333:function:audit' } },
        Mail: { Type: 'AWS::SNS::Subscription', Properties: { Protocol: 'email', TopicArn: { Ref: 'Orders' }, Endpoint: 'ops@b.c' } },
      },
    };

    // Act
    const { topics, notSimulated } = read(template);

    // Assess
    expect(topics).toEqual([
      {
        logicalId: 'Orders',
        topicName: 'orders',
        topicArn: 'arn:aws:sns:eu-west-1:111122223333:orders',
        functionSubscriptions: ['arn:aws:lambda:eu-west-1:111122223333:function:shop-handler', 'arn:aws:lambda:eu-west-1:111122223333:function:audit'],
      },
    ]);
    expect(notSimulated['AWS::SNS::Subscription']).toBe(1);
  });

  test('an alarm keeps its name and resolves its actions; SSM parameters and buckets get their names', () => {
    // Prepare
    const template: CfnTemplate = {
      Resources: {
        Pager: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'pager' } },
        Errors: { Type: 'AWS::CloudWatch::Alarm', Properties: { AlarmName: 'errors', AlarmActions: [{ Ref: 'Pager' }], OKActions: [{ Ref: 'Pager' }] } },
        Config: { Type: 'AWS::SSM::Parameter', Properties: { Name: '/shop/config', Type: 'String', Value: { 'Fn::Sub': '{"region":"${AWS::Region}"}' } } },
        Data: { Type: 'AWS::S3::Bucket', Properties: {} },
      },
    };

    // Act
    const { alarms, parameters, buckets } = read(template);

    // Assess
    const pager = 'arn:aws:sns:eu-west-1:111122223333:pager';
    expect(alarms).toEqual([{ logicalId: 'Errors', alarmName: 'errors', alarmArn: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:errors', alarmActions: [pager], okActions: [pager], dimensions: {} }]);
    expect(parameters).toEqual([{ name: '/shop/config', value: '{"region":"eu-west-1"}' }]);
    expect(buckets).toEqual([{ logicalId: 'Data', bucketName: expect.stringMatching(/^shop-data-[0-9a-z]{13}$/) }]);
  });

  test('a function’s code folder comes from its asset path metadata when the template has it', () => {
    // Prepare
    const assemblyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-triggers-wiring-'));
    fs.mkdirSync(path.join(assemblyDir, 'asset.local'));
    const template: CfnTemplate = {
      Resources: {
        Handler: {
          Type: 'AWS::Lambda::Function',
          Metadata: { 'aws:asset:path': 'asset.local' },
          Properties: { Runtime: 'nodejs22.x', Handler: 'main.run', Code: { S3Bucket: 'b', S3Key: 'other.zip' }, Environment: { Variables: { SIZE: 3 } } },
        },
      },
    };

    try {
      // Act
      const [fn] = read(template, assemblyDir).functions;

      // Assess
      expect(fn).toMatchObject({ codeDir: path.join(assemblyDir, 'asset.local'), handler: 'main.run', environment: { SIZE: '3' }, timeoutSeconds: 3 });
    } finally {
      fs.rmSync(assemblyDir, { recursive: true, force: true });
    }
  });
});

describe('CreateTable inputs', () => {
  const gsi = { IndexName: 'byStatus', KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } };
  const common = {
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'status', AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  };

  test('a provisioned table keeps its indexes, capacity and stream, and drops what CreateTable does not take', () => {
    // Prepare
    const template: CfnTemplate = {
      Resources: {
        Orders: {
          Type: 'AWS::DynamoDB::Table',
          Properties: {
            ...common,
            TableName: 'orders',
            ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
            GlobalSecondaryIndexes: [{ ...gsi, ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 }, ContributorInsightsSpecification: { Enabled: true } }],
            LocalSecondaryIndexes: [{ IndexName: 'local', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'status', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } }],
            StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
            TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: 'alias/x' },
            Tags: [{ Key: 'a', Value: 'b' }],
            ContributorInsightsSpecification: { Enabled: true },
            DeletionProtectionEnabled: true,
          },
        },
      },
    };

    // Act
    const [{ createTable }] = read(template).tables;

    // Assess
    expect(Object.keys(createTable)).toEqual(['TableName', 'AttributeDefinitions', 'KeySchema', 'ProvisionedThroughput', 'GlobalSecondaryIndexes', 'LocalSecondaryIndexes', 'StreamSpecification']);
    expect(createTable.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
    expect(createTableProblems([createTable])).toEqual(['']);
  }, 60_000);

  test('a global table is read as its replica in the stack’s region, with provisioned capacity from its settings', () => {
    // Prepare
    const template: CfnTemplate = {
      Resources: {
        Orders: {
          Type: 'AWS::DynamoDB::GlobalTable',
          Properties: {
            ...common,
            BillingMode: 'PROVISIONED',
            WriteProvisionedThroughputSettings: { WriteCapacityAutoScalingSettings: { MinCapacity: 2, MaxCapacity: 10 } },
            GlobalSecondaryIndexes: [{ ...gsi, WriteProvisionedThroughputSettings: { WriteCapacityAutoScalingSettings: { MinCapacity: 1, MaxCapacity: 4 } } }],
            Replicas: [
              { Region: 'us-east-1', ReadProvisionedThroughputSettings: { ReadCapacityUnits: 50 } },
              { Region: 'eu-west-1', TableClass: 'STANDARD_INFREQUENT_ACCESS', ReadProvisionedThroughputSettings: { ReadCapacityUnits: 7 }, GlobalSecondaryIndexes: [{ IndexName: 'byStatus', ReadProvisionedThroughputSettings: { ReadCapacityUnits: 3 } }] },
            ],
          },
        },
      },
    };

    // Act
    const [table] = read(template).tables;

    // Assess
    expect(table.tableName).toMatch(/^Shop-Orders-[0-9A-Z]{13}$/);
    expect(table.createTable).toMatchObject({
      BillingMode: 'PROVISIONED',
      ProvisionedThroughput: { ReadCapacityUnits: 7, WriteCapacityUnits: 2 },
      GlobalSecondaryIndexes: [{ ...gsi, ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 1 } }],
      TableClass: 'STANDARD_INFREQUENT_ACCESS',
    });
    expect(createTableProblems([table.createTable])).toEqual(['']);
  }, 60_000);
});
