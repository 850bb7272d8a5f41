import { mkdtemp, rm, utimes } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeServer, endpointOf, listenOnLoopback, withoutDateHeader, once, type LocalEndpoint } from './loopback';

// dynalite and s3rver ship no type declarations; the small part of each API used here is declared here.
type Dynalite = (options: { createTableMs: number; deleteTableMs: number; updateTableMs: number }) => Server;
type S3rver = new (options: { address: string; port: number; directory: string; silent: boolean }) => {
  run(): Promise<unknown>;
  readonly httpServer: Server;
  readonly store: S3rverStore;
};
interface S3rverStore {
  putObject(object: { bucket: string; key: string }): Promise<unknown>;
  getResourcePath(bucket: string, key: string, resource: string): string;
}

/**
 * Loads dynalite or s3rver: optional peer dependencies, since only the simulator needs them. A missing one
 * is reported with the command that installs both.
 */
function optionalPeer<T>(name: 'dynalite' | 's3rver'): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand: an optional peer dependency
    return require(name) as T;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'MODULE_NOT_FOUND' || !String((error as Error).message).includes(name)) throw error;
    throw new Error(
      `The simulator runs DynamoDB and S3 locally with dynalite and s3rver, and '${name}' is not installed. `
      + 'Install both with: npm install --save-dev dynalite s3rver',
    );
  }
}

/** Starts an in-memory dynalite on an OS-assigned loopback port; tables become ACTIVE at once. */
export async function startDynalite(): Promise<LocalEndpoint> {
  const server = optionalPeer<Dynalite>('dynalite')({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const endpoint = await listenOnLoopback(server);
  return { endpoint, close: once(() => closeServer(server)) };
}

/** Starts a silent s3rver on an OS-assigned loopback port, storing objects in a temp directory removed on close. */
export async function startS3rver(): Promise<LocalEndpoint> {
  const S3rverServer = optionalPeer<S3rver>('s3rver');
  const directory = await mkdtemp(join(tmpdir(), 'cdk-ml-triggers-s3-'));
  try {
    const s3rver = new S3rverServer({ address: '127.0.0.1', port: 0, directory, silent: true });
    await s3rver.run();
    withoutDateHeader(s3rver.httpServer);
    datedByClock(s3rver.store);
    return {
      endpoint: endpointOf(s3rver.httpServer),
      close: once(async () => {
        await closeServer(s3rver.httpServer);
        await rm(directory, { recursive: true, force: true });
      }),
    };
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Dates each object written by the time `new Date()` reads, which is the simulator's clock while one is installed:
 * s3rver reports the file's modification time as an object's LastModified, and a listing by time must see the
 * time the object landed in the simulation.
 */
function datedByClock(store: S3rverStore): void {
  const putObject = store.putObject.bind(store);
  store.putObject = async (object) => {
    const written = await putObject(object);
    const now = new Date();
    await utimes(store.getResourcePath(object.bucket, object.key, 'object'), now, now);
    return written;
  };
}
