import type * as nodeModule from 'node:module';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { HandlerServices, type HandlerServiceOptions } from '../support/handler-harness';
import { setEnv } from '../support/local-services';
import { REPO_ROOT } from '../support/repository-boundary';

/** How long one case, or a corpus's setup and teardown of its services, may take on a loaded machine. */
export const CORPUS_TIMEOUT = 120_000;

/** What a bundled trigger function answers: a status, and for a rejection the field and the problem. */
export type TriggerHandler = (input: unknown) => Promise<{ readonly status: string; readonly error?: { readonly field: string; readonly problem: string } }>;

/**
 * One hostile input. `harmless` marks an input the handler may accept because acting on it changes
 * nothing (the reason says why); `bug` marks an input that reveals a defect in lambda/ (named there),
 * which runs as `test.failing` until the handler is fixed.
 */
export interface HostileCase {
  readonly name: string;
  /** Built on demand: some inputs are hundreds of kilobytes, and a fresh object per run keeps cases independent. */
  readonly input: () => unknown;
  readonly harmless?: string;
  readonly bug?: string;
}

/** 250 KB: far past any field a trigger sends, and past the largest SNS message (256 KiB) once wrapped. */
export const HUGE = 250 * 1024;
export const MANY = 10_000;
/** Ten times `MANY`: past every list limit a handler has (the batcher takes at most 10,000 flush ids). */
export const VAST = 100_000;
export const DEEP = 10_000;

export const hugeString = (fill = 'x'): string => fill.repeat(HUGE);
export const hugeDigits = (): string => '9'.repeat(HUGE);
export const manyItems = <T>(item: T, count = MANY): T[] => Array.from({ length: count }, () => item);

/** `{ a: { a: ... { a: leaf } } }`, built iteratively: a recursive builder would overflow first. */
export function deepObject(depth = DEEP, leaf: unknown = 'bottom'): unknown {
  let node: unknown = leaf;
  for (let i = 0; i < depth; i++) node = { a: node };
  return node;
}

/** The JSON text of `deepObject`, written directly: JSON.stringify recurses and may throw a RangeError at this depth. */
export const deepJson = (depth = DEEP, leaf = '"bottom"'): string => '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
export const deepArrayJson = (depth = DEEP): string => '['.repeat(depth) + ']'.repeat(depth);

// Jest's module registry cannot run the bundles: the SDK inside them loads `node:http` with a dynamic
// import(), which Jest's VM refuses without --experimental-vm-modules. Node's own require loads them as
// Lambda does; they then see Node's process, whose environment Jest's sandbox only copies.
// Jest hands test code its own `module`, whose createRequire is Jest's; getBuiltinModule returns Node's.
const nodeRequire = (process.getBuiltinModule('node:module') as { createRequire: typeof nodeModule.createRequire }).createRequire(__filename);
const nodeProcess = nodeRequire('node:process') as NodeJS.Process;

/**
 * Sets environment variables for this sandbox (the test's own SDK clients) and for Node's process (the
 * bundled handler), returning a function that restores both.
 */
export function setHandlerEnv(vars: Readonly<Record<string, string | undefined>>): () => void {
  const restoreSandbox = setEnv(vars);
  const previous = Object.fromEntries(Object.keys(vars).map((name) => [name, nodeProcess.env[name]]));
  const apply = (values: Readonly<Record<string, string | undefined>>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete nodeProcess.env[name];
      else nodeProcess.env[name] = value;
    }
  };
  apply(vars);
  return () => {
    apply(previous);
    restoreSandbox();
  };
}

/**
 * Loads the bundled handler `assets/<name>/index.js` afresh, so its module-scope settings are read from
 * the environment as it is now. Run `npm run pretest` first.
 */
export function loadBundledHandler<H>(name: string): H {
  const file = path.join(REPO_ROOT, 'assets', name, 'index.js');
  delete nodeRequire.cache[file];
  const loaded = (nodeRequire(file) as { handler?: H }).handler;
  delete nodeRequire.cache[file];
  if (typeof loaded !== 'function') throw new Error(`assets/${name}/index.js exports no handler: run \`npm run pretest\``);
  return loaded;
}

/** Silences what the handler writes (logs, EMF) while it runs. */
export function silenceOutput(): void {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
}

/** Silences each test of the enclosing block, and restores what it mocked. */
export function silenceEachTest(): void {
  beforeEach(silenceOutput);
  afterEach(() => jest.restoreAllMocks());
}

/**
 * Starts the local services a bundled handler talks to, its environment set both in this sandbox and in
 * Node's process, where the bundle reads it.
 */
export function startBundledServices(options: Omit<HandlerServiceOptions, 'setEnv'>): Promise<HandlerServices> {
  return HandlerServices.start({ ...options, setEnv: setHandlerEnv });
}

/** Every item of a table, as sorted JSON lines: equal snapshots mean nothing was written. */
export async function tableSnapshot(client: DynamoDBClient, tableName: string): Promise<string[]> {
  const items: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start as never }));
    for (const item of page.Items ?? []) items.push(JSON.stringify(Object.entries(item).sort(([a], [b]) => a.localeCompare(b))));
    start = page.LastEvaluatedKey;
  } while (start);
  return items.sort();
}

/** Every object of a bucket with its body. */
export async function bucketSnapshot(client: S3Client, bucket: string): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  const objects = await Promise.all(
    (listed.Contents ?? []).map(async ({ Key }) => {
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key }));
      return `${Key}\n${await object.Body?.transformToString('utf8')}`;
    }),
  );
  return objects.sort();
}

/** The fastest of `runs` runs of `work`, in milliseconds: the least disturbed by GC and the scheduler. */
export async function fastestOf(runs: number, work: () => Promise<unknown>): Promise<number> {
  let fastest = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await work();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
}

/**
 * How much longer `run` takes on `large` than on `small`, each timed as the fastest of `runs` after one warm-up
 * call: the least disturbed figures on a loaded machine. A tiny small time counts as 0.01 ms.
 */
export async function sizeRatio<T>(run: (input: T) => Promise<unknown>, small: T, large: T, runs = 5): Promise<number> {
  await run(small);
  const smallMs = await fastestOf(runs, () => run(small));
  const largeMs = await fastestOf(runs, () => run(large));
  return largeMs / Math.max(smallMs, 0.01);
}

/**
 * What every handler that takes `{ triggerId, event }` must refuse before it reads anything: inputs that
 * are no invocation at all, and invocations with a forged trigger id. `valid()` is a real invocation of
 * the trigger `realId`, built afresh per case.
 */
export function invocationShapeCases(valid: () => Record<string, unknown>, realId: string): Array<HostileCase & { readonly field: string }> {
  const withId = (triggerId: unknown) => ({ ...valid(), triggerId });
  return [
    { name: 'null', input: () => null, field: 'input' },
    { name: 'undefined', input: () => undefined, field: 'input' },
    { name: 'a number', input: () => 42, field: 'input' },
    { name: 'NaN', input: () => NaN, field: 'input' },
    { name: 'a trigger id as a bare string', input: () => realId, field: 'input' },
    { name: 'an invocation as JSON text', input: () => JSON.stringify(valid()), field: 'input' },
    { name: 'an empty array', input: () => [], field: 'input' },
    { name: `${VAST.toLocaleString('en')} valid invocations in an array`, input: () => manyItems(valid(), VAST), field: 'input' },
    { name: 'an object 10,000 levels deep', input: () => deepObject(), field: 'triggerId' },
    ...['__proto__', 'constructor', 'prototype'].map((key) => ({
      name: `a JSON "${key}" key holding a valid invocation`,
      input: () => JSON.parse(`{"${key}":${JSON.stringify(valid())}}`),
      field: 'triggerId',
    })),
    { name: 'no triggerId', input: () => { const { triggerId: _, ...rest } = valid(); return rest; }, field: 'triggerId' },
    { name: 'triggerId: null', input: () => withId(null), field: 'triggerId' },
    { name: 'triggerId: a number', input: () => withId(42), field: 'triggerId' },
    { name: 'triggerId: NaN', input: () => withId(NaN), field: 'triggerId' },
    { name: 'triggerId: a list holding the real id', input: () => withId([realId]), field: 'triggerId' },
    { name: 'triggerId: an object whose toString is the real id', input: () => withId({ toString: () => realId }), field: 'triggerId' },
    { name: 'triggerId: empty', input: () => withId(''), field: 'triggerId' },
  ];
}

/** A test per case, named `<case>: <behaviour>`: `assess` holds for each case, and fails for each that marks a known bug. */
export function testEachCase<C extends HostileCase>(cases: readonly C[], behaviour: string, assess: (hostile: C) => Promise<void>): void {
  const { expected, bugs } = rows(cases);
  test.each(expected)(`%s: ${behaviour}`, async (_name, hostile) => assess(hostile), CORPUS_TIMEOUT);
  if (bugs.length > 0) test.failing.each(bugs)('%s (known bug)', async (_name, hostile) => assess(hostile), CORPUS_TIMEOUT);
}

/** `[name, case]` rows for `test.each`, split by whether the case marks a known bug. */
export function rows<C extends HostileCase>(cases: readonly C[]): { readonly expected: Array<[string, C]>; readonly bugs: Array<[string, C]> } {
  const row = (c: C): [string, C] => [c.name, c];
  return { expected: cases.filter((c) => !c.bug).map(row), bugs: cases.filter((c) => c.bug).map(row) };
}
