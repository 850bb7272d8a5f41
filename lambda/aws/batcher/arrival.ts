import { manifestEntry, type BatchId, type ManifestEntry } from '../../core/batching';
import type { BatchTriggerConfig } from '../../core/contracts/batch';
import { objectIdentity, uploadWindow, type CreatedObject, type UploadWindow } from '../../core/s3-object-created';
import type { BatchRecordStore } from './batch-record-store';
import type { Chunk, ChunkStore, EarlierPlace, Place } from './chunk-store';
import type { Allocation, TriggerStateStore } from './trigger-state-store';

/** What became of one arrival: in a batch now, counted before, or to be delivered again later. */
export type Arrival = 'accepted' | 'duplicate' | 'retry';

export type ChunkRecords = Pick<ChunkStore, 'recordObject' | 'moveObject' | 'writeChunk' | 'readChunk' | 'markDead'>;
export type SlotRecords = Pick<BatchRecordStore, 'writeSlot'>;

export interface ArrivalDeps {
  readonly state: Pick<TriggerStateStore, 'allocate' | 'giveBack'>;
  readonly chunks: ChunkRecords;
  readonly slots: SlotRecords;
  readonly now: () => number;
  readonly newEpoch: () => string;
  readonly pause: (ms: number) => Promise<void>;
  readonly duplicate: (identity: string) => void;
  readonly accepted: (batch: BatchId, objects: number) => void;
  /** Told when an allocation filled its batch: sealed with it (and how many objects the batch holds), or still to seal. */
  readonly closed: (batch: BatchId, objects?: number) => void;
  /** Asked when the open batch cannot take more: seal what is full or past its window. */
  readonly sealOpen: () => Promise<void>;
}

/** Time an invocation may take between taking places and writing their chunk; past it, the places may be marked dead. */
export const PLACE_GRACE_MS = 150_000;
/** A chunk item stays far below DynamoDB's 400 KB: an allocation takes at most this many bytes of entries before compression. */
export const MAX_CHUNK_ENTRY_BYTES = 300_000;
/** How long an arrival waits in the invocation for another delivery's chunk to land before asking to be delivered again. */
const WAIT_FOR_EARLIER_MS = [100, 200, 400, 800, 1600];
const IDENTITY_WRITES_IN_FLIGHT = 25;
const MAX_ALLOCATION_ROUNDS = 200;

interface Pending {
  readonly index: number;
  readonly identity: string;
  readonly window: UploadWindow;
  readonly entry: ManifestEntry;
  readonly bytes: number;
  /** Where an earlier delivery left the object, when it is moved here from a dead allocation. */
  readonly from?: EarlierPlace;
}

/**
 * Puts a message batch's objects into batches: duplicates within it are dropped in memory, the places of
 * all new objects are taken with one conditional update per batch they fill, each object's identity is one
 * conditional write, and each allocation's entries are one chunk write. Returns an outcome per object.
 */
export async function placeObjects(deps: ArrivalDeps, config: BatchTriggerConfig, objects: readonly CreatedObject[]): Promise<Arrival[]> {
  const outcomes: Arrival[] = new Array(objects.length);
  const seen = new Set<string>();
  let pending: Pending[] = [];
  objects.forEach((object, index) => {
    const identity = objectIdentity(object);
    const window = uploadWindow(object);
    // One upload delivered twice in the message batch; uploads of the same content at other times are told apart by the store.
    const upload = `${identity}@${window.lowMs}-${window.highMs}`;
    if (seen.has(upload)) {
      outcomes[index] = 'duplicate';
      deps.duplicate(identity);
      return;
    }
    seen.add(upload);
    const entry = manifestEntry(object);
    pending.push({ index, identity, window, entry, bytes: Buffer.byteLength(JSON.stringify(entry)) + 1 });
  });
  const earlierChunks = new Map<string, Chunk>();
  for (let round = 0; pending.length > 0; round++) {
    if (round >= MAX_ALLOCATION_ROUNDS) throw new Error(`trigger ${config.triggerId}: no open batch after ${MAX_ALLOCATION_ROUNDS} rounds`);
    const portion = byteLimited(pending);
    const allocation = await allocate(deps, config, portion.length);
    if (!allocation) continue;
    if (allocation.closes) deps.closed(allocation, allocation.sealedWith);
    const members = portion.slice(0, allocation.taken);
    pending = pending.slice(members.length);
    const rehome = await fill(deps, allocation, members, outcomes, earlierChunks);
    pending.push(...rehome);
  }
  return outcomes;
}

/** Takes places for up to `wanted` objects; undefined when the open batch had to be sealed first. */
async function allocate(deps: ArrivalDeps, config: BatchTriggerConfig, wanted: number): Promise<Allocation | undefined> {
  const taken = await deps.state.allocate(config, wanted, deps.newEpoch(), deps.now());
  if (taken && !('closed' in taken)) return taken;
  if (!taken) {
    // Full or past its window. An invocation that filled it seals it a moment later; seal it if it does not.
    await deps.pause(25 + Math.floor(Math.random() * 50));
    await deps.sealOpen();
  }
  return undefined;
}

/** Records the members' identities at their places, writes the allocation's chunk and settles each member's outcome. */
async function fill(
  deps: ArrivalDeps,
  allocation: Allocation,
  members: readonly Pending[],
  outcomes: Arrival[],
  earlierChunks: Map<string, Chunk>,
): Promise<Pending[]> {
  const placeOf = (position: number): Place => ({ ...allocation, position });
  const recorded = await inFlight(members, IDENTITY_WRITES_IN_FLIGHT, async (member, position): Promise<EarlierPlace | 'here' | 'lost'> => {
    const place = placeOf(position);
    if (member.from) return (await deps.chunks.moveObject(member.identity, member.window, member.from, place, deps.now())) ? 'here' : 'lost';
    const { earlier } = await deps.chunks.recordObject(member.identity, member.window, place, deps.now());
    // The same place: this write's own first attempt, whose reply was lost.
    return !earlier || samePlace(earlier, place) ? 'here' : earlier;
  });
  const entries = members.map((member, position) => (recorded[position] === 'here' ? member.entry : null));
  const written = await deps.chunks.writeChunk(allocation, allocation.allocation, entries, deps.now());
  const landed = written === 'written' || (written !== 'dead' && JSON.stringify(written.entries) === JSON.stringify(entries));
  const here = entries.filter(Boolean).length;
  if (landed && here > 0) deps.accepted(allocation, here);
  // Places of objects counted before go back to the open batch, which still fills to its size.
  if (landed && here < members.length && allocation.closes !== 'sealed') await deps.state.giveBack(allocation.triggerId, allocation.generation, members.length - here);
  // Objects recorded before are looked up side by side: one whose earlier delivery is still being placed waits a moment.
  const found = await inFlight(members, IDENTITY_WRITES_IN_FLIGHT, async (member, position) => {
    const outcome = recorded[position];
    return outcome === 'here' || outcome === 'lost' ? undefined : whereIsIt(deps, member, outcome, earlierChunks);
  });
  const rehome: Pending[] = [];
  for (const [position, member] of members.entries()) {
    const outcome = recorded[position];
    const where = found[position];
    if (outcome === 'here') outcomes[member.index] = landed ? 'accepted' : 'retry';
    else if (outcome === 'lost' || where === undefined) outcomes[member.index] = 'retry'; // another delivery moved it first: it is placed, or will be
    else {
      if (where === 'duplicate') deps.duplicate(member.identity);
      if (where === 'rehome' && !member.from) rehome.push({ ...member, from: outcome });
      else outcomes[member.index] = where === 'rehome' ? 'retry' : where;
    }
  }
  return rehome;
}

/** Where an object recorded before sits: in a batch (a duplicate), nowhere for good (place it again), or not known yet. */
async function whereIsIt(deps: ArrivalDeps, member: Pending, earlier: EarlierPlace, cache: Map<string, Chunk>): Promise<'duplicate' | 'rehome' | 'retry'> {
  if (earlier.layout === 'slots') {
    const held = await deps.slots.writeSlot({ ...earlier }, member.identity, member.entry, deps.now());
    return held === 'empty' ? 'rehome' : held === 'other' ? 'retry' : 'duplicate';
  }
  const cacheKey = `${earlier.epoch}#${earlier.generation}#${earlier.allocation}`;
  for (let wait = 0; ; wait++) {
    const chunk = cache.get(cacheKey) ?? (await deps.chunks.readChunk(earlier, earlier.allocation));
    if (chunk) {
      cache.set(cacheKey, chunk);
      return chunk !== 'dead' && chunk.entries[earlier.position] ? 'duplicate' : 'rehome';
    }
    if (deps.now() - earlier.atMs >= PLACE_GRACE_MS) {
      // Its writer is overdue: the allocation is marked dead, unless its chunk lands first.
      const marked = await deps.chunks.markDead(earlier, earlier.allocation, deps.now());
      cache.set(cacheKey, marked === 'written' ? 'dead' : marked);
      continue;
    }
    if (wait >= WAIT_FOR_EARLIER_MS.length) return 'retry';
    await deps.pause(WAIT_FOR_EARLIER_MS[wait]);
  }
}

function samePlace(earlier: EarlierPlace, place: Place): boolean {
  return earlier.layout === 'chunks' && earlier.epoch === place.epoch && earlier.generation === place.generation && earlier.allocation === place.allocation && earlier.position === place.position;
}

/** The longest head of `pending` whose entries stay within a chunk's byte budget (at least one). */
function byteLimited(pending: readonly Pending[]): Pending[] {
  let bytes = 0;
  let count = 0;
  while (count < pending.length && (count === 0 || bytes + pending[count].bytes <= MAX_CHUNK_ENTRY_BYTES)) bytes += pending[count++].bytes;
  return pending.slice(0, count);
}

/** Maps `items` with at most `width` calls in flight, keeping their order. */
async function inFlight<T, R>(items: readonly T[], width: number, map: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await map(items[index], index);
      }
    }),
  );
  return results;
}
