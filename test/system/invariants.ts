/**
 * The guarantees the system makes, checked over what a run left behind. Each check reads the evidence
 * (SageMaker's executions, manifests in S3, items in DynamoDB, the coordinator's decision log) and
 * names what it found wrong.
 */
import { gunzipSync } from 'node:zlib';
import type { RecordedExecution } from '../support/local-services';
import { BANDS } from './deployment';
import type { Observation } from './model';
import { checkFirings } from './model-calendar';
import { checkJoinModes, joinModeKeyOf } from './model-join-modes';
import { checkBursts } from './model-debounce';
import { checkKeyedJoins } from './model-keyed-join';
import { checkTypedEvents } from './model-typed-events';
import { checkCloseFirings } from './model-batch-schedule';
import { checkKeyOf, checkScheduledChecks } from './model-scheduled-check';
import { checkReEnables } from './model-re-enable';
import { catchUpKeyOf, checkScheduledReEnables } from './model-scheduled-catch-up';
import type { Violation } from './violations';

export type { InvariantName, Violation } from './violations';

const TERMINAL = new Set(['rejected', 'start-failed', 'invalid-parameters']);
const toCents = (amount: number) => Math.round(amount * 100) / 100;

/** The logical request an execution ran for, read from what it carries; undefined when the model never asked for it. */
export function logicalKeyOf(execution: RecordedExecution, observation: Observation): string | undefined {
  const parameters = execution.parameters;
  const own = joinModeKeyOf(execution, observation.deployment) ?? checkKeyOf(execution, observation.deployment) ?? catchUpKeyOf(execution);
  if (own) return own;
  if (parameters.ManifestS3Uri) return `batch:${parameters.ManifestS3Uri}`;
  if (parameters.UpstreamExecutionArn) return `chain:${parameters.UpstreamExecutionArn}`;
  if (parameters.EventId) return `event:${parameters.EventId}`;
  if (parameters.BurstEventId) return `burst:${parameters.BurstEventId}`;
  if (parameters.TrainedEventId || parameters.EvaluatedEventId) return `keyed:${parameters.ModelId}:${parameters.TrainedEventId}&${parameters.EvaluatedEventId}`;
  if (parameters.DataEventId || parameters.FeatureEventId) return `join:${parameters.DataEventId}&${parameters.FeatureEventId}`;
  if (parameters.ScheduledTime) return `tick:${parameters.ScheduledTime}`;
  if (parameters.DriftSeverity) {
    const description = execution.description ?? '';
    for (const [uri, report] of observation.model.reports) {
      if (description.includes(uri) || report.alarms.some((alarm) => new RegExp(`(?<![\\w-])${alarm}(?![\\w-])`).test(description))) return `drift:${uri}`;
    }
  }
  return undefined;
}

/** The logical request a coordinator request was for, read from its parameters the same way. */
function logicalKeyOfRequest(input: Readonly<Record<string, unknown>>, observation: Observation): string | undefined {
  const parameters = (input.parameters ?? {}) as Record<string, string>;
  const description = `${String(input.reason ?? '')} ${String(input.correlationId ?? '')}`;
  return logicalKeyOf({ executionArn: '', pipelineName: String(input.pipelineName), clientRequestToken: '', parameters, description }, observation);
}

/** The object keys a batch item holds: a slot's object (batches before chunks), or a chunk's entries. */
function keysIn(item: Readonly<Record<string, unknown>>): string[] {
  const sk = String(item.sk);
  if (sk.startsWith('S#') && typeof item.identity === 'string') return [/^s3:\/\/[^/]+\/(.+)#[^#]*$/.exec(item.identity)?.[1] ?? item.identity];
  if (!sk.startsWith('C#') || !(item.entries instanceof Uint8Array)) return [];
  const entries = JSON.parse(gunzipSync(item.entries).toString('utf8')) as Array<{ readonly key: string } | null>;
  return entries.flatMap((entry) => (entry ? [entry.key] : []));
}

export function checkInvariants(observation: Observation): Violation[] {
  return [
    ...checkInputsHandled(observation),
    ...checkObjects(observation),
    ...checkStartsOnce(observation),
    ...checkDecisionRecords(observation),
    ...checkCounters(observation),
    ...checkNothingWaits(observation),
    ...checkKeyedJoins(observation),
    ...checkBursts(observation),
    ...checkFirings(observation),
    ...checkJoinModes(observation),
    ...checkTypedEvents(observation),
    ...checkCloseFirings(observation),
    ...checkScheduledChecks(observation),
    ...checkReEnables(observation),
    ...checkScheduledReEnables(observation),
  ];
}

function checkInputsHandled(observation: Observation): Violation[] {
  return observation.model.lost.map((lost) => ({
    invariant: '0 every input is eventually handled' as const,
    detail: `${lost.label} still failed when delivered without faults: ${lost.error}`,
  }));
}

/** Invariant 1: from the manifests that started runs point to, and the slots of FAILED batches. */
function checkObjects(observation: Observation): Violation[] {
  const violations: Violation[] = [];
  const startedIn = new Map<string, string[]>();
  for (const execution of observation.executions) {
    const uri = execution.parameters.ManifestS3Uri;
    if (!uri) continue;
    const triggerId = /\/manifests\/([^/]+)\//.exec(uri)?.[1] ?? '?';
    for (const key of observation.manifests.get(uri) ?? []) {
      const id = `${triggerId}:${key}`;
      startedIn.set(id, [...(startedIn.get(id) ?? []), execution.executionArn]);
    }
  }
  const failedIn = new Map<string, string[]>();
  const failedBatches = new Set(observation.batchItems.filter((item) => item.sk === 'H' && item.status === 'FAILED').map((item) => String(item.pk)));
  for (const item of observation.batchItems) {
    if (!failedBatches.has(String(item.pk))) continue;
    const triggerId = String(item.pk).split('#')[1];
    for (const key of keysIn(item)) {
      const id = `${triggerId}:${key}`;
      failedIn.set(id, [...(failedIn.get(id) ?? []), String(item.pk)]);
    }
  }
  const alarmed = new Set(observation.finalFailures.map((batch) => `B#${batch.triggerId}#${batch.epoch}#${batch.generation}`));
  for (const batch of failedBatches) {
    if (!alarmed.has(batch)) {
      violations.push({ invariant: '1 every object in exactly one started run or one FAILED batch', detail: `batch ${batch} is FAILED but the batcher never reported startFailed(final=true), so no alarm was raised` });
    }
  }
  const known = new Set<string>();
  for (const object of observation.model.objects) {
    const id = `${object.triggerId}:${object.key}`;
    if (known.has(id)) continue;
    known.add(id);
    const runs = startedIn.get(id) ?? [];
    const failed = failedIn.get(id) ?? [];
    if (runs.length === 1 && failed.length === 0) continue;
    if (runs.length === 0 && failed.length === 1) continue;
    violations.push({
      invariant: '1 every object in exactly one started run or one FAILED batch',
      detail: `object ${object.key} of trigger ${object.triggerId} is in ${runs.length} started run(s) [${runs.join(', ')}] and ${failed.length} FAILED batch(es) [${failed.join(', ')}]`,
    });
  }
  for (const id of startedIn.keys()) {
    if (!known.has(id)) violations.push({ invariant: '2 no request starts twice, nothing unrequested starts', detail: `a started run lists ${id}, which never arrived` });
  }
  return violations;
}

/** Invariant 2: executions grouped by the logical request they ran for. */
function checkStartsOnce(observation: Observation): Violation[] {
  const violations: Violation[] = [];
  const byKey = new Map<string, RecordedExecution[]>();
  const consumed = new Map<string, string>();
  for (const execution of observation.executions) {
    const key = logicalKeyOf(execution, observation);
    if (key === undefined || !isRequested(key, observation)) {
      violations.push({
        invariant: '2 no request starts twice, nothing unrequested starts',
        detail: `execution ${execution.executionArn} of ${execution.pipelineName} (${key ?? 'no known occasion'}) was never asked for: ${JSON.stringify(execution.parameters)}`,
      });
      continue;
    }
    byKey.set(key, [...(byKey.get(key) ?? []), execution]);
    if (key.startsWith('join:')) {
      for (const eventId of key.slice(5).split('&')) {
        const earlier = consumed.get(eventId);
        if (earlier && earlier !== key) {
          violations.push({ invariant: '2 no request starts twice, nothing unrequested starts', detail: `event ${eventId} completed two joins: ${earlier} and ${key}` });
        }
        consumed.set(eventId, key);
      }
    }
  }
  for (const [key, executions] of byKey) {
    if (executions.length > 1) {
      violations.push({
        invariant: '2 no request starts twice, nothing unrequested starts',
        detail: `${key} started ${executions.length} executions: ${executions.map((e) => `${e.executionArn} (token ${e.clientRequestToken.slice(0, 12)}...)`).join(', ')}`,
      });
    }
  }
  return violations;
}

function isRequested(key: string, observation: Observation): boolean {
  const [kind, rest] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
  switch (kind) {
    case 'batch':
      return true; // the objects in it are checked by invariant 1
    case 'keyed':
    case 'burst':
    case 'quorum':
    case 'sequence':
    case 'check':
    case 'catch-up':
      return true; // its occurrences are checked by invariant 6, its burst by 7, its join by 9, its check by 13, its catch-up by 14
    case 'join':
      return rest.split('&').every((eventId) => observation.model.joinEvents.has(eventId)) && rest.split('&')[0].startsWith('data-') && rest.split('&')[1].startsWith('features-');
    case 'drift': {
      const report = observation.model.reports.get(rest);
      return report !== undefined && BANDS[report.band].starts;
    }
    default:
      return observation.model.asked.has(key);
  }
}

/** Invariant 3: each execution of a coordinated pipeline, and each answer the coordinator gave, in its decision log. */
function checkDecisionRecords(observation: Observation): Violation[] {
  const violations: Violation[] = [];
  const invariant = '3 every coordinator start and suppression has a decision record' as const;
  for (const pipeline of observation.deployment.coordinatedPipelines) {
    const records = observation.decisions.get(pipeline) ?? [];
    for (const execution of observation.executions.filter((e) => e.pipelineName === pipeline)) {
      if (!records.some((record) => record.outcome === 'started' && record.executionArn === execution.executionArn)) {
        violations.push({ invariant, detail: `execution ${execution.executionArn} of ${pipeline} has no 'started' decision record` });
      }
    }
  }
  for (const { input, answer } of observation.exchanges) {
    const records = observation.decisions.get(String(input.pipelineName)) ?? [];
    const own = records.filter((record) => record.requestId === answer.requestId);
    const found = answer.start
      ? own.some((record) => record.outcome === 'started')
      : own.some((record) => record.outcome !== 'started' && record.reason.startsWith(answer.reason));
    if (!found) {
      violations.push({
        invariant,
        detail: `the coordinator answered request ${answer.requestId} (${logicalKeyOfRequest(input, observation) ?? '?'}) with ${answer.start ? 'start' : answer.reason}, but its log holds only [${own.map((r) => `${r.outcome}/${r.reason}`).join(', ')}]`,
      });
    }
  }
  return violations;
}

/** Invariant 4: runsToday and spentToday against the started decisions reserved on that day. */
function checkCounters(observation: Observation): Violation[] {
  const violations: Violation[] = [];
  const invariant = "4 the coordinator's counters equal its runs" as const;
  for (const pipeline of observation.deployment.coordinatedPipelines) {
    const item = observation.coordinatorItems.find((candidate) => candidate.pk === `P#${pipeline}` && candidate.sk === 'STATE');
    if (!item) continue;
    const state = JSON.parse(item.state as string) as { day?: string; runsToday: number; spentToday: number };
    const records = observation.decisions.get(pipeline) ?? [];
    const started = new Set(records.filter((record) => record.outcome === 'started').map((record) => record.requestId));
    const requests = observation.coordinatorItems.filter((candidate) => String(candidate.pk).startsWith(`R#${pipeline}#`) && typeof candidate.decision === 'string');
    let runs = 0;
    let spent = 0;
    for (const request of requests) {
      const decision = JSON.parse(request.decision as string) as { start: boolean; requestId: string; reservation?: { day: string; estimatedCost: number } };
      if (!decision.start) continue;
      if (!started.has(decision.requestId)) {
        violations.push({
          invariant,
          detail: `request ${decision.requestId} of ${pipeline} holds a reserved start (day ${decision.reservation?.day}, cost ${decision.reservation?.estimatedCost}) that never started and was never released`,
        });
      }
      if (decision.reservation?.day === state.day) {
        runs++;
        spent += decision.reservation?.estimatedCost ?? 0;
      }
    }
    if (state.runsToday !== runs || toCents(state.spentToday) !== toCents(spent)) {
      violations.push({
        invariant,
        detail: `${pipeline} on ${state.day}: the state counts ${state.runsToday} runs and ${state.spentToday} spent, the starts reserved that day are ${runs} runs costing ${toCents(spent)}`,
      });
    }
  }
  return violations;
}

/** Invariant 5: nothing waits any more, and each request the model made either started or was decided for good. */
function checkNothingWaits(observation: Observation): Violation[] {
  const invariant = '5 every deferred request is started or terminally decided' as const;
  const violations: Violation[] = observation.model.notQuiescent.map((what) => ({ invariant, detail: `still waiting after the end phase: ${what}` }));
  const started = new Set(observation.executions.map((execution) => logicalKeyOf(execution, observation)));
  const refused = new Set<string>();
  for (const { input, answer } of observation.exchanges) {
    if (!answer.start && TERMINAL.has(answer.reason)) refused.add(logicalKeyOfRequest(input, observation) ?? '');
  }
  const rejectedIds = new Set(observation.model.approvals.filter((approval) => !approval.approve).map((approval) => approval.requestId));
  for (const { input } of observation.exchanges) {
    if (rejectedIds.has(String(input.requestId))) refused.add(logicalKeyOfRequest(input, observation) ?? '');
  }
  for (const asked of observation.model.asked.values()) {
    const report = asked.key.startsWith('drift:') ? observation.model.reports.get(asked.key.slice('drift:'.length)) : undefined;
    if (report && !BANDS[report.band].starts) continue;
    if (started.has(asked.key) || refused.has(asked.key)) continue;
    violations.push({ invariant, detail: `${asked.key} neither started nor was terminally decided; its trigger last saw ${JSON.stringify(asked.progress)}` });
  }
  const join = observation.joinItems.find((item) => item.pk === `J#${observation.deployment.joinTrigger.triggerId}` && item.sk === 'JOIN');
  if (join && (JSON.parse(join.state as string) as { pending?: unknown }).pending) {
    violations.push({ invariant, detail: `the join ${String(join.pk)} still holds a pending (completed, unstarted) join: ${join.state}` });
  }
  return violations;
}
