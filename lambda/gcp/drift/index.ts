import { assessDrift } from '../../core/drift';
import {
  log, receivePush, respondMisconfigured, respondRejected, respondStartFailed, type FunctionRequest, type FunctionResponse,
} from '../adapters/functions-framework';
import { MetadataTokenSource } from '../adapters/metadata-token';
import { pipelineJobRequest, VertexPipelines } from '../adapters/vertex-pipelines';
import { parseIncident } from '../../core/monitoring-incident';
import { jobLabels, parameterValues, pipelineJobId } from '../../core/pipeline-job';
import { parseDriftSettings } from '../../core/contracts/google-functions';

const pipelines = new VertexPipelines(new MetadataTokenSource(Date.now));

/**
 * Cloud Monitoring alert -> Pub/Sub notification channel -> push subscription -> this function. An open incident's
 * observed value is scored with lambda/core/drift's assessDrift: low, and medium without autoRetrain, are logged;
 * medium (autoRetrain) and high create a pipeline job with the assessment's parameters (high with RequireApproval=true);
 * critical creates nothing and asks for a human review. Closed incidents do nothing. The job id comes from the
 * incident's id and start, so a repeated notification of the same incident creates nothing new.
 */
export async function handler(req: FunctionRequest, res: FunctionResponse): Promise<void> {
  const received = receivePush(req, res, 'DRIFT_SETTINGS', parseDriftSettings, (message) => parseIncident(message.data));
  if (!received) return;
  const { trigger, content: alert, context } = received;
  if (alert.state === 'closed') {
    log('INFO', 'the incident closed: nothing to do', { ...context, incidentId: alert.incidentId });
    return void res.status(200).json({ status: 'ignored', reason: 'incident closed', incidentId: alert.incidentId });
  }

  // Only the trigger's own alert policy on its own metric is scored: any other incident starts nothing.
  if (alert.metricType !== trigger.source.metricType) {
    return respondRejected(res, { field: 'incident.metric.type', problem: `is '${alert.metricType}', but this trigger watches '${trigger.source.metricType}'` }, context);
  }
  if (alert.policyName !== trigger.source.policyName) {
    return respondRejected(res, { field: 'incident.policy_name', problem: `is ${JSON.stringify(alert.policyName ?? null)}, but this trigger's alert policy is '${trigger.source.policyName}'` }, context);
  }
  const assessment = assessDrift(trigger.drift, [alert.score]);
  const decided = {
    ...context, incidentId: alert.incidentId, policyName: alert.policyName, conditionName: alert.conditionName,
    severity: assessment.severity, action: assessment.action, feature: alert.score.feature, score: alert.score.score,
  };
  const summary = { severity: assessment.severity, action: assessment.action, recommendation: assessment.recommendation };
  if (assessment.action === 'block-and-review') {
    log('WARNING', assessment.recommendation, { ...decided, review: true, reviewTopic: trigger.reviewTopic });
    return void res.status(200).json({ status: 'blocked', ...summary, review: true });
  }
  if (assessment.action === 'log') {
    log('INFO', assessment.recommendation, decided);
    return void res.status(200).json({ status: 'logged', ...summary });
  }

  const parameters = parameterValues(trigger.parameters, assessment.parameters);
  // Only the static parameters can break the limits (the assessment's always fit), so this is the deployment's fault.
  if (!parameters.ok) return respondMisconfigured(res, { field: `DRIFT_SETTINGS.${parameters.error.field}`, problem: parameters.error.problem });
  const jobId = pipelineJobId(trigger.triggerId, 'drift', [alert.incidentId, String(alert.startedAt)]);
  try {
    const job = await pipelines.createPipelineJob(pipelineJobRequest(trigger, jobId, parameters.value, jobLabels(trigger.triggerId, 'drift')));
    const status = job.alreadyExisted ? 'already-existed' : 'created';
    log('NOTICE', assessment.recommendation, { ...decided, pipelineJob: job.name, status });
    res.status(200).json({ status, ...summary, pipelineJobId: jobId, pipelineJob: job.name, parameters: parameters.value });
  } catch (error) {
    respondStartFailed(res, error, { ...decided, pipelineJobId: jobId });
  }
}
