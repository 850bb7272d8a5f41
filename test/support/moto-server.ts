import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { once } from '../../lib/simulator/endpoints/loopback';
import type { LocalService } from './local-services';

/** How long moto's server may take to answer its first request on a loaded machine. */
export const MOTO_START_TIMEOUT = 60_000;
const STOP_TIMEOUT = 10_000;
const PROBE_INTERVAL = 100;
const PROBE_TIMEOUT = 2_000;
const LOG_TAIL = 4_000;

/** moto's standalone server, an independent implementation of SQS (and more), on a loopback port until stopped. */
export interface MotoServer extends LocalService {
  /** Ends the server's process and waits for it; stopping twice is harmless. `close()` does the same. */
  stop(): Promise<void>;
}

/**
 * Starts `python3 -m moto.server` on a free port of 127.0.0.1 and resolves once it answers HTTP. Its output goes to a
 * temporary log file that appears only in the error when it does not start. A port taken between choosing and binding
 * it gets one more try on another port.
 */
export async function startMotoServer(startTimeoutMs: number = MOTO_START_TIMEOUT): Promise<MotoServer> {
  const deadline = Date.now() + startTimeoutMs;
  const started = (await tryStart(deadline, startTimeoutMs)) ?? (await tryStart(deadline, startTimeoutMs));
  if (!started) throw new Error('moto.server found its port taken twice');
  return started;
}

// Both tries share one deadline; a timeout names the whole allowance rather than what was left of it.
async function tryStart(deadline: number, startTimeoutMs: number): Promise<MotoServer | undefined> {
  const port = await freeLoopbackPort();
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'moto-server-'));
  const logFile = path.join(logDir, 'moto.log');
  const logFd = fs.openSync(logFile, 'w');
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = once(async () => {
    await endProcess(child, exited);
    fs.rmSync(logDir, { recursive: true, force: true });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));

  while (Date.now() < deadline) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      const output = tail(logFile);
      await stop();
      if (output.includes('Address already in use')) return undefined;
      throw new Error(`moto.server exited (${spawnError?.message ?? child.exitCode ?? child.signalCode}):\n${output}`);
    }
    if (await answers(endpoint)) return { endpoint, stop, close: stop };
    await delay(PROBE_INTERVAL);
  }
  const error = new Error(`moto.server did not answer within ${startTimeoutMs / 1000} s:\n${tail(logFile)}`);
  await stop();
  throw error;
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => (port ? resolve(port) : reject(new Error('no port was assigned'))));
    });
  });
}

/** Whether anything answers HTTP at `endpoint`: any status means the server listens. */
function answers(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(`${endpoint}/moto-api/`, { timeout: PROBE_TIMEOUT, agent: false }, (response) => {
      response.resume();
      resolve(true);
    });
    request.once('timeout', () => request.destroy());
    request.once('error', () => resolve(false));
  });
}

async function endProcess(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  if (await settlesWithin(exited, STOP_TIMEOUT)) return;
  child.kill('SIGKILL');
  await settlesWithin(exited, STOP_TIMEOUT);
}

async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = await Promise.race([promise.then(() => true), timeout]);
  clearTimeout(timer);
  return settled;
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').slice(-LOG_TAIL);
  } catch {
    return '(no output)';
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
