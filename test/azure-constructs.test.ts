import { Duration } from 'aws-cdk-lib';
import { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account';
import type { TerraformStack } from 'cdktf';
import { AzureMLChainTrigger, type AzureMLChainTriggerProps } from '../lib/azure/azure-ml-chain-trigger';
import { AzureMLDriftTrigger, type AzureMLDriftTriggerProps } from '../lib/azure/azure-ml-drift-trigger';
import { BlobDataArrivalTrigger, type BlobDataArrivalTriggerProps } from '../lib/azure/blob-data-arrival-trigger';
import { parseAzureBatcherSettings, parseAzureChainSettings, parseAzureDriftSettings } from '../lambda/core/contracts/azure-functions';
import { all, DATA_ACCOUNT_ID, only, pipeline, ref, SUBSCRIPTION, synth, synthText, type Resource, type Resources } from './azure-support';

const SLOW = 30_000;
const INSIGHTS_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/ml-prod/providers/Microsoft.Insights/components/churn-insights`;

const arrival = (stack: TerraformStack, id = 'Labels', props: Partial<BlobDataArrivalTriggerProps> = {}) =>
  new BlobDataArrivalTrigger(stack, id, {
    pipeline: pipeline(), storageAccountId: DATA_ACCOUNT_ID, container: 'landing', prefix: 'labels/', suffix: '.parquet',
    batchSize: 500, batchWindow: Duration.hours(2), parameters: { TrainingMode: 'data-arrival' }, ...props,
  });
const drift = (stack: TerraformStack, props: Partial<AzureMLDriftTriggerProps> = {}) =>
  new AzureMLDriftTrigger(stack, 'Drift', { pipeline: pipeline(), scopes: [INSIGHTS_ID], metricNamespace: 'azure.applicationinsights', metricName: 'feature_drift', ...props });
const chain = (stack: TerraformStack, props: Partial<AzureMLChainTriggerProps> = {}) =>
  new AzureMLChainTrigger(stack, 'Evaluation', { pipeline: pipeline({ pipelineName: 'churn-eval' }), upstream: pipeline(), ...props });

const settingsOf = (app: Resource) => JSON.parse((app.app_settings as Record<string, string>).TRIGGER_SETTINGS) as unknown;
const byRole = (resources: Resources, role: string) => all(resources, 'azurerm_role_assignment').filter((grant) => grant.role_definition_name === role);

describe('Azure function deployment (through BlobDataArrivalTrigger)', () => {
  test('a Flex Consumption Node 22 app with its own user-assigned identity reaches its storage without keys', () => {
    const resources = synth((stack) => arrival(stack));

    const account = only(resources, 'azurerm_storage_account');
    expect(account).toMatchObject({ shared_access_key_enabled: false, min_tls_version: 'TLS1_2', allow_nested_items_to_be_public: false, https_traffic_only_enabled: true });
    expect(account.name).toMatch(/^[a-z0-9]{3,24}$/);
    const identity = ref(resources, 'azurerm_user_assigned_identity', () => true, 'id');
    const clientId = ref(resources, 'azurerm_user_assigned_identity', () => true, 'client_id');
    const app = only(resources, 'azurerm_function_app_flex_consumption');
    expect(app).toMatchObject({
      runtime_name: 'node', runtime_version: '22', instance_memory_in_mb: 2048, https_only: true,
      storage_authentication_type: 'UserAssignedIdentity', storage_user_assigned_identity_id: identity, storage_container_type: 'blobContainer',
      identity: { type: 'UserAssigned', identity_ids: [identity] },
    });
    expect(app.maximum_instance_count).toBeLessThanOrEqual(10);
    expect(app).not.toHaveProperty('storage_access_key');
    expect(app.app_settings).toMatchObject({ AZURE_CLIENT_ID: clientId, AzureWebJobsStorage__credential: 'managedidentity', AzureWebJobsStorage__clientId: clientId });
    expect(only(resources, 'azurerm_service_plan')).toMatchObject({ sku_name: 'FC1', os_type: 'Linux' });
    expect(only(resources, 'azurerm_application_insights')).toMatchObject({ workspace_id: ref(resources, 'azurerm_log_analytics_workspace', () => true, 'id'), local_authentication_disabled: true });
    expect(app.app_settings).toMatchObject({ APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${clientId};Authorization=AAD` });
  }, SLOW);

  test('the package is the bundle, uploaded as released-package.zip into the app\'s own deployment container, from a path that changes with its content', () => {
    const resources = synth((stack) => arrival(stack));

    const blob = only(resources, 'azurerm_storage_blob');
    expect(blob).toMatchObject({ type: 'Block', name: 'released-package.zip', source: expect.stringMatching(/^assets\/\w+\/[0-9A-F]{32}\/archive\.zip$/) });
    const deployment = ref(resources, 'azurerm_storage_container', (c) => String(c.name).startsWith('deploy-'), 'name');
    expect(blob.storage_container_name).toBe(deployment);
    expect(only(resources, 'azurerm_function_app_flex_consumption').storage_container_endpoint).toContain(deployment);
  }, SLOW);

  test('least privilege: host and package containers, the state table, the manifest prefix (ABAC), telemetry and the workspace role, each at its narrowest scope', () => {
    const resources = synth((stack) => arrival(stack));

    const principal = ref(resources, 'azurerm_user_assigned_identity', () => true, 'principal_id');
    const fnGrants = all(resources, 'azurerm_role_assignment').filter((grant) => grant.principal_id === principal);
    expect(fnGrants).toHaveLength(7);
    expect(fnGrants.find((grant) => grant.role_definition_name === 'Monitoring Metrics Publisher')!.scope).toBe(ref(resources, 'azurerm_application_insights', () => true, 'id'));
    const owners = fnGrants.filter((grant) => grant.role_definition_name === 'Storage Blob Data Owner').map((grant) => String(grant.scope));
    expect(owners).toHaveLength(3);
    expect(owners.every((scope) => /\/blobServices\/default\/containers\/[^/]+$/.test(scope))).toBe(true);
    expect(owners.some((scope) => scope.includes('azure-webjobs-hosts'))).toBe(true);
    expect(owners.some((scope) => scope.includes('azure-webjobs-secrets'))).toBe(true);
    const table = only(resources, 'azurerm_storage_table');
    expect(table.name).toMatch(/^batches[0-9a-f]{12}$/);
    expect(fnGrants.find((grant) => grant.role_definition_name === 'Storage Table Data Contributor')!.scope).toMatch(new RegExp(`/tableServices/default/tables/${String(table.name)}$`));
    const manifests = fnGrants.find((grant) => grant.role_definition_name === 'Storage Blob Data Contributor')!;
    expect(manifests).toMatchObject({ scope: `${DATA_ACCOUNT_ID}/blobServices/default/containers/landing`, condition_version: '2.0' });
    const triggerId = (settingsOf(only(resources, 'azurerm_function_app_flex_consumption')) as { triggerId: string }).triggerId;
    expect(manifests.condition).toContain(`StringStartsWith 'ml-triggers/manifests/${triggerId}/'`);
    expect(manifests.condition).toContain("ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write'}");
    const submit = fnGrants.find((grant) => grant.role_definition_id !== undefined)!;
    expect(submit.scope).toBe(`/subscriptions/${SUBSCRIPTION}/resourceGroups/ml-prod/providers/Microsoft.MachineLearningServices/workspaces/churn-ws`);
    expect(submit.role_definition_id).toBe(ref(resources, 'azurerm_role_definition', () => true, 'role_definition_resource_id'));
    expect(all(resources, 'azurerm_role_assignment').every((grant) => !String(grant.scope).match(/^\/subscriptions\/[^/]+(\/resourceGroups\/[^/]+)?$/))).toBe(true);
  }, SLOW);
});

describe('BlobDataArrivalTrigger', () => {
  test('Blob Created events of the container and prefix reach the batcher one at a time, retried, then dead-lettered by the topic\'s identity', () => {
    const resources = synth((stack) => arrival(stack));

    const topic = only(resources, 'azurerm_eventgrid_system_topic');
    expect(topic).toMatchObject({ source_resource_id: DATA_ACCOUNT_ID, topic_type: 'Microsoft.Storage.StorageAccounts', resource_group_name: 'data', identity: { type: 'SystemAssigned' } });
    const subscription = only(resources, 'azurerm_eventgrid_system_topic_event_subscription');
    expect(subscription).toMatchObject({
      system_topic: ref(resources, 'azurerm_eventgrid_system_topic', () => true, 'name'),
      included_event_types: ['Microsoft.Storage.BlobCreated'],
      subject_filter: { subject_begins_with: '/blobServices/default/containers/landing/blobs/labels/', subject_ends_with: '.parquet' },
      retry_policy: { max_delivery_attempts: 30, event_time_to_live: 1440 },
      azure_function_endpoint: { function_id: `${ref(resources, 'azurerm_function_app_flex_consumption', () => true, 'id')}/functions/batcher`, max_events_per_batch: 1 },
      dead_letter_identity: { type: 'SystemAssigned' },
      storage_blob_dead_letter_destination: {
        storage_account_id: ref(resources, 'azurerm_storage_account', () => true, 'id'),
        storage_blob_container_name: ref(resources, 'azurerm_storage_container', (c) => c.name === 'dead-letters', 'name'),
      },
    });
    const topicGrants = all(resources, 'azurerm_role_assignment').filter((grant) => String(grant.principal_id).startsWith('${azurerm_eventgrid_system_topic.'));
    expect(topicGrants).toEqual([expect.objectContaining({
      role_definition_name: 'Storage Blob Data Contributor',
      scope: `${ref(resources, 'azurerm_storage_account', () => true, 'id')}/blobServices/default/containers/${ref(resources, 'azurerm_storage_container', (c) => c.name === 'dead-letters', 'name')}`,
    })]);
  }, SLOW);

  test('writes batcher settings its contract accepts', () => {
    const resources = synth((stack) => arrival(stack));

    const parsed = parseAzureBatcherSettings(settingsOf(only(resources, 'azurerm_function_app_flex_consumption')));
    expect(parsed.ok).toBe(true);
    expect(parsed.ok && parsed.value).toMatchObject({
      storageAccount: 'churnlanding', container: 'landing', prefix: 'labels/', suffix: '.parquet', batchSize: 500, batchWindowSeconds: 7200,
      maxStartAttempts: 6, manifestAccount: 'churnlanding', manifestContainer: 'landing', manifestPrefix: 'ml-triggers/manifests/',
      stateTableEndpoint: `https://${String(only(resources, 'azurerm_storage_account').name)}.table.core.windows.net`, stateTable: only(resources, 'azurerm_storage_table').name,
      workspace: 'churn-ws', parameters: { TrainingMode: 'data-arrival' },
    });
  }, SLOW);

  test('two triggers on one storage account share ONE system topic; each has its own subscription, table and function', () => {
    const resources = synth((stack) => {
      arrival(stack, 'Labels');
      arrival(stack, 'Images', { prefix: 'images/', suffix: '.png' });
    });

    expect(all(resources, 'azurerm_eventgrid_system_topic')).toHaveLength(1);
    expect(all(resources, 'azurerm_eventgrid_system_topic_event_subscription')).toHaveLength(2);
    expect(all(resources, 'azurerm_storage_table')).toHaveLength(2);
    expect(all(resources, 'azurerm_function_app_flex_consumption')).toHaveLength(2);
    expect(all(resources, 'azurerm_storage_account')).toHaveLength(1);
    expect(all(resources, 'azurerm_role_definition')).toHaveLength(1);
  }, SLOW);

  test('a system topic made outside the stack is used, not made, and its identity is granted the dead-letter container', () => {
    const text = synthText((stack) => arrival(stack, 'Labels', { systemTopicName: 'landing-events', systemTopicResourceGroup: 'shared-events' }));
    const { resource: resources, data } = JSON.parse(text) as { resource: Resources; data: Resources };

    expect(resources.azurerm_eventgrid_system_topic).toBeUndefined();
    expect(only(data, 'azurerm_eventgrid_system_topic')).toMatchObject({ name: 'landing-events', resource_group_name: 'shared-events' });
    expect(only(resources, 'azurerm_eventgrid_system_topic_event_subscription')).toMatchObject({ system_topic: 'landing-events', resource_group_name: 'shared-events' });
    expect(byRole(resources, 'Storage Blob Data Contributor').some((grant) => String(grant.principal_id).startsWith('${data.azurerm_eventgrid_system_topic.'))).toBe(true);
  }, SLOW);

  test('an account of the same stack, known at deploy time, is split by Terraform for its name and group, and its topic is shared', () => {
    const resources = synth((stack) => {
      const landing = new StorageAccount(stack, 'Landing', { name: 'churnlanding2', resourceGroupName: 'data', location: 'westeurope', accountTier: 'Standard', accountReplicationType: 'LRS' });
      arrival(stack, 'Labels', { storageAccountId: landing.id });
      arrival(stack, 'Images', { storageAccountId: landing.id, prefix: 'images/' });
    });

    const accountId = ref(resources, 'azurerm_storage_account', (account) => account.name === 'churnlanding2', 'id');
    expect(only(resources, 'azurerm_eventgrid_system_topic')).toMatchObject({ source_resource_id: accountId, resource_group_name: `\${element(split("/", ${accountId.slice(2, -1)}), 4)}` });
    const settings = (all(resources, 'azurerm_function_app_flex_consumption')[0].app_settings as Record<string, string>).TRIGGER_SETTINGS;
    expect(settings).toContain(`"storageAccount":"\${lower(element(split("/", ${accountId.slice(2, -1)}), 8))}"`);
  }, SLOW);

  test.each([
    [{ storageAccountId: '/subscriptions/x/resourceGroups/data/providers/Microsoft.Sql/servers/db' }, "storageAccountId must be a storage account's ARM id", "got '/subscriptions/x/resourceGroups/data/providers/Microsoft.Sql/servers/db'"],
    [{ container: 'Landing_Zone' }, 'container must be a container name', "got 'Landing_Zone'"],
    [{ batchSize: 0 }, 'batchSize must be a whole number between 1 and 10000', 'got 0'],
    [{ batchWindow: Duration.seconds(10) }, 'batchWindow must be between', 'got 10 seconds'],
    [{ maxStartAttempts: 51 }, 'maxStartAttempts must be a whole number between 1 and 50', 'got 51'],
    [{ manifestPrefix: 'manifests' }, "manifestPrefix must be empty or end with '/'", "got 'manifests'"],
    [{ prefix: 'ml-triggers/manifests/x/' }, 'prefix must not be under', "got 'ml-triggers/manifests/x/'"],
  ])('refuses %j, naming the prop and the value', (props, prop, value) => {
    expect(() => synth((stack) => arrival(stack, 'Labels', props as Partial<BlobDataArrivalTriggerProps>))).toThrow(prop);
    expect(() => synth((stack) => arrival(stack, 'Labels', props as Partial<BlobDataArrivalTriggerProps>))).toThrow(value);
  }, SLOW);
});

describe('AzureMLDriftTrigger', () => {
  test('a metric alert on the feature-dimensioned maximum calls the drift function through an action group with a sensitive key URL', () => {
    const resources = synth((stack) => drift(stack, { alertThreshold: 0.05 }));

    const alert = only(resources, 'azurerm_monitor_metric_alert');
    expect(alert).toMatchObject({
      scopes: [INSIGHTS_ID],
      criteria: [{ metric_namespace: 'azure.applicationinsights', metric_name: 'feature_drift', aggregation: 'Maximum', operator: 'GreaterThan', threshold: 0.05, dimension: [{ name: 'feature', operator: 'Include', values: ['*'] }] }],
      action: [{ action_group_id: ref(resources, 'azurerm_monitor_action_group', () => true, 'id') }],
    });
    const receiver = (only(resources, 'azurerm_monitor_action_group').azure_function_receiver as Resource[])[0];
    const app = ref(resources, 'azurerm_function_app_flex_consumption', () => true, 'id');
    expect(receiver).toMatchObject({ function_app_resource_id: app, function_name: 'drift', use_common_alert_schema: true });
    expect(receiver.http_trigger_url).toMatch(/^\$\{sensitive\(.*\/api\/drift\?code=\$\{data\.azurerm_function_app_host_keys\.\w+\.default_function_key\}.*\)\}$/);
    expect(resources.azurerm_eventgrid_system_topic_event_subscription).toBeUndefined();
  }, SLOW);

  test('writes drift settings its contract accepts, naming the alert rule the stack makes', () => {
    const resources = synth((stack) => drift(stack, { featureThresholds: { total_amount: { medium: 0.05, high: 0.2, critical: 0.4 } } }));

    const parsed = parseAzureDriftSettings(settingsOf(only(resources, 'azurerm_function_app_flex_consumption')));
    expect(parsed.ok).toBe(true);
    const alert = only(resources, 'azurerm_monitor_metric_alert');
    expect(parsed.ok && parsed.value.source).toEqual({
      alertRuleId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/ml-prod/providers/Microsoft.Insights/metricAlerts/${String(alert.name)}`,
      metricName: 'feature_drift',
    });
    expect(parsed.ok && parsed.value.drift.featureThresholds).toEqual({ total_amount: { medium: 0.05, high: 0.2, critical: 0.4 } });
  }, SLOW);

  test.each([
    [{ scopes: [] }, 'scopes must name at least one resource', 'got none'],
    [{ scopes: ['churn-insights'] }, 'scopes must hold ARM resource ids', "got 'churn-insights'"],
    [{ thresholds: { medium: 0.5, high: 0.3, critical: 0.1 } }, 'thresholds', 'got 0.5, 0.3, 0.1'],
    [{ alertThreshold: Number.NaN }, 'alertThreshold must be a finite number', 'got NaN'],
    [{ scopes: [INSIGHTS_ID, `/subscriptions/${SUBSCRIPTION}/resourceGroups/ml-prod/providers/Microsoft.Storage/storageAccounts/x1y2z3`] }, 'scopes must be resources of one type', 'microsoft.insights/components, microsoft.storage/storageaccounts'],
  ])('refuses %j, naming the prop and the value', (props, prop, value) => {
    expect(() => synth((stack) => drift(stack, props as Partial<AzureMLDriftTriggerProps>))).toThrow(prop);
    expect(() => synth((stack) => drift(stack, props as Partial<AzureMLDriftTriggerProps>))).toThrow(value);
  }, SLOW);
});

describe('AzureMLChainTrigger', () => {
  test('RunCompleted events of the upstream experiment reach the chain function from the upstream workspace\'s system topic', () => {
    const resources = synth((stack) => chain(stack));

    expect(only(resources, 'azurerm_eventgrid_system_topic')).toMatchObject({
      topic_type: 'Microsoft.MachineLearningServices.Workspaces',
      source_resource_id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/ml-prod/providers/Microsoft.MachineLearningServices/workspaces/churn-ws`,
    });
    expect(only(resources, 'azurerm_eventgrid_system_topic_event_subscription')).toMatchObject({
      included_event_types: ['Microsoft.MachineLearningServices.RunCompleted'],
      advanced_filter: { string_in: [{ key: 'data.experimentName', values: ['churn-training'] }] },
      azure_function_endpoint: { function_id: expect.stringMatching(/\/functions\/chain$/), max_events_per_batch: 1 },
      retry_policy: { max_delivery_attempts: 30, event_time_to_live: 1440 },
      dead_letter_identity: { type: 'SystemAssigned' },
    });
    const parsed = parseAzureChainSettings(settingsOf(only(resources, 'azurerm_function_app_flex_consumption')));
    expect(parsed.ok && parsed.value.upstream).toEqual({ workspaceId: pipeline().workspaceId, experimentNames: ['churn-training'], statuses: ['Completed'] });
  }, SLOW);

  test('a failure status listens to RunStatusChanged, filtered on data.runStatus', () => {
    const resources = synth((stack) => chain(stack, { onStatuses: ['Completed', 'Failed'] }));

    expect(only(resources, 'azurerm_eventgrid_system_topic_event_subscription')).toMatchObject({
      included_event_types: ['Microsoft.MachineLearningServices.RunStatusChanged'],
      advanced_filter: { string_in: [{ key: 'data.experimentName', values: ['churn-training'] }, { key: 'data.runStatus', values: ['Completed', 'Failed'] }] },
    });
  }, SLOW);

  test('a chain and a second chain on the same upstream workspace share its system topic', () => {
    const resources = synth((stack) => {
      chain(stack);
      new AzureMLChainTrigger(stack, 'Report', { pipeline: pipeline({ pipelineName: 'churn-report' }), upstream: pipeline() });
    });

    expect(all(resources, 'azurerm_eventgrid_system_topic')).toHaveLength(1);
    expect(all(resources, 'azurerm_eventgrid_system_topic_event_subscription')).toHaveLength(2);
  }, SLOW);

  test.each([
    [{ onStatuses: ['Succeeded'] }, 'onStatuses must hold only Completed, Failed, Canceled', "got 'Succeeded'"],
    [{ onStatuses: [] }, 'onStatuses must list at least one', 'got none'],
    [{ pipeline: pipeline() }, 'upstream must be another pipeline', "got experiment 'churn-training'"],
  ])('refuses %j, naming the prop and the value', (props, prop, value) => {
    expect(() => synth((stack) => chain(stack, props as Partial<AzureMLChainTriggerProps>))).toThrow(prop);
    expect(() => synth((stack) => chain(stack, props as Partial<AzureMLChainTriggerProps>))).toThrow(value);
  }, SLOW);
});

describe('names', () => {
  test('two stacks give distinct names; one stack gives the same bytes twice', () => {
    const build = (stack: TerraformStack) => {
      arrival(stack);
      drift(stack);
      chain(stack);
    };
    const dev = synthText(build, 'ml-triggers-dev');
    const staging = synthText(build, 'ml-triggers-staging');

    expect(synthText(build, 'ml-triggers-dev')).toBe(dev);
    const names = (text: string) => {
      const resources = (JSON.parse(text) as { resource: Resources }).resource;
      return Object.values(resources).flatMap((byId) => Object.values(byId)).map((resource) => resource.name).filter((name): name is string => typeof name === 'string' && !name.startsWith('${'));
    };
    const devNames = names(dev).filter((name) => !['azure-webjobs-hosts', 'azure-webjobs-secrets', 'dead-letters', 'released-package.zip'].includes(name));
    expect(devNames.length).toBeGreaterThan(10);
    expect(devNames.filter((name) => names(staging).includes(name))).toEqual([]);
    const resources = (JSON.parse(dev) as { resource: Resources }).resource;
    for (const app of all(resources, 'azurerm_function_app_flex_consumption')) expect(String(app.name)).toMatch(/^[a-z][a-z0-9-]{1,31}$/);
    expect(String(only(resources, 'azurerm_storage_account').name)).toMatch(/^[a-z0-9]{3,24}$/);
    for (const table of all(resources, 'azurerm_storage_table')) expect(String(table.name)).toMatch(/^[A-Za-z][A-Za-z0-9]{2,62}$/);
    expect(String(only(resources, 'azurerm_monitor_action_group').short_name).length).toBeLessThanOrEqual(12);
  }, SLOW);
});
