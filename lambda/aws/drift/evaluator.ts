import {
  assessDrift,
  breachScore,
  modelMonitorSource,
  parseViolations,
  type AlarmTransition,
  type DriftAssessment,
  type FeatureScore,
} from '../../core/drift';
import { pipelineParameters } from '../../core/pipeline-parameters';
import { DEFAULT_PRIORITY } from '../../core/contracts/shared';
import type { Launchers } from '../adapters/launcher';
import type { ReviewNotifier } from './review-notifier';
import type { ViolationsReader } from './violations-reader';
import type { DriftTriggerSettings } from '../../core/contracts/drift';
import { isSourceAlarm } from '../../core/alarm-message';
import { isReportKey, type MonitorReportMessage } from '../../core/contracts/drift-monitor';

/** What drift was signalled by, for the notices and the run's reason: an alarm and its time, or a monitor and its report. */
interface Signal {
  readonly what: string;
  readonly at: string;
}

type Scores = { ok: true; value: readonly FeatureScore[]; report?: string } | { ok: false; problem: string; source?: string };

/** A violations report's scores; an entry that cannot be read makes the whole report unreadable, never "no drift". */
function scoresOfReport(body: string, uri: string): Scores {
  const parsed = parseViolations(body);
  if (!parsed.ok) return { ok: false, problem: `${parsed.error.field} ${parsed.error.problem}`, source: uri };
  if (parsed.value.unknown.length > 0) {
    const first = parsed.value.unknown[0];
    return { ok: false, problem: `violation ${first.index}: ${first.problem} (${parsed.value.unknown.length} not recognised)`, source: uri };
  }
  return { ok: true, value: parsed.value.scores, report: uri };
}

/** What one alarm transition came to. */
export type EvaluationOutcome =
  | { readonly status: 'ignored'; readonly state: string }
  /** The message is about an alarm that is not one of the trigger's sources: nothing is read, started or told. */
  | { readonly status: 'rejected'; readonly error: { readonly field: string; readonly problem: string } }
  | { readonly status: 'unreadable'; readonly problem: string; readonly source?: string }
  | { readonly status: 'assessed'; readonly assessment: DriftAssessment; readonly started?: string; readonly deferred?: string; readonly notified: readonly string[] };

export interface EvaluatorObserver {
  scored(settings: DriftTriggerSettings, assessment: DriftAssessment): void;
  unreadable(settings: DriftTriggerSettings, problem: string, source: string | undefined): void;
}

export interface EvaluatorDeps {
  readonly reader: ViolationsReader;
  readonly launchers: Pick<Launchers, 'for'>;
  readonly notifier: ReviewNotifier;
  readonly observer: EvaluatorObserver;
}

/** Turns an alarm into a severity and an action: log, retrain, retrain with approval, or block and ask a human. */
export class DriftEvaluator {
  constructor(private readonly deps: EvaluatorDeps) {}

  async evaluate(settings: DriftTriggerSettings, transition: AlarmTransition): Promise<EvaluationOutcome> {
    if (!isSourceAlarm(settings.alarms, transition)) {
      return { status: 'rejected', error: { field: 'AlarmArn', problem: `alarm ${transition.alarmName} (${transition.alarmArn}) is not one of this trigger's sources` } };
    }
    if (transition.state !== 'ALARM') return { status: 'ignored', state: transition.state };
    const signal = { what: `Alarm ${transition.alarmName}`, at: transition.changedAt };
    return this.act(settings, signal, await this.scoresFor(settings, transition), `${transition.alarmArn}#${transition.changedAt}`);
  }

  /**
   * A drift monitor's report, named by its message. The message only says which report: the monitor must be one
   * of the trigger's, and the report one its folder holds, read from where the deployment says the monitor writes.
   */
  async evaluateMonitorReport(settings: DriftTriggerSettings, message: MonitorReportMessage): Promise<EvaluationOutcome> {
    const monitor = (settings.monitors ?? []).find((candidate) => candidate.monitorId === message.monitorId);
    if (!monitor) return { status: 'rejected', error: { field: 'monitorId', problem: `'${message.monitorId}' is not one of this trigger's drift monitors` } };
    if (!isReportKey(monitor.prefix, message.reportKey)) {
      return { status: 'rejected', error: { field: 'reportKey', problem: `is not a report of drift monitor ${monitor.monitorId}` } };
    }
    const report = await this.deps.reader.report(monitor.bucket, message.reportKey);
    const signal = { what: `Drift monitor ${monitor.monitorId}`, at: report.found ? report.uri : message.reportKey };
    return this.act(settings, signal, report.found ? scoresOfReport(report.body, report.uri) : { ok: false, problem: report.problem, source: report.uri }, report.uri);
  }

  /** Scores, then logs, retrains, or asks a human, as the severity says; `fallbackOccasion` names the signal when no report does. */
  private async act(settings: DriftTriggerSettings, signal: Signal, scores: Scores, fallbackOccasion: string): Promise<EvaluationOutcome> {
    if (!scores.ok) {
      // An unreadable report is never scored as 0: a human hears of it, and nothing starts.
      this.deps.observer.unreadable(settings, scores.problem, scores.source);
      await this.deps.notifier.notify(
        settings.humanReviewTopicArn,
        `Drift report unreadable: ${settings.pipelineName}`,
        [
          `${signal.what} (${signal.at}) reported drift, but it could not be scored, so nothing was started.`,
          `Problem: ${scores.problem}`,
          ...(scores.source ? [`Source: ${scores.source}`] : []),
        ],
        { pipelineName: settings.pipelineName, severity: 'unknown' },
      );
      return { status: 'unreadable', problem: scores.problem, ...(scores.source ? { source: scores.source } : {}) };
    }
    const assessment = assessDrift(settings.drift, scores.value);
    // One monitoring execution is one report, however many of its feature alarms fire: one run at most.
    const occasion = scores.report ?? fallbackOccasion;
    this.deps.observer.scored(settings, assessment);
    const notified: string[] = [];
    let started: string | undefined;
    let deferred: string | undefined;
    if (assessment.action === 'retrain' || assessment.action === 'retrain-with-approval') {
      const run = await this.retrain(settings, signal, assessment, occasion);
      started = run.executionArn;
      deferred = run.deferred;
    }
    const topic =
      assessment.action === 'retrain-with-approval' ? settings.teamTopicArn : assessment.action === 'block-and-review' ? settings.humanReviewTopicArn : undefined;
    if (topic && (await this.deps.notifier.notify(topic, subjectOf(settings, assessment), messageOf(settings, signal, assessment, started), {
      pipelineName: settings.pipelineName,
      severity: assessment.severity,
    }))) {
      notified.push(topic);
    }
    return { status: 'assessed', assessment, ...(started ? { started } : {}), ...(deferred ? { deferred } : {}), notified };
  }

  private async scoresFor(settings: DriftTriggerSettings, transition: AlarmTransition): Promise<Scores> {
    const monitor = modelMonitorSource(transition);
    if (monitor && settings.monitoringOutput) {
      const report = await this.deps.reader.newest(settings.monitoringOutput, monitor.endpointName, monitor.monitoringScheduleName, transition.changedAt);
      if (!report.found) return { ok: false, problem: report.problem, source: report.uri };
      return scoresOfReport(report.body, report.uri);
    }
    if (transition.breachingValue === undefined) {
      return { ok: false, problem: 'the alarm message names no breaching value to score', source: transition.alarmArn };
    }
    const { alarmName, metricName, threshold, breachesWhen } = transition;
    return { ok: true, value: [breachScore(metricName ?? alarmName, transition.breachingValue, `alarm ${alarmName}`, threshold, breachesWhen)] };
  }

  /**
   * @param occasion what the drift was found in: the violations report of one monitoring execution, or
   *   one transition of an alarm scored by its own value. SNS redelivers, and several feature alarms fire
   *   for one report: the same occasion must start nothing new.
   */
  private async retrain(settings: DriftTriggerSettings, signal: Signal, assessment: DriftAssessment, occasion: string): Promise<{ executionArn?: string; deferred?: string }> {
    const parameters = pipelineParameters(settings.parameters, assessment.parameters);
    if (!parameters.ok) throw new Error(`${parameters.error.field} ${parameters.error.problem}`);
    // Retraining that needs approval waits for an operator at a coordinator: the trigger's own, or its approval gate.
    const requireApproval = assessment.action === 'retrain-with-approval';
    const gate = settings.coordinatorFunction ?? (requireApproval ? settings.approvalFunction : undefined);
    if (requireApproval && !gate) throw new Error('DRIFT_SETTINGS names no coordinator or approval gate for retraining that needs approval');
    const outcome = await this.deps.launchers.for({ coordinatorFunction: gate }).launch({
      triggerType: 'drift',
      triggerId: settings.triggerId,
      occasion,
      pipelineName: settings.pipelineName,
      parameters: parameters.value,
      priority: assessment.priority ?? DEFAULT_PRIORITY,
      reason: `${assessment.severity} drift: ${assessment.recommendation} (${signal.what} at ${signal.at})`,
      displayName: `drift-${assessment.severity}`,
      ...(requireApproval ? { requireApproval: true } : {}),
    });
    return outcome.status === 'started' ? { executionArn: outcome.executionArn } : { deferred: outcome.reason };
  }
}

function subjectOf(settings: DriftTriggerSettings, assessment: DriftAssessment): string {
  return assessment.action === 'block-and-review'
    ? `Critical drift, retraining blocked: ${settings.pipelineName}`
    : `High drift, retraining needs approval: ${settings.pipelineName}`;
}

function messageOf(settings: DriftTriggerSettings, signal: Signal, assessment: DriftAssessment, started: string | undefined): string[] {
  return [
    `${signal.what} (${signal.at}): ${assessment.severity} drift on ${settings.pipelineName}.`,
    'Drifted features (score, severity):',
    ...assessment.drifted.slice(0, 20).map((feature) => `  ${feature.feature}: ${feature.score.toFixed(4)} (${feature.severity}, ${feature.kind})`),
    `Recommendation: ${assessment.recommendation}`,
    assessment.action === 'block-and-review'
      ? 'Automated retraining is blocked: a model trained on this data could learn the drift.'
      : started
        ? `A retraining run started with RequireApproval=true: ${started}`
        : 'A retraining run waits for approval: the approval notice names the command that approves or rejects it (npx cdk-ml-triggers approve|reject).',
  ];
}
