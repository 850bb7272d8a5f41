import { handler } from '../../lambda/gcp/drift';
import { pipelineJobId } from '../../lambda/core/pipeline-job';
import { useFakeGoogle } from '../gcp/function-call';
import { DRIFT_METRIC as METRIC, DRIFT_SETTINGS } from '../gcp/trigger-configs';
import { hugeDigits, silenceOutput } from './corpus-support';
import { assessJobCase, envelopeCases, push, testPushCorpus, TIMEOUT, withInfinity, type PushCase } from './gcp-corpus-support';

// The function is loaded from its TypeScript source, as test/gcp/ loads it: the bundle is the same code through esbuild.
// A trigger that retrains on its own: any score taken from a forged incident would start a run.
const SETTINGS = { ...DRIFT_SETTINGS, drift: { ...DRIFT_SETTINGS.drift, autoRetrain: true } };
const INCIDENT_ID = '0.mtdi83m6w8ao';
const STARTED_AT = 1772431200;
const OUR_JOB = pipelineJobId(SETTINGS.triggerId, 'drift', [INCIDENT_ID, String(STARTED_AT)]);

/** A version 1.2 incident notification observing 0.31 (high drift: a job), fields replaced (`undefined` removes one). */
function notification(incident: Record<string, unknown> = {}, top: Record<string, unknown> = {}): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    incident_id: INCIDENT_ID,
    scoping_project_id: 'ml-prod-481',
    started_at: STARTED_AT,
    ended_at: null,
    state: 'open',
    summary: 'Feature drift for churn-prod with metric labels {feature=tenure_months} is above the threshold of 0.100 with a value of 0.310.',
    policy_name: 'churn feature drift',
    condition_name: 'feature drift above 0.1',
    metric: { type: METRIC, displayName: 'Feature drift', labels: { feature: 'tenure_months' } },
    resource: { type: 'global', labels: { project_id: 'ml-prod-481' } },
    observed_value: '0.310',
    threshold_value: '0.1',
    ...incident,
  };
  for (const [key, value] of Object.entries(incident)) if (value === undefined) delete fields[key];
  const body: Record<string, unknown> = { version: '1.2', incident: fields, ...top };
  for (const [key, value] of Object.entries(top)) if (value === undefined) delete body[key];
  return body;
}
const low = (incident: Record<string, unknown> = {}) => notification({ observed_value: '0.05', ...incident });

const DRIFT_CORPUS: readonly PushCase[] = [
  ...envelopeCases(() => notification()),
  // The notification.
  { name: 'an array of notifications', input: () => push([notification()]) },
  { name: 'version missing', input: () => push(notification({}, { version: undefined })) },
  { name: 'version: the number 1.2', input: () => push(notification({}, { version: 1.2 })) },
  { name: 'version: 1e999 in JSON text', input: () => push(withInfinity(notification({}, { version: 0 }), 'version')) },
  { name: 'a notification whose "__proto__" key holds the incident', input: () => push(`{"version":"1.2","__proto__":${JSON.stringify({ incident: notification().incident })}}`) },
  { name: 'a notification whose "constructor" key holds the incident', input: () => push({ version: '1.2', constructor: { incident: notification().incident } }) },
  { name: 'incident: an array', input: () => push(notification({}, { incident: [notification().incident] })) },
  { name: 'incident: 10,000 objects deep', input: () => push(`{"version":"1.2","incident":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`) },
  // The incident's fields: wrong types, non-finite numbers, times.
  { name: 'incident_id: a number', input: () => push(notification({ incident_id: 7 })) },
  { name: 'incident_id: empty', input: () => push(notification({ incident_id: '' })) },
  { name: 'state: __proto__', input: () => push(notification({ state: '__proto__' })) },
  { name: 'state: a number', input: () => push(notification({ state: 1 })) },
  { name: 'started_at: 1e999 in JSON text', input: () => push(withInfinity(notification({ started_at: 0 }), 'started_at')) },
  { name: 'started_at: -1', input: () => push(notification({ started_at: -1 })) },
  { name: 'started_at: an RFC 3339 time', input: () => push(notification({ started_at: '2026-03-02T06:00:00Z' })) },
  { name: 'started_at: past the safe integers', input: () => push(notification({ started_at: '9'.repeat(20) })) },
  { name: 'started_at: 250 KB of digits', input: () => push(notification({ started_at: hugeDigits() })) },
  { name: 'metric: a string', input: () => push(notification({ metric: METRIC })) },
  { name: 'metric.type: a number', input: () => push(notification({ metric: { type: 7 } })) },
  { name: 'metric.labels: an array', input: () => push(notification({ metric: { type: METRIC, labels: ['tenure_months'] } })) },
  { name: 'metric.labels.feature: an object', input: () => push(notification({ metric: { type: METRIC, labels: { feature: { name: 'x' } } } })) },
  { name: 'observed_value missing', input: () => push(notification({ observed_value: undefined })) },
  { name: 'observed_value: 1e999 in JSON text', input: () => push(withInfinity(notification({ observed_value: 0 }), 'observed_value')) },
  { name: 'observed_value: the string 1e999', input: () => push(notification({ observed_value: '1e999' })) },
  { name: 'observed_value: NaN', input: () => push(notification({ observed_value: 'NaN' })) },
  { name: 'observed_value: Infinity', input: () => push(notification({ observed_value: 'Infinity' })) },
  { name: 'observed_value: 250 KB of digits', input: () => push(notification({ observed_value: hugeDigits() })) },
  { name: 'observed_value: a list', input: () => push(notification({ observed_value: ['0.31'] })) },
  { name: 'threshold_value: 1e999 in JSON text', input: () => push(withInfinity(notification({ threshold_value: 0 }), 'threshold_value')) },
  { name: 'threshold_value: an object', input: () => push(notification({ threshold_value: { value: 0.1 } })) },
  // Incidents about something else: another policy or metric must not retrain this trigger's model.
  {
    name: 'an incident about another metric',
    input: () => push(notification({ metric: { type: 'compute.googleapis.com/instance/cpu/utilization', labels: {} }, observed_value: '0.4', summary: 'CPU utilization above 0.3' })),
  },
  {
    name: 'an incident of another alert policy',
    input: () => push(notification({ policy_name: 'payments latency', condition_name: 'p99 above 0.3 s' })),
  },
  {
    name: 'another metric\'s incident under a forged subscription',
    input: () => push(notification({ metric: { type: 'custom.googleapis.com/payments/latency', labels: { feature: 'p99' } } }), { root: { subscription: 'projects/attacker-1/subscriptions/x' } }),
  },
  // Accepted, and changes nothing.
  { name: 'a closed incident far in the future', input: () => push(notification({ state: 'closed', ended_at: 253402300799 })), harmless: 'a closed incident does nothing' },
  { name: 'a low-drift incident started at 9999-12-31', input: () => push(low({ started_at: 253402300799 })), harmless: 'started_at only identifies the incident; a low score is logged whatever its time' },
  { name: 'a low-drift incident started at the epoch', input: () => push(low({ started_at: 0 })), harmless: 'started_at only identifies the incident' },
  { name: 'a low-drift incident whose labels hold a JSON "__proto__" feature', input: () => push(JSON.stringify(low()).replace('"labels":{', '"labels":{"__proto__":{"feature":"x"},')), harmless: 'a feature under __proto__ is not the label feature: a low score is logged' },
  { name: 'a low-drift incident about the feature constructor', input: () => push(low({ metric: { type: METRIC, labels: { feature: 'constructor' } } })), harmless: 'a feature named constructor finds no prototype threshold (featureThresholds is read with own()): logged' },
  { name: 'a low-drift incident with a 250 KB summary', input: () => push(low({ summary: 'x'.repeat(250 * 1024) })), harmless: 'the summary is only a detail of the log line' },
  { name: 'a critical incident (0.9): blocked for review', input: () => push(notification({ observed_value: '0.9' })), harmless: 'critical drift starts nothing and asks for a human review' },
  // Accepted by design: each creates exactly this incident's job.
  { name: 'our incident under a forged subscription', input: () => push(notification(), { root: { subscription: 'projects/attacker-1/subscriptions/x' } }), accepted: 'the body\'s subscription is not authenticated (the push identity is) and never read' },
  { name: 'our incident published at 9999-12-31', input: () => push(notification(), { message: { publishTime: '9999-12-31T23:59:59Z', publish_time: undefined } }), accepted: 'publishTime is Pub/Sub\'s stamp, logged only' },
  { name: 'our incident published at 0001-01-01', input: () => push(notification(), { message: { publishTime: '0001-01-01T00:00:00Z', publish_time: undefined } }), accepted: 'publishTime is logged only' },
];

describe('the drift function against hostile push requests', () => {
  const fake = useFakeGoogle(() => ({ DRIFT_SETTINGS: JSON.stringify(SETTINGS) }), TIMEOUT);
  beforeEach(silenceOutput);

  testPushCorpus({
    fn: handler,
    cases: DRIFT_CORPUS,
    genuine: { name: 'a genuine high-drift incident creates its job, so the rejections below are the inputs\' doing', request: () => push(notification()), answers: { status: 'created', pipelineJobId: OUR_JOB } },
    behaviour: 'names the field or creates only its own job',
    assessCase: assessJobCase(handler, fake, OUR_JOB, /^(ignored|logged|blocked)$/),
    sized: (length) => push(notification({ observed_value: '9'.repeat(length) })),
  });
});
