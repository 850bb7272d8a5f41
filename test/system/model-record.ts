import type { Band } from './deployment';

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

export function emptyModelRecord(): ModelRecord {
  return { objects: [], asked: new Map(), joinEvents: new Map(), reports: new Map(), approvals: [], lost: [], notQuiescent: [], trace: [], crashes: 0, deliveries: 0 };
}
