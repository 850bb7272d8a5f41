import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

const READS = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand']);

interface ConsumedCapacity {
  readonly CapacityUnits?: number;
}

/**
 * Counts the read and write capacity units a DynamoDB client consumes, as DynamoDB reports them with
 * `ReturnConsumedCapacity: TOTAL`. A conditional write whose condition fails still consumes capacity
 * (one unit for items up to 1 KB, as all of ours are) but comes back as an error without the figure,
 * so it is counted as one write unit.
 */
export class CapacityMeter {
  readUnits = 0;
  writeUnits = 0;
  readonly calls: Record<string, number> = {};

  attach(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? 'unknown';
        (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
        this.calls[command] = (this.calls[command] ?? 0) + 1;
        try {
          const result = await next(args);
          const reported = (result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }).ConsumedCapacity;
          const units = [reported ?? []].flat().reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);
          if (READS.has(command)) this.readUnits += units;
          else this.writeUnits += units;
          return result;
        } catch (error) {
          if ((error as { name?: string }).name === 'ConditionalCheckFailedException') this.writeUnits += 1;
          throw error;
        }
      },
      { step: 'initialize', name: 'capacityMeter' },
    );
  }
}
