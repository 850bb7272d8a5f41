#!/usr/bin/env node
import { Duration, TimeZone } from 'aws-cdk-lib';
import { App, TerraformStack } from 'cdktf';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import type { Construct } from 'constructs';
import { AzureMLChainTrigger, AzureMLDriftTrigger, AzureMLPipeline, AzureMLScheduledTrigger, BlobDataArrivalTrigger } from '../lib/azure';
import { TriggerSchedule } from '../lib';

/** Where the reference stack goes. */
export interface AzureReferenceSettings {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location: string;
}

/** The Azure tour: the same triggers for an Azure Machine Learning pipeline, as Terraform (CDK for Terraform). */
export class AzureReferenceStack extends TerraformStack {
  constructor(scope: Construct, id: string, settings: AzureReferenceSettings) {
    super(scope, id);
    // The shared storage account has no keys: the provider reaches blobs and tables with Entra ID.
    new AzurermProvider(this, 'Azure', { features: [{}], subscriptionId: settings.subscriptionId, storageUseAzuread: true });
    const workspace = { subscriptionId: settings.subscriptionId, resourceGroup: settings.resourceGroup, workspaceName: 'churn-ml', location: settings.location };
    const training = new AzureMLPipeline({ ...workspace, pipelineName: 'churn-training', component: { name: 'churn_training', version: '1' }, computeName: 'cpu-cluster' });
    const evaluation = new AzureMLPipeline({ ...workspace, pipelineName: 'churn-evaluation', component: { name: 'churn_evaluation', version: '1' }, computeName: 'cpu-cluster' });

    // Scheduled: Mondays at 03:00 Berlin time, on the last week of data.
    new AzureMLScheduledTrigger(this, 'WeeklyRetraining', {
      pipeline: training,
      schedule: TriggerSchedule.cron('0 3 ? * MON *'),
      timeZone: TimeZone.of('Europe/Berlin'),
      parameters: { TrainingMode: 'scheduled', DataWindowDays: '7' },
    });

    // Data arrival: every 500 new labelled Parquet files, or two hours after the first one.
    new BlobDataArrivalTrigger(this, 'NewLabels', {
      pipeline: training,
      storageAccountId: `/subscriptions/${settings.subscriptionId}/resourceGroups/${settings.resourceGroup}/providers/Microsoft.Storage/storageAccounts/churnlabelled`,
      container: 'labelled',
      prefix: 'labels/',
      suffix: '.parquet',
      batchSize: 500,
      batchWindow: Duration.hours(2),
      parameters: { TrainingMode: 'data-arrival' },
    });

    // Drift: an Azure Monitor alert on the drift metric the model's monitor writes, scored by the shared severity rules.
    new AzureMLDriftTrigger(this, 'Drift', {
      pipeline: training,
      scopes: [`/subscriptions/${settings.subscriptionId}/resourceGroups/${settings.resourceGroup}/providers/Microsoft.Insights/components/churn-model`],
      metricNamespace: 'azure.applicationinsights',
      metricName: 'feature_drift',
      featureThresholds: { total_amount: { medium: 0.05, high: 0.2, critical: 0.4 } },
      parameters: { TrainingMode: 'drift' },
    });

    // Chain: evaluate every training run that completes.
    new AzureMLChainTrigger(this, 'EvaluateAfterTraining', { pipeline: evaluation, upstream: training });
  }
}

if (require.main === module) {
  const app = new App({ outdir: process.env.CDKTF_OUTDIR ?? 'cdktf.out.azure' });
  new AzureReferenceStack(app, 'ml-triggers-azure', {
    subscriptionId: process.env.AZURE_SUBSCRIPTION_ID ?? '00000000-0000-4000-8000-000000000000',
    resourceGroup: process.env.AZURE_RESOURCE_GROUP ?? 'churn-ml',
    location: process.env.AZURE_LOCATION ?? 'westeurope',
  });
  app.synth();
}
