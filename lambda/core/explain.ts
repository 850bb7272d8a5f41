/**
 * Answers an operator's "why did, or didn't, pipeline X run between T1 and T2" from the decisions a
 * RetrainingCoordinator recorded. Pure: the records and the window come in as values.
 */

/** The fields of one recorded coordinator decision that an explanation reads (the store's record adds the pipeline and cost). */
export interface DecisionRecordLike {
  readonly requestId: string;
  readonly atMs: number;
  readonly triggerType: string;
  readonly priority: number;
  readonly outcome: 'started' | 'suppressed' | 'awaiting-approval' | 'rejected' | 'failed' | 'withdrawn';
  /** `started`, `cooldown`, `daily-cap`, `budget`, `pending-approval (<request id>)`, `awaiting-approval`, `approved`, ... */
  readonly reason: string;
  /** The trigger's own reason for asking. */
  readonly requestReason: string;
  /** When a held-back request could have passed. */
  readonly delayUntilMs?: number;
  readonly executionArn?: string;
  readonly sequence?: number;
  /** Rules a critical request passed by its priority. */
  readonly bypassed?: readonly string[];
  /** Follows the start from the triggering event to the run. */
  readonly correlationId?: string;
  /** Why a start failed: the error SageMaker (or the call to it) returned. */
  readonly error?: string;
}

/** Counts of what the coordinator decided in a window, and the answer in words. */
export interface Explanation {
  readonly started: number;
  readonly suppressed: number;
  readonly awaitingApproval: number;
  readonly rejected: number;
  /** Decisions by reason; `pending-approval (<id>)` counts as `pending-approval`. */
  readonly byReason: Record<string, number>;
  readonly byTriggerType: Record<string, number>;
  /** A one-line summary, then one line per decision, oldest first. */
  readonly lines: string[];
}

/**
 * Explains the decisions about `pipelineName` from `fromMs` to `toMs` (both inclusive). Records outside
 * the window are ignored, so that the counts always match the window the summary names.
 */
export function explainDecisions(pipelineName: string, fromMs: number, toMs: number, records: readonly DecisionRecordLike[]): Explanation {
  const inWindow = records.filter((record) => record.atMs >= fromMs && record.atMs <= toMs).sort((a, b) => a.atMs - b.atMs);
  const count = (outcome: DecisionRecordLike['outcome']) => inWindow.filter((record) => record.outcome === outcome).length;
  const explanation = {
    started: count('started'),
    suppressed: count('suppressed'),
    awaitingApproval: count('awaiting-approval'),
    rejected: count('rejected'),
    byReason: tally(inWindow.map((record) => baseReason(record.reason))),
    byTriggerType: tally(inWindow.map((record) => record.triggerType)),
  };
  const window = `between ${isoTime(fromMs)} and ${isoTime(toMs)}`;
  if (inWindow.length === 0) {
    return {
      ...explanation,
      lines: [
        `${pipelineName} did not run ${window}: no trigger asked the coordinator for it.`,
        'Triggers not routed through a coordinator start pipelines directly; their runs are not in this log.',
      ],
    };
  }
  const failures = count('failed');
  const heldBack = tally(inWindow.filter((record) => record.outcome === 'suppressed').map((record) => baseReason(record.reason)));
  const clauses = [
    ...(explanation.suppressed > 0 ? [`${requests(explanation.suppressed)} held back: ${listCounts(heldBack)}`] : []),
    ...(explanation.awaitingApproval > 0 ? [`${requests(explanation.awaitingApproval)} held for an operator's approval`] : []),
    ...(explanation.rejected > 0 ? [`${requests(explanation.rejected)} rejected by an operator`] : []),
    ...(failures > 0 ? [`${failures} ${failures === 1 ? 'start' : 'starts'} failed`] : []),
    ...(count('withdrawn') > 0 ? [`${requests(count('withdrawn'))} withdrawn by ${count('withdrawn') === 1 ? 'its trigger' : 'their triggers'}`] : []),
  ];
  const head = explanation.started > 0
    ? `${pipelineName} ran ${explanation.started} ${explanation.started === 1 ? 'time' : 'times'} ${window}`
    : `${pipelineName} did not run ${window}`;
  const summary = `${head}; ${clauses.length > 0 ? clauses.join('; ') : 'no request was held back'}.`;
  return { ...explanation, lines: [summary, ...inWindow.map(decisionLine)] };
}

/** One decision: when, who asked, what was decided and why, what it would have needed, and the trigger's reason. */
function decisionLine(record: DecisionRecordLike): string {
  const parts = [
    `${isoTime(record.atMs)} ${record.triggerType} (priority ${record.priority}) ${outcomeText(record)}`,
    ...details(record),
    ...(record.correlationId !== undefined ? [`correlation ${record.correlationId}`] : []),
    `request ${record.requestId}`,
    `trigger reason ${JSON.stringify(record.requestReason)}`,
  ];
  return parts.join('; ');
}

function outcomeText(record: DecisionRecordLike): string {
  switch (record.outcome) {
    case 'started': {
      const run = record.sequence !== undefined ? `started run ${record.sequence}` : 'started';
      return record.reason === 'approved' ? `${run}, approved by an operator` : run;
    }
    case 'suppressed':
      return `held back by ${record.reason}`;
    case 'awaiting-approval':
      return 'held for approval';
    case 'rejected':
      return 'rejected by an operator';
    case 'withdrawn':
      return 'withdrawn by its trigger, which gave up waiting; it will not start';
    case 'failed':
      return `failed to start: ${record.error ?? record.reason}${record.reason.endsWith('(retrying)') ? ', kept for a retry' : ''}`;
  }
}

/** What a decision needed or did: the wait it would have needed, the rules it bypassed, the run it started. */
function details(record: DecisionRecordLike): string[] {
  const found: string[] = [];
  if (record.delayUntilMs !== undefined) found.push(`could pass from ${isoTime(record.delayUntilMs)}`);
  const blockedBy = /^pending-approval \((.+)\)$/.exec(record.reason)?.[1];
  if (blockedBy !== undefined) found.push(`could pass once an operator approves or rejects request ${blockedBy}`);
  else if (record.reason === 'pending-approval') found.push('could pass once an operator answers the run that waits for approval');
  if (record.reason === 'invalid-parameters') found.push('needs parameters that SageMaker accepts');
  if (record.outcome === 'awaiting-approval') found.push('needs an operator to approve or reject it');
  if (record.bypassed !== undefined && record.bypassed.length > 0) found.push(`bypassed ${record.bypassed.join(', ')} by priority`);
  if (record.executionArn !== undefined) found.push(`execution ${record.executionArn}`);
  return found;
}

/** `pending-approval (<id>)` names the blocking request; counting groups it with the other pending-approval decisions. */
function baseReason(reason: string): string {
  return reason.replace(/ \(.*\)$/, '');
}

function tally(keys: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}

/** `cooldown 3, daily-cap 2`: most frequent first, ties by name. */
function listCounts(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .sort(([a, m], [b, n]) => n - m || a.localeCompare(b))
    .map(([key, n]) => `${key} ${n}`)
    .join(', ');
}

function requests(n: number): string {
  return n === 1 ? '1 request was' : `${n} requests were`;
}

/** ISO 8601 in UTC, without milliseconds when there are none: `2027-03-01T00:00:00Z`. */
function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
