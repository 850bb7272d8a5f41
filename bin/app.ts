#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ReferenceStack } from './reference-stack';

const app = new App();

new ReferenceStack(app, 'MlTriggersReference', {
  pipelineName: app.node.tryGetContext('pipelineName') ?? 'churn-model-training',
  dataBucketName: app.node.tryGetContext('dataBucketName') ?? 'churn-labelled-data',
  monitoringBucketName: app.node.tryGetContext('monitoringBucketName') ?? 'churn-model-monitor',
  branch: app.node.tryGetContext('branch') ?? 'main',
  description: 'cdk-ml-triggers reference app: every way a retraining pipeline gets started.',
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
