import { RE_ENABLE_DEFAULTS } from '../../lambda/core/contracts/re-enable';
import type { ScheduledCatchUpJson, ScheduledCheckConfigJson } from '../../lambda/core/contracts/scheduled-check';
import type { ScheduledTriggerProps } from '../scheduled-trigger';

/**
 * What a scheduled trigger writes into its configuration about being on and catching up: `enabled: false` while
 * disabled (left out while on), and for a catch-up what its missed firings are computed from. A trigger that is on
 * and skips writes nothing more than it did before.
 */
export function scheduledReEnableConfig(props: ScheduledTriggerProps, timeZone: string): Pick<ScheduledCheckConfigJson, 'enabled' | 'whenReEnabled'> {
  return {
    ...(props.enabled === false ? { enabled: false } : {}),
    ...withCatchUp(props, timeZone),
  };
}

/** Whether a trigger catches up: then the check function follows its configuration even without `unlessRanWithin`. */
export function catchesUp(props: ScheduledTriggerProps): boolean {
  return props.whenReEnabled?._catchUp() !== undefined;
}

function withCatchUp(props: ScheduledTriggerProps, timeZone: string): { whenReEnabled?: ScheduledCatchUpJson } {
  const options = props.whenReEnabled?._catchUp();
  if (!options) return {};
  return {
    whenReEnabled: {
      mode: 'catch-up',
      maxAgeSeconds: options.maxAge?.toSeconds() ?? RE_ENABLE_DEFAULTS.maxAgeSeconds,
      timeZone,
      ...(props.startDate ? { startDate: props.startDate.toISOString() } : {}),
      ...(props.endDate ? { endDate: props.endDate.toISOString() } : {}),
    },
  };
}
