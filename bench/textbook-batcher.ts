import {
  BatchWriteItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { CreatedObject } from '../lambda/core/s3-object-created';

/**
 * The textbook data-arrival batcher, as the baseline: store each event, COUNT the batch on every
 * event, and when it is full start the pipeline and delete the batch's items.
 */
export class TextbookBatcher {
  starts = 0;
  /** The object keys of each batch started, in order. */
  readonly startedBatches: string[][] = [];

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly batchSize: number,
  ) {}

  async arrive(triggerId: string, object: CreatedObject): Promise<void> {
    const pk = `TEXTBOOK#${triggerId}`;
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({ pk, sk: `${object.key}#${object.sequencer}`, bucket: object.bucket, key: object.key, size: object.size, eventTime: object.eventTime }),
      }),
    );
    const counted = await this.client.send(
      new QueryCommand({ TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: marshall({ ':pk': pk }), Select: 'COUNT' }),
    );
    if ((counted.Count ?? 0) < this.batchSize) return;
    const items = await this.listAll(pk);
    this.starts += 1;
    this.startedBatches.push(items.map((item) => String(item.key.S)));
    for (let i = 0; i < items.length; i += 25) {
      await this.client.send(
        new BatchWriteItemCommand({
          RequestItems: {
            [this.tableName]: items.slice(i, i + 25).map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } })),
          },
        }),
      );
    }
  }

  private async listAll(pk: string): Promise<Array<Record<string, AttributeValue>>> {
    const items: Array<Record<string, AttributeValue>> = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({ TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: marshall({ ':pk': pk }), ExclusiveStartKey: startKey }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items.map((item) => marshall(unmarshall(item)));
  }
}
