/**
 * When a deployment turned a trigger off and back on, read from the versions of the parameters holding its
 * configuration: what the deployment wrote, never what an invocation says. Pure: the caller reads the versions.
 */
import { isRecord } from './result';

/** One version of a parameter of packed configurations, `{ "<triggerId>": <configuration>, ... }`, as Parameter Store keeps it. */
export interface ConfigurationVersion {
  /** The parameter's name, when versions of several parameters are read together. */
  readonly parameter?: string;
  /** The version's number within its parameter. */
  readonly version?: number;
  readonly value: string;
  /** When the version was written (its LastModifiedDate), in milliseconds since the epoch. */
  readonly modifiedMs: number;
}

/** A period the deployment had a trigger off: from the version that turned it off to the one that turned it on, if any. */
export interface OffPeriod {
  readonly offMs: number;
  readonly onMs?: number;
  /** The trigger's configuration in the version that turned it on again. */
  readonly onConfig?: Readonly<Record<string, unknown>>;
}

/** The trigger's configuration in one version, or undefined when the version does not hold it (or is not a pack). */
function configIn(version: ConfigurationVersion, triggerId: string): Record<string, unknown> | undefined {
  let pack: unknown;
  try {
    pack = JSON.parse(version.value);
  } catch {
    return undefined;
  }
  if (!isRecord(pack) || !Object.prototype.hasOwnProperty.call(pack, triggerId)) return undefined;
  const config = pack[triggerId];
  return isRecord(config) ? config : undefined;
}

/**
 * Every period the versions had the trigger off, oldest first, the last one open when the newest version holding
 * the trigger has it off. Versions of several parameters are read together in the order they were written (a
 * trigger may move between the parameters its stack packs configurations into); a version that does not hold the
 * trigger says nothing about it. Parameter Store keeps a parameter's last 100 versions: a period that began before
 * them begins, as far as this can tell, with the oldest.
 */
export function offPeriods(versions: readonly ConfigurationVersion[], triggerId: string): OffPeriod[] {
  const ordered = [...versions].sort(
    (a, b) => a.modifiedMs - b.modifiedMs || (a.version ?? 0) - (b.version ?? 0) || ((a.parameter ?? '') < (b.parameter ?? '') ? -1 : (a.parameter ?? '') > (b.parameter ?? '') ? 1 : 0),
  );
  const periods: OffPeriod[] = [];
  let offMs: number | undefined;
  for (const version of ordered) {
    const config = configIn(version, triggerId);
    if (!config) continue;
    const off = config.enabled === false;
    if (off && offMs === undefined) offMs = version.modifiedMs;
    if (!off && offMs !== undefined) {
      periods.push({ offMs, onMs: version.modifiedMs, onConfig: config });
      offMs = undefined;
    }
  }
  if (offMs !== undefined) periods.push({ offMs });
  return periods;
}

/** The latest period the versions had the trigger off (open when it is off now), or undefined when none did. */
export function latestOffPeriod(versions: readonly ConfigurationVersion[], triggerId: string): OffPeriod | undefined {
  return offPeriods(versions, triggerId).at(-1);
}
