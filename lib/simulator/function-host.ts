import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UnknownFunctionError } from './endpoints/lambda';

/** A function the host runs: what `SimulatedFunction` holds of it (which satisfies this). */
export interface HostedFunction {
  readonly functionName: string;
  /** @default `arn:aws:lambda:<region>:<account>:function:<functionName>` */
  readonly functionArn?: string;
  /** The folder holding the bundled code, absolute. */
  readonly codeDir: string;
  /** `index.handler`: the CommonJS file (without `.js`) and its exported function. */
  readonly handler: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
}

/** How one invocation ended: the handler's result, or what it threw. */
export interface InvocationOutcome {
  readonly result?: unknown;
  readonly error?: { readonly type: string; readonly message: string };
}

export interface FunctionHostOptions {
  /** Variables every function sees over its own, after the host's: the local endpoints' `AWS_ENDPOINT_URL_<SERVICE>`. */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 'eu-west-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly account?: string;
  /** The time a deadline is measured in. @default Date.now, which reads the virtual clock while it is installed */
  readonly now?: () => number;
}

/** The Lambda runtime's context object, as far as handlers here read it. */
export interface InvocationContext {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

type Handler = (event: unknown, context: InvocationContext, callback: (error?: unknown, result?: unknown) => void) => unknown;

/** Credentials and settings that keep a handler quiet and local: s3rver's signature check knows this key pair. */
export const LOCAL_FUNCTION_ENV: Readonly<Record<string, string>> = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_EC2_METADATA_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/**
 * Runs deployed functions in this process from their bundled code, each with its own environment and its own
 * instance of the bundle, as each Lambda function has its own sandbox.
 *
 * Invocations run one at a time: `process.env` is the invoked function's environment from the start of an
 * invocation to its end, so two overlapping invocations would see each other's. An invocation nested in another
 * (a handler invoking a function through the local Lambda endpoint) is fine: it runs to its end inside the
 * outer one, which gets its own environment back. The host does not enforce timeouts; a handler reads its
 * deadline from `getRemainingTimeInMillis()`.
 */
export class FunctionHost {
  private readonly functions = new Map<string, HostedFunction>();
  private readonly loaded = new Map<string, Handler>();
  private readonly region: string;
  private readonly account: string;
  private readonly now: () => number;
  private requests = 0;

  constructor(private readonly options: FunctionHostOptions = {}) {
    this.region = options.region ?? 'eu-west-1';
    this.account = options.account ?? '123456789012';
    this.now = options.now ?? (() => Date.now());
  }

  /** Adds a function; its code loads at its first invocation, as a cold start does. */
  add(fn: HostedFunction): void {
    if (this.functions.has(fn.functionName)) throw new Error(`function ${fn.functionName} is already hosted: function names must be unique`);
    this.functions.set(fn.functionName, fn);
  }

  /**
   * Sets environment variables of a hosted function, as a deployment that changes them does; its loaded code stays
   * (the simulator does not model the cold starts a new version brings).
   */
  setEnvironment(functionName: string, variables: Readonly<Record<string, string>>): void {
    const fn = this.hosted(functionName);
    this.functions.set(functionName, { ...fn, environment: { ...fn.environment, ...variables } });
  }

  has(functionName: string): boolean {
    return this.functions.has(functionName);
  }

  get functionNames(): readonly string[] {
    return [...this.functions.keys()];
  }

  /** The variables a function runs with: its own, then the Lambda runtime's and the host's, then `options.environment`. */
  environmentOf(functionName: string): Readonly<Record<string, string>> {
    const fn = this.hosted(functionName);
    return {
      ...(process.env.PATH !== undefined ? { PATH: process.env.PATH } : {}),
      ...fn.environment,
      ...LOCAL_FUNCTION_ENV,
      AWS_REGION: this.region,
      AWS_DEFAULT_REGION: this.region,
      AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
      LAMBDA_TASK_ROOT: fn.codeDir,
      ...this.options.environment,
    };
  }

  /**
   * Runs the function's handler with `payload`. What the handler throws (or its module throws while loading)
   * comes back as `error`; only a function the host does not know throws, an `UnknownFunctionError`.
   */
  async invoke(functionName: string, payload: unknown): Promise<InvocationOutcome> {
    const fn = this.hosted(functionName);
    return withEnvironment(this.environmentOf(functionName), async () => {
      try {
        const handler = this.handlerOf(fn);
        return { result: await run(handler, payload, this.contextFor(fn)) };
      } catch (error) {
        return { error: errorOf(error) };
      }
    });
  }

  private hosted(functionName: string): HostedFunction {
    const fn = this.functions.get(functionName);
    if (!fn) throw new UnknownFunctionError(functionName);
    return fn;
  }

  private handlerOf(fn: HostedFunction): Handler {
    const cached = this.loaded.get(fn.functionName);
    if (cached) return cached;
    const notFound = () => Object.assign(new Error(`${fn.handler} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
    const dot = fn.handler.lastIndexOf('.');
    if (dot < 1) throw notFound();
    const exports = loadFresh(path.join(fn.codeDir, `${fn.handler.slice(0, dot)}.js`), fn.codeDir, new Map());
    const handler = exports[fn.handler.slice(dot + 1)];
    if (typeof handler !== 'function') throw notFound();
    this.loaded.set(fn.functionName, handler as Handler);
    return handler as Handler;
  }

  private contextFor(fn: HostedFunction): InvocationContext {
    this.requests += 1;
    const deadline = this.now() + fn.timeoutSeconds * 1000;
    return {
      functionName: fn.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: fn.functionArn ?? `arn:aws:lambda:${this.region}:${this.account}:function:${fn.functionName}`,
      memoryLimitInMB: '128',
      awsRequestId: `00000000-0000-4000-8000-${this.requests.toString(16).padStart(12, '0')}`,
      logGroupName: `/aws/lambda/${fn.functionName}`,
      logStreamName: 'simulated',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - this.now()),
    };
  }
}

/** Sets `process.env` to exactly `environment` while `body` runs, then puts back what it was. */
async function withEnvironment<T>(environment: Readonly<Record<string, string>>, body: () => Promise<T>): Promise<T> {
  const previous = { ...process.env };
  replaceEnvironment(environment);
  try {
    return await body();
  } finally {
    replaceEnvironment(previous);
  }
}

function replaceEnvironment(environment: Readonly<Record<string, string | undefined>>): void {
  for (const name of Object.keys(process.env)) if (environment[name] === undefined) delete process.env[name];
  for (const [name, value] of Object.entries(environment)) if (value !== undefined) process.env[name] = value;
}

/**
 * Evaluates a CommonJS file as a new module instance, never from (nor into) the module cache, so two functions
 * from one bundle share no module state. Files it requires from inside `root` load the same way (once per
 * instance); anything else (Node's own modules) comes from the ordinary `require`. The code is compiled with
 * this realm's `Function`, so it reads this realm's globals, among them the virtual clock's `Date`.
 */
function loadFresh(filename: string, root: string, instance: Map<string, { exports: unknown }>): Record<string, unknown> {
  const existing = instance.get(filename);
  if (existing) return existing.exports as Record<string, unknown>;
  const module = { exports: {} as unknown };
  instance.set(filename, module);
  if (filename.endsWith('.json')) {
    module.exports = JSON.parse(fs.readFileSync(filename, 'utf8'));
    return module.exports as Record<string, unknown>;
  }
  const ordinary = createRequire(filename);
  const requireFromBundle = (specifier: string): unknown => {
    const resolved = ordinary.resolve(specifier);
    const inBundle = path.isAbsolute(resolved) && !path.relative(root, resolved).split(path.sep).some((part) => part === '..' || part === 'node_modules');
    return inBundle ? loadFresh(resolved, root, instance) : ordinary(specifier);
  };
  const source = fs.readFileSync(filename, 'utf8').replace(/^#!.*/, '');
  const compiled = new Function('exports', 'require', 'module', '__filename', '__dirname', `${source}\n//# sourceURL=${pathToFileURL(filename).href}`);
  compiled.call(module.exports, module.exports, Object.assign(requireFromBundle, { resolve: ordinary.resolve }), module, filename, path.dirname(filename));
  return module.exports as Record<string, unknown>;
}

/** Calls the handler as the Node.js runtime does: an async handler's promise, or a callback handler's callback. */
function run(handler: Handler, event: unknown, context: InvocationContext): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const callback = (error?: unknown, result?: unknown): void => (error ? reject(error) : resolve(result));
    const returned = handler(event, context, callback);
    if (isThenable(returned)) returned.then(resolve, reject);
    else if (handler.length < 3) resolve(returned);
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function errorOf(error: unknown): { type: string; message: string } {
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)) {
    const { name, message } = error as { name?: unknown; message?: unknown };
    return { type: typeof name === 'string' && name !== '' ? name : 'Error', message: String(message) };
  }
  return { type: 'Error', message: String(error) };
}
