// The persistence primitives every store is built on, whatever the cloud: a versioned document written
// only over the version that was read, read-decide-write rounds with jittered backoff, and an expiring
// lease. The DynamoDB and Firestore implementations live with each cloud's adapters.

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

/**
 * Exclusive, expiring work on one item: a request id being decided, a batch being started. One taker
 * holds it until its hold expires (a crashed taker's work is taken over then), until it frees it at a
 * later time, or until it completes it, after which nobody takes it again. `Fields` is what a take, a
 * free and a completion set, `Item` what is read back: DynamoDB attributes here, Firestore fields there.
 */
export interface Lease<Fields = Readonly<Record<string, unknown>>, Item = Record<string, unknown>> {
  /**
   * Takes the lease for `owner` until `nowMs + holdMs`, if it is free: not complete and no hold left
   * on it; `fields` are set with it. Returns the item as taken, or undefined when someone holds it or
   * it is complete.
   */
  take(owner: string, nowMs: number, holdMs: number, fields?: Fields): Promise<Item | undefined>;
  /**
   * Frees it for the next take at `untilMs` (now, or a wait); `giveBack` uncounts the take. Answers
   * false, writing nothing, when a lease that checks its holder finds the hold was taken over.
   */
  free(untilMs: number, fields?: Fields, giveBack?: boolean): Promise<boolean>;
  /** Completes it: `fields` say how; nobody takes it again. Answers false as `free` does. */
  complete(fields: Fields): Promise<boolean>;
  read(): Promise<Item | undefined>;
}
