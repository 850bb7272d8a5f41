import type { DecisionRecordLike } from '../../lambda/core/explain';

/** A decision as the coordinator records it: about one pipeline. */
export interface DecisionRecord extends DecisionRecordLike {
  readonly pipelineName: string;
}

type AttributeValue = Readonly<Record<string, unknown>>;

/** A DynamoDB attribute value as plain data: strings, numbers, booleans, lists and maps, as the records hold. */
function plain(value: AttributeValue): unknown {
  if ('S' in value) return value.S;
  if ('N' in value) return Number(value.N);
  if ('BOOL' in value) return value.BOOL;
  if ('NULL' in value) return null;
  if ('L' in value) return (value.L as AttributeValue[]).map(plain);
  if ('M' in value) return Object.fromEntries(Object.entries(value.M as Record<string, AttributeValue>).map(([key, item]) => [key, plain(item)]));
  if ('SS' in value) return value.SS;
  if ('NS' in value) return (value.NS as string[]).map(Number);
  throw new Error(`a decision record holds an attribute of a type the simulator does not read: ${Object.keys(value).join(', ')}`);
}

/**
 * Every decision the coordinators recorded, read back from their tables in the local DynamoDB: the same
 * records `explain` reads in an account (`D#<pipeline>` items of the coordinator's table). Plain HTTP, as
 * the local DynamoDB takes it: the simulator itself needs no AWS SDK.
 */
export async function recordedDecisions(endpoint: string, tableNames: readonly string[]): Promise<DecisionRecord[]> {
  const records: DecisionRecord[] = [];
  for (const tableName of tableNames) {
    let startKey: unknown;
    do {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.Scan',
          'x-amz-date': '20000101T000000Z',
          authorization: 'AWS4-HMAC-SHA256 Credential=simulated/20000101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0',
        },
        body: JSON.stringify({ TableName: tableName, ...(startKey ? { ExclusiveStartKey: startKey } : {}) }),
      });
      const page = (await response.json()) as { Items?: Record<string, AttributeValue>[]; LastEvaluatedKey?: unknown; message?: string };
      if (!response.ok) throw new Error(`reading the decisions in ${tableName} failed (HTTP ${response.status}): ${page.message ?? ''}`);
      for (const item of page.Items ?? []) {
        const { pk, sk, expiresAt, ...record } = Object.fromEntries(Object.entries(item).map(([key, value]) => [key, plain(value)]));
        if (typeof pk === 'string' && pk.startsWith('D#') && typeof sk === 'string' && expiresAt !== undefined) records.push(record as unknown as DecisionRecord);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
  return records.sort((a, b) => a.atMs - b.atMs || a.requestId.localeCompare(b.requestId) || a.outcome.localeCompare(b.outcome));
}
