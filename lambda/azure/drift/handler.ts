import { alertRuleMismatch, criteriaOf, parseAzureMetricAlert } from '../../core/azure-alert';
import { parseAzureDriftSettings, type AzureDriftSettings } from '../../core/contracts/azure-functions';
import { assessDrift } from '../../core/drift';
import { jobLabels, parameterValues, pipelineJobId } from '../../core/pipeline-job';
import type { Parsed } from '../../core/result';
import type { AzureMLJobs } from '../adapters/azure-ml-jobs';
import { log, misconfigured, rejected, settingsFromEnv, submissionFailed, type Outcome } from '../adapters/functions-host';

/** What the drift handler needs from outside: where jobs go, and its settings (TRIGGER_SETTINGS by default). */
export interface DriftDeps {
  readonly jobs: Pick<AzureMLJobs, 'submit'>;
  readonly settings?: () => Parsed<AzureDriftSettings>;
}

/** A request body that could not be read as JSON: the entry point hands it on, and the handler rejects it. */
export class UnreadableBody {
  constructor(readonly problem: string) {}
}

/**
 * Azure Monitor metric alert -> action group (Azure Function receiver, common alert schema) -> this function. As the
 * GCP drift function does: a resolved alert does nothing; only the trigger's own alert rule and metric are scored
 * (anything else is rejected, naming the field); assessDrift decides: low, and medium without autoRetrain, are logged;
 * medium (autoRetrain) and high submit a pipeline job with the assessment's parameters (high with
 * RequireApproval=true); critical submits nothing and asks for a human review. The job's name comes from the alert's
 * id and fired time, so a repeated delivery of the same firing meets the job instead of making a second one.
 */
export function driftHandler(deps: DriftDeps): (body: unknown, invocationId: string) => Promise<Outcome> {
  const readSettings = deps.settings ?? (() => settingsFromEnv('TRIGGER_SETTINGS', parseAzureDriftSettings));
  return async (body, invocationId) => {
    const settings = readSettings();
    if (!settings.ok) return misconfigured(settings.error);
    const trigger = settings.value;
    const base = { triggerId: trigger.triggerId, invocationId };
    if (body instanceof UnreadableBody) {
      return rejected({ field: 'body', problem: `is not JSON: ${body.problem}` }, { ...base, correlationId: invocationId, reason: 'the body is not JSON' });
    }
    const alert = parseAzureMetricAlert(body);
    if (!alert.ok) {
      return rejected(alert.error, { ...base, correlationId: invocationId, reason: `${alert.error.field} ${alert.error.problem}` });
    }
    const context = { ...base, correlationId: alert.value.incidentId, alertRule: alert.value.ruleName };
    if (alert.value.state === 'resolved') {
      log('INFO', 'the alert resolved: nothing to do', { ...context, decision: 'ignored', reason: 'alert resolved' });
      return { status: 'ignored', reason: 'alert resolved', alertId: alert.value.incidentId };
    }
    const fired = alert.value;

    // Only the trigger's own alert rule on its own metric is scored: any other alert submits nothing.
    const foreign = alertRuleMismatch(fired, trigger.source.alertRuleId);
    if (foreign) return rejected(foreign, { ...context, reason: 'not this trigger\'s alert rule' });
    const criteria = criteriaOf(fired, trigger.source.metricName);
    if (criteria.length === 0) {
      const field = 'data.alertContext.condition.allOf[0].metricName';
      const seen = fired.criteria.map((c) => c.metricName).join(', ');
      return rejected({ field, problem: `is '${seen.slice(0, 200)}', but this trigger watches '${trigger.source.metricName}'` }, { ...context, reason: 'not this trigger\'s metric' });
    }

    const assessment = assessDrift(trigger.drift, criteria.map((c) => c.score));
    const top = assessment.drifted[0];
    const decided = {
      ...context, alertSeverity: fired.severity, firedAt: fired.firedAt, severity: assessment.severity, action: assessment.action,
      feature: top?.feature, score: top?.score, reason: assessment.recommendation,
    };
    const summary = { severity: assessment.severity, action: assessment.action, recommendation: assessment.recommendation };
    if (assessment.action === 'block-and-review') {
      log('WARNING', assessment.recommendation, { ...decided, decision: 'blocked', review: true });
      return { status: 'blocked', ...summary, review: true };
    }
    if (assessment.action === 'log') {
      log('INFO', assessment.recommendation, { ...decided, decision: 'logged' });
      return { status: 'logged', ...summary };
    }

    const parameters = parameterValues(trigger.parameters, assessment.parameters);
    // Only the static parameters can break the limits (the assessment's always fit), so this is the deployment's fault.
    if (!parameters.ok) return misconfigured({ field: `TRIGGER_SETTINGS.${parameters.error.field}`, problem: parameters.error.problem });
    const name = pipelineJobId(trigger.triggerId, 'drift', [fired.incidentId, fired.firedAt]);
    try {
      const job = await deps.jobs.submit(trigger, {
        name, parameters: parameters.value, tags: jobLabels(trigger.triggerId, 'drift'), correlationId: fired.incidentId,
      });
      const status = job.alreadyExisted ? 'already-existed' : 'created';
      log('INFO', assessment.recommendation, { ...decided, decision: status, pipelineJob: job.name, pipelineJobArmId: job.id });
      return { status, ...summary, pipelineJob: job.name, pipelineJobArmId: job.id, parameters: parameters.value };
    } catch (error) {
      return submissionFailed(error, { ...decided, reason: 'the pipeline job could not be submitted', pipelineJob: name });
    }
  };
}
