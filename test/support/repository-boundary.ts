import type * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The repository's root: everything a test reads must be below it (or in a temporary folder). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const OUTSIDE = path.dirname(REPO_ROOT);
// The module object itself, not a namespace copy: the guard replaces its functions for every reader.
const fs = process.getBuiltinModule('node:fs') as typeof nodeFs;

const within = (dir: string, file: string): boolean => file === dir || file.startsWith(dir + path.sep);

/**
 * Whether `file` lies beside the repository rather than in it: under the repository's parent folder
 * but not under the repository. A fresh clone has nothing there (no sibling fixtures folder, no other checkout).
 * Temporary folders and hidden folders beside it (a home folder's `.aws`, `.cache`) are not the
 * project's files and stay readable.
 */
export function isBesideRepository(file: nodeFs.PathLike | number): boolean {
  if (typeof file === 'number') return false;
  const resolved = path.resolve(file instanceof URL ? file.pathname : String(file));
  if (within(REPO_ROOT, resolved) || !within(OUTSIDE, resolved) || within(os.tmpdir(), resolved)) return false;
  const firstSegment = path.relative(OUTSIDE, resolved).split(path.sep)[0];
  return !firstSegment.startsWith('.');
}

export class ReadOutsideRepositoryError extends Error {
  constructor(readonly file: string) {
    super(`a test read ${file}, which is beside the repository: a fresh clone does not have it; copy what the test needs into the repository`);
    this.name = 'ReadOutsideRepositoryError';
  }
}

type Reader = (file: nodeFs.PathLike | number, ...rest: never[]) => unknown;

function guard<T extends Reader>(read: T): T {
  return function guarded(this: unknown, file: nodeFs.PathLike | number, ...rest: never[]) {
    if (isBesideRepository(file)) throw new ReadOutsideRepositoryError(String(file));
    return read.call(this, file, ...rest);
  } as T;
}

const GUARDED = Symbol.for('cdk-ml-triggers.repository-boundary');

/** Makes every file read through `fs` fail loudly when it reaches beside the repository. */
export function guardFileReads(): void {
  const marked = fs as unknown as Record<symbol, boolean>;
  if (marked[GUARDED]) return;
  marked[GUARDED] = true;
  const sync = fs as unknown as Record<string, Reader>;
  for (const name of ['readFileSync', 'openSync', 'readdirSync', 'createReadStream', 'readFile', 'open', 'readdir']) {
    sync[name] = guard(sync[name]);
  }
  const promises = fs.promises as unknown as Record<string, Reader>;
  for (const name of ['readFile', 'open', 'readdir']) {
    promises[name] = guard(promises[name]);
  }
}
