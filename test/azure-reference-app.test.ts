import { Testing } from 'cdktf';
import { AzureReferenceStack } from '../bin/azure-app';
import { all, SUBSCRIPTION, testApp, type Resources } from './azure-support';

const SETTINGS = { subscriptionId: SUBSCRIPTION, resourceGroup: 'churn-ml', location: 'westeurope' };

const render = (stackName = 'ml-triggers-azure') => {
  const app = testApp();
  return Testing.synth(new AzureReferenceStack(app, stackName, SETTINGS));
};

describe('Azure reference app', () => {
  test('synthesizes offline, the same bytes twice, with its four triggers', () => {
    const first = render();

    expect(render()).toBe(first);
    const { resource: resources, provider } = JSON.parse(first) as { resource: Resources; provider: Record<string, Array<Record<string, unknown>>> };
    expect(provider.azurerm[0]).toMatchObject({ subscription_id: SUBSCRIPTION, storage_use_azuread: true, features: [{}] });
    // Data arrival, drift and chain run as functions; the schedule is a Logic App.
    expect(all(resources, 'azurerm_function_app_flex_consumption').map((app) => String(app.name).split('-')[1]).sort()).toEqual(['batcher', 'chain', 'drift']);
    expect(all(resources, 'azurerm_logic_app_workflow').length).toBeGreaterThanOrEqual(1);
    expect(all(resources, 'azurerm_eventgrid_system_topic').map((topic) => topic.topic_type).sort()).toEqual(['Microsoft.MachineLearningServices.Workspaces', 'Microsoft.Storage.StorageAccounts']);
    expect(all(resources, 'azurerm_eventgrid_system_topic_event_subscription')).toHaveLength(2);
    expect(all(resources, 'azurerm_monitor_metric_alert')).toHaveLength(1);
    expect(all(resources, 'azurerm_storage_account')).toEqual([expect.objectContaining({ shared_access_key_enabled: false })]);
    expect(all(resources, 'azurerm_user_assigned_identity').length).toBeGreaterThanOrEqual(3);
    expect(first).not.toContain(process.cwd());
  }, 30_000);

  test('a second stack of the app (another environment) shares no name with the first', () => {
    // Actions and triggers are named within their workflow, not in the resource group.
    const names = (text: string) => Object.entries((JSON.parse(text) as { resource: Resources }).resource)
      .filter(([type]) => !/^azurerm_logic_app_(action|trigger)_/.test(type))
      .flatMap(([, byId]) => Object.values(byId))
      .map((resource) => resource.name)
      .filter((name): name is string => typeof name === 'string' && !name.startsWith('${') && !['azure-webjobs-hosts', 'azure-webjobs-secrets', 'dead-letters', 'released-package.zip'].includes(name));
    const prod = names(render('ml-triggers-azure'));
    const staging = names(render('ml-triggers-azure-staging'));

    expect(prod.filter((name) => staging.includes(name))).toEqual([]);
  }, 30_000);
});
