import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { Testing, TerraformStack, type App } from 'cdktf';
import { AzureMLPipeline, type AzureMLPipelineProps } from '../lib/azure/azure-ml-pipeline';
import { AZURE_BUNDLE_DIR_CONTEXT } from '../lib/azure/function-deployment';

export type Resource = Record<string, unknown>;
export type Resources = Record<string, Record<string, Resource>>;

export const SUBSCRIPTION = '00000000-0000-4000-8000-000000000001';
export const DATA_ACCOUNT_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/data/providers/Microsoft.Storage/storageAccounts/churnlanding`;

let bundles: string | undefined;

/**
 * A folder of tiny stand-in bundles (`<name>/index.js`, host.json, package.json), the same bytes every run: the
 * construct tests check what the constructs declare, not the handlers, and must not depend on `npm run build`.
 */
export function fakeBundles(): string {
  if (bundles) return bundles;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'azure-bundles-'));
  for (const name of ['batcher', 'drift', 'chain', 'scheduled']) {
    fs.mkdirSync(path.join(dir, name));
    fs.writeFileSync(path.join(dir, name, 'index.js'), `module.exports = '${name}';\n`);
    fs.writeFileSync(path.join(dir, name, 'host.json'), '{"version":"2.0"}\n');
    fs.writeFileSync(path.join(dir, name, 'package.json'), `{"name":"${name}","main":"index.js"}\n`);
  }
  bundles = dir;
  return dir;
}

/** An app whose Azure functions use the stand-in bundles. */
export function testApp(): App {
  return Testing.app({ context: { [AZURE_BUNDLE_DIR_CONTEXT]: fakeBundles() } });
}

export function pipelineProps(overrides: Partial<AzureMLPipelineProps> = {}): AzureMLPipelineProps {
  return {
    subscriptionId: SUBSCRIPTION,
    resourceGroup: 'ml-prod',
    workspaceName: 'churn-ws',
    location: 'westeurope',
    pipelineName: 'churn-training',
    component: { name: 'churn_training', version: '3' },
    ...overrides,
  };
}

export function pipeline(overrides: Partial<AzureMLPipelineProps> = {}): AzureMLPipeline {
  return new AzureMLPipeline(pipelineProps(overrides));
}

/** Synthesizes one stack (named `stackName`) built by `build`, as its JSON text. */
export function synthText(build: (stack: TerraformStack) => void, stackName = 'test'): string {
  const app = testApp();
  const stack = new TerraformStack(app, stackName);
  new AzurermProvider(stack, 'azurerm', { features: [{}], subscriptionId: SUBSCRIPTION, storageUseAzuread: true });
  build(stack);
  return Testing.synth(stack);
}

export function synth(build: (stack: TerraformStack) => void, stackName = 'test'): Resources {
  return (JSON.parse(synthText(build, stackName)) as { resource: Resources }).resource;
}

export function all(resources: Resources, type: string): Resource[] {
  return Object.values(resources[type] ?? {});
}

export function only(resources: Resources, type: string): Resource {
  const found = all(resources, type);
  expect(found).toHaveLength(1);
  return found[0];
}

/** The Terraform reference to attribute `attribute` of the one resource of `type` matching `where`. */
export function ref(resources: Resources, type: string, where: (resource: Resource) => boolean, attribute: string): string {
  const matches = Object.entries(resources[type] ?? {}).filter(([, resource]) => where(resource));
  expect(matches).toHaveLength(1);
  return `\${${type}.${matches[0][0]}.${attribute}}`;
}
