import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DecisionRecordLike } from '../../core/explain';
import { queryAll } from './query-all';

/** One recorded decision: why a pipeline did or did not start. */
export interface DecisionRecord extends DecisionRecordLike {
  readonly pipelineName: string;
  readonly estimatedCost: number;
}

const logPk = (pipeline: string) => `D#${pipeline}`;
/**
 * Sort key of the decision log: time first, so that a pipeline's decisions read back by time range; the
 * outcome last, so that a failed attempt and the start that followed it in the same millisecond both stay.
 */
const logSk = (atMs: number, requestId: string, outcome: string) => `${new Date(atMs).toISOString()}#${requestId}#${outcome}`;

/**
 * The coordinator's decision log, in the coordinator's table: written by the coordinator, read by it and
 * by the operator command's `explain`.
 */
export class DecisionLog {
  /** @param retentionMs how long a written record is kept; a reader that never writes may pass 0. */
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly retentionMs: number,
  ) {}

  async write(record: DecisionRecord): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall(
          {
            pk: logPk(record.pipelineName),
            sk: logSk(record.atMs, record.requestId, record.outcome),
            ...record,
            expiresAt: Math.floor((record.atMs + this.retentionMs) / 1000),
          },
          { removeUndefinedValues: true },
        ),
      }),
    );
  }

  /** The decisions about `pipeline` between two times, oldest first. */
  async read(pipeline: string, fromMs: number, toMs: number): Promise<DecisionRecord[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: marshall({
        ':pk': logPk(pipeline),
        ':from': new Date(fromMs).toISOString(),
        ':to': `${new Date(toMs).toISOString()}#~`,
      }),
    });
    return items.map(({ pk, sk, expiresAt, ...record }) => record as DecisionRecord);
  }
}
