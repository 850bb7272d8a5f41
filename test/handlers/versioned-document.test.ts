import { backoffMs, CONTENTION_LIMITS, readDecideWrite, type VersionedDocument } from '../../lambda/core/persistence';

interface Counter {
  readonly version: number;
  readonly count: number;
}

/** An in-memory document whose first `conflicts` writes lose to another writer. */
function contendedDocument(conflicts: number): VersionedDocument<Counter> & { current: Counter } {
  let lost = 0;
  const document = {
    current: { version: 1, count: 0 },
    read: async () => document.current,
    write: async (next: Counter, expectedVersion: number) => {
      if (lost < conflicts) {
        lost += 1;
        document.current = { version: document.current.version + 1, count: document.current.count };
        return false;
      }
      if (document.current.version !== expectedVersion) return false;
      document.current = next;
      return true;
    },
  };
  return document;
}

const increment = (counter: Counter) => ({ next: { version: counter.version + 1, count: counter.count + 1 } });

describe('read-decide-write on a versioned document', () => {
  test('waits a jittered, exponentially growing time between contended rounds, capped', async () => {
    const document = contendedDocument(9);
    const waits: number[] = [];

    await readDecideWrite(document, increment, { pause: async (ms) => void waits.push(ms), random: () => 0.999999 }, 'counter');

    expect(waits).toEqual([9, 19, 39, 79, 159, 319, 639, 999, 999]);
    expect(document.current.count).toBe(1);
  });

  test('the jitter comes from the injected randomness', () => {
    expect(backoffMs(3, () => 0)).toBe(0);
    expect(backoffMs(3, () => 0.5)).toBe(40);
    expect(backoffMs(20, () => 0.5)).toBe(CONTENTION_LIMITS.maxMs / 2);
  });

  test('a decision that keeps the version writes nothing', async () => {
    const document = contendedDocument(0);
    const write = jest.spyOn(document, 'write');

    const { decided } = await readDecideWrite(document, (counter) => ({ next: counter, note: 'unchanged' }), { pause: async () => undefined, random: () => 0 }, 'counter');

    expect(decided.note).toBe('unchanged');
    expect(write).not.toHaveBeenCalled();
  });

  test('gives up after the last round, naming the document and what to do', async () => {
    const document = contendedDocument(Number.MAX_SAFE_INTEGER);

    await expect(readDecideWrite(document, increment, { pause: async () => undefined, random: () => 0 }, 'pipeline p', { ...CONTENTION_LIMITS, maxRounds: 3 }))
      .rejects.toThrow('pipeline p: the document kept changing under 3 decisions; deliver the request again later');
  });
});
