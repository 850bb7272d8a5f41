/**
 * When a deployment turned a trigger off and back on, read from the versions of the parameter holding its
 * configuration: what the deployment wrote, never what an invocation says. Pure: the caller reads the versions.
 */
import { isRecord } from './result';

/** One version of a parameter of packed configurations, `{ "<triggerId>": <configuration>, ... }`, as Parameter Store keeps it. */
export interface ConfigurationVersion {
  readonly value: string;
  /** When the version was written (its LastModifiedDate), in milliseconds since the epoch. */
  readonly modifiedMs: number;
}

/** A period the deployment had a trigger off: from the version that turned it off to the one that turned it on, if any. */
export interface OffPeriod {
  readonly offMs: number;
  readonly onMs?: number;
}

/** Whether a version has the trigger on, off, or not at all (its configuration is elsewhere, or the value is no pack). */
function stateIn(version: ConfigurationVersion, triggerId: string): 'on' | 'off' | 'absent' {
  let pack: unknown;
  try {
    pack = JSON.parse(version.value);
  } catch {
    return 'absent';
  }
  if (!isRecord(pack) || !Object.prototype.hasOwnProperty.call(pack, triggerId) || !isRecord(pack[triggerId])) return 'absent';
  return pack[triggerId].enabled === false ? 'off' : 'on';
}

/**
 * The latest period the versions (oldest first) had the trigger off: it began with the first version of the last
 * run of versions that have it off, and ended with the version after that run, if there is one. Undefined when the
 * newest versions have the trigger on and none before them had it off, or when the newest has no configuration of it.
 * Parameter Store keeps a parameter's last 100 versions: an off period that began before them begins, as far as
 * this can tell, with the oldest.
 */
export function latestOffPeriod(versions: readonly ConfigurationVersion[], triggerId: string): OffPeriod | undefined {
  let index = versions.length - 1;
  let onMs: number | undefined;
  while (index >= 0 && stateIn(versions[index], triggerId) === 'on') onMs = versions[index--].modifiedMs;
  if (index < 0 || stateIn(versions[index], triggerId) !== 'off') return undefined;
  while (index > 0 && stateIn(versions[index - 1], triggerId) === 'off') index--;
  return { offMs: versions[index].modifiedMs, ...(onMs !== undefined ? { onMs } : {}) };
}
