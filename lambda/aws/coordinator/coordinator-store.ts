import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { EMPTY_STATE, type StartRequest } from '../../core/coordination';
import { unlessConditionFails } from '../adapters/conditional-writes';
import type { LedgeredState } from './reservation-ledger';
import type { VersionedDocument } from '../../core/persistence';
import { dynamoDocument } from '../adapters/versioned-document';
import type { Lease } from '../../core/persistence';
import { dynamoLease } from '../adapters/lease';
import { DecisionLog, type DecisionRecord } from '../adapters/decision-log';
import { queryAll } from '../adapters/query-all';


/** What the coordinator remembers of a request id, so that a redelivered request is answered, not decided again. */
export interface RequestRecord {
  readonly owner: string;
  readonly leaseUntilMs: number;
  readonly decision?: Readonly<Record<string, unknown>>;
  /** The decision as stored: what a retake compares against. */
  readonly decisionText?: string;
  readonly executionArn?: string;
  /** The approval notice was published (recorded only after it was). */
  readonly noticeSent: boolean;
}

/** A request that waits for its turn: deferred until a time, held back by a pending approval, or parked for one. */
export interface WaitingRequest {
  readonly request: StartRequest;
  /** Decide it again at or after this time. */
  readonly dueAtMs?: number;
  /** Decide it again once this request no longer waits for approval. */
  readonly blockedBy?: string;
  /** It waits for an operator: its notice is sent again until one was published. */
  readonly parked?: boolean;
}

const WAITING_PK = 'W';
const waitingKey = (pipeline: string, requestId: string) => ({ pk: WAITING_PK, sk: `${pipeline}#${requestId}` });
const stateKey = (pipeline: string) => ({ pk: `P#${pipeline}`, sk: 'STATE' });
const requestKey = (pipeline: string, requestId: string) => ({ pk: `R#${pipeline}#${requestId}`, sk: 'R' });

/**
 * Per-pipeline coordination state, the request ledger and the decision log, in one DynamoDB table.
 * The state changes only by a write conditional on the version that was read.
 */
export class CoordinatorStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly retentionMs: number,
    private readonly decisionLog = new DecisionLog(client, tableName, retentionMs),
  ) {}

  async readState(pipeline: string): Promise<LedgeredState> {
    return this.stateDocument(pipeline).read();
  }

  /** The pipeline's state as a versioned document. */
  stateDocument(pipeline: string): VersionedDocument<LedgeredState> {
    return dynamoDocument<LedgeredState>(this.client, this.tableName, stateKey(pipeline), EMPTY_STATE);
  }

  /**
   * Takes a request id for `owner` for `leaseMs`. Returns undefined when taken, or the record another
   * delivery left (decided, or still leased).
   */
  async takeRequest(pipeline: string, requestId: string, owner: string, nowMs: number, leaseMs: number): Promise<RequestRecord | undefined> {
    const taken = await this.requestLease(pipeline, requestId).take(owner, nowMs, leaseMs, { expiresAt: Math.floor((nowMs + this.retentionMs) / 1000) });
    return taken ? undefined : this.readRequest(pipeline, requestId);
  }

  /** Gives up the lease on a request id at `nowMs`: its invocation stops working on it. */
  async freeRequest(pipeline: string, requestId: string, nowMs: number): Promise<void> {
    await this.requestLease(pipeline, requestId).free(nowMs);
  }

  /** A request id is decided by one invocation at a time, until its decision is recorded. */
  private requestLease(pipeline: string, requestId: string): Lease {
    return dynamoLease(this.client, this.tableName, requestKey(pipeline, requestId), { done: 'decision', until: 'leaseUntil' });
  }

  async readRequest(pipeline: string, requestId: string): Promise<RequestRecord | undefined> {
    const result = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall(requestKey(pipeline, requestId)), ConsistentRead: true }),
    );
    if (!result.Item) return undefined;
    const item = unmarshall(result.Item);
    return {
      owner: item.owner,
      leaseUntilMs: item.leaseUntil,
      decision: item.decision ? JSON.parse(item.decision) : undefined,
      decisionText: item.decision,
      executionArn: item.executionArn,
      noticeSent: item.noticeSent === true,
    };
  }

  /**
   * Takes a decided request id again, to decide it afresh, if its decision is still `decisionText`;
   * false when another delivery took it first.
   */
  async retakeRequest(pipeline: string, requestId: string, decisionText: string, owner: string, nowMs: number, leaseMs: number): Promise<boolean> {
    return this.leaseDecided(pipeline, requestId, decisionText, owner, nowMs + leaseMs, {
      remove: 'decision, executionArn, noticeSent',
    });
  }

  /**
   * Takes a decided request id whose start was not confirmed, to make or withdraw that start, if its decision is
   * still `decisionText` and no other invocation holds it; false when one does, or the decision changed.
   */
  async claimDecided(pipeline: string, requestId: string, decisionText: string, owner: string, nowMs: number, leaseMs: number): Promise<boolean> {
    return this.leaseDecided(pipeline, requestId, decisionText, owner, nowMs + leaseMs, {
      condition: 'leaseUntil <= :now AND attribute_not_exists(executionArn)',
      values: { ':now': nowMs },
    });
  }

  /**
   * Leases a decided request id to `owner` until `leaseUntilMs` if its decision is still `decisionText` and
   * `also.condition` holds, removing the attributes `also.remove` names; false when the condition failed.
   */
  private async leaseDecided(
    pipeline: string,
    requestId: string,
    decisionText: string,
    owner: string,
    leaseUntilMs: number,
    also: { readonly remove?: string; readonly condition?: string; readonly values?: Readonly<Record<string, number>> },
  ): Promise<boolean> {
    const written = await unlessConditionFails(
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(requestKey(pipeline, requestId)),
          UpdateExpression: `SET #owner = :owner, leaseUntil = :lease${also.remove ? ` REMOVE ${also.remove}` : ''}`,
          ConditionExpression: `decision = :decided${also.condition ? ` AND ${also.condition}` : ''}`,
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: marshall({ ':owner': owner, ':lease': leaseUntilMs, ':decided': decisionText, ...also.values }),
        }),
      ),
    );
    return written !== undefined;
  }

  async recordNoticeSent(pipeline: string, requestId: string): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(requestKey(pipeline, requestId)),
        UpdateExpression: 'SET noticeSent = :sent',
        ExpressionAttributeValues: marshall({ ':sent': true }),
      }),
    );
  }

  async recordRequestDecision(pipeline: string, requestId: string, decision: Readonly<Record<string, unknown>>): Promise<void> {
    await this.requestLease(pipeline, requestId).complete({ decision: JSON.stringify(decision) });
  }

  async recordRequestExecution(pipeline: string, requestId: string, executionArn: string): Promise<void> {
    await this.update(requestKey(pipeline, requestId), { executionArn });
  }

  /** Puts a request on the waiting list (or updates when it is due); the coordinator's sweep asks it again. */
  async recordWaiting(waiting: WaitingRequest, nowMs: number): Promise<void> {
    const { request } = waiting;
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall(
          { ...waitingKey(request.pipelineName, request.requestId), waiting: JSON.stringify(waiting), expiresAt: Math.floor((nowMs + this.retentionMs) / 1000) },
          { removeUndefinedValues: true },
        ),
      }),
    );
  }

  /** Takes a request off the waiting list: it started, or was decided for good. */
  async clearWaiting(pipeline: string, requestId: string): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: marshall(waitingKey(pipeline, requestId)) }));
  }

  /** Every waiting request, in key order. */
  async waiting(): Promise<WaitingRequest[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: marshall({ ':pk': WAITING_PK }),
      ConsistentRead: true,
    });
    return items.map((item) => JSON.parse(item.waiting as string) as WaitingRequest);
  }

  async logDecision(record: DecisionRecord): Promise<void> {
    await this.decisionLog.write(record);
  }

  /** The decisions about `pipeline` between two times, oldest first. */
  async decisions(pipeline: string, fromMs: number, toMs: number): Promise<DecisionRecord[]> {
    return this.decisionLog.read(pipeline, fromMs, toMs);
  }

  private async update(key: Record<string, string>, values: Record<string, string>): Promise<void> {
    const names = Object.keys(values);
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(key),
        UpdateExpression: `SET ${names.map((_, i) => `#n${i} = :v${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#n${i}`, name])),
        ExpressionAttributeValues: marshall(Object.fromEntries(names.map((name, i) => [`:v${i}`, values[name]]))),
      }),
    );
  }
}
