import { DescribeRuleCommand, StartReplayCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { TRIGGER_ID } from '../../core/contracts/shared';
import { parseEventCatchUp } from '../../core/contracts/event-catch-up';
import { plannedReplays, replayWindow, type PlannedReplay } from '../../core/event-catch-up';
import { isRecord } from '../../core/result';
import type { ConfigurationHistory } from '../adapters/configuration-history';

/** What became of one planned replay. */
export type ReplayOutcome = 'started' | 'already-started';

export interface ReplayLog {
  info(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

export interface ReplayDeps {
  /** The configurations the deployment wrote under the function's path, and their versions. */
  readonly history: Pick<ConfigurationHistory, 'versions'>;
  readonly eventbridge: Pick<EventBridgeClient, 'send'>;
  readonly now: () => number;
  readonly pause: (ms: number) => Promise<void>;
  readonly log: ReplayLog;
}

/** How long an invocation waits for a trigger's rule to be enabled before it leaves the replay to the change's next delivery. */
export const RULE_WAIT_MS = 20_000;
const RULE_POLL_MS = 2_000;

/** Some replays could not be started: thrown so that the change is delivered again (a started one is not started twice). */
export class ReplaysPending extends Error {
  override readonly name = 'ReplaysPending';
}

/**
 * Starts the catch-up replays of the event triggers the deployment turned back on. It reads everything from what the
 * deployment wrote: the configurations under the path and every version of them Parameter Store keeps, never
 * from the invocation. Each off period gets one replay, named from its trigger and off time: EventBridge refuses a
 * second replay of a name, which is taken as done, so repeated and concurrent deliveries start it once.
 */
export class ReplayStarter {
  constructor(private readonly deps: ReplayDeps) {}

  async follow(): Promise<{ readonly replays: number }> {
    const { current, versions } = await this.deps.history.versions();
    const catchingUp = [...configsOf(current)].filter(([, config]) => config.enabled !== false && parseEventCatchUp(config.whenReEnabled).ok && config.whenReEnabled !== undefined);
    if (catchingUp.length === 0) return { replays: 0 };
    const nowMs = this.deps.now();
    const failed: string[] = [];
    let replays = 0;
    for (const [triggerId] of catchingUp) {
      for (const replay of plannedReplays(triggerId, versions, nowMs)) {
        try {
          const outcome = await this.start(replay);
          if (outcome === 'started') replays++;
          this.deps.log.info('caught up a trigger turned back on', { triggerId, replay: replay.name, outcome, from: new Date(replay.startMs).toISOString(), to: new Date(replay.endMs).toISOString() });
        } catch (error) {
          this.deps.log.error('could not start a catch-up replay; the change is delivered again', { triggerId, replay: replay.name, error: error as Error });
          failed.push(replay.name);
        }
      }
    }
    if (failed.length > 0) throw new ReplaysPending(`not yet started: ${failed.join(', ')}`);
    return { replays };
  }

  private async start(replay: PlannedReplay): Promise<ReplayOutcome> {
    // The deployment enables the rule after it writes the configuration: a replay to a disabled rule delivers nothing.
    await this.ruleEnabled(replay.catchUp.ruleArn);
    // The window ends no earlier than the rule was seen enabled: the events before it were not delivered live.
    const window = replayWindow(replay, replay.catchUp.maxAgeSeconds, this.deps.now()) ?? replay;
    try {
      await this.deps.eventbridge.send(new StartReplayCommand(startReplayInput({ ...replay, ...window })));
      return 'started';
    } catch (error) {
      if ((error as { name?: string }).name === 'ResourceAlreadyExistsException') return 'already-started';
      throw error;
    }
  }

  /** Waits, a while, until the rule is enabled; throws when it is not, so that the change is delivered again. */
  private async ruleEnabled(ruleArn: string): Promise<void> {
    const [busName, ruleName] = ruleNameOf(ruleArn);
    const deadline = this.deps.now() + RULE_WAIT_MS;
    for (;;) {
      const rule = await this.deps.eventbridge.send(new DescribeRuleCommand({ Name: ruleName, ...(busName ? { EventBusName: busName } : {}) }));
      if (rule.State !== undefined && rule.State.startsWith('ENABLED')) return;
      if (this.deps.now() + RULE_POLL_MS > deadline) throw new ReplaysPending(`rule ${ruleArn} is ${rule.State ?? 'in no state'}: its replay starts once it is enabled`);
      await this.deps.pause(RULE_POLL_MS);
    }
  }

}

/** StartReplay's request for a planned replay: this trigger's rule alone receives the replayed events. */
export function startReplayInput(replay: PlannedReplay) {
  return {
    ReplayName: replay.name,
    Description: `cdk-ml-triggers: catch-up of trigger ${replay.triggerId}`,
    EventSourceArn: replay.catchUp.archiveArn,
    EventStartTime: new Date(replay.startMs),
    EventEndTime: new Date(replay.endMs),
    Destination: { Arn: replay.catchUp.busArn, FilterArns: [replay.catchUp.ruleArn] },
  };
}

/** The bus (absent for the default bus) and the name of the rule an ARN names: `rule/<bus>/<name>` or `rule/<name>`. */
function ruleNameOf(ruleArn: string): [string | undefined, string] {
  const path = ruleArn.slice(ruleArn.indexOf(':rule/') + ':rule/'.length).split('/');
  return path.length > 1 ? [path.slice(0, -1).join('/'), path[path.length - 1]] : [undefined, path[0]];
}

/** Every configuration the parameters hold now, by trigger id. */
function configsOf(current: ReadonlyMap<string, string>): Map<string, Record<string, unknown>> {
  const configs = new Map<string, Record<string, unknown>>();
  for (const value of current.values()) {
    for (const [triggerId, config] of Object.entries(packOf(value))) {
      if (TRIGGER_ID.test(triggerId) && isRecord(config)) configs.set(triggerId, config);
    }
  }
  return configs;
}

function packOf(text: string | undefined): Record<string, unknown> {
  try {
    const pack: unknown = JSON.parse(text ?? '');
    return isRecord(pack) ? pack : {};
  } catch {
    return {};
  }
}
