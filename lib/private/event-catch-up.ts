import { ArnFormat, Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { EVENT_CATCH_UP_DEFAULTS, type EventCatchUpJson } from '../../lambda/core/contracts/event-catch-up';
import type { ReEnable } from '../re-enable';
import type { ITriggerEventBus } from '../trigger-event-bus';
import type { EventSourceConfig } from './event-source-config';
import type { EventTriggerFunction } from './event-trigger-function';
import { configurationChangeRule } from './config-change-rule';

const ARCHIVE_ID = 'CatchUpArchive';

/** The archive a bus keeps of its own, known to the catch-ups that replay from it: a `TriggerEventBus`'s. */
interface KnownArchive {
  readonly archiveArn: string;
  readonly retention: Duration;
}

/** What catch-ups ask of an archive created for them on a bus that keeps none: its retention and its event names. */
interface CatchUpArchive {
  readonly archiveArn: string;
  readonly names: Set<string>;
  maxAgeSeconds: number;
}

const BUS_ARCHIVES = new WeakMap<object, KnownArchive>();
const CATCH_UP_ARCHIVES = new WeakMap<object, CatchUpArchive>();

/** Records the archive a `TriggerEventBus` keeps of every event of its namespace, for catch-ups to replay from. */
export function registerBusArchive(bus: object, archive: events.Archive, retention: Duration): void {
  BUS_ARCHIVES.set(bus, { archiveArn: archive.archiveArn, retention });
}

/**
 * The archive a trigger's catch-up replays from: the bus's own (a `TriggerEventBus`'s, whose retention must cover
 * `maxAge`), or one created on the bus once, for the first trigger that catches up on it, keeping the events of
 * every catching-up trigger's names for the longest maxAge on the bus, in whole days.
 */
function archiveFor(bus: ITriggerEventBus, names: readonly string[], maxAge: Duration): string {
  const known = BUS_ARCHIVES.get(bus);
  if (known) {
    if (!Token.isUnresolved(known.retention.toSeconds()) && !Token.isUnresolved(maxAge.toSeconds()) && maxAge.toSeconds() > known.retention.toSeconds()) {
      throw new Error(
        `whenReEnabled.maxAge must be at most the bus's archiveRetention (${known.retention.toHumanString()}), got ${maxAge.toHumanString()}: ` +
          "the catch-up replays from the bus's archive; lower maxAge or raise the TriggerEventBus's archiveRetention",
      );
    }
    return known.archiveArn;
  }
  let created = CATCH_UP_ARCHIVES.get(bus);
  if (!created) {
    const archive = new events.CfnArchive(bus, ARCHIVE_ID, {
      sourceArn: bus.bus.eventBusArn,
      description: `cdk-ml-triggers: events of ${bus.eventSource} that event triggers catch up on`,
      eventPattern: Lazy.any({ produce: () => ({ 'source': [bus.eventSource], 'detail-type': [...state.names].sort() }) }),
      retentionDays: Lazy.number({ produce: () => Math.max(1, Math.ceil(state.maxAgeSeconds / 86_400)) }),
    });
    const state: CatchUpArchive = { archiveArn: archive.attrArn, names: new Set(), maxAgeSeconds: 0 };
    created = state;
    CATCH_UP_ARCHIVES.set(bus, created);
  }
  for (const name of names) created.names.add(name);
  created.maxAgeSeconds = Math.max(created.maxAgeSeconds, maxAge.toSeconds());
  return created.archiveArn;
}

/** The ARN of a rule named `ruleName` on `bus`: a rule on a custom bus is named under the bus. */
function ruleArnOf(scope: Construct, bus: events.IEventBus, ruleName: string): string {
  const onDefault = !Token.isUnresolved(bus.eventBusName) && bus.eventBusName === 'default';
  return Stack.of(scope).formatArn({ service: 'events', resource: 'rule', resourceName: onDefault ? ruleName : `${bus.eventBusName}/${ruleName}`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
}

/**
 * What a trigger that catches up writes into its configuration (its catch-up, and `enabled` when it is off), with the
 * archive, the stack's rule on configuration changes and the permissions that catch-up needs; nothing for one that
 * skips, so that its configuration stays what it was.
 */
export function eventCatchUp(
  trigger: Construct,
  shared: EventTriggerFunction,
  whenReEnabled: ReEnable | undefined,
  source: EventSourceConfig,
  rule: { readonly ruleName: string; readonly enabled: boolean },
): { whenReEnabled?: EventCatchUpJson; enabled?: boolean } {
  const options = whenReEnabled?._catchUp();
  if (!options) return {};
  if (source.mode === 'chain' || !source.bus) {
    throw new Error(
      `whenReEnabled must be ReEnable.skip() for an EventTrigger whose source is EventSource.afterPipeline, got ReEnable.catchUp(): ` +
        "a catch-up replays the trigger's events from an archive of its TriggerEventBus, and SageMaker's status-change events reach the " +
        "default bus, outside it. Use a source of named events on a TriggerEventBus, or leave whenReEnabled out",
    );
  }
  const maxAge = options.maxAge ?? Duration.seconds(EVENT_CATCH_UP_DEFAULTS.maxAgeSeconds);
  const archiveArn = archiveFor(source.bus, source.names, maxAge);
  const ruleArn = ruleArnOf(trigger, source.bus.bus, rule.ruleName);
  configurationChangeRule(shared, 'the events function');
  shared.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['events:StartReplay'], resources: [archiveArn, ruleArn] }));
  // The replay starts once the rule, enabled after the configuration is written, delivers again.
  shared.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['events:DescribeRule'], resources: [ruleArn] }));
  return {
    whenReEnabled: {
      mode: 'catch-up',
      maxEvents: options.maxObjects ?? EVENT_CATCH_UP_DEFAULTS.maxEvents,
      maxAgeSeconds: maxAge.toSeconds(),
      archiveArn,
      busArn: source.bus.bus.eventBusArn,
      ruleArn,
    },
    ...(rule.enabled ? {} : { enabled: false }),
  };
}

