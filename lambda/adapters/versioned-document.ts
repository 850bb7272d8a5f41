import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { unlessConditionFails } from './conditional-writes';

/** A document that changes only by a write conditional on the version that was read (optimistic concurrency). */
export interface VersionedDocument<T extends { readonly version: number }> {
  read(): Promise<T>;
  /** Writes `next` if the stored version is still `expectedVersion`; false when another writer changed it first. */
  write(next: T, expectedVersion: number): Promise<boolean>;
}

/** How a contended read-decide-write waits between rounds; `random` is in [0, 1) and injected so tests can pin the jitter. */
export interface Backoff {
  readonly pause: (ms: number) => Promise<void>;
  readonly random: () => number;
}

export interface ContentionLimits {
  readonly maxRounds: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

/** Rounds and waits: enough for 32 writers that all change the document at once, waiting at most ~1 s between rounds. */
export const CONTENTION_LIMITS: ContentionLimits = Object.freeze({ maxRounds: 64, baseMs: 10, maxMs: 1_000 });

/** Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): a random wait up to base x 2^round, capped. */
export function backoffMs(round: number, random: () => number, limits: ContentionLimits = CONTENTION_LIMITS): number {
  return Math.floor(random() * Math.min(limits.maxMs, limits.baseMs * 2 ** round));
}

/** One round of a contended read-decide-write: settled with its answer, or lost to another writer (`lost` says how). */
export type ContentionRound<R> = { readonly settled: true; readonly value: R } | { readonly settled: false; readonly lost: unknown };

/**
 * Runs rounds until one settles, waiting a jittered backoff before each round after the first; after `maxRounds`
 * lost rounds throws what `exhausted` makes of the last loss. Conditional writes and Firestore transactions both
 * lose a round the same way: another writer changed what was read.
 */
export async function retryContended<R>(
  round: () => Promise<ContentionRound<R>>,
  backoff: Backoff,
  exhausted: (lastLoss: unknown) => Error,
  limits: ContentionLimits = CONTENTION_LIMITS,
): Promise<R> {
  let lastLoss: unknown;
  for (let index = 0; index < limits.maxRounds; index++) {
    if (index > 0) await backoff.pause(backoffMs(index - 1, backoff.random, limits));
    const outcome = await round();
    if (outcome.settled) return outcome.value;
    lastLoss = outcome.lost;
  }
  throw exhausted(lastLoss);
}

/**
 * Reads the document, decides, and writes the decided document conditionally; reads and decides again,
 * after a jittered wait, when another writer won. A decision that keeps the version writes nothing.
 */
export async function readDecideWrite<T extends { readonly version: number }, R extends { readonly next: T }>(
  document: VersionedDocument<T>,
  decide: (current: T) => R,
  backoff: Backoff,
  what: string,
  limits: ContentionLimits = CONTENTION_LIMITS,
): Promise<{ readonly decided: R; readonly before: T }> {
  return retryContended(
    async () => {
      const before = await document.read();
      const decided = decide(before);
      if (decided.next === before || decided.next.version === before.version) return { settled: true, value: { decided, before } };
      if (await document.write(decided.next, before.version)) return { settled: true, value: { decided, before } };
      return { settled: false, lost: undefined };
    },
    backoff,
    () => new Error(`${what}: the document kept changing under ${limits.maxRounds} decisions; deliver the request again later`),
    limits,
  );
}

/** Where a document lives: one item of a table keyed by `pk` and `sk`. */
export interface DocumentKey {
  readonly pk: string;
  readonly sk: string;
}

/**
 * A versioned document stored as JSON in one DynamoDB item, written only when the stored `version` is the
 * one that was read (absent for version 0). `expiresAt` (seconds), when given, is refreshed by each write.
 */
export function dynamoDocument<T extends { readonly version: number }>(
  client: DynamoDBClient,
  tableName: string,
  key: DocumentKey,
  empty: T,
  expiresAt?: () => number,
): VersionedDocument<T> {
  return {
    async read(): Promise<T> {
      const result = await client.send(new GetItemCommand({ TableName: tableName, Key: marshall(key), ConsistentRead: true }));
      if (!result.Item) return empty;
      return JSON.parse(unmarshall(result.Item).state as string) as T;
    },
    async write(next: T, expectedVersion: number): Promise<boolean> {
      const written = await unlessConditionFails(
        client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: marshall({ ...key, version: next.version, state: JSON.stringify(next), ...(expiresAt ? { expiresAt: expiresAt() } : {}) }),
            ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'version = :expected',
            ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: marshall({ ':expected': expectedVersion }) }),
          }),
        ),
      );
      return written !== undefined;
    },
  };
}
