import type { Lease } from '../../core/persistence';
import { FirestoreError, runTransaction, type Fields, type FirestoreDocuments, type StoredDocument } from './firestore';

/** How a lease sits in a document's fields: when it may be taken, and what a take, a free and a completion write. */
export interface FirestoreLeaseLayout {
  /** Whether the document's work may be taken at `nowMs`: not complete, and no hold left on it. */
  readonly takeable: (fields: Fields, nowMs: number) => boolean;
  readonly taken: (fields: Fields, owner: string, untilMs: number, extra: Fields) => Fields;
  readonly freed: (fields: Fields, untilMs: number, extra: Fields) => Fields;
  readonly completed: (fields: Fields, extra: Fields) => Fields;
}

/**
 * The lease contract on one Firestore document. A take is a transaction (read, decide with `takeable`, write on the
 * updateTime read); a missing document is never taken. The holder is known by the updateTime its take wrote, so a
 * free or a completion writes only while the document still carries it, and answers false once the hold expired and
 * another invocation took it. One instance serves one take.
 */
export function firestoreLease(db: FirestoreDocuments, path: string, layout: FirestoreLeaseLayout): Lease<Fields, StoredDocument> {
  let held: string | undefined;
  const release = async (next: (fields: Fields) => Fields): Promise<boolean> => {
    if (held === undefined) return false;
    const document = await db.get(path);
    if (!document || document.updateTime !== held) return false;
    try {
      await db.commit([{ update: path, fields: next(document.fields), currentDocument: { updateTime: held } }]);
    } catch (error) {
      if (error instanceof FirestoreError && error.status === 'FAILED_PRECONDITION') return false;
      throw error;
    }
    held = undefined;
    return true;
  };
  return {
    async take(owner, nowMs, holdMs, extra = {}) {
      const { result, updateTimes } = await runTransaction<Fields | undefined>(db, async (transaction) => {
        const document = await db.get(path, transaction);
        if (!document || !layout.takeable(document.fields, nowMs)) return { writes: [], result: undefined };
        const fields = layout.taken(document.fields, owner, nowMs + holdMs, extra);
        return { writes: [{ update: path, fields, currentDocument: { updateTime: document.updateTime } }], result: fields };
      });
      if (!result) return undefined;
      held = updateTimes[0];
      return { path, fields: result, updateTime: held };
    },
    free: (untilMs, extra = {}) => release((fields) => layout.freed(fields, untilMs, extra)),
    complete: (extra) => release((fields) => layout.completed(fields, extra)),
    read: () => db.get(path),
  };
}
