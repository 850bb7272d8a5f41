import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AzureNamedKeyCredential } from '@azure/data-tables';

/** Azurite's one account and its published key (https://learn.microsoft.com/azure/storage/common/storage-use-azurite). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** Long enough for Azurite to start on a loaded machine and for the requests of one test. */
export const AZURITE_TIMEOUT = 60_000;

export interface Azurite {
  /** `http://127.0.0.1:<port>/devstoreaccount1`: the account's endpoint (path-style, as Azurite serves it). */
  readonly endpoint: string;
  readonly credential: AzureNamedKeyCredential;
  stop(): Promise<void>;
}

const MAIN = { blob: 'dist/src/blob/main.js', table: 'dist/src/table/main.js' } as const;

/**
 * Starts one Azurite service (3.35.0, from node_modules) in memory on a free port of 127.0.0.1 and waits until it
 * answers. Its working folder is a temporary one, removed on stop.
 */
export async function startAzurite(service: 'blob' | 'table'): Promise<Azurite> {
  const port = await freePort();
  const workspace = mkdtempSync(path.join(tmpdir(), `azurite-${service}-`));
  const main = path.join(path.dirname(require.resolve('azurite/package.json')), MAIN[service]);
  const child = spawn(process.execPath, [
    main, '--inMemoryPersistence', '--silent', '--skipApiVersionCheck', '--disableProductStyleUrl',
    `--${service}Host`, '127.0.0.1', `--${service}Port`, String(port),
  ], { cwd: workspace, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2_000);
  });
  const stop = async (): Promise<void> => {
    await exit(child);
    rmSync(workspace, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, child, () => stderr);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint: `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`, credential: new AzureNamedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY), stop };
}

/** A port nobody listens on: bound on port 0, then released for Azurite. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port was bound');
  return address.port;
}

async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + AZURITE_TIMEOUT - 5_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Azurite exited with ${child.exitCode}: ${stderr()}`);
    if (await answers(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Azurite did not answer on 127.0.0.1:${port}: ${stderr()}`);
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function exit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
