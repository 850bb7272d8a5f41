import { GetParametersByPathCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { TRIGGER_ID, TRIGGER_ID_RULE } from '../../core/contracts/shared';
import { isRecord, reject, type FieldError, type Parsed } from '../../core/result';

/** How long the configurations read are kept before they are read again, whatever the deployment version says. */
export const CONFIG_TTL_MS = 10 * 60_000;
/** After a failed reload, how long the configurations read before serve without another try. */
export const RELOAD_RETRY_MS = 30_000;

/** Where a function finds its triggers' configurations: what the stack's deployment wrote. */
export interface TriggerConfigSource {
  /**
   * The parameter path the deployment wrote, ending in `/`: each parameter directly under it holds
   * several triggers' configurations, `{ "<triggerId>": <configuration>, ... }`.
   */
  readonly path: string;
  /** Changes with every deployment that changes a configuration: a new value empties the cache. */
  readonly version: string;
}

/** The function's environment names the source: `TRIGGER_CONFIG_PATH` and `TRIGGER_CONFIG_VERSION`. */
export function configSourceFromEnv(env: NodeJS.ProcessEnv): TriggerConfigSource {
  return { path: env.TRIGGER_CONFIG_PATH ?? '', version: env.TRIGGER_CONFIG_VERSION ?? '' };
}

type Loaded<T> = { readonly version: string; readonly atMs: number; readonly configs: ReadonlyMap<string, Parsed<T>>; readonly broken: readonly string[] };

/**
 * Each trigger's configuration, from the parameters the deployment wrote under the function's path,
 * never from the invocation: an invocation names a trigger id and carries an event, nothing else.
 * Every configuration under the path is read at once (a page of ten per call) and kept per execution
 * environment until the deployment's version changes or {@link CONFIG_TTL_MS} passes, so an id that
 * names no trigger costs no call: a flood of forged ids cannot spend the account's Parameter Store rate.
 */
export class TriggerConfigs<T extends { readonly triggerId: string }> {
  private loaded: Loaded<T> | undefined;
  private loading: { readonly version: string; readonly promise: Promise<Loaded<T>> } | undefined;
  private failedAtMs: number | undefined;

  constructor(
    private readonly ssm: Pick<SSMClient, 'send'>,
    private readonly source: () => TriggerConfigSource,
    /** Parses one stored configuration's JSON; errors name fields under `trigger.`. */
    private readonly parse: (value: unknown) => Parsed<T>,
    private readonly now: () => number,
  ) {}

  /**
   * The trigger's configuration, or an error naming `triggerId` when the id names no trigger of this
   * stack, or the configuration's field when what is stored does not parse. A failed read (throttling,
   * access) is thrown, so the invocation is retried with nothing accepted yet, unless configurations of
   * the same deployment were read before: those are used until a read succeeds.
   */
  async get(triggerId: unknown): Promise<Parsed<T>> {
    // Trigger ids as the constructs allow them; anything else names no trigger and is never looked up.
    if (typeof triggerId !== 'string' || !TRIGGER_ID.test(triggerId)) {
      return { ok: false, error: { field: 'triggerId', problem: TRIGGER_ID_RULE } };
    }
    const { configs, broken } = await this.current();
    const found = configs.get(triggerId);
    if (found) return found;
    if (broken.length > 0) return reject('trigger', `parameter ${broken.join(', ')} is not a JSON object of configurations: '${triggerId}' may be in it`);
    return unknownTrigger(triggerId);
  }

  /**
   * Every configuration under the path as stored now, read past the cache and leaving it as it is: for a
   * change of the configurations themselves, which may reach the function before its new version does.
   */
  async fresh(): Promise<ReadonlyMap<string, Parsed<T>>> {
    const { path, version } = this.checkedSource();
    return (await this.load(path, version)).configs;
  }

  private checkedSource(): TriggerConfigSource {
    const source = this.source();
    if (source.path.length < 3 || !source.path.startsWith('/') || !source.path.endsWith('/')) {
      throw new Error('TRIGGER_CONFIG_PATH is not set to a parameter path: the function was deployed without its configuration');
    }
    return source;
  }

  private async current(): Promise<Loaded<T>> {
    const { path, version } = this.checkedSource();
    const loaded = this.loaded?.version === version ? this.loaded : undefined;
    const nowMs = this.now();
    if (loaded && (nowMs - loaded.atMs < CONFIG_TTL_MS || nowMs - (this.failedAtMs ?? -Infinity) < RELOAD_RETRY_MS)) return loaded;
    // Calls of one deployment share one load; a load for another version is not theirs.
    if (this.loading?.version !== version) {
      const promise = this.load(path, version);
      const loading = { version, promise };
      this.loading = loading;
      void promise.then(
        () => this.loading === loading && (this.loading = undefined),
        () => this.loading === loading && (this.loading = undefined),
      );
    }
    try {
      const fresh = await this.loading!.promise;
      this.loaded = fresh;
      this.failedAtMs = undefined;
      return fresh;
    } catch (error) {
      if (!loaded) throw error;
      // Serve what this deployment's configurations were, and spare a throttled Parameter Store a while.
      this.failedAtMs = this.now();
      return loaded;
    }
  }

  private async load(path: string, version: string): Promise<Loaded<T>> {
    const atMs = this.now();
    const configs = new Map<string, Parsed<T>>();
    const broken: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.ssm.send(new GetParametersByPathCommand({ Path: path.slice(0, -1), Recursive: false, MaxResults: 10, NextToken: nextToken }));
      for (const parameter of page.Parameters ?? []) this.unpack(parameter.Name ?? '', parameter.Value, configs, broken);
      nextToken = page.NextToken;
    } while (nextToken);
    return { version, atMs, configs, broken };
  }

  /** Adds a parameter's configurations; one stored twice, or under another trigger's id, is an error. */
  private unpack(name: string, text: string | undefined, configs: Map<string, Parsed<T>>, broken: string[]): void {
    let pack: unknown;
    try {
      pack = JSON.parse(text ?? '');
    } catch {
      pack = undefined;
    }
    if (!isRecord(pack)) {
      // A deployment writes no such parameter: every trigger it might hold is reported, not taken as unknown.
      broken.push(name);
      return;
    }
    for (const [triggerId, json] of Object.entries(pack)) {
      if (!TRIGGER_ID.test(triggerId)) continue;
      const parsed = configs.has(triggerId)
        ? reject<T>('trigger.triggerId', `'${triggerId}' is configured twice under the path`)
        : this.parse(json);
      configs.set(
        triggerId,
        parsed.ok && parsed.value.triggerId !== triggerId
          ? reject('trigger.triggerId', `the configuration stored for '${triggerId}' is that of '${parsed.value.triggerId}'`)
          : parsed,
      );
    }
  }
}

function unknownTrigger(triggerId: string): Parsed<never> {
  const error: FieldError = { field: 'triggerId', problem: `'${triggerId}' names no trigger of this stack` };
  return { ok: false, error };
}
