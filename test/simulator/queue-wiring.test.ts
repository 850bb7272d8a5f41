import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CfnTemplate } from '../../lib/simulator/intrinsics';
import type { SimulatedStack } from '../../lib/simulator/model';
import { simulatedStack } from '../../lib/simulator/wiring';
import { withTempDir } from '../support/temp-dir';

const env = { stackName: 'Shop', account: '111122223333', region: 'eu-west-1', partition: 'aws', urlSuffix: 'amazonaws.com' };
const queueArn = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const CONSUMER = {
  Type: 'AWS::Lambda::Function',
  Properties: {
    FunctionName: 'shop-consumer', Runtime: 'nodejs22.x', Handler: 'index.handler', Code: { S3Bucket: 'assets', S3Key: 'consumer.zip' },
    Environment: { Variables: { ARRIVAL_QUEUE_ARN: queueArn('Arrivals') } },
  },
};
const INLINE = { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'shop-inline', Runtime: 'nodejs22.x', Handler: 'index.handler', Code: { ZipFile: 'x' } } };

describe('wiring queues and the event source mappings that poll them', () => {
  let assemblyDir = '';
  withTempDir('queue-wiring-', (dir) => {
    assemblyDir = dir;
    fs.mkdirSync(path.join(dir, 'asset.consumer'));
  });
  const read = (template: CfnTemplate): SimulatedStack => simulatedStack({ template, env }, assemblyDir);

  test('reads a polled queue, its dead-letter queue and the mapping with its settings, and the queue ARN the function is told', () => {
    // Prepare
    const template: CfnTemplate = {
      Resources: {
        Consumer: CONSUMER,
        Dead: { Type: 'AWS::SQS::Queue' },
        Arrivals: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'arrivals', VisibilityTimeout: 90, RedrivePolicy: { deadLetterTargetArn: queueArn('Dead'), maxReceiveCount: 4 } } },
        Mapping: {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: {
            EventSourceArn: queueArn('Arrivals'), FunctionName: { Ref: 'Consumer' }, BatchSize: 25, MaximumBatchingWindowInSeconds: 30,
            ScalingConfig: { MaximumConcurrency: 5 }, FunctionResponseTypes: ['ReportBatchItemFailures'],
          },
        },
      },
    };

    // Act
    const { queues, eventSourceMappings, functions, notSimulated } = read(template);

    // Assess
    const arrivals = 'arn:aws:sqs:eu-west-1:111122223333:arrivals';
    expect(queues).toEqual([
      { logicalId: 'Dead', queueName: expect.stringMatching(/^Shop-Dead-/), queueArn: expect.stringMatching(/^arn:aws:sqs:eu-west-1:111122223333:Shop-Dead-/), visibilityTimeoutSeconds: 30 },
      { logicalId: 'Arrivals', queueName: 'arrivals', queueArn: arrivals, visibilityTimeoutSeconds: 90, redrive: { deadLetterTargetArn: queues[0].queueArn, maxReceiveCount: 4 } },
    ]);
    expect(eventSourceMappings).toEqual([
      { logicalId: 'Mapping', queueArn: arrivals, functionName: 'shop-consumer', enabled: true, batchSize: 25, maximumBatchingWindowSeconds: 30, maximumConcurrency: 5, reportBatchItemFailures: true },
    ]);
    expect(functions[0].environment.ARRIVAL_QUEUE_ARN).toBe(arrivals);
    expect(notSimulated).toEqual({});
  });

  test("takes SQS's and Lambda's defaults, a redrive policy given as text, and a mapping that names its function by ARN", () => {
    // Prepare
    const template: CfnTemplate = {
      Resources: {
        Consumer: CONSUMER,
        Dead: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'dead' } },
        Arrivals: { Type: 'AWS::SQS::Queue', Properties: { RedrivePolicy: '{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:111122223333:dead","maxReceiveCount":2}' } },
        Mapping: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { EventSourceArn: queueArn('Arrivals'), FunctionName: queueArn('Consumer'), Enabled: false } },
      },
    };

    // Act
    const { queues, eventSourceMappings } = read(template);

    // Assess
    expect(queues.map((queue) => [queue.logicalId, queue.visibilityTimeoutSeconds, queue.redrive?.maxReceiveCount])).toEqual([['Dead', 30, undefined], ['Arrivals', 30, 2]]);
    expect(eventSourceMappings).toEqual([
      expect.objectContaining({ functionName: 'arn:aws:lambda:eu-west-1:111122223333:function:shop-consumer', enabled: false, batchSize: 10, maximumBatchingWindowSeconds: 0, reportBatchItemFailures: false }),
    ]);
    expect(eventSourceMappings[0]).not.toHaveProperty('maximumConcurrency');
  });

  test('counts as not simulated a queue nothing polls, a mapping of a stream and a mapping to a function the simulator cannot run', () => {
    // Prepare
    const template: CfnTemplate = {
      Resources: {
        Consumer: CONSUMER,
        Inline: INLINE,
        Arrivals: { Type: 'AWS::SQS::Queue' },
        ForInline: { Type: 'AWS::SQS::Queue' },
        Table: { Type: 'AWS::DynamoDB::Table', Properties: { KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }] } },
        OfStream: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { EventSourceArn: { 'Fn::GetAtt': ['Table', 'StreamArn'] }, FunctionName: { Ref: 'Consumer' } } },
        OfInline: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { EventSourceArn: queueArn('ForInline'), FunctionName: { Ref: 'Inline' } } },
      },
    };

    // Act
    const { queues, eventSourceMappings, notSimulated } = read(template);

    // Assess
    expect(queues).toEqual([]);
    expect(eventSourceMappings).toEqual([]);
    expect(notSimulated).toEqual({ 'AWS::Lambda::EventSourceMapping': 2, 'AWS::Lambda::Function': 1, 'AWS::SQS::Queue': 2 });
  });
});
