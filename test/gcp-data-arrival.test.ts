import { Duration } from 'aws-cdk-lib';
import { Testing, TerraformStack } from 'cdktf';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { GcsDataArrivalTrigger, VertexDataArrivalTrigger, VertexPipeline, type VertexDataArrivalTriggerProps } from '../lib/gcp';

type Resources = Record<string, Record<string, Record<string, unknown>>>;

function synth(props: Partial<VertexDataArrivalTriggerProps> = {}, { stackName = 'test', region = 'europe-west1', construct = VertexDataArrivalTrigger } = {}): Resources {
  const app = Testing.app();
  const stack = new TerraformStack(app, stackName);
  new GoogleProvider(stack, 'google', { project: 'churn-ml-prod', region });
  const pipeline = new VertexPipeline({ project: 'churn-ml-prod', region, templateUri: 'gs://p/t.json', pipelineName: 'churn-training' });
  new construct(stack, 'Labels', { pipeline, bucket: 'churn-labelled-data', prefix: 'labels/', suffix: '.parquet', batchSize: 500, ...props });
  return (JSON.parse(Testing.synth(stack)) as { resource: Resources }).resource;
}

describe('VertexDataArrivalTrigger', () => {
  test('the bucket notifies finalized objects under the prefix to the trigger topic, which the storage agent may publish to', () => {
    const resources = synth();

    const [notification] = Object.values(resources.google_storage_notification);
    expect(notification).toMatchObject({ bucket: 'churn-labelled-data', payload_format: 'JSON_API_V1', event_types: ['OBJECT_FINALIZE'], object_name_prefix: 'labels/' });
    const publishers = Object.values(resources.google_pubsub_topic_iam_member).filter((m) => String(m.member).includes('data.google_storage_project_service_account'));
    expect(publishers).toEqual([expect.objectContaining({ role: 'roles/pubsub.publisher' })]);
  });

  test('a flush every minute, and a batcher with its batch settings, Firestore access and manifest writes under its prefix only', () => {
    const resources = synth({ batchWindowSeconds: 7200 });

    const jobs = Object.values(resources.google_cloud_scheduler_job);
    expect(jobs).toEqual([expect.objectContaining({ schedule: '* * * * *' })]);
    expect(JSON.parse(Buffer.from((jobs[0].pubsub_target as { data: string }).data, 'base64').toString())).toEqual({ flush: true });
    const [fn] = Object.values(resources.google_cloudfunctions2_function);
    const config = JSON.parse((fn.service_config as { environment_variables: Record<string, string> }).environment_variables.BATCHER_CONFIG);
    expect(config).toMatchObject({ bucket: 'churn-labelled-data', prefix: 'labels/', suffix: '.parquet', batchSize: 500, batchWindowSeconds: 7200, manifestBucket: 'churn-labelled-data', manifestPrefix: 'ml-triggers/manifests/' });
    const [roleId] = Object.keys(resources.google_project_iam_custom_role);
    expect(resources.google_project_iam_custom_role[roleId].permissions).toEqual(['aiplatform.pipelineJobs.create']);
    expect(Object.values(resources.google_project_iam_member).map((m) => m.role).sort()).toEqual([`\${google_project_iam_custom_role.${roleId}.name}`, 'roles/datastore.user']);
    const [write] = Object.values(resources.google_storage_bucket_iam_member);
    expect(write).toMatchObject({
      role: 'roles/storage.objectCreator',
      condition: { expression: `resource.name.startsWith("projects/_/buckets/churn-labelled-data/objects/ml-triggers/manifests/${config.triggerId}/")` },
    });
  });

  test('takes the batch window as a Duration and the start attempts as a prop, with the AWS trigger\'s defaults', () => {
    const config = (resources: Resources) => {
      const [fn] = Object.values(resources.google_cloudfunctions2_function);
      return JSON.parse((fn.service_config as { environment_variables: Record<string, string> }).environment_variables.BATCHER_CONFIG) as Record<string, unknown>;
    };

    expect(config(synth({ batchWindow: Duration.hours(2), maxStartAttempts: 10 }))).toMatchObject({ batchWindowSeconds: 7200, maxStartAttempts: 10 });
    expect(config(synth())).toMatchObject({ batchSize: 500, batchWindowSeconds: 3600, maxStartAttempts: 6 });
  });

  test('the deprecated GcsDataArrivalTrigger is the same construct and synthesizes the same resources', () => {
    expect(synth({}, { construct: GcsDataArrivalTrigger })).toEqual(synth());
  });

  test('one app deployed into two regions of a project keeps two sets of batches, manifests and topics', () => {
    // Act: the same stack name and construct path, deployed once per region
    const [europe, us] = [synth({}, { stackName: 'ml-triggers' }), synth({}, { stackName: 'ml-triggers', region: 'us-central1' })];

    // Assess: the trigger id names the Firestore document of the batches and the manifest folder
    const triggerId = (resources: Resources) => {
      const [fn] = Object.values(resources.google_cloudfunctions2_function);
      return JSON.parse((fn.service_config as { environment_variables: Record<string, string> }).environment_variables.BATCHER_CONFIG).triggerId as string;
    };
    const topics = (resources: Resources) => Object.values(resources.google_pubsub_topic).map((topic) => topic.name);
    expect(triggerId(europe)).not.toBe(triggerId(us));
    expect(topics(europe).filter((name) => topics(us).includes(name))).toEqual([]);
  });

  test.each<[string, Partial<VertexDataArrivalTriggerProps>, string]>([
    ['a batch size of 0', { batchSize: 0 }, 'batchSize must be a whole number between 1 and 10000, got 0'],
    ['a window under a minute', { batchWindowSeconds: 30 }, 'batchWindowSeconds must be between 60 and 604800, got 30'],
    ['a Duration window under a minute', { batchWindow: Duration.seconds(30) }, 'batchWindow must be between 1 minute and 7 days, got 30 seconds'],
    ['both window props', { batchWindow: Duration.hours(1), batchWindowSeconds: 3600 }, 'batchWindow and batchWindowSeconds are the same setting: give only batchWindow'],
    ['no start attempts', { maxStartAttempts: 0 }, 'maxStartAttempts must be a whole number between 1 and 50, got 0'],
    ['a manifest prefix without a slash', { manifestPrefix: 'm' }, "manifestPrefix must be empty or end with '/', got 'm'"],
    ['a prefix under the manifests of the library', { prefix: 'ml-triggers/manifests/' }, "prefix must not be under 'ml-triggers/manifests/', which holds manifests of the library"],
    ['a suffix that marks manifests', { suffix: '.ml-triggers-manifest.jsonl' }, "suffix must not end with '.ml-triggers-manifest.jsonl', which marks manifests of the library"],
  ])('%s fails synth', (_what, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});
