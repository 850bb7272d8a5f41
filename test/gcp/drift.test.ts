import { handler } from '../../lambda/gcp/drift';
import { PIPELINE_JOB_ID_PATTERN, pipelineJobId } from '../../lambda/core/pipeline-job';
import { call, captureEachTestLogs, FAKE_GOOGLE_TIMEOUT, pushBody, useFakeGoogle } from './function-call';
import { DRIFT_SETTINGS as SETTINGS } from './trigger-configs';


/** A notification in the documented version 1.2 shape (started_at in epoch seconds, values as decimal strings). */
function notification(incident: Record<string, unknown> = {}, version: unknown = '1.2'): Record<string, unknown> {
  return {
    version,
    incident: {
      incident_id: '0.mtdi83m6w8ao',
      scoping_project_id: 'ml-prod-481',
      scoping_project_number: 123456789012,
      url: 'https://console.cloud.google.com/monitoring/alerting/incidents/0.mtdi83m6w8ao?project=ml-prod-481',
      started_at: 1772431200,
      ended_at: null,
      state: 'open',
      summary: 'Feature drift for churn-prod with metric labels {feature=tenure_months} is above the threshold of 0.100 with a value of 0.310.',
      policy_name: 'churn feature drift',
      condition_name: 'feature drift above 0.1',
      metric: { type: 'custom.googleapis.com/model_monitoring/feature_drift', displayName: 'Feature drift', labels: { feature: 'tenure_months' } },
      resource: { type: 'global', labels: { project_id: 'ml-prod-481' } },
      resource_type_display_name: 'Global',
      metadata: { system_labels: {}, user_labels: {} },
      observed_value: '0.310',
      threshold_value: '0.1',
      ...incident,
    },
  };
}

describe('drift function (Cloud Monitoring -> Pub/Sub channel -> push) against a fake Vertex AI and metadata server', () => {
  const fake = useFakeGoogle(() => ({ DRIFT_SETTINGS: JSON.stringify(SETTINGS) }));
  const logs = captureEachTestLogs();

  test('an open incident observing 0.31 is high drift: one job with RequireApproval=true and the assessment\'s parameters', async () => {
    const answer = await call(handler, pushBody(notification(), '9100000001'));

    const expectedId = pipelineJobId('churn-drift', 'drift', ['0.mtdi83m6w8ao', '1772431200']);
    expect(expectedId).toMatch(PIPELINE_JOB_ID_PATTERN);
    expect(fake.google.jobs).toHaveLength(1);
    expect(fake.google.jobs[0].url).toBe(`/v1/projects/ml-prod-481/locations/us-central1/pipelineJobs?pipelineJobId=${expectedId}`);
    expect(fake.google.jobs[0].body).toEqual({
      displayName: 'churn-retrain',
      templateUri: SETTINGS.templateUri,
      runtimeConfig: {
        parameterValues: { DriftScore: '0.3100', DriftSeverity: 'high', DriftedFeatures: 'tenure_months', Epochs: '20', RequireApproval: 'true' },
      },
      labels: { 'ml-trigger-id': 'churn-drift', 'ml-trigger-type': 'drift' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'created', severity: 'high', action: 'retrain-with-approval', pipelineJobId: expectedId });
    expect(logs.lines).toContainEqual(expect.objectContaining({ severity: 'NOTICE', feature: 'tenure_months', score: 0.31, incidentId: '0.mtdi83m6w8ao' }));
  }, FAKE_GOOGLE_TIMEOUT);

  test('a repeated notification of the same incident creates nothing new', async () => {
    await call(handler, pushBody(notification(), '9100000002'));
    const again = await call(handler, pushBody(notification(), '9100000003'));

    expect(fake.google.createAttempts).toHaveLength(2);
    expect(fake.google.jobs).toHaveLength(1);
    expect(again).toMatchObject({ status: 200, body: { status: 'already-existed' } });
  }, FAKE_GOOGLE_TIMEOUT);

  test('a closed incident does nothing', async () => {
    const answer = await call(handler, pushBody(notification({ state: 'closed', ended_at: 1772434800 }), '9100000004'));

    expect(answer).toEqual({ status: 200, body: { status: 'ignored', reason: 'incident closed', incidentId: '0.mtdi83m6w8ao' } });
    expect(fake.google.createAttempts).toHaveLength(0);
  }, FAKE_GOOGLE_TIMEOUT);

  test('0.6 is critical: no job, review true, and a WARNING naming the review topic', async () => {
    const answer = await call(handler, pushBody(notification({ observed_value: '0.600' }), '9100000005'));

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'blocked', severity: 'critical', action: 'block-and-review', review: true });
    expect(answer.body.recommendation).toMatch(/tenure_months 0\.6000/);
    expect(fake.google.createAttempts).toHaveLength(0);
    expect(logs.lines).toContainEqual(expect.objectContaining({ severity: 'WARNING', review: true, reviewTopic: SETTINGS.reviewTopic }));
  }, FAKE_GOOGLE_TIMEOUT);

  test('low drift is logged, not started', async () => {
    const answer = await call(handler, pushBody(notification({ observed_value: '0.05' }), '9100000006'));

    expect(answer.body).toMatchObject({ status: 'logged', severity: 'low', action: 'log' });
    expect(fake.google.createAttempts).toHaveLength(0);
  }, FAKE_GOOGLE_TIMEOUT);

  test('medium drift starts a retrain only with autoRetrain, without RequireApproval', async () => {
    const medium = pushBody(notification({ observed_value: '0.2' }), '9100000007');
    const withoutAuto = await call(handler, medium);
    process.env.DRIFT_SETTINGS = JSON.stringify({ ...SETTINGS, drift: { ...SETTINGS.drift, autoRetrain: true } });
    const withAuto = await call(handler, medium);

    expect(withoutAuto.body).toMatchObject({ status: 'logged', severity: 'medium' });
    expect(withAuto.body).toMatchObject({ status: 'created', severity: 'medium', action: 'retrain' });
    expect(fake.google.jobs).toHaveLength(1);
    expect(fake.google.jobs[0].body.runtimeConfig).toEqual({ parameterValues: { DriftScore: '0.2000', DriftSeverity: 'medium', DriftedFeatures: 'tenure_months', Epochs: '20' } });
  }, FAKE_GOOGLE_TIMEOUT);

  test('without a feature label, the feature is the metric type\'s last path segment, scored against its own thresholds', async () => {
    const metric = { type: 'custom.googleapis.com/churn/age_drift', labels: {} };
    process.env.DRIFT_SETTINGS = JSON.stringify({
      ...SETTINGS, source: { ...SETTINGS.source, metricType: metric.type }, drift: { featureThresholds: { age_drift: { medium: 0.5, high: 0.7, critical: 0.9 } } },
    });

    const answer = await call(handler, pushBody(notification({ metric }), '9100000008'));

    expect(answer.body).toMatchObject({ status: 'logged', severity: 'low' });
    expect(answer.body.recommendation).toMatch(/^Low drift: age_drift 0\.3100/);
  }, FAKE_GOOGLE_TIMEOUT);

  test('a transient Vertex AI error answers 500 so that Pub/Sub redelivers', async () => {
    fake.google.failNext(503);

    const answer = await call(handler, pushBody(notification(), '9100000009'));

    expect(answer).toMatchObject({ status: 500, body: { status: 'retry', error: { status: 'UNAVAILABLE' } } });
  }, FAKE_GOOGLE_TIMEOUT);

  test.each([
    ['observed_value missing', notification({ observed_value: undefined }), 'incident.observed_value'],
    ['observed_value not a number', notification({ observed_value: 'N/A' }), 'incident.observed_value'],
    ['observed_value empty', notification({ observed_value: '' }), 'incident.observed_value'],
    ['threshold_value not a number', notification({ threshold_value: 'high' }), 'incident.threshold_value'],
    ['state unknown', notification({ state: 'acknowledged' }), 'incident.state'],
    ['no incident_id', notification({ incident_id: undefined }), 'incident.incident_id'],
    ['started_at not epoch seconds', notification({ started_at: '2026-03-02T06:00:00Z' }), 'incident.started_at'],
    ['no metric', notification({ metric: undefined }), 'incident.metric'],
    ['another schema version', notification({}, '1.1'), 'version'],
    ['no incident', { version: '1.2' }, 'incident'],
  ])('a notification with %s answers 200 rejected naming %s and is never scored', async (_case, data, field) => {
    const answer = await call(handler, pushBody(data, '9100000010'));

    expect(answer).toEqual({ status: 200, body: { status: 'rejected', error: { field, problem: expect.any(String) } } });
    expect(fake.google.createAttempts).toHaveLength(0);
    expect(logs.lines.some((line) => 'score' in line)).toBe(false);
  }, FAKE_GOOGLE_TIMEOUT);

  test('a push request whose data is not JSON is rejected naming message.data', async () => {
    const answer = await call(handler, pushBody('incident!', '9100000011'));

    expect(answer.body).toEqual({ status: 'rejected', error: { field: 'message.data', problem: expect.stringMatching(/^is not JSON/) } });
  }, FAKE_GOOGLE_TIMEOUT);

  test('invalid drift thresholds answer 500 misconfigured naming DRIFT_SETTINGS.drift.thresholds', async () => {
    process.env.DRIFT_SETTINGS = JSON.stringify({ ...SETTINGS, drift: { thresholds: { medium: 0.4, high: 0.3, critical: 0.5 } } });

    const answer = await call(handler, pushBody(notification(), '9100000012'));

    expect(answer).toMatchObject({ status: 500, body: { status: 'misconfigured', error: { field: 'DRIFT_SETTINGS.drift.thresholds' } } });
  }, FAKE_GOOGLE_TIMEOUT);
});
