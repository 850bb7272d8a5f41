import { Testing } from 'cdktf';
import { VertexPipeline } from '../lib/gcp';
import { GcpReferenceStack } from '../bin/gcp-app';

type Resources = Record<string, Record<string, Record<string, unknown>>>;

describe('Google reference app', () => {
  test('synthesizes offline, the same bytes twice, with its three triggers', () => {
    const render = () => {
      const app = Testing.app();
      const stack = new GcpReferenceStack(app, 'ml-triggers-gcp', { project: 'churn-ml-prod', projectNumber: '123456789012', region: 'europe-west1' });
      return Testing.synth(stack);
    };

    const first = render();
    expect(render()).toBe(first);
    const resources = (JSON.parse(first) as { resource: Resources }).resource;
    expect(Object.keys(resources.google_cloudfunctions2_function)).toHaveLength(3);
    expect(Object.keys(resources.google_storage_notification)).toHaveLength(1);
    expect(Object.keys(resources.google_storage_bucket)).toHaveLength(1);
    expect(first).not.toContain(process.cwd());
  });

  test('VertexPipeline refuses a template that is not a URI', () => {
    expect(() => new VertexPipeline({ project: 'churn-ml-prod', region: 'europe-west1', templateUri: 'pipeline.json', pipelineName: 'p' })).toThrow(
      "templateUri must be a gs:// or https:// URI of a compiled pipeline, got 'pipeline.json'",
    );
  });
});

/** Google's rules for each name the constructs choose, keyed by what the name is. */
const NAME_RULES: Record<string, RegExp> = {
  // Pub/Sub topic and subscription ids: 3-255 of these characters, starting with a letter, not with `goog`.
  topic: /^(?!goog)[A-Za-z][-A-Za-z0-9_.~+%]{2,254}$/,
  subscription: /^(?!goog)[A-Za-z][-A-Za-z0-9_.~+%]{2,254}$/,
  // Cloud Scheduler job ids: letters, digits, hyphens and underscores, at most 500.
  schedulerJob: /^[A-Za-z0-9_-]{1,500}$/,
  // Cloud Functions (2nd gen): a letter, then at most 62 lowercase letters, digits or hyphens, not ending in a hyphen.
  function: /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/,
  // Service account ids: 6-30 characters matching [a-z]([-a-z0-9]*[a-z0-9]).
  serviceAccount: /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/,
  // Bucket names: 3-63 lowercase letters, digits, - and _, starting and ending with a letter or digit, not `goog…`, no `google`.
  bucket: /^(?!goog)(?!.*google)[a-z0-9][-a-z0-9_]{1,61}[a-z0-9]$/,
  // Object names: 1-1024 bytes.
  object: /^.{1,1024}$/,
  // Custom role ids: 3-64 letters, digits, underscores and periods (IAM API, projects.roles.create `roleId`).
  customRole: /^[A-Za-z0-9_.]{3,64}$/,
  // Trigger ids name the Firestore document of a trigger's batches, its manifest folder and its pipeline jobs' prefix and label.
  triggerId: /^[a-z][-a-z0-9]{0,62}$/,
};

/** Every name the Google constructs choose in one synthesized stack, as `kind:name`. */
function physicalNames(synthesized: string): string[] {
  const resources = (JSON.parse(synthesized) as { resource: Resources }).resource;
  const values = (type: string, field: string) => Object.values(resources[type] ?? {}).map((resource) => String(resource[field]));
  const settings = Object.values(resources.google_cloudfunctions2_function).flatMap((fn) =>
    Object.values((fn.service_config as { environment_variables: Record<string, string> }).environment_variables),
  );
  return [
    ...values('google_pubsub_topic', 'name').map((name) => `topic:${name}`),
    ...values('google_pubsub_subscription', 'name').map((name) => `subscription:${name}`),
    ...values('google_cloud_scheduler_job', 'name').map((name) => `schedulerJob:${name}`),
    ...values('google_cloudfunctions2_function', 'name').map((name) => `function:${name}`),
    ...values('google_service_account', 'account_id').map((name) => `serviceAccount:${name}`),
    ...values('google_storage_bucket', 'name').map((name) => `bucket:${name}`),
    ...values('google_storage_bucket_object', 'name').map((name) => `object:${name}`),
    ...values('google_project_iam_custom_role', 'role_id').map((name) => `customRole:${name}`),
    ...settings.map((json) => `triggerId:${(JSON.parse(json) as { triggerId: string }).triggerId}`),
  ];
}

describe('Google physical names are unique per stack, project and region', () => {
  const settings = { project: 'churn-ml-prod', projectNumber: '123456789012', region: 'europe-west1' };
  /** The reference app, synthesized as each of `stacks` into one app: construct ids never change, only the stack and its settings. */
  const deployments = (...stacks: Array<{ name: string; project?: string; region?: string }>) => {
    const app = Testing.app();
    return stacks.map(({ name, ...where }) => physicalNames(Testing.synth(new GcpReferenceStack(app, name, { ...settings, ...where }))));
  };

  test('the same app as two stacks (dev, staging) in one project and region shares no name', () => {
    // Act
    const [dev, staging] = deployments({ name: 'ml-triggers-dev' }, { name: 'ml-triggers-staging' });

    // Assess
    expect(dev.length).toBeGreaterThan(20);
    expect(dev.filter((name) => staging.includes(name))).toEqual([]);
  });

  test('one stack name deployed into two regions or two projects shares no name', () => {
    // Act: each is its own app, as `GCP_REGION=… npm run synth:gcp` would build it
    const [[home], [otherRegion], [otherProject]] = [{}, { region: 'us-central1' }, { project: 'churn-ml-test' }].map((where) => deployments({ name: 'ml-triggers-gcp', ...where }));

    // Assess
    const names = [...home, ...otherRegion, ...otherProject];
    expect(names.filter((name, index) => names.indexOf(name) !== index)).toEqual([]);
  });

  test('every name keeps within its Google limits, also for a long stack name, and a second synth gives the same names', () => {
    // Act
    const [first, long] = deployments({ name: 'ml-triggers-gcp' }, { name: `ml-triggers-${'x'.repeat(200)}` });
    const [again] = deployments({ name: 'ml-triggers-gcp' });

    // Assess
    expect(again).toEqual(first);
    const broken = [...first, ...long].filter((entry) => {
      const [kind, name] = [entry.slice(0, entry.indexOf(':')), entry.slice(entry.indexOf(':') + 1)];
      return !NAME_RULES[kind].test(name);
    });
    expect(broken).toEqual([]);
  });
});
