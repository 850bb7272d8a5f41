import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_SERVICE_TIMEOUT, serviceForEachTest, startDynalite, startS3 } from './local-services';

jest.setTimeout(LOCAL_SERVICE_TIMEOUT);

describe('startDynalite', () => {
  serviceForEachTest(startDynalite, 'AWS_ENDPOINT_URL_DYNAMODB');

  it('serves a CreateTable, PutItem, GetItem round trip to the real DynamoDBClient', async () => {
    const client = new DynamoDBClient({});
    await client.send(
      new CreateTableCommand({
        TableName: 'decisions',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );

    await client.send(new PutItemCommand({ TableName: 'decisions', Item: { pk: { S: 'run-1' }, count: { N: '3' } } }));
    const output = await client.send(new GetItemCommand({ TableName: 'decisions', Key: { pk: { S: 'run-1' } } }));

    expect(output.Item).toEqual({ pk: { S: 'run-1' }, count: { N: '3' } });
    client.destroy();
  });
});

describe('startS3', () => {
  serviceForEachTest(startS3, 'AWS_ENDPOINT_URL_S3');

  it('serves a path-style CreateBucket, PutObject, GetObject round trip with only AWS_ENDPOINT_URL_S3 set', async () => {
    const client = new S3Client({});
    const requested: string[] = [];
    client.middlewareStack.add(
      (next) => async (args) => {
        if (hasHostAndPath(args.request)) requested.push(`${args.request.hostname}${args.request.path}`);
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordRequestedUrl' },
    );
    await client.send(new CreateBucketCommand({ Bucket: 'training-data' }));

    await client.send(new PutObjectCommand({ Bucket: 'training-data', Key: 'day/1.csv', Body: 'a,b\n1,2\n' }));
    const output = await client.send(new GetObjectCommand({ Bucket: 'training-data', Key: 'day/1.csv' }));

    expect(await output.Body?.transformToString()).toBe('a,b\n1,2\n');
    expect(requested).toEqual([
      '127.0.0.1/training-data/',
      '127.0.0.1/training-data/day/1.csv',
      '127.0.0.1/training-data/day/1.csv',
    ]);
    client.destroy();
  });
});

function hasHostAndPath(request: unknown): request is { hostname: string; path: string } {
  return typeof request === 'object' && request !== null && 'hostname' in request && 'path' in request;
}
