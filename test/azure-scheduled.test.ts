import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { Duration, TimeZone } from 'aws-cdk-lib';
import { Testing, TerraformStack } from 'cdktf';
import { pipelineJobBody } from '../lambda/core/azure-ml-job';
import { AZURE_ML_API_VERSION } from '../lambda/core/contracts/azure-functions';
import { jobLabels } from '../lambda/core/pipeline-job';
import { TriggerSchedule } from '../lib';
import { AzureMLPipeline } from '../lib/azure/azure-ml-pipeline';
import { AzureMLScheduledTrigger, type AzureMLScheduledTriggerProps } from '../lib/azure/azure-ml-scheduled-trigger';
import { pipelineTarget } from '../lib/azure/pipeline-target';
import { pipelineProps } from './azure-support';

type Resource = Record<string, unknown>;
type Resources = Record<string, Record<string, Resource>>;

const SUBSCRIPTION = '00000000-0000-4000-8000-000000000001';
const WORKSPACE_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/ml-prod/providers/Microsoft.MachineLearningServices/workspaces/churn-ws`;
const FIRING = "@{formatDateTime(trigger().scheduledTime, 'yyyyMMddHHmm')}";
const RUN_NAME = '@{workflow().run.name}';

function pipeline(): AzureMLPipeline {
  return new AzureMLPipeline(pipelineProps({ subscriptionId: SUBSCRIPTION, computeName: 'cpu-cluster' }));
}

function synth(build: (stack: TerraformStack) => void): Resources {
  const stack = new TerraformStack(Testing.app(), 'test');
  new AzurermProvider(stack, 'azurerm', { features: [{}], subscriptionId: SUBSCRIPTION });
  build(stack);
  return (JSON.parse(Testing.synth(stack)) as { resource: Resources }).resource;
}

function only(resources: Resources, type: string, where: (resource: Resource) => boolean = () => true): [string, Resource] {
  const found = Object.entries(resources[type] ?? {}).filter(([, resource]) => where(resource));
  expect(found).toHaveLength(1);
  return found[0];
}

const defaults = (): AzureMLScheduledTriggerProps => ({
  pipeline: pipeline(),
  schedule: TriggerSchedule.cron('0 3 ? * MON *'),
  timeZone: TimeZone.EUROPE_BERLIN,
  parameters: { TrainingMode: 'scheduled' },
});

function scheduled(props: Partial<AzureMLScheduledTriggerProps> = {}): Resources {
  return synth((stack) => new AzureMLScheduledTrigger(stack, 'Weekly', { ...defaults(), ...props }));
}

/** The parts of an HTTP action's definition the tests read. */
interface ActionDefinition {
  readonly type: string;
  readonly inputs: {
    readonly method: string;
    readonly uri: string;
    readonly headers: Record<string, string>;
    readonly body: { readonly properties: Record<string, unknown> & { readonly tags: Record<string, string> } };
    readonly authentication: unknown;
    readonly retryPolicy: { readonly count: number };
  };
}

const action = (resources: Resources, name: string) => {
  const [, resource] = only(resources, 'azurerm_logic_app_action_custom', (candidate) => candidate.name === name);
  return { resource, body: JSON.parse(resource.body as string) as ActionDefinition };
};

describe('AzureMLScheduledTrigger', () => {
  test('a Logic App in the pipeline resource group runs as a user-assigned identity made for it', () => {
    const resources = scheduled();

    const [identityId, identity] = only(resources, 'azurerm_user_assigned_identity');
    const [, workflow] = only(resources, 'azurerm_logic_app_workflow');
    expect(workflow).toMatchObject({ resource_group_name: 'ml-prod', location: 'westeurope', enabled: true });
    expect(workflow.name).toMatch(/^mlt-sched-[0-9a-f]{12}$/);
    expect(workflow.identity).toEqual({ type: 'UserAssigned', identity_ids: [`\${azurerm_user_assigned_identity.${identityId}.id}`] });
    expect(identity).toMatchObject({ resource_group_name: 'ml-prod', location: 'westeurope', name: workflow.name });
  });

  test("the identity holds the job-submitter custom role on the workspace, and nothing else", () => {
    const resources = scheduled();

    const [identityId] = only(resources, 'azurerm_user_assigned_identity');
    const [roleId, role] = only(resources, 'azurerm_role_definition');
    const [, assignment] = only(resources, 'azurerm_role_assignment');
    expect(assignment).toEqual({
      principal_id: `\${azurerm_user_assigned_identity.${identityId}.principal_id}`,
      principal_type: 'ServicePrincipal',
      scope: WORKSPACE_ID,
      role_definition_id: `\${azurerm_role_definition.${roleId}.role_definition_resource_id}`,
    });
    expect(role).toMatchObject({ scope: WORKSPACE_ID, assignable_scopes: [WORKSPACE_ID] });
  });

  test('the Recurrence trigger fires at the cron times in the Windows name of the time zone', () => {
    const resources = scheduled();

    const [workflowId] = only(resources, 'azurerm_logic_app_workflow');
    const [, trigger] = only(resources, 'azurerm_logic_app_trigger_custom');
    expect(trigger).toMatchObject({ name: 'Recurrence', logic_app_id: `\${azurerm_logic_app_workflow.${workflowId}.id}` });
    expect(JSON.parse(trigger.body as string)).toEqual({
      type: 'Recurrence',
      recurrence: {
        frequency: 'Week',
        interval: 1,
        startTime: '2026-01-01T00:00:00',
        timeZone: 'W. Europe Standard Time',
        schedule: { hours: [3], minutes: [0], weekDays: ['Monday'] },
      },
    });
  });

  test('runs in UTC by default, and a rate becomes a plain interval', () => {
    const resources = scheduled({ timeZone: undefined, schedule: TriggerSchedule.rate(Duration.hours(6)) });

    const [, trigger] = only(resources, 'azurerm_logic_app_trigger_custom');
    expect(JSON.parse(trigger.body as string).recurrence).toEqual({ frequency: 'Hour', interval: 6, startTime: '2026-01-01T00:00:00', timeZone: 'UTC' });
  });

  test('the action PUTs the pipeline job, named after the firing, with the body the functions send and the same api-version', () => {
    const resources = scheduled();

    const { body } = action(resources, 'SubmitPipelineJob');
    const triggerId = body.inputs.body.properties.tags['ml-trigger-id'];
    expect(triggerId).toMatch(/^sched-[0-9a-f]{12}$/);
    const jobName = `${triggerId}-s-${FIRING}`;
    expect(body.type).toBe('Http');
    expect(body.inputs.method).toBe('PUT');
    expect(body.inputs.uri).toBe(`https://management.azure.com${WORKSPACE_ID}/jobs/${jobName}?api-version=${AZURE_ML_API_VERSION}`);
    expect(body.inputs.body).toEqual(
      pipelineJobBody(
        { ...pipelineTarget(pipeline()), triggerId, parameters: { TrainingMode: 'scheduled' } },
        { name: jobName, parameters: { TrainingMode: 'scheduled' }, tags: { ...jobLabels(triggerId, 'scheduled'), 'ml-trigger-run': RUN_NAME } },
      ),
    );
    expect(body.inputs.body.properties).toMatchObject({
      jobType: 'Pipeline',
      componentId: `${WORKSPACE_ID}/components/churn_training/versions/3`,
      inputs: { TrainingMode: { jobInputType: 'literal', value: 'scheduled' } },
      settings: { default_compute: `${WORKSPACE_ID}/computes/cpu-cluster` },
      tags: { 'ml-trigger-type': 'scheduled' },
    });
  });

  test('every job name the expression can give is a valid Azure ML job name', () => {
    const { body } = action(scheduled(), 'SubmitPipelineJob');
    const uri = body.inputs.uri;
    const named = decodeURIComponent(uri.slice(uri.indexOf('/jobs/') + 6, uri.indexOf('?')));

    for (const minute of ['202701150300', '209912312359']) {
      expect(named.replace(FIRING, minute)).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,254}$/);
    }
  });

  test('the action authenticates as the identity for ARM, correlates by run, and retries exponentially', () => {
    const resources = scheduled({ retryCount: 7 });

    const [identityId] = only(resources, 'azurerm_user_assigned_identity');
    const { body } = action(resources, 'SubmitPipelineJob');
    expect(body.inputs.authentication).toEqual({
      type: 'ManagedServiceIdentity',
      identity: `\${azurerm_user_assigned_identity.${identityId}.id}`,
      audience: 'https://management.azure.com/',
    });
    expect(body.inputs.headers).toMatchObject({ 'x-ms-correlation-request-id': RUN_NAME, 'x-ms-client-request-id': RUN_NAME });
    expect(body.inputs.retryPolicy).toEqual({ type: 'exponential', count: 7, interval: 'PT20S', minimumInterval: 'PT10S', maximumInterval: 'PT1H' });
    expect(action(scheduled(), 'SubmitPipelineJob').body.inputs.retryPolicy.count).toBe(4);
  });

  test('a 409 for a job an earlier attempt created ends the run as succeeded; any other failure ends it as failed', () => {
    const resources = scheduled();

    const [submitId] = only(resources, 'azurerm_logic_app_action_custom', (candidate) => candidate.name === 'SubmitPipelineJob');
    const { resource, body } = action(resources, 'AcceptExistingJob');
    expect(resource.depends_on).toEqual([`azurerm_logic_app_action_custom.${submitId}`]);
    expect(body).toMatchObject({
      type: 'If',
      runAfter: { SubmitPipelineJob: ['Failed', 'TimedOut'] },
      expression: { and: [{ equals: ["@outputs('SubmitPipelineJob')?['statusCode']", 409] }] },
      actions: {},
      else: { actions: { SubmissionFailed: { type: 'Terminate', inputs: { runStatus: 'Failed' } } } },
    });
  });

  test('enabled: false declares the Logic App disabled', () => {
    const [, workflow] = only(scheduled({ enabled: false }), 'azurerm_logic_app_workflow');

    expect(workflow.enabled).toBe(false);
  });

  test('two triggers on one workspace share its job-submitter role', () => {
    const resources = synth((stack) => {
      new AzureMLScheduledTrigger(stack, 'Weekly', defaults());
      new AzureMLScheduledTrigger(stack, 'Daily', { ...defaults(), schedule: TriggerSchedule.cron('0 6 * * ? *') });
    });

    expect(Object.keys(resources.azurerm_role_definition)).toHaveLength(1);
    expect(Object.keys(resources.azurerm_role_assignment)).toHaveLength(2);
  });

  test('exposes the trigger id and the Windows time zone', () => {
    synth((stack) => {
      const trigger = new AzureMLScheduledTrigger(stack, 'Weekly', { ...defaults(), timeZone: TimeZone.ASIA_KOLKATA });

      expect(trigger.timeZone).toBe('India Standard Time');
      expect(trigger.triggerId).toMatch(/^sched-[0-9a-f]{12}$/);
    });
  });

  describe('fails synth, naming the prop and the value', () => {
    const build = (props: Partial<AzureMLScheduledTriggerProps>) => () => scheduled(props);

    test.each([0, 91, 2.5])('retryCount %s', (retryCount) => {
      expect(build({ retryCount })).toThrow(`retryCount must be a whole number between 1 and 90, got ${retryCount}`);
    });

    test('a cron expression Logic Apps cannot express', () => {
      expect(build({ schedule: TriggerSchedule.cron('0 3 L * ? *') })).toThrow(
        "schedule cron(0 3 L * ? *) uses 'L' (the last day of the month), which a Logic Apps recurrence cannot express",
      );
      expect(build({ schedule: TriggerSchedule.cron('0 3 ? JAN MON *') })).toThrow('schedule cron(0 3 ? JAN MON *) names months');
    });

    test('a one-time schedule', () => {
      expect(build({ schedule: TriggerSchedule.at('2027-01-15T06:00:00') })).toThrow(/^schedule at\(2027-01-15T06:00:00\) cannot run on a Logic Apps Recurrence trigger/);
    });

    test('a zone with no Windows time zone, or no zone at all', () => {
      expect(build({ timeZone: TimeZone.of('Antarctica/Troll') })).toThrow(/^timeZone 'Antarctica\/Troll' has no Windows time zone/);
      expect(build({ timeZone: TimeZone.of('Mars/Olympus_Mons') })).toThrow(/^timeZone 'Mars\/Olympus_Mons' has no Windows time zone: it is not an IANA time zone name/);
    });

    test('a bad parameter', () => {
      expect(build({ parameters: { 'bad name': 'x' } })).toThrow('parameters.bad name is not a valid pipeline parameter name');
    });
  });
});
