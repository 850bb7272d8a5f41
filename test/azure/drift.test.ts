import { HttpRequest, InvocationContext, type HttpHandler } from '@azure/functions';
import { AzureMLJobs } from '../../lambda/azure/adapters/azure-ml-jobs';
import { httpAnswer } from '../../lambda/azure/adapters/functions-host';
import { ManagedIdentityTokenSource } from '../../lambda/azure/adapters/managed-identity';
import { driftHandler, UnreadableBody } from '../../lambda/azure/drift/handler';
import { parseAzureMetricAlert } from '../../lambda/core/azure-alert';
import { parseAzureDriftSettings } from '../../lambda/core/contracts/azure-functions';
import { PIPELINE_JOB_ID_PATTERN, pipelineJobId } from '../../lambda/core/pipeline-job';
import { captureEachTestLogs, decisions, FAKE_AZURE_TIMEOUT, fixture, registeredHandler, RESOURCE_GROUP, SUBSCRIPTION, TARGET, useFakeAzureML } from './function-harness';

const RULE_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Insights/metricAlerts/churn-feature-drift`;
const SETTINGS = {
  triggerId: 'churn-drift',
  ...TARGET,
  drift: { thresholds: { medium: 0.1, high: 0.3, critical: 0.5 } },
  source: { alertRuleId: RULE_ID, metricName: 'feature_drift' },
};

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests reach deep into fixtures to break them

/** The fixture (a fired alert of the trigger's rule, feature_drift 0.31 for tenure_months), changed by `change`. */
function alert(change: (payload: Json) => void = () => undefined): Json {
  const payload = fixture<Json>('metric-alert-fired.json');
  change(payload);
  return payload;
}
const scored = (value: unknown) => alert((p) => {
  p.data.alertContext.condition.allOf[0].metricValue = value;
});

const ALERT_ID = alert().data.essentials.alertId as string;
const FIRED_AT = alert().data.essentials.firedDateTime as string;
const JOB_NAME = pipelineJobId('churn-drift', 'drift', [ALERT_ID, FIRED_AT]);

describe('the common alert schema parser', () => {
  test('reads the fixture: the alert id, rule, fired time and one score from the feature dimension', () => {
    const parsed = parseAzureMetricAlert(alert());

    expect(parsed).toEqual({
      ok: true,
      value: expect.objectContaining({
        state: 'fired', incidentId: ALERT_ID, ruleName: 'churn-feature-drift', firedAt: FIRED_AT, severity: 'Sev2',
        conditionType: 'SingleResourceMultipleMetricCriteria',
        criteria: [expect.objectContaining({ metricName: 'feature_drift', score: expect.objectContaining({ feature: 'tenure_months', score: 0.31, threshold: 0.1 }) })],
      }),
    });
  });

  test('a criterion without a feature dimension is scored under the metric\'s name', () => {
    const parsed = parseAzureMetricAlert(alert((p) => {
      p.data.alertContext.condition.allOf[0].dimensions = [];
    }));

    expect(parsed.ok && parsed.value.state === 'fired' && parsed.value.criteria[0].score.feature).toBe('feature_drift');
  });
});

describe('drift function (Azure Monitor metric alert -> action group -> HTTP) against the fake Azure ML', () => {
  const suite = useFakeAzureML(() => ({ TRIGGER_SETTINGS: JSON.stringify(SETTINGS) }));
  const logs = captureEachTestLogs();
  const handle = driftHandler({ jobs: new AzureMLJobs(new ManagedIdentityTokenSource(Date.now)) });
  const withSettings = (change: Json) => driftHandler({
    jobs: new AzureMLJobs(new ManagedIdentityTokenSource(Date.now)),
    settings: () => parseAzureDriftSettings({ ...SETTINGS, ...change }),
  });

  test('feature_drift 0.31 is high drift: one job with RequireApproval=true and the assessment\'s parameters', async () => {
    const outcome = await handle(alert(), 'invocation-1');

    expect(JOB_NAME).toMatch(PIPELINE_JOB_ID_PATTERN);
    expect(suite.fake.jobs).toHaveLength(1);
    expect(suite.fake.jobs[0].name).toBe(JOB_NAME);
    expect(suite.fake.jobs[0].correlationId).toBe(ALERT_ID);
    expect(suite.fake.jobs[0].body).toMatchObject({
      properties: {
        jobType: 'Pipeline', experimentName: 'churn-retrain', componentId: TARGET.componentId,
        inputs: {
          Epochs: { jobInputType: 'literal', value: '20' },
          DriftScore: { jobInputType: 'literal', value: '0.3100' },
          DriftSeverity: { jobInputType: 'literal', value: 'high' },
          DriftedFeatures: { jobInputType: 'literal', value: 'tenure_months' },
          RequireApproval: { jobInputType: 'literal', value: 'true' },
        },
        tags: { 'ml-trigger-id': 'churn-drift', 'ml-trigger-type': 'drift' },
      },
    });
    expect(httpAnswer(outcome)).toMatchObject({ status: 200, jsonBody: { status: 'created', severity: 'high', action: 'retrain-with-approval', pipelineJob: JOB_NAME } });
    expect(decisions(logs.lines)).toEqual([expect.objectContaining({
      triggerId: 'churn-drift', correlationId: ALERT_ID, decision: 'created', severity: 'high', feature: 'tenure_months', score: 0.31, reason: expect.any(String),
    })]);
  }, FAKE_AZURE_TIMEOUT);

  test('medium drift with autoRetrain submits a job without RequireApproval', async () => {
    const outcome = await withSettings({ drift: { ...SETTINGS.drift, autoRetrain: true } })(scored(0.15), 'invocation-2');

    expect(outcome).toMatchObject({ status: 'created', severity: 'medium', action: 'retrain' });
    expect(suite.fake.jobs).toHaveLength(1);
    expect(suite.fake.jobs[0].body).toMatchObject({ properties: { inputs: { DriftSeverity: { value: 'medium' }, DriftScore: { value: '0.1500' } } } });
    expect((suite.fake.jobs[0].body.properties as Json).inputs.RequireApproval).toBeUndefined();
  }, FAKE_AZURE_TIMEOUT);

  test('every criterion of the trigger\'s metric is scored; another metric\'s criterion in the same alert is not', async () => {
    const outcome = await handle(alert((p) => {
      const [first] = p.data.alertContext.condition.allOf;
      p.data.alertContext.conditionType = 'MultipleResourceMultipleMetricCriteria';
      p.data.alertContext.condition.allOf = [
        { ...first, dimensions: [{ name: 'Feature', value: 'monthly_charges' }], metricValue: 0.12 },
        first,
        { ...first, metricName: 'request_latency', dimensions: [], metricValue: 950 },
      ];
    }), 'invocation-m');

    expect(outcome).toMatchObject({ status: 'created', severity: 'high' });
    expect(suite.fake.jobs[0].body).toMatchObject({ properties: { inputs: { DriftScore: { value: '0.3100' }, DriftedFeatures: { value: expect.stringMatching(/^tenure_months.+monthly_charges$/) } } } });
  }, FAKE_AZURE_TIMEOUT);

  test('medium drift without autoRetrain, and low drift, are logged and submit nothing', async () => {
    const medium = await handle(scored(0.15), 'invocation-3');
    const low = await handle(scored(0.05), 'invocation-4');

    expect(medium).toMatchObject({ status: 'logged', severity: 'medium', action: 'log' });
    expect(low).toMatchObject({ status: 'logged', severity: 'low', action: 'log' });
    expect(suite.fake.putAttempts).toHaveLength(0);
    expect(decisions(logs.lines)).toEqual([
      expect.objectContaining({ triggerId: 'churn-drift', correlationId: ALERT_ID, decision: 'logged', severity: 'medium', reason: expect.stringContaining('autoRetrain') }),
      expect.objectContaining({ triggerId: 'churn-drift', correlationId: ALERT_ID, decision: 'logged', severity: 'low' }),
    ]);
  }, FAKE_AZURE_TIMEOUT);

  test('critical drift blocks retraining and asks for a review: no job, a WARNING line', async () => {
    const outcome = await handle(scored(0.62), 'invocation-5');

    expect(httpAnswer(outcome)).toMatchObject({ status: 200, jsonBody: { status: 'blocked', severity: 'critical', action: 'block-and-review', review: true } });
    expect(suite.fake.putAttempts).toHaveLength(0);
    expect(decisions(logs.lines)).toEqual([expect.objectContaining({ level: 'WARNING', triggerId: 'churn-drift', correlationId: ALERT_ID, decision: 'blocked', severity: 'critical' })]);
  }, FAKE_AZURE_TIMEOUT);

  test('a repeated delivery of the same alert creates nothing new', async () => {
    const first = await handle(alert(), 'invocation-6');
    const again = await handle(alert(), 'invocation-7');

    expect(first).toMatchObject({ status: 'created', pipelineJob: JOB_NAME });
    expect(again).toMatchObject({ status: 'already-existed', pipelineJob: JOB_NAME });
    expect(suite.fake.jobs).toHaveLength(1);
    expect(suite.fake.putAttempts).toHaveLength(1);
  }, FAKE_AZURE_TIMEOUT);

  test('a resolved alert does nothing', async () => {
    const outcome = await handle(alert((p) => {
      p.data.essentials.monitorCondition = 'Resolved';
      p.data.essentials.resolvedDateTime = '2026-03-02T06:19:11.2246313Z';
    }), 'invocation-8');

    expect(httpAnswer(outcome)).toEqual({ status: 200, jsonBody: { status: 'ignored', reason: 'alert resolved', alertId: ALERT_ID } });
    expect(suite.fake.putAttempts).toHaveLength(0);
    expect(decisions(logs.lines)).toEqual([expect.objectContaining({ triggerId: 'churn-drift', correlationId: ALERT_ID, decision: 'ignored' })]);
  }, FAKE_AZURE_TIMEOUT);

  test('alertRuleID, when the payload carries it, decides the rule without regard to case', async () => {
    const ours = await handle(alert((p) => {
      p.data.essentials.alertRuleID = RULE_ID.toLowerCase();
    }), 'invocation-9');

    expect(ours).toMatchObject({ status: 'created' });
    expect(suite.fake.jobs).toHaveLength(1);
  }, FAKE_AZURE_TIMEOUT);

  test.each([
    ['another rule\'s name', 'data.essentials.alertRule', (p: Json) => {
      p.data.essentials.alertRule = 'latency-alert';
    }],
    ['a same-named rule of another resource group', 'data.essentials.originAlertId', (p: Json) => {
      p.data.essentials.originAlertId = `${SUBSCRIPTION}_ml-staging_microsoft.insights_metricAlerts_churn-feature-drift_-1182365430`;
    }],
    ['another rule\'s alertRuleID', 'data.essentials.alertRuleID', (p: Json) => {
      p.data.essentials.alertRuleID = RULE_ID.replace('churn-feature-drift', 'latency-alert');
    }],
    ['another metric', 'data.alertContext.condition.allOf[0].metricName', (p: Json) => {
      p.data.alertContext.condition.allOf[0].metricName = 'request_latency';
    }],
  ])('an alert of %s is rejected naming %s, and submits nothing', async (_what, field, change) => {
    const outcome = await handle(alert(change), 'invocation-10');

    expect(httpAnswer(outcome)).toMatchObject({ status: 200, jsonBody: { status: 'rejected', error: { field } } });
    expect(suite.fake.putAttempts).toHaveLength(0);
    expect(decisions(logs.lines)).toEqual([expect.objectContaining({ triggerId: 'churn-drift', correlationId: ALERT_ID, decision: 'rejected', field })]);
  }, FAKE_AZURE_TIMEOUT);

  test.each([
    ['a body that is not JSON', 'body', new UnreadableBody('Unexpected token < in JSON at position 0')],
    ['a JSON array', 'body', []],
    ['another schema', 'schemaId', alert((p) => {
      p.schemaId = 'Microsoft.Insights/activityLogs';
    })],
    ['no essentials', 'data.essentials', alert((p) => {
      delete p.data.essentials;
    })],
    ['a monitor condition of neither kind', 'data.essentials.monitorCondition', alert((p) => {
      p.data.essentials.monitorCondition = 'Acknowledged';
    })],
    ['a log alert', 'data.essentials.signalType', alert((p) => {
      p.data.essentials.signalType = 'Log';
    })],
    ['a fired time that is not a time', 'data.essentials.firedDateTime', alert((p) => {
      p.data.essentials.firedDateTime = 'yesterday';
    })],
    ['an unknown condition type', 'data.alertContext.conditionType', alert((p) => {
      p.data.alertContext.conditionType = 'LogQueryCriteria';
    })],
    ['a metric value that is not a number', 'data.alertContext.condition.allOf[0].metricValue', scored('high')],
    ['no metric value', 'data.alertContext.condition.allOf[0].metricValue', scored(undefined)],
    ['a threshold that is not a number', 'data.alertContext.condition.allOf[0].threshold', alert((p) => {
      p.data.alertContext.condition.allOf[0].threshold = 'ten';
    })],
    ['a dimension without a value', 'data.alertContext.condition.allOf[0].dimensions[0].value', alert((p) => {
      delete p.data.alertContext.condition.allOf[0].dimensions[0].value;
    })],
    ['51 criteria', 'data.alertContext.condition.allOf', alert((p) => {
      p.data.alertContext.condition.allOf = Array.from({ length: 51 }, () => p.data.alertContext.condition.allOf[0]);
    })],
  ])('%s is rejected naming %s, and submits nothing', async (_what, field, body) => {
    const outcome = await handle(body, 'invocation-11');

    expect(httpAnswer(outcome)).toMatchObject({ status: 200, jsonBody: { status: 'rejected', error: { field } } });
    expect(suite.fake.putAttempts).toHaveLength(0);
    expect(decisions(logs.lines)).toEqual([expect.objectContaining({ triggerId: 'churn-drift', correlationId: expect.any(String), decision: 'rejected', field })]);
  }, FAKE_AZURE_TIMEOUT);

  test('429 answers 500 so the action group calls again, and the redelivery creates exactly one job', async () => {
    suite.fake.failNext(429);

    const first = await handle(alert(), 'invocation-12');
    const again = await handle(alert(), 'invocation-13');

    expect(httpAnswer(first)).toMatchObject({ status: 500, jsonBody: { status: 'retry', error: { status: 'TooManyRequests' } } });
    expect(again).toMatchObject({ status: 'created', pipelineJob: JOB_NAME });
    expect(suite.fake.jobs).toHaveLength(1);
    expect(decisions(logs.lines)[0]).toMatchObject({ triggerId: 'churn-drift', correlationId: ALERT_ID, decision: 'retry', retryable: true });
  }, FAKE_AZURE_TIMEOUT);

  test('an answer lost after the job was created: the retry meets the job instead of making a second', async () => {
    suite.fake.loseAnswerOfNext();

    const first = await handle(alert(), 'invocation-14');
    const again = await handle(alert(), 'invocation-15');

    expect(httpAnswer(first).status).toBe(500);
    expect(again).toMatchObject({ status: 'already-existed', pipelineJob: JOB_NAME });
    expect(suite.fake.jobs).toHaveLength(1);
    expect(suite.fake.putAttempts).toHaveLength(1);
  }, FAKE_AZURE_TIMEOUT);

  test('403 (a role assignment not yet in effect) is answered 500, so the action group calls again', async () => {
    suite.fake.failNext(403);

    const outcome = await handle(alert(), 'invocation-16a');

    expect(httpAnswer(outcome)).toMatchObject({ status: 500, jsonBody: { status: 'retry', error: { status: 'AuthorizationFailed' } } });
    expect(suite.fake.jobs).toHaveLength(0);
  }, FAKE_AZURE_TIMEOUT);

  test('400 is final: failed, answered 200 so the action group does not call again', async () => {
    suite.fake.failNext(400);

    const outcome = await handle(alert(), 'invocation-16');

    expect(httpAnswer(outcome)).toMatchObject({ status: 200, jsonBody: { status: 'failed', error: { status: 'UserError' } } });
    expect(suite.fake.jobs).toHaveLength(0);
    expect(decisions(logs.lines)).toEqual([expect.objectContaining({ triggerId: 'churn-drift', correlationId: ALERT_ID, decision: 'failed', retryable: false })]);
  }, FAKE_AZURE_TIMEOUT);

  test('settings that do not parse answer 500 naming the setting, and submit nothing', async () => {
    process.env.TRIGGER_SETTINGS = JSON.stringify({ ...SETTINGS, source: { metricName: 'feature_drift' } });

    const outcome = await handle(alert(), 'invocation-17');

    expect(httpAnswer(outcome)).toMatchObject({ status: 500, jsonBody: { status: 'misconfigured', error: { field: 'TRIGGER_SETTINGS.source.alertRuleId' } } });
    expect(suite.fake.putAttempts).toHaveLength(0);
  }, FAKE_AZURE_TIMEOUT);

  describe('through the entry point (app.http), as the Functions host calls it', () => {
    const post = (body: string) => new HttpRequest({ method: 'POST', url: 'https://churn-fn.azurewebsites.net/api/drift', body: { string: body }, headers: { 'content-type': 'application/json' } });
    const context = () => new InvocationContext({ invocationId: 'host-invocation-1', functionName: 'drift' });

    test('a posted alert is answered 200 with the created job', async () => {
      const http = registeredHandler<HttpHandler>('drift', 'http', 'drift');

      const answer = await http(post(JSON.stringify(alert())), context());

      expect(answer).toMatchObject({ status: 200, jsonBody: { status: 'created', pipelineJob: JOB_NAME } });
      expect(suite.fake.jobs).toHaveLength(1);
    }, FAKE_AZURE_TIMEOUT);

    test('a body that is not JSON is answered 200 rejected naming body, never a crash', async () => {
      const http = registeredHandler<HttpHandler>('drift', 'http', 'drift');

      const answer = await http(post('<html>not json</html>'), context());

      expect(answer).toMatchObject({ status: 200, jsonBody: { status: 'rejected', error: { field: 'body' } } });
      expect(decisions(logs.lines)).toEqual([expect.objectContaining({ triggerId: 'churn-drift', correlationId: 'host-invocation-1', decision: 'rejected' })]);
      expect(suite.fake.putAttempts).toHaveLength(0);
    }, FAKE_AZURE_TIMEOUT);
  });
});
