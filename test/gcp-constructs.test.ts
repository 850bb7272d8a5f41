import { Duration, TimeZone } from 'aws-cdk-lib';
import { Testing, TerraformStack } from 'cdktf';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { VertexDriftTrigger, VertexPipeline, VertexScheduledTrigger, type VertexScheduledTriggerProps } from '../lib/gcp';
import { TriggerSchedule } from '../lib';
import { parseDriftSettings, parseTriggerConfig } from '../lambda/core/contracts/google-functions';

type Resources = Record<string, Record<string, Record<string, unknown>>>;

function pipelineProps() {
  return {
    project: 'churn-ml-prod',
    region: 'europe-west1',
    templateUri: 'gs://churn-ml-prod-pipelines/churn-training.json',
    pipelineName: 'churn-training',
    serviceAccount: 'vertex-pipelines@churn-ml-prod.iam.gserviceaccount.com',
    pipelineRoot: 'gs://churn-ml-prod-pipelines/runs',
  };
}

function pipeline() {
  return new VertexPipeline(pipelineProps());
}

function synth(build: (stack: TerraformStack) => void): Resources {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  new GoogleProvider(stack, 'google', { project: 'churn-ml-prod', region: 'europe-west1' });
  build(stack);
  return (JSON.parse(Testing.synth(stack)) as { resource: Resources }).resource;
}

const only = (resources: Resources, type: string) => {
  const found = Object.values(resources[type] ?? {});
  expect(found).toHaveLength(1);
  return found[0];
};

describe('VertexScheduledTrigger', () => {
  const scheduled = (props: Partial<VertexScheduledTriggerProps> = {}) =>
    synth((stack) => new VertexScheduledTrigger(stack, 'Weekly', { pipeline: pipeline(), schedule: '0 3 * * 1', timeZone: 'Europe/Berlin', parameters: { TrainingMode: 'scheduled' }, ...props }));

  test('a Cloud Scheduler job in the time zone publishes each firing to the trigger topic', () => {
    const resources = scheduled();

    const job = only(resources, 'google_cloud_scheduler_job');
    expect(job).toMatchObject({ schedule: '0 3 * * 1', time_zone: 'Europe/Berlin', region: 'europe-west1', retry_config: { retry_count: 3 } });
    const topics = Object.entries(resources.google_pubsub_topic);
    const firings = topics.find(([id]) => id.includes('Firings'))!;
    expect((job.pubsub_target as { topic_name: string }).topic_name).toBe(`\${google_pubsub_topic.${firings[0]}.id}`);
    const data = JSON.parse(Buffer.from((job.pubsub_target as { data: string }).data, 'base64').toString('utf8'));
    expect(data).toEqual({ triggerId: expect.stringMatching(/^sched-[0-9a-f]{12}$/) });
  });

  test('a 2nd-gen Node 22 function with its own service account, fed by a push subscription with retries and a dead-letter topic', () => {
    const resources = scheduled();

    const fn = only(resources, 'google_cloudfunctions2_function');
    expect(fn).toMatchObject({
      location: 'europe-west1',
      build_config: { runtime: 'nodejs22', entry_point: 'handler' },
      service_config: { ingress_settings: 'ALLOW_INTERNAL_ONLY', available_memory: '256M' },
    });
    const config = JSON.parse((fn.service_config as { environment_variables: Record<string, string> }).environment_variables.TRIGGER_CONFIG);
    expect(config).toMatchObject({
      project: 'churn-ml-prod',
      region: 'europe-west1',
      templateUri: 'gs://churn-ml-prod-pipelines/churn-training.json',
      pipelineRoot: 'gs://churn-ml-prod-pipelines/runs',
      pipelineServiceAccount: 'vertex-pipelines@churn-ml-prod.iam.gserviceaccount.com',
      parameters: { TrainingMode: 'scheduled' },
    });
    const subscription = only(resources, 'google_pubsub_subscription');
    expect(subscription).toMatchObject({
      ack_deadline_seconds: 60,
      retry_policy: { minimum_backoff: '10s', maximum_backoff: '600s' },
      dead_letter_policy: { max_delivery_attempts: 10 },
    });
    expect((subscription.push_config as { push_endpoint: string }).push_endpoint).toMatch(/^\$\{google_cloudfunctions2_function\.\w+\.service_config\[0\]\.uri\}$/);
    expect(Object.keys(resources.google_service_account)).toHaveLength(2); // the function's identity and the push identity
  });

  test('least privilege: the function may create pipeline jobs (a custom role of that one permission) and act as the pipeline account; the push identity may only invoke it', () => {
    const resources = scheduled();

    const role = only(resources, 'google_project_iam_custom_role');
    expect(role).toMatchObject({ project: 'churn-ml-prod', role_id: expect.stringMatching(/^mlTriggersPipelineJobs_[0-9a-f]{12}$/) });
    expect(role.permissions).toEqual(['aiplatform.pipelineJobs.create']);
    const roleId = Object.keys(resources.google_project_iam_custom_role)[0];
    expect(Object.values(resources.google_project_iam_member)).toEqual([
      expect.objectContaining({ project: 'churn-ml-prod', role: `\${google_project_iam_custom_role.${roleId}.name}` }),
    ]);
    expect(only(resources, 'google_service_account_iam_member')).toMatchObject({
      role: 'roles/iam.serviceAccountUser',
      service_account_id: 'projects/churn-ml-prod/serviceAccounts/vertex-pipelines@churn-ml-prod.iam.gserviceaccount.com',
    });
    expect(only(resources, 'google_cloud_run_service_iam_member')).toMatchObject({ role: 'roles/run.invoker' });
    const agentBindings = [...Object.values(resources.google_pubsub_topic_iam_member), ...Object.values(resources.google_pubsub_subscription_iam_member)];
    expect(agentBindings.map((b) => b.role).sort()).toEqual(['roles/pubsub.publisher', 'roles/pubsub.subscriber']);
    expect(agentBindings.every((b) => String(b.member).includes('@gcp-sa-pubsub.iam.gserviceaccount.com'))).toBe(true);
  });

  test('every function of a stack shares one pipeline-job role per project and region; another region has its own', () => {
    const resources = synth((stack) => {
      new VertexScheduledTrigger(stack, 'Weekly', { pipeline: pipeline(), schedule: '0 3 * * 1' });
      new VertexScheduledTrigger(stack, 'Daily', { pipeline: pipeline(), schedule: '0 4 * * *' });
      new VertexScheduledTrigger(stack, 'InTheUs', { pipeline: new VertexPipeline({ ...pipelineProps(), region: 'us-central1' }), schedule: '0 5 * * *' });
    });

    const roles = Object.entries(resources.google_project_iam_custom_role);
    expect(roles).toHaveLength(2);
    expect(new Set(roles.map(([, role]) => role.role_id)).size).toBe(2);
    const granted = Object.values(resources.google_project_iam_member).map((member) => member.role);
    expect(granted).toHaveLength(3);
    expect(new Set(granted)).toEqual(new Set(roles.map(([id]) => `\${google_project_iam_custom_role.${id}.name}`)));
  });

  test('the function source is the bundle, uploaded under its content hash', () => {
    const resources = scheduled();

    const object = only(resources, 'google_storage_bucket_object');
    expect(object.name).toMatch(/^functions\/mlt-scheduled-[0-9a-f]{8}-[0-9A-F]{32}\.zip$/i);
    expect(only(resources, 'google_storage_bucket')).toMatchObject({ uniform_bucket_level_access: true, public_access_prevention: 'enforced' });
  });

  test('takes the TriggerSchedule and TimeZone the AWS ScheduledTrigger takes, as Cloud Scheduler reads them', () => {
    const resources = scheduled({ schedule: TriggerSchedule.cron('0 3 ? * MON *'), timeZone: TimeZone.of('Europe/Berlin') });

    expect(only(resources, 'google_cloud_scheduler_job')).toMatchObject({ schedule: '0 3 * * 1', time_zone: 'Europe/Berlin' });
  });

  test.each<[string, TriggerSchedule, string]>([
    ['weekday names and EventBridge numbers become unix-cron numbers', TriggerSchedule.cron('30 6 ? * MON-FRI,7 *'), '30 6 * * 1-5,6'],
    ['a day of the month keeps its field', TriggerSchedule.cron('0 4 1,15 * ? *'), '0 4 1,15 * *'],
    ['a rate that divides an hour', TriggerSchedule.rate(Duration.minutes(15)), '*/15 * * * *'],
    ['a rate that divides a day', TriggerSchedule.rate(Duration.hours(6)), '0 */6 * * *'],
    ['a daily rate', TriggerSchedule.rate(Duration.days(1)), '0 0 * * *'],
  ])('%s', (_what, schedule, expected) => {
    expect(only(scheduled({ schedule }), 'google_cloud_scheduler_job').schedule).toBe(expected);
  });

  test('the time zone defaults to UTC', () => {
    const resources = synth((stack) => new VertexScheduledTrigger(stack, 'Weekly', { pipeline: pipeline(), schedule: TriggerSchedule.cron('0 3 ? * MON *') }));

    expect(only(resources, 'google_cloud_scheduler_job').time_zone).toBe('Etc/UTC');
  });

  test.each<[string, Partial<VertexScheduledTriggerProps>, string]>([
    ['a one-time schedule', { schedule: TriggerSchedule.at('2027-01-15T06:00:00') }, 'schedule at(2027-01-15T06:00:00) cannot run on Cloud Scheduler, which has no one-time jobs'],
    ['a cron with a year', { schedule: TriggerSchedule.cron('0 3 ? * MON 2027') }, "schedule cron(0 3 ? * MON 2027) names a year, which Cloud Scheduler cannot: use '*' as the year"],
    ['the last day of the month', { schedule: TriggerSchedule.cron('0 3 L * ? *') }, 'schedule cron(0 3 L * ? *) uses L, W or #'],
    ['a rate that divides neither an hour nor a day', { schedule: TriggerSchedule.rate(Duration.minutes(7)) }, 'schedule rate(7 minutes) has no unix-cron form on Cloud Scheduler'],
    ['a six-field cron', { schedule: '0 3 ? * MON *' }, "schedule must be a unix-cron expression of five fields such as '0 3 * * 1', got '0 3 ? * MON *'"],
    ['an unknown time zone', { timeZone: 'Mars/Base' }, "timeZone must be an IANA time zone name such as Europe/Berlin, got 'Mars/Base'"],
    ['too many retries', { retryCount: 9 }, 'retryCount must be a whole number between 0 and 5, got 9'],
    ['a bad parameter name', { parameters: { 'bad name': 'x' } }, 'parameters.bad name'],
  ])('%s fails synth naming the prop', (_what, props, message) => {
    expect(() => scheduled(props)).toThrow(message);
  });
});

describe('VertexDriftTrigger', () => {
  test('a Cloud Monitoring alert on the drift metric notifies a Pub/Sub channel that the evaluator reads', () => {
    const resources = synth((stack) => new VertexDriftTrigger(stack, 'Drift', { pipeline: pipeline(), projectNumber: '123456789012', metricType: 'custom.googleapis.com/churn/feature_drift' }));

    const policy = only(resources, 'google_monitoring_alert_policy');
    expect(policy).toMatchObject({
      combiner: 'OR',
      conditions: [{ condition_threshold: { filter: 'metric.type="custom.googleapis.com/churn/feature_drift" AND resource.type="global"', comparison: 'COMPARISON_GT', threshold_value: 0 } }],
    });
    expect(only(resources, 'google_monitoring_notification_channel')).toMatchObject({ type: 'pubsub' });
    const publishers = Object.values(resources.google_pubsub_topic_iam_member).filter((m) => String(m.member).includes('gcp-sa-monitoring-notification'));
    expect(publishers).toEqual([expect.objectContaining({ role: 'roles/pubsub.publisher', member: 'serviceAccount:service-123456789012@gcp-sa-monitoring-notification.iam.gserviceaccount.com' })]);
    const fn = only(resources, 'google_cloudfunctions2_function');
    const settings = JSON.parse((fn.service_config as { environment_variables: Record<string, string> }).environment_variables.DRIFT_SETTINGS);
    expect(settings.drift).toEqual({ thresholds: { medium: 0.1, high: 0.3, critical: 0.5 }, featureThresholds: {}, autoRetrain: false });
  });

  test.each<[string, Record<string, unknown>, string | RegExp]>([
    ['thresholds out of order', { thresholds: { medium: 0.5, high: 0.3, critical: 0.6 } }, /thresholds/],
    ['a metric type that is not one', { metricType: 'drift' }, "metricType must be a Cloud Monitoring metric type such as custom.googleapis.com/model/feature_drift, got 'drift'"],
  ])('%s fails synth', (_what, props, message) => {
    expect(() =>
      synth((stack) => new VertexDriftTrigger(stack, 'Drift', { pipeline: pipeline(), projectNumber: '123456789012', metricType: 'custom.googleapis.com/churn/feature_drift', ...props })),
    ).toThrow(message);
  });
});

describe('the construct and its functions agree', () => {
  test('each function reads the settings its construct writes', () => {
    const resources = synth((stack) => {
      new VertexScheduledTrigger(stack, 'Weekly', { pipeline: pipeline(), schedule: '0 3 * * 1', parameters: { TrainingMode: 'scheduled' } });
      new VertexDriftTrigger(stack, 'Drift', { pipeline: pipeline(), projectNumber: '123456789012', metricType: 'custom.googleapis.com/churn/feature_drift', autoRetrain: true });
    });

    const variables = Object.values(resources.google_cloudfunctions2_function).map(
      (fn) => (fn.service_config as { environment_variables: Record<string, string> }).environment_variables,
    );
    const scheduled = parseTriggerConfig(JSON.parse(variables.find((v) => v.TRIGGER_CONFIG)!.TRIGGER_CONFIG));
    const drift = parseDriftSettings(JSON.parse(variables.find((v) => v.DRIFT_SETTINGS)!.DRIFT_SETTINGS));
    expect(scheduled).toMatchObject({ ok: true, value: { pipelineRoot: 'gs://churn-ml-prod-pipelines/runs' } });
    expect(drift).toMatchObject({ ok: true });
  });
});
