import type { Band } from './deployment';
import type { OffPeriod } from './model-re-enable';
import type { ScheduledReEnable } from './model-scheduled-catch-up';

/** What a delivery came to, as its trigger sees it. */
export type Progress = { readonly state: 'done'; readonly how: string } | { readonly state: 'open'; readonly reason: string; readonly delayUntilMs?: number };

/** A logical request the model caused and expects started or terminally decided. */
export interface Asked {
  readonly key: string;
  progress: Progress;
  readonly redeliver: () => Promise<Progress>;
}

/** Everything the model asked for, and what it saw on the way. */
export interface ModelRecord {
  readonly objects: Array<{ readonly triggerId: string; readonly key: string }>;
  readonly asked: Map<string, Asked>;
  readonly joinEvents: Map<string, string>;
  /** The per-key join's events as sent, and the joins their order completes, key by key. */
  readonly keyedJoins: KeyedJoinRecord;
  /** The N-of-M join's and the sequence's events as sent, and the completions the reference join made from their deliveries. */
  readonly joinModes: { readonly events: Map<string, JoinModeEvent>; readonly expected: Array<{ readonly trigger: JoinModeTrigger; readonly joinKey: string }> };
  /** The debounced trigger's bursts, each its events' ids in the order sent, with when the last was sent. */
  readonly bursts: Array<{ readonly eventIds: string[]; lastAtMs: number }>;
  /** The deadline's firings the scheduler invoked, with each delivery's reply (`fired: <batch>`, `duplicate`, ...). */
  readonly firings: Array<{ readonly firingMs: number; readonly replies: string[] }>;
  /** The batch schedule's firings, with the objects sent since the firing before, and each delivery's reply and the runs it started. */
  /** The scheduled check's firings, with each delivery's counting run (if SageMaker listed one within the period), reply and runs started. */
  readonly checks: Array<{ readonly scheduledTime: string; readonly deliveries: Array<{ readonly counting?: string; readonly reply: string; readonly started: string[] }> }>;
  readonly closeFirings: Array<{ readonly firingMs: number; readonly waiting: number; readonly replies: Array<{ readonly reply: string; readonly started: number; readonly backlog: boolean }> }>;
  /** The catching-up trigger's periods off, with what landed meanwhile and what its re-enable must start. */
  readonly offPeriods: OffPeriod[];
  /** The catching-up scheduled trigger's re-enables, with the firing each missed and what each delivery of the change did. */
  readonly scheduledReEnables: ScheduledReEnable[];
  /** Drift reports by S3 URI, with the band the model wrote into them and the alarms they raised. */
  readonly reports: Map<string, { readonly band: Band; readonly alarms: string[] }>;
  readonly approvals: Array<{ readonly pipeline: string; readonly requestId: string; readonly approve: boolean }>;
  /** Inputs still failing when delivered without faults: lost to a dead-letter queue. */
  readonly lost: Array<{ readonly label: string; readonly error: string }>;
  readonly notQuiescent: string[];
  /** Each failed delivery, with the crash or error that ended it: what a replay of the seed shows. */
  readonly trace: string[];
  /** Crashes injected, whether the invocation died of them or a handler caught them. */
  crashes: number;
  deliveries: number;
}

/** What the per-key join was sent, and what a join that keeps the latest occurrence per name must have started from it. */
export interface KeyedJoinRecord {
  readonly events: Map<string, { readonly key: string; readonly name: string }>;
  /** Each completed join, as its trigger's join key (`name=eventId&...`, names sorted), with its key. */
  readonly expected: Array<{ readonly key: string; readonly joinKey: string }>;
}

/** The modelled triggers of the other join modes: a 2-of-3 join, and a 2-step sequence. */
export type JoinModeTrigger = 'quorum' | 'sequence';
export interface JoinModeEvent {
  readonly trigger: JoinModeTrigger;
  readonly name: string;
  readonly atMs: number;
  /** Whether its `data` conforms to the schema its trigger declares for its name (true where none is declared). */
  readonly conforms: boolean;
  /** What the events function answered each delivery that returned (`started`, `waiting`, `rejected data.rows`, ...). */
  readonly replies: string[];
}

export function emptyModelRecord(): ModelRecord {
  return { objects: [], asked: new Map(), joinEvents: new Map(), keyedJoins: { events: new Map(), expected: [] }, joinModes: { events: new Map(), expected: [] }, bursts: [], firings: [], closeFirings: [], checks: [], offPeriods: [], scheduledReEnables: [], reports: new Map(), approvals: [], lost: [], notQuiescent: [], trace: [], crashes: 0, deliveries: 0 };
}
