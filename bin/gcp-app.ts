#!/usr/bin/env node
import { Duration, TimeZone } from 'aws-cdk-lib';
import { App, TerraformStack } from 'cdktf';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import type { Construct } from 'constructs';
import { VertexDataArrivalTrigger, VertexDriftTrigger, VertexPipeline, VertexScheduledTrigger } from '../lib/gcp';
import { TriggerSchedule } from '../lib';

/** The Google Cloud tour: the same triggers for a Vertex AI pipeline, as Terraform (CDK for Terraform). */
export class GcpReferenceStack extends TerraformStack {
  constructor(scope: Construct, id: string, settings: { project: string; projectNumber: string; region: string }) {
    super(scope, id);
    new GoogleProvider(this, 'Google', { project: settings.project, region: settings.region });
    const pipeline = new VertexPipeline({
      project: settings.project,
      region: settings.region,
      templateUri: `gs://${settings.project}-pipelines/churn-training.json`,
      pipelineName: 'churn-training',
      serviceAccount: `vertex-pipelines@${settings.project}.iam.gserviceaccount.com`,
      pipelineRoot: `gs://${settings.project}-pipelines/runs`,
    });

    // Scheduled: Mondays at 03:00 Berlin time, on the last week of data.
    new VertexScheduledTrigger(this, 'WeeklyRetraining', {
      pipeline,
      schedule: TriggerSchedule.cron('0 3 ? * MON *'),
      timeZone: TimeZone.of('Europe/Berlin'),
      parameters: { TrainingMode: 'scheduled', DataWindowDays: '7' },
    });

    // Data arrival: every 500 new labelled Parquet files, or two hours after the first one.
    new VertexDataArrivalTrigger(this, 'NewLabels', {
      pipeline,
      bucket: `${settings.project}-labelled-data`,
      prefix: 'labels/',
      suffix: '.parquet',
      batchSize: 500,
      batchWindow: Duration.hours(2),
      parameters: { TrainingMode: 'data-arrival' },
    });

    // Drift: a Cloud Monitoring alert on the drift metric, scored by the shared severity rules.
    new VertexDriftTrigger(this, 'Drift', {
      pipeline,
      projectNumber: settings.projectNumber,
      metricType: 'custom.googleapis.com/churn/feature_drift',
      featureThresholds: { total_amount: { medium: 0.05, high: 0.2, critical: 0.4 } },
      parameters: { TrainingMode: 'drift' },
    });
  }
}

if (require.main === module) {
  const app = new App({ outdir: process.env.CDKTF_OUTDIR ?? 'cdktf.out' });
  new GcpReferenceStack(app, 'ml-triggers-gcp', {
    project: process.env.GCP_PROJECT ?? 'churn-ml-prod',
    projectNumber: process.env.GCP_PROJECT_NUMBER ?? '123456789012',
    region: process.env.GCP_REGION ?? 'europe-west1',
  });
  app.synth();
}
