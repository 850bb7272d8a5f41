/**
 * What the archives of a simulated app's custom buses keep, and the replays StartReplay starts from them: every
 * event put on a bus other than the default one, replayed by time window to the rules a replay names.
 */
import type { ReplayRequest } from './endpoints/event-replays';
import { busNameOf } from './physical-names';
import type { EventBridgeEvent } from './routing';

/** One event a replay delivers: the archived event with the replay's name, and the rules it may reach. */
export interface ReplayedEvent {
  readonly busName: string;
  readonly event: EventBridgeEvent;
  readonly ruleArns: readonly string[];
}

export class EventArchive {
  private readonly kept: { readonly busName: string; readonly atMs: number; readonly event: EventBridgeEvent }[] = [];
  private readonly started: ReplayRequest[] = [];

  /** Keeps an event put on a custom bus; a replayed event is not archived again. */
  keep(busName: string, event: EventBridgeEvent): void {
    if (busName === 'default' || 'replay-name' in event) return;
    this.kept.push({ busName, atMs: Date.parse(event.time), event });
  }

  replayStarted(request: ReplayRequest): void {
    this.started.push(request);
  }

  /** The events of the replays started since the last call, in time order, each replay's from its start time to before its end time. */
  takeReplayed(): ReplayedEvent[] {
    const requests = this.started.splice(0);
    return requests.flatMap((request) => {
      const busName = busNameOf(request.Destination.Arn);
      return this.kept
        .filter((kept) => kept.busName === busName && kept.atMs >= request.EventStartTimeMs && kept.atMs < request.EventEndTimeMs)
        .sort((a, b) => a.atMs - b.atMs)
        .map((kept) => ({ busName, event: { ...kept.event, 'replay-name': request.ReplayName }, ruleArns: request.Destination.FilterArns ?? [] }));
    });
  }
}
